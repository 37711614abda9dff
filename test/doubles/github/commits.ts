/**
 * The repository's commit graph in the GitHub double: what GraphQL's Commit (oid, committedDate,
 * parents, history) reads. Tests add commits with their parents; `history` walks them the way
 * `git log` does by default: newest committer date first, a commit only once.
 */

export interface GitCommit {
  oid: string;
  /** ISO 8601, second precision (GitHub's committedDate). */
  committedDate: string;
  parents: string[];
  message: string;
  /** Author name and email as the commit carries them; login when GitHub maps it to a user. */
  author: { name: string; email: string; login?: string };
}

export class CommitGraph {
  readonly #commits = new Map<string, GitCommit>();

  add(commit: Pick<GitCommit, 'oid' | 'committedDate'> & Partial<GitCommit>): GitCommit {
    if (!/^[0-9a-f]{40}$/.test(commit.oid)) throw new Error(`double: ${commit.oid} is not a 40-hex commit id`);
    const full: GitCommit = { parents: [], message: `commit ${commit.oid.slice(0, 7)}`, author: { name: 'Octo Cat', email: 'octocat@example.com' }, ...commit };
    for (const parent of full.parents) {
      if (!this.#commits.has(parent)) throw new Error(`double: parent ${parent} of ${commit.oid} was not added first`);
    }
    this.#commits.set(full.oid, full);
    return full;
  }

  get(oid: string): GitCommit | undefined {
    return this.#commits.get(oid);
  }

  get size(): number {
    return this.#commits.size;
  }

  all(): GitCommit[] {
    return [...this.#commits.values()];
  }

  /**
   * The commit and its ancestors, newest committer date first (ties: the order they were reached),
   * each once; `since`/`until` keep only commits dated within them, as GitHub's history filters do.
   */
  history(oid: string, filter: { since?: string; until?: string } = {}, limit = Infinity): GitCommit[] {
    const start = this.#commits.get(oid);
    if (!start) return [];
    const seen = new Set<string>([oid]);
    const queue: GitCommit[] = [start];
    const out: GitCommit[] = [];
    const since = filter.since ? Date.parse(filter.since) : -Infinity;
    const until = filter.until ? Date.parse(filter.until) : Infinity;
    while (queue.length > 0 && out.length < limit) {
      let newest = 0;
      for (let index = 1; index < queue.length; index++) {
        if ((queue[index] as GitCommit).committedDate > (queue[newest] as GitCommit).committedDate) newest = index;
      }
      const commit = queue.splice(newest, 1)[0] as GitCommit;
      const at = Date.parse(commit.committedDate);
      if (at >= since && at <= until) out.push(commit);
      for (const parent of commit.parents) {
        if (seen.has(parent)) continue;
        seen.add(parent);
        const found = this.#commits.get(parent);
        if (found) queue.push(found);
      }
    }
    return out;
  }
}
