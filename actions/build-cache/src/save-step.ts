import { delimiter } from 'node:path';
import * as core from '@actions/core';
import { readRunContext } from '../../../shared/context.ts';
import { runAction, UserError } from '../../../shared/errors.ts';
import { createGitHubClient } from '../../../shared/github.ts';
import { appendSummary } from '../../../shared/markdown.ts';
import type { CacheClient } from './cache-client.ts';
import { loadCacheClient } from './cache-loader.ts';
import { readConfig, readSaveConfig } from './inputs.ts';
import { PLAN_STATE, PLANS_VARIABLE, planPaths, readPlan, type Plan, type SaveRecord } from './plan.ts';
import { pruneEntries, type PruneOutcome } from './prune.ts';
import { saveEntries } from './saving.ts';
import { renderSaveSummary, sizeWarning } from './summary.ts';

/**
 * The save phase, run by the post step (only after a successful job: post-if cannot read inputs nor
 * see a later failure) and by the build-cache/save sub-action (in an `if: always()` or
 * `if: failure()` step). Both read the plan the restore step wrote.
 */
export async function savePlan(
  plan: Plan,
  planPath: string,
  options: { by: SaveRecord['by']; failOnSaveError: boolean; token?: string | undefined; summary: boolean; client?: CacheClient },
): Promise<string[]> {
  const client = options.client ?? (await loadCacheClient());
  if (!client.available()) {
    core.warning('The cache service is not available to this job (ACTIONS_RESULTS_URL is not set): nothing is saved.');
    return [];
  }
  await saveEntries(plan, planPath, client, options.by, (line) => core.info(line));

  let pruned: PruneOutcome[] = [];
  if (plan.prune) {
    if (!options.token) core.warning('prune: true but no token was given: nothing pruned');
    else {
      const context = readRunContext();
      pruned = await pruneEntries(plan, createGitHubClient(options.token, { apiUrl: context.apiUrl }), context, (line) => core.info(line));
      for (const outcome of pruned) if (outcome.problem) core.warning(outcome.problem);
    }
  }

  const notes: string[] = [];
  const saved = plan.entries.filter((entry) => entry.save?.outcome === 'saved' && entry.save.by === options.by);
  const tooBig = sizeWarning(saved.map((entry) => entry.save?.archiveBytes));
  if (tooBig) {
    core.warning(tooBig);
    notes.push(tooBig);
  }
  if (options.summary) appendSummary(renderSaveSummary(plan.entries, pruned, notes));

  const failed = plan.entries.filter((entry) => entry.save?.outcome === 'failed' && entry.save.by === options.by);
  const described = failed.map((entry) => `${entry.id} under ${entry.save?.key}: ${entry.save?.reason}`);
  if (failed.length > 0 && options.failOnSaveError) throw new UserError(`saving failed (fail-on-save-error is on): ${described.join('; ')}`);
  for (const line of described) core.warning(`build-cache: saving ${line}`);
  return saved.map((entry) => entry.save?.key as string);
}

export async function runPost(): Promise<void> {
  await runAction('build-cache', async () => {
    const planPath = core.getState(PLAN_STATE);
    if (!planPath) {
      core.info('The restore step left no plan (it failed before writing one): nothing to save.');
      return;
    }
    const plan = readPlan(planPath);
    if (!plan.saveInPost) {
      core.info('save: false, so the post step does not save (a build-cache/save step still can).');
      return;
    }
    // The runner gives the post step the main step's inputs again.
    const { config, inputs } = readConfig();
    inputs.maskSecrets();
    await savePlan(plan, planPath, { by: 'post', failOnSaveError: plan.failOnSaveError, token: config.token, summary: config.summary });
  });
}

export async function runSave(): Promise<void> {
  await runAction('build-cache/save', async () => {
    const { config, inputs } = readSaveConfig();
    inputs.maskSecrets();
    const paths = planPaths(process.env[PLANS_VARIABLE], delimiter);
    if (paths.length === 0) {
      throw new UserError(`no build-cache step ran before this one in the job (${PLANS_VARIABLE} is not set): run the build-cache action first; this step saves what it restored and planned`);
    }
    const savedKeys: string[] = [];
    for (const planPath of paths) {
      const plan = readPlan(planPath);
      savedKeys.push(...(await savePlan(plan, planPath, { by: 'save', failOnSaveError: config.failOnSaveError ?? plan.failOnSaveError, token: config.token, summary: config.summary })));
    }
    core.setOutput('saved-keys', savedKeys.join('\n'));
  });
}
