import { parse as parseYaml } from 'yaml';
import { UserError } from '../../../../shared/errors.ts';
import { LineIndex } from '../line-index.ts';

/** OSV's ecosystem names. */
export type Ecosystem = 'npm' | 'PyPI' | 'Go' | 'crates.io';

export interface Package {
  name: string;
  version: string;
  ecosystem: Ecosystem;
  /** The lockfile and the line the package is pinned on. */
  path: string;
  line: number;
}

export class LockfileError extends UserError {
  constructor(path: string, line: number, problem: string) {
    super(`${path}:${line}: ${problem}`);
  }
}

const LOCKFILES: Record<string, (path: string, text: string) => Package[]> = {
  'package-lock.json': parsePackageLock,
  'npm-shrinkwrap.json': parsePackageLock,
  'pnpm-lock.yaml': parsePnpmLock,
  'yarn.lock': parseYarnLock,
  'requirements.txt': parseRequirements,
  'poetry.lock': parseTomlPackages('PyPI'),
  'uv.lock': parseTomlPackages('PyPI'),
  'go.mod': parseGoMod,
  'Cargo.lock': parseTomlPackages('crates.io'),
};

export function isLockfile(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name in LOCKFILES || /^requirements[\w.-]*\.txt$/.test(name);
}

export function parseLockfile(path: string, text: string): Package[] {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const parser = LOCKFILES[name] ?? (/^requirements[\w.-]*\.txt$/.test(name) ? parseRequirements : undefined);
  if (!parser) return [];
  return dedupe(parser(path, text));
}

function dedupe(packages: Package[]): Package[] {
  const seen = new Map<string, Package>();
  for (const pkg of packages) {
    const key = `${pkg.ecosystem}|${pkg.name}|${pkg.version}`;
    if (!seen.has(key)) seen.set(key, pkg);
  }
  return [...seen.values()];
}

function jsonError(path: string, text: string, error: unknown): never {
  const position = /position (\d+)/.exec(String(error))?.[1];
  const line = position ? new LineIndex(text).lineAt(Number(position)) + 1 : 1;
  throw new LockfileError(path, line, `malformed JSON (${String((error as Error).message ?? error).split('\n')[0]})`);
}

function parsePackageLock(path: string, text: string): Package[] {
  let lock: { lockfileVersion?: number; packages?: Record<string, { version?: string; link?: boolean; name?: string }>; dependencies?: Record<string, unknown> };
  try {
    lock = JSON.parse(text) as typeof lock;
  } catch (error) {
    jsonError(path, text, error);
  }
  const out: Package[] = [];
  const lines = new LineIndex(text);
  if (lock.packages) {
    for (const [location, entry] of Object.entries(lock.packages)) {
      if (location === '' || entry.link || !entry.version) continue;
      const at = location.lastIndexOf('node_modules/');
      if (at === -1) continue;
      const name = entry.name ?? location.slice(at + 'node_modules/'.length);
      out.push({ name, version: entry.version, ecosystem: 'npm', path, line: lines.lineOfFirst(JSON.stringify(location)) });
    }
    return out;
  }
  // lockfileVersion 1: nested dependencies.
  const walk = (dependencies: Record<string, unknown> | undefined): void => {
    for (const [name, value] of Object.entries(dependencies ?? {})) {
      const entry = value as { version?: string; dependencies?: Record<string, unknown> };
      if (entry.version && !/^(?:file|link|git|github):/.test(entry.version)) out.push({ name, version: entry.version, ecosystem: 'npm', path, line: lines.lineOfFirst(JSON.stringify(name)) });
      walk(entry.dependencies);
    }
  };
  walk(lock.dependencies);
  return out;
}

