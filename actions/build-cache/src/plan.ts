import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../../../shared/errors.ts';
import { refreshedKey, type HitKind } from './keys.ts';

/**
 * What the restore step decided and found, written to a file under RUNNER_TEMP: its post step reads
 * it back through state, the build-cache/save sub-action (a different action, which cannot read
 * another step's state) through BUILD_CACHE_PLANS, an environment variable the restore step sets for
 * the rest of the job. Whoever saves an entry writes that down, so it is saved once.
 */

export const PLANS_VARIABLE = 'BUILD_CACHE_PLANS';
export const PLAN_STATE = 'plan';

export interface SaveRecord {
  outcome: 'saved' | 'skipped' | 'failed';
  /** The key saved under (or that would have been). */
  key?: string;
  reason: string;
  ms: number;
  archiveBytes?: number;
  /** Which step did it: the post step or the save sub-action. */
  by: 'post' | 'save';
}

export interface PlannedEntry {
  /** An ecosystem id, or "custom" for the paths input. */
  id: string;
  title: string;
  /** As given to @actions/cache: relative to the workspace when inside it. */
  paths: string[];
  /** Key files relative to the working directory. */
  keyFiles: string[];
  pathSource: string;
  primaryKey: string;
  /** Everything up to the hash: what partial restores and pruning match by. */
  keyPrefix: string;
  lookupKey: string;
  restoreKeys: string[];
  /** Filled by the restore. */
  hitKind: HitKind;
  matchedKey?: string;
  restoreMs?: number;
  archiveBytes?: number;
  /** The cached folders' fingerprint right after the restore (refresh compares against it). */
  restoredFingerprint?: string;
  restoreProblems?: string[];
  save?: SaveRecord;
}

export interface Plan {
  version: 1;
  workspace: string;
  refresh: boolean;
  prune: boolean;
  pruneKeep: number;
  failOnSaveError: boolean;
  /** Whether the post step saves (the save sub-action always does). */
  saveInPost: boolean;
  runId: string;
  runAttempt: string;
  ref: string;
  entries: PlannedEntry[];
}

export function writePlan(path: string, plan: Plan): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(plan, null, 1)}\n`);
}

export function readPlan(path: string): Plan {
  let parsed: Plan;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Plan;
  } catch (error) {
    throw new UserError(`the plan the restore step wrote (${path}) cannot be read: ${(error as Error).message}`);
  }
  if (parsed.version !== 1) throw new UserError(`the plan at ${path} was written by another version of build-cache (version ${String(parsed.version)})`);
  return parsed;
}

/** The plan files listed in BUILD_CACHE_PLANS (one per build-cache step of the job, in order). */
export function planPaths(value: string | undefined, delimiter: string): string[] {
  return (value ?? '').split(delimiter).filter(Boolean);
}

export type SaveDecision = { save: true; key: string; why: string } | { save: false; reason: string };

/**
 * Whether to save an entry and under which key, pure. `current` is the fingerprint of its folders
 * now (undefined when none of them exists).
 */
export function decideSave(entry: PlannedEntry, plan: Pick<Plan, 'refresh' | 'runId' | 'runAttempt'>, current: { hash: string; files: number } | undefined): SaveDecision {
  if (entry.save?.outcome === 'saved') return { save: false, reason: `already saved under ${entry.save.key} by the ${entry.save.by === 'save' ? 'build-cache/save step' : 'post step'}` };
  if (!current || current.files === 0) return { save: false, reason: `nothing to save: ${entry.paths.join(', ')} ${entry.paths.length === 1 ? 'is' : 'are'} empty or missing` };
  if (entry.hitKind === 'exact') {
    if (!plan.refresh) return { save: false, reason: `exact hit on ${entry.matchedKey}: the entry is stored already (refresh: true saves changed content under a new key)` };
    if (entry.restoredFingerprint === current.hash) return { save: false, reason: `exact hit on ${entry.matchedKey} and nothing changed since it was restored` };
    return { save: true, key: refreshedKey(entry.primaryKey, plan.runId, plan.runAttempt), why: 'refresh: the content changed since the exact hit was restored' };
  }
  return { save: true, key: entry.primaryKey, why: entry.hitKind === 'partial' ? `partial hit on ${entry.matchedKey}: saved under the new key` : 'cache miss' };
}
