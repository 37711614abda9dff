/**
 * Cache keys, pure. An entry's key is `<prefix>-<os>-<arch>-<ecosystem>[-<salt>]-<hash>`; the salt
 * sits before the hash so that the fallback prefix (everything up to the hash) carries it too, and
 * changing the salt really starts over instead of restoring the old entries by prefix.
 *
 * Entries are immutable, so a refreshed entry is saved as `<key>~<run id>-<attempt>`. The lookup asks
 * for `<key>~` (never saved as such, so the service goes on to its newest prefix match: the newest
 * refresh), then `<key>` (the original), then the fallback prefix. The service matches the key
 * exactly, then by prefix, then each restore key by prefix, newest first.
 */

export type HitKind = 'exact' | 'partial' | 'miss';

export const REFRESH_SEPARATOR = '~';
/** The cache service's limits (checked again by @actions/cache). */
export const MAX_KEY_LENGTH = 512;
export const MAX_KEYS = 10;

/** Letters, digits, dot, underscore and dash: no comma (the service splits on it), no `~` (ours). */
export const KEY_PART = /^[A-Za-z0-9._-]+$/;

export interface KeyParts {
  prefix: string;
  os: string;
  arch: string;
  ecosystem: string;
  salt?: string;
}

/** The runner's OS and architecture as they go into keys: linux/macos/windows, x64/arm64. */
export function platformTag(runnerOs: string | undefined, runnerArch: string | undefined, fallback: { platform: string; arch: string }): { os: string; arch: string } {
  const os = (runnerOs || { linux: 'Linux', darwin: 'macOS', win32: 'Windows' }[fallback.platform] || fallback.platform).toLowerCase();
  const arch = (runnerArch || fallback.arch).toLowerCase();
  return { os, arch };
}

/** Everything up to the hash: the prefix every entry of this ecosystem, salt and platform shares. */
export function fallbackPrefix(parts: KeyParts): string {
  return [parts.prefix, parts.os, parts.arch, parts.ecosystem, ...(parts.salt ? [parts.salt] : []), ''].join('-');
}

export function primaryKey(parts: KeyParts, hash: string): string {
  return `${fallbackPrefix(parts)}${hash}`;
}

export interface Lookup {
  /** What restoreCache is asked for first. */
  key: string;
  restoreKeys: string[];
}

export function lookupFor(primary: string, fallback: string | undefined): Lookup {
  return { key: `${primary}${REFRESH_SEPARATOR}`, restoreKeys: [primary, ...(fallback ? [fallback] : [])] };
}

/** Exact when the matched entry is the key's own, first or refreshed; partial when only the prefix matched. */
export function hitKindOf(primary: string, matched: string | undefined): HitKind {
  if (!matched) return 'miss';
  if (matched === primary || matched.startsWith(`${primary}${REFRESH_SEPARATOR}`)) return 'exact';
  return 'partial';
}

export function refreshedKey(primary: string, runId: string | number, runAttempt: string | number): string {
  return `${primary}${REFRESH_SEPARATOR}${runId}-${runAttempt}`;
}

/** All entries' hit kinds as one: exact when all are, miss when all are (or there are none), partial otherwise. */
export function overallHitKind(kinds: readonly HitKind[]): HitKind {
  if (kinds.length === 0) return 'miss';
  if (kinds.every((kind) => kind === 'exact')) return 'exact';
  if (kinds.every((kind) => kind === 'miss')) return 'miss';
  return 'partial';
}

/** Why a key cannot be used, or undefined when it can. */
export function keyProblem(key: string): string | undefined {
  if (key.length > MAX_KEY_LENGTH) return `it is ${key.length} characters long; the cache service takes at most ${MAX_KEY_LENGTH}`;
  if (key.includes(',')) return 'it holds a comma, which the cache service does not accept';
  return undefined;
}