function yamlOrError(path: string, text: string): unknown {
  try {
    return parseYaml(text, { uniqueKeys: false });
  } catch (error) {
    const line = (error as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line ?? 1;
    throw new LockfileError(path, line, `malformed YAML (${String((error as Error).message).split('\n')[0]})`);
  }
}

/** pnpm keys: `/name/1.0.0` (v5), `/name@1.0.0` (v6), `name@1.0.0(peer@2)` (v9); scoped names start with @. */
export function pnpmKey(key: string): { name: string; version: string } | undefined {
  const bare = key.replace(/^\//, '').replace(/\(.*$/, '');
  const at = bare.indexOf('@', bare.startsWith('@') ? 1 : 0);
  if (at > 0) return { name: bare.slice(0, at), version: bare.slice(at + 1) };
  const slash = bare.lastIndexOf('/');
  if (slash > 0) return { name: bare.slice(0, slash), version: bare.slice(slash + 1) };
  return undefined;
}

function parsePnpmLock(path: string, text: string): Package[] {
  const lock = yamlOrError(path, text) as { packages?: Record<string, unknown> } | null;
  const out: Package[] = [];
  const lines = new LineIndex(text);
  for (const key of Object.keys(lock?.packages ?? {})) {
    const parsed = pnpmKey(key);
    if (!parsed || !/^\d/.test(parsed.version)) continue;
    out.push({ ...parsed, ecosystem: 'npm', path, line: lines.lineOfFirst(key) });
  }
  return out;
}

function parseYarnLock(path: string, text: string): Package[] {
  const out: Package[] = [];
  const lines = text.split('\n');
  let current: { name: string; line: number } | undefined;
  lines.forEach((line, index) => {
    if (/^\S.*:\s*$/.test(line) && !line.startsWith('#') && !line.startsWith('__metadata')) {
      const first = (line.replace(/:\s*$/, '').split(',')[0] as string).trim().replace(/^"|"$/g, '');
      const at = first.indexOf('@', first.startsWith('@') ? 1 : 0);
      const name = at > 0 ? first.slice(0, at) : first;
      const protocol = at > 0 ? first.slice(at + 1) : '';
      current = /^(?:workspace|link|portal|file|patch|exec|git|github):/.test(protocol) || protocol.includes('#') ? undefined : { name, line: index + 1 };
      return;
    }
    const version = /^\s+version:?\s+"?([^"\s]+)"?\s*$/.exec(line);
    if (current && version) {
      out.push({ name: current.name, version: version[1] as string, ecosystem: 'npm', path, line: current.line });
      current = undefined;
    }
  });
  if (out.length === 0 && text.trim() !== '' && !text.includes('yarn lockfile') && !text.includes('__metadata')) {
    throw new LockfileError(path, 1, 'not a yarn.lock (neither the "# yarn lockfile v1" header nor berry\'s __metadata)');
  }
  return out;
}

/** PEP 503 normalisation: OSV and PyPI compare names this way. */
export function normalisePypiName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function parseRequirements(path: string, text: string): Package[] {
  const out: Package[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '').trim();
    if (line === '' || line.startsWith('-') || line.includes('://')) return;
    const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(===?|~=|>=|<=|!=|>|<)?\s*([^;\s,]*)?/.exec(line);
    if (!match) throw new LockfileError(path, index + 1, `cannot read requirement ${JSON.stringify(raw.trim())}`);
    // Only exact pins name one version to check; ranges are resolved at install time.
    if ((match[2] === '==' || match[2] === '===') && match[3] && !match[3].includes('*')) {
      out.push({ name: normalisePypiName(match[1] as string), version: match[3], ecosystem: 'PyPI', path, line: index + 1 });
    }
  });
  return out;
}

/** [[package]] tables with name and version (poetry.lock, uv.lock, Cargo.lock); local packages skipped. */
function parseTomlPackages(ecosystem: Ecosystem): (path: string, text: string) => Package[] {
  return (path, text) => {
    const out: Package[] = [];
    const lines = text.split('\n');
    let current: { name?: string; version?: string; local: boolean; line: number } | undefined;
    const flush = (): void => {
      if (current?.name && current.version && !current.local) {
        out.push({ name: ecosystem === 'PyPI' ? normalisePypiName(current.name) : current.name, version: current.version, ecosystem, path, line: current.line });
      }
      current = undefined;
    };
    lines.forEach((line, index) => {
      if (/^\[\[package\]\]\s*$/.test(line)) {
        flush();
        current = { local: ecosystem === 'crates.io', line: index + 1 };
        return;
      }
      if (/^\[/.test(line)) {
        if (!/^\[package\./.test(line)) flush();
        return;
      }
      if (!current) return;
      const pair = /^(\w+)\s*=\s*(.*)$/.exec(line);
      if (!pair) return;
      const [, key, value] = pair as unknown as [string, string, string];
      const string = /^"((?:[^"\\]|\\.)*)"/.exec(value)?.[1];
      if (key === 'name') current.name = string;
      else if (key === 'version') current.version = string;
      else if (key === 'source') {
        // Cargo: only registry crates have a source; uv/poetry: editable, virtual or directory sources are the project itself.
        if (ecosystem === 'crates.io') current.local = !/registry\+/.test(value);
        else if (/editable|virtual|directory|path\s*=/.test(value)) current.local = true;
      }
    });
    flush();
    if (out.length === 0 && text.trim() !== '' && !/^\[\[package\]\]/m.test(text) && !/^version\s*=/m.test(text)) {
      throw new LockfileError(path, 1, 'no [[package]] tables: not a lockfile this scanner reads');
    }
    return out;
  };
}

function parseGoMod(path: string, text: string): Package[] {
  const out: Package[] = [];
  let inBlock = false;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (/^require\s*\($/.test(line)) {
      inBlock = true;
      return;
    }
    if (inBlock && line === ')') {
      inBlock = false;
      return;
    }
    const spec = inBlock ? line : /^require\s+(.*)$/.exec(line)?.[1];
    if (!spec) return;
    const match = /^(\S+)\s+v(\S+)$/.exec(spec.trim());
    if (!match) throw new LockfileError(path, index + 1, `cannot read require line ${JSON.stringify(raw.trim())}`);
    out.push({ name: match[1] as string, version: match[2] as string, ecosystem: 'Go', path, line: index + 1 });
  });
  return out;
}
