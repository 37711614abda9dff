import type { CacheClient } from './cache-client.ts';
import { expandPaths, fingerprint } from './files.ts';
import { decideSave, writePlan, type Plan, type SaveRecord } from './plan.ts';

/**
 * Saves what the restore step planned, one entry after the other (each archive is compressed with
 * all cores already), writing each outcome into the plan file as it lands so that a later step
 * never saves the same entry twice.
 */
export async function saveEntries(plan: Plan, planPath: string, client: CacheClient, by: SaveRecord['by'], log: (line: string) => void): Promise<void> {
  for (const entry of plan.entries) {
    const started = performance.now();
    const folders = await expandPaths(entry.paths, plan.workspace);
    const current = await fingerprint(folders);
    const decision = decideSave(entry, plan, current);
    if (!decision.save) {
      // An earlier step's record stands; only a fresh decision is written down.
      if (entry.save?.outcome !== 'saved') entry.save = { outcome: 'skipped', reason: decision.reason, ms: 0, by };
      log(`${entry.id}: not saved: ${decision.reason}`);
      continue;
    }
    log(`${entry.id}: saving ${entry.paths.join(', ')} under ${decision.key} (${decision.why})`);
    const result = await client.save(entry.paths, decision.key);
    const ms = Math.round(performance.now() - started);
    if (result.id !== -1) {
      entry.save = { outcome: 'saved', key: decision.key, reason: decision.why, ms, archiveBytes: result.archiveBytes, by };
    } else if (result.keyTaken) {
      entry.save = { outcome: 'skipped', key: decision.key, reason: 'the key was taken meanwhile: another job saved this entry first', ms, by };
    } else {
      const why = result.problems.join('; ') || 'the cache service did not accept it (see the log above)';
      entry.save = { outcome: 'failed', key: decision.key, reason: why, ms, archiveBytes: result.archiveBytes, by };
    }
    log(`${entry.id}: ${entry.save.outcome} (${entry.save.reason})`);
    writePlan(planPath, plan);
  }
  writePlan(planPath, plan);
}
