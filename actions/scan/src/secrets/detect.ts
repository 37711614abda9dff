import { fingerprintOf, type Finding } from '../findings.ts';
import { LineIndex } from '../line-index.ts';
import { isPublishedExample, redact, shannonEntropy } from './checks.ts';
import { KeywordAutomaton } from './keywords.ts';
import { SECRET_RULES, type SecretRule } from './rules.ts';

/** The inline comment that silences a line, in any comment syntax: `# scan:ignore`, `// scan:ignore`. */
export const IGNORE_MARKER = 'scan:ignore';

export interface SecretAllowlist {
  /** Secrets matching one of these are not reported (a known test key, say). */
  regexes: RegExp[];
  /** Secrets containing one of these words (lower-case) are not reported. */
  stopwords: string[];
}

export interface SecretHit {
  rule: SecretRule;
  secret: string;
  line: number;
  column: number;
}

/** Compiled once: every rule's keywords in one automaton. */
export class SecretDetector {
  readonly #rules: SecretRule[];
  readonly #keywords: KeywordAutomaton<number>;
  readonly #allowlist: SecretAllowlist;

  constructor(rules: SecretRule[] = SECRET_RULES, allowlist: SecretAllowlist = { regexes: [], stopwords: [] }) {
    this.#rules = rules;
    this.#allowlist = allowlist;
    const rulesByKeyword = new Map<string, number[]>();
    rules.forEach((rule, index) => {
      for (const keyword of rule.keywords) rulesByKeyword.set(keyword, [...(rulesByKeyword.get(keyword) ?? []), index]);
    });
    this.#keywords = new KeywordAutomaton(rulesByKeyword);
  }

  /** The rules whose keywords occur in the text (any case), in catalogue order: the only patterns worth running on it. */
  candidateRules(text: string): SecretRule[] {
    const selected = new Uint8Array(this.#rules.length);
    let count = 0;
    this.#keywords.scan(text, (indexes) => {
      for (const index of indexes) {
        if (selected[index] === 0) {
          selected[index] = 1;
          count += 1;
        }
      }
      return count === this.#rules.length;
    });
    return this.#rules.filter((_, index) => selected[index] === 1);
  }

  detect(text: string): SecretHit[] {
    const candidates = this.candidateRules(text);
    if (candidates.length === 0) return [];
    const lines = new LineIndex(text);
    const hits: SecretHit[] = [];
    // Where reported secrets sit: a second rule matching the same text (or text inside it, a JWT in a
    // ghs_ token) is not a second finding; the same secret on another line is.
    const reported: Array<[start: number, end: number]> = [];
    // What the format rules matched, valid or not: the generic rule does not report those again.
    const claimed: string[] = [];
    for (const rule of candidates) {
      rule.pattern.lastIndex = 0;
      for (const match of text.matchAll(rule.pattern)) {
        const secret = Object.values(match.groups ?? {}).find((group) => group !== undefined) ?? match[0];
        if (rule.generic && claimed.some((value) => value.includes(secret) || secret.includes(value))) continue;
        if (!rule.generic) claimed.push(secret);
        if (rule.entropy !== undefined && shannonEntropy(secret) < rule.entropy) continue;
        if (rule.valid && !rule.valid(secret)) continue;
        if (isPublishedExample(secret) || this.#allowed(secret)) continue;
        const offset = (match.index ?? 0) + match[0].indexOf(secret);
        const line = lines.lineAt(offset);
        if (lines.lineText(line).includes(IGNORE_MARKER)) continue;
        const end = offset + secret.length;
        if (reported.some(([start, stop]) => offset < stop && start < end)) continue;
        reported.push([offset, end]);
        hits.push({ rule, secret, line: line + 1, column: offset - lines.lineStart(line) + 1 });
      }
    }
    return hits.sort((a, b) => a.line - b.line || a.column - b.column);
  }

  #allowed(secret: string): boolean {
    const lower = secret.toLowerCase();
    return this.#allowlist.regexes.some((regex) => regex.test(secret)) || this.#allowlist.stopwords.some((word) => lower.includes(word));
  }
}

/**
 * The fingerprint keys on the rule, the file and a hash of the secret, never on the line: the same
 * secret moved down a file is the same finding, and the hash does not reveal it.
 */
export function secretFinding(hit: SecretHit, path: string, commit?: string): Finding {
  const ruleId = `secrets/${hit.rule.id}`;
  const where = commit ? ` (added in ${commit.slice(0, 12)})` : '';
  return {
    ruleId,
    scanner: 'secrets',
    severity: hit.rule.severity,
    message: `${hit.rule.title}: ${redact(hit.secret)}${where}`,
    path,
    line: hit.line,
    column: hit.column,
    fingerprint: fingerprintOf(ruleId, path, hit.secret),
    ...(commit ? { commit } : {}),
  };
}
