import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../../../../shared/errors.ts';
import { git, hasCommit } from '../git.ts';

/** Lines a commit added to one file, with their line numbers in the new file. */
export interface AddedText {
  commit: string;
  path: string;
  /** The added lines joined by \n, so a multi-line key added in one hunk is one match. */
  text: string;
  /** lineNumbers[i] is the file line of text's line i. */
  lineNumbers: number[];
}

/**
 * Parses `git log -p -U0` output into the lines each commit added. Removed lines are not scanned: a
 * secret that is deleted was found when it was added (and is still in the history, which is why
 * finding it is about revoking, not deleting).
 */
export function parseAddedLines(log: string): AddedText[] {
  const out: AddedText[] = [];
  let commit = '';
  let path: string | undefined;
  let current: AddedText | undefined;
  let nextLine = 0;
  const flush = (): void => {
    if (current && current.lineNumbers.length > 0) out.push(current);
    current = undefined;
  };
  for (const line of log.split('\n')) {
    if (line.startsWith('\u0001commit ')) {
      flush();
      commit = line.slice(8).trim();
      path = undefined;
    } else if (line.startsWith('diff --git ')) {
      flush();
      path = undefined;
    } else if (line.startsWith('+++ ')) {
      flush();
      const target = line.slice(4);
      path = target === '/dev/null' ? undefined : unquote(target).replace(/^b\//, '');
      if (path) current = { commit, path, text: '', lineNumbers: [] };
    } else if (line.startsWith('@@')) {
      const match = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
      nextLine = match ? Number(match[1]) : 0;
    } else if (current && line.startsWith('+')) {
      current.text += (current.lineNumbers.length > 0 ? '\n' : '') + line.slice(1);
      current.lineNumbers.push(nextLine);
      nextLine += 1;
    }
  }
  flush();
  return out;
}

/** Git quotes paths with unusual characters as "b/caf\303\251.txt". */
function unquote(path: string): string {
  if (!path.startsWith('"')) return path;
  const inner = path.slice(1, -1);
  const bytes: number[] = [];
  for (let index = 0; index < inner.length; index++) {
    const char = inner[index] as string;
    if (char === '\\') {
      const next = inner[index + 1] as string;
      if (/[0-7]/.test(next)) {
        bytes.push(parseInt(inner.slice(index + 1, index + 4), 8));
        index += 3;
      } else {
        bytes.push(({ n: 10, t: 9, '"': 34, '\\': 92 } as Record<string, number>)[next] ?? next.charCodeAt(0));
        index += 1;
      }
    } else bytes.push(...Buffer.from(char));
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface CommitRange {
  /** Exclusive; undefined for a new branch: every commit reachable from head and from no other remote branch. */
  base?: string;
  head: string;
}

const ZERO_SHA = /^0{40}$/;

/** The commits a push or pull request brought, from the event payload. */
export function rangeFromEvent(eventName: string, event: Record<string, unknown>): CommitRange | undefined {
  if (eventName === 'push' && typeof event['after'] === 'string') {
    const before = typeof event['before'] === 'string' && !ZERO_SHA.test(event['before']) ? event['before'] : undefined;
    return { ...(before ? { base: before } : {}), head: event['after'] };
  }
  const pr = event['pull_request'] as { base?: { sha?: string }; head?: { sha?: string } } | undefined;
  if ((eventName === 'pull_request' || eventName === 'pull_request_target') && pr?.base?.sha && pr.head?.sha) {
    return { base: pr.base.sha, head: pr.head.sha };
  }
  return undefined;
}

/**
 * Reads what the commits in the range added. A checkout that lacks those commits (actions/checkout
 * fetches one commit by default) is an error naming the fix, never a scan of nothing that passes.
 */
export async function addedInRange(root: string, range: CommitRange): Promise<{ added: AddedText[]; commits: number }> {
  const shallow = (await git(root, ['rev-parse', '--is-shallow-repository']).catch(() => 'false')).trim() === 'true';
  const missing = (sha: string): UserError =>
    new UserError(
      `history mode needs commit ${sha.slice(0, 12)}, which this checkout does not have${shallow ? ' (it is a shallow clone)' : ''}: check out with fetch-depth: 0 (actions/checkout), or set history: false to scan the files only`,
    );
  if (!(await hasCommit(root, range.head))) throw missing(range.head);
  let revisions: string[];
  if (range.base) {
    if (!(await hasCommit(root, range.base))) throw missing(range.base);
    const ancestor = await git(root, ['merge-base', range.base, range.head]).then((out) => out.trim(), () => '');
    if (!ancestor) throw missing(range.base);
    revisions = [`${ancestor}..${range.head}`];
  } else {
    if (shallow) throw new UserError('history mode cannot tell which commits a new branch brought in a shallow clone: check out with fetch-depth: 0, or set history: false');
    revisions = [range.head, '--not', '--remotes'];
  }
  const list = await git(root, ['rev-list', ...revisions]);
  const commits = list.split('\n').filter(Boolean).length;
  if (shallow && range.base) {
    // A shallow boundary inside the range means some of its commits are missing.
    const boundary = await git(root, ['rev-parse', '--git-path', 'shallow']).then((path) => path.trim());
    const grafts = await readFile(join(root, boundary), 'utf8').catch(() => '');
    for (const sha of grafts.split('\n').filter(Boolean)) {
      if (list.includes(sha) && sha !== range.base) throw missing(`${sha}^`);
    }
  }
  const log = await git(root, ['log', '--no-color', '--no-ext-diff', '--no-renames', '-p', '-U0', '--format=%x01commit %H', ...revisions]);
  return { added: parseAddedLines(log), commits };
}
