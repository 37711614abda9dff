import type { RunContext } from '../../../shared/context.ts';
import { errorMessage } from '../../../shared/errors.ts';
import { explainGitHubError, type GitHubClient } from '../../../shared/github.ts';
import type { Plan } from './plan.ts';

/**
 * Deleting older entries of the same prefix and branch through the REST API (needs actions: write),
 * keeping the newest few. Entries are immutable and every lockfile change or refresh makes a new
 * one; without pruning the old ones sit in the repository's 10 GB until eviction, pushing out
 * entries that are still used.
 */

export interface ListedCache {
  id: number;
  key: string;
  ref: string;
  created_at: string;
}

/**
 * The entries to delete, pure: those of this prefix and ref beyond the newest `keep`, never one this
 * run restored exactly or saved (another step of the job may still rely on it).
 */
export function choosePrunable(listed: readonly ListedCache[], keyPrefix: string, ref: string, keep: number, protectedKeys: ReadonlySet<string>): ListedCache[] {
  const candidates = listed
    .filter((cache) => cache.key.startsWith(keyPrefix) && cache.ref === ref)
    .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id);
  return candidates.slice(keep).filter((cache) => !protectedKeys.has(cache.key));
}

export interface PruneOutcome {
  entry: string;
  deleted: string[];
  kept: number;
  problem?: string;
}

export async function pruneEntries(plan: Plan, github: GitHubClient, context: Pick<RunContext, 'owner' | 'repo' | 'ref'>, log: (line: string) => void): Promise<PruneOutcome[]> {
  const outcomes: PruneOutcome[] = [];
  for (const entry of plan.entries) {
    const protectedKeys = new Set<string>();
    if (entry.save?.outcome === 'saved' && entry.save.key) protectedKeys.add(entry.save.key);
    if (entry.hitKind === 'exact' && entry.matchedKey) protectedKeys.add(entry.matchedKey);
    try {
      const listing = await github.paginate(github.rest.actions.getActionsCacheList, {
        owner: context.owner,
        repo: context.repo,
        key: entry.keyPrefix,
        ref: context.ref,
        sort: 'created_at',
        direction: 'desc',
        per_page: 100,
      });
      // Every field is optional in GitHub's schema; an entry without id, key, ref or date cannot be judged.
      const listed = listing.flatMap((cache) =>
        cache.id !== undefined && cache.key && cache.ref && cache.created_at ? [{ id: cache.id, key: cache.key, ref: cache.ref, created_at: cache.created_at }] : [],
      );
      const prunable = choosePrunable(listed, entry.keyPrefix, context.ref, plan.pruneKeep, protectedKeys);
      for (const cache of prunable) {
        await github.rest.actions.deleteActionsCacheById({ owner: context.owner, repo: context.repo, cache_id: cache.id });
      }
      const deleted = prunable.map((cache) => cache.key);
      outcomes.push({ entry: entry.id, deleted, kept: listed.filter((cache) => cache.ref === context.ref).length - deleted.length });
      log(`${entry.id}: pruned ${deleted.length} older entr${deleted.length === 1 ? 'y' : 'ies'} of ${entry.keyPrefix}* on ${context.ref}${deleted.length ? `: ${deleted.join(', ')}` : ''}`);
    } catch (error) {
      const problem = errorMessage(explainGitHubError(error, `pruning the ${entry.id} entries`));
      outcomes.push({ entry: entry.id, deleted: [], kept: 0, problem });
    }
  }
  return outcomes;
}
