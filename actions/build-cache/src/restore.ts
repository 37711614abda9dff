import type { CacheClient } from './cache-client.ts';
import { expandPaths, fingerprint, mapParallel } from './files.ts';
import { hitKindOf } from './keys.ts';
import type { PlannedEntry } from './plan.ts';

/**
 * Restores every entry at once (each is its own archive, so they download and unpack side by side)
 * and records what each found. With refresh, an exact hit's folders are fingerprinted right after
 * unpacking, so the save can tell whether the job changed them.
 */
export async function restoreEntries(
  entries: PlannedEntry[],
  client: CacheClient,
  options: { lookupOnly: boolean; refresh: boolean; workspace: string },
): Promise<void> {
  await mapParallel(entries, entries.length || 1, async (entry) => {
    const started = performance.now();
    const result = await client.restore(entry.paths, entry.lookupKey, entry.restoreKeys, options.lookupOnly);
    entry.matchedKey = result.matchedKey;
    entry.hitKind = hitKindOf(entry.primaryKey, result.matchedKey);
    entry.archiveBytes = result.archiveBytes;
    entry.restoreProblems = result.problems;
    entry.restoreMs = Math.round(performance.now() - started);
    if (options.refresh && entry.hitKind === 'exact' && !options.lookupOnly) {
      entry.restoredFingerprint = (await fingerprint(await expandPaths(entry.paths, options.workspace))).hash;
    }
  });
}
