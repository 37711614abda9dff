/**
 * The commits a deployment shipped: those reachable from its commit and not from the previous
 * successful deployment's (git's `previous..own`, what GitHub's compare view lists), worked out on a
 * local store of commits read from GitHub's history in pages. Pure: when the walk needs a commit
 * the store lacks, it says which, and the caller reads more history and asks again.
 */

export interface StoredCommit {
  oid: string;
  /** Committer time, epoch milliseconds. */
  committedAt: number;
  parents: string[];
}

export type CommitStore = Map<string, StoredCommit>;

export interface MissingCommit {
  oid: string;
  /**
   * True when the commits below it are on the deployment's side and must be read; false when only
   * its own date and parents are needed (the previous deployment's commit, where the walk stops).
   */
  deep: boolean;
  /** For choosing which to read first: the newest known time around it (its child's, or the deployment's). */
  near: number;
}

export type RangeResult = { kind: 'done'; commits: StoredCommit[] } | { kind: 'missing'; missing: MissingCommit[] };

const OWN = 1;
const PREVIOUS = 2;

/**
 * git rev-list previous..head by painting down both sides in committer-date order (git's own
 * method): a commit reached from head only is shipped; reached from previous it is not, and neither
 * are its ancestors. The walk ends when every commit still queued is previous' ancestor. Commit
 * dates are taken to grow from parent to child, as git's walk also assumes.
 */
export function commitsBetween(store: CommitStore, head: string, previous: string | undefined, nearHead: number): RangeResult {
  const flags = new Map<string, number>([[head, OWN]]);
  const queue: string[] = [head];
  if (previous !== undefined) {
    if (previous === head) return { kind: 'done', commits: [] };
    flags.set(previous, PREVIOUS);
    queue.push(previous);
  }
  const shipped: StoredCommit[] = [];
  const missing = new Map<string, MissingCommit>();
  const nearOf = new Map<string, number>([[head, nearHead], ...(previous ? [[previous, nearHead] as [string, number]] : [])]);
  for (;;) {
    // Unknown commits cannot be ordered: say which are needed (all of them at once, one round trip).
    for (const oid of queue) {
      if (!store.has(oid)) missing.set(oid, { oid, deep: ((flags.get(oid) ?? 0) & PREVIOUS) === 0, near: nearOf.get(oid) ?? nearHead });
    }
    if (missing.size > 0) return { kind: 'missing', missing: [...missing.values()] };
    if (!queue.some((oid) => ((flags.get(oid) ?? 0) & PREVIOUS) === 0)) break;
    let newest = 0;
    for (let index = 1; index < queue.length; index++) {
      if ((store.get(queue[index] as string) as StoredCommit).committedAt > (store.get(queue[newest] as string) as StoredCommit).committedAt) newest = index;
    }
    const oid = queue.splice(newest, 1)[0] as string;
    const commit = store.get(oid) as StoredCommit;
    const flag = flags.get(oid) ?? 0;
    if ((flag & PREVIOUS) === 0) shipped.push(commit);
    for (const parent of commit.parents) {
      const before = flags.get(parent);
      const after = (before ?? 0) | flag;
      if (before === after) continue;
      flags.set(parent, after);
      nearOf.set(parent, commit.committedAt);
      if (!queue.includes(parent)) queue.push(parent);
    }
  }
  return { kind: 'done', commits: shipped };
}

/**
 * Which missing commits to read in one round. Pages of history come back newest first, `perPage`
 * commits each; once the density of the history is known (commits per millisecond, from what was
 * read), deep reads are spaced so that each starts about where the one before it ends: several
 * environments and services deploy from the same line, so their ranges overlap and counting them
 * would read the same commits many times over. Before anything is known, one page from the newest.
 */
export function chooseReads(missing: readonly MissingCommit[], options: { maxReads: number; perPage: number; commitsPerMs: number | undefined }): MissingCommit[] {
  const unique = new Map<string, MissingCommit>();
  for (const entry of missing) {
    const known = unique.get(entry.oid);
    if (!known || (entry.deep && !known.deep)) unique.set(entry.oid, { ...entry, deep: entry.deep || (known?.deep ?? false) });
  }
  const deep = [...unique.values()].filter((entry) => entry.deep).sort((a, b) => b.near - a.near || (a.oid < b.oid ? -1 : 1));
  const shallow = [...unique.values()].filter((entry) => !entry.deep);
  const chosen: MissingCommit[] = [];
  if (options.commitsPerMs === undefined || !(options.commitsPerMs > 0)) {
    if (deep[0]) chosen.push(deep[0]);
  } else {
    const span = options.perPage / options.commitsPerMs;
    let last = Infinity;
    for (const entry of deep) {
      if (chosen.length >= options.maxReads) break;
      if (last - entry.near < span) continue;
      chosen.push(entry);
      last = entry.near;
    }
  }
  // A previous deployment's commit usually lies on the history the deep reads bring: read it on its
  // own only once nothing deep is left.
  if (chosen.length === 0) chosen.push(...shallow.slice(0, options.maxReads));
  return chosen;
}
