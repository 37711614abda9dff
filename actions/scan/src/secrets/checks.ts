/** Value checks the secret rules share: entropy, checksums, placeholders. Pure functions. */

/** Shannon entropy in bits per character. Random base62 of 20+ characters gives about 4.5; English about 3.5 at most over short strings; "aaaa" gives 0. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as zlib) of an ASCII string. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = (CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function base62(value: number, width: number): string {
  let rest = value;
  let out = '';
  while (rest > 0) {
    out = (BASE62[rest % 62] as string) + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, '0');
}

/**
 * GitHub's token format (ghp_, gho_, ghu_, ghs_, ghr_) and npm's (npm_) end in six base62 characters
 * holding the CRC-32 of the 30 random characters before them: a match whose checksum fails is not a
 * token GitHub or npm issued (a typo, a made-up example, a hash that happens to fit).
 */
export function validBase62Checksum(token: string): boolean {
  const body = token.slice(token.indexOf('_') + 1);
  if (body.length !== 36) return false;
  return base62(crc32(body.slice(0, 30)), 6) === body.slice(30);
}

/** A JWT's header must decode to JSON naming an algorithm; random dotted base64 does not. */
export function validJwt(token: string): boolean {
  const [header] = token.split('.');
  try {
    const decoded = JSON.parse(Buffer.from(header as string, 'base64url').toString('utf8')) as unknown;
    return typeof decoded === 'object' && decoded !== null && typeof (decoded as Record<string, unknown>)['alg'] === 'string';
  } catch {
    return false;
  }
}

const PLACEHOLDER_WORDS = [
  'example', 'placeholder', 'changeme', 'change_me', 'change-me', 'your_', 'your-', 'yourtoken', 'yourkey', 'dummy', 'sample',
  'redacted', 'insert', 'replace', 'xxxx', '****', '....', 'todo', 'fixme', 'notreal', 'not_real', 'fake', 'secret_here', 'token_here',
  'password', 'passwd', 'foobar', 'lorem', '<', '>', '{{', '}}', '${', '$(', '%(', '#{',
];

/**
 * Values people write where a secret will go: templates, references to a secret store or the
 * environment, documentation fillers. Used by the rules that match on a keyword and an assignment,
 * which would otherwise flag half the configuration files in existence.
 */
export function looksLikePlaceholder(value: string): boolean {
  const lower = value.toLowerCase();
  if (PLACEHOLDER_WORDS.some((word) => lower.includes(word))) return true;
  if (/^\$[A-Za-z_]/.test(value) || /^(?:process\.env|os\.environ|env\.|secrets\.|vars\.|import\.meta)/i.test(value)) return true;
  if (/^(.)\1+$/.test(value)) return true;
  // Sequences such as 0123456789abcdef or abcdefghij.
  if (/0123456|123456789|abcdefgh/i.test(value)) return true;
  return false;
}

/**
 * Credentials printed in providers' documentation and copied into countless READMEs and tests: jwt.io's
 * sample token, Stripe's documentation test key. They grant nothing. (AWS's samples end in EXAMPLE and
 * are caught by that.) Split so that a scanner reading this file does not see them whole.
 */
const PUBLISHED_EXAMPLES = new Set([
  ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ', 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'].join('.'),
  ['sk_test_', '4eC39HqLyjWDarjtT1zdp7dc'].join(''),
  ['sk_test_', 'BQokikJOvBiI2HlWgH4olfQ2'].join(''),
]);

export function isPublishedExample(secret: string): boolean {
  return PUBLISHED_EXAMPLES.has(secret);
}

/** Hex digests and UUIDs: identifiers and checksums far more often than credentials. */
export function looksLikeDigestOrId(value: string): boolean {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) return true;
  if (/^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128})$/.test(value)) return true;
  // Subresource integrity and lockfile integrity strings.
  if (/^sha(?:1|256|384|512)-[A-Za-z0-9+/]+=*$/.test(value)) return true;
  return false;
}

/** The part of a secret that is safe to show: a known prefix at most, never more than four characters. */
export function redact(secret: string): string {
  // A prefix ending in an underscore (hf_, sk_, ghp_) is shown only up to it.
  const underscore = secret.indexOf('_');
  const prefix = underscore > 0 && underscore < 12 ? underscore + 1 : 4;
  const visible = secret.length >= 16 ? Math.min(4, prefix) : 0;
  return `${secret.slice(0, visible)}${'*'.repeat(8)} (${secret.length} characters)`;
}
