import { randomUUID } from 'node:crypto';
import { delimiter, join } from 'node:path';
import * as core from '@actions/core';
import { readRunContext } from '../../../shared/context.ts';
import { runAction, UserError } from '../../../shared/errors.ts';
import { appendSummary } from '../../../shared/markdown.ts';
import type { CacheClient } from './cache-client.ts';
import { loadCacheClient } from './cache-loader.ts';
import { discover } from './discover.ts';
import { readConfig } from './inputs.ts';
import { overallHitKind, platformTag } from './keys.ts';
import { runTool, thisMachine, type RunTool } from './locations.ts';
import { PLAN_STATE, PLANS_VARIABLE, planPaths, writePlan, type Plan } from './plan.ts';
import { restoreEntries } from './restore.ts';
import { formatBytes, formatMs, renderRestoreSummary, sizeWarning } from './summary.ts';

/** The main step: detect, key, restore; the post step or build-cache/save saves. */
export async function run(tool: RunTool = runTool): Promise<void> {
  await runAction('build-cache', async () => {
    const client: CacheClient = await loadCacheClient();
    const { config, inputs } = readConfig();
    inputs.maskSecrets();
    const context = readRunContext();
    const workspace = process.env['GITHUB_WORKSPACE'] || process.cwd();
    const platform = platformTag(process.env['RUNNER_OS'], process.env['RUNNER_ARCH'], { platform: process.platform, arch: process.arch });

    const discovery = await discover(config, { workspace, machine: thisMachine(), platform }, tool);
    for (const warning of discovery.warnings) core.warning(warning);
    for (const [name, value] of Object.entries(discovery.exportVariables)) {
      core.exportVariable(name, value);
      core.info(`Set ${name}=${value} for the rest of the job, so the tool installs where the cache is restored.`);
    }

    const plan: Plan = {
      version: 1,
      workspace,
      refresh: config.refresh,
      prune: config.prune,
      pruneKeep: config.pruneKeep,
      failOnSaveError: config.failOnSaveError,
      saveInPost: config.save,
      runId: String(context.runId),
      runAttempt: String(context.runAttempt),
      ref: context.ref,
      entries: discovery.entries,
    };
    const notes: string[] = [];
    if (!client.available()) {
      notes.push('The cache service is not available to this job (ACTIONS_RESULTS_URL is not set: GitHub Enterprise Server without the cache, or a local runner): nothing was restored and nothing will be saved.');
      core.warning(notes[0] as string);
    } else if (plan.entries.length > 0) {
      core.info(`Restoring ${plan.entries.map((entry) => entry.id).join(', ')} (${discovery.filesWalked} files walked for key files).`);
      await restoreEntries(plan.entries, client, { lookupOnly: config.lookupOnly, refresh: config.refresh, workspace });
    }
    for (const entry of plan.entries) {
      const from = entry.matchedKey ? ` from ${entry.matchedKey}` : '';
      core.info(`${entry.id}: ${entry.hitKind}${from}${config.lookupOnly && entry.matchedKey ? ' (lookup only, not downloaded)' : ''} · ${formatBytes(entry.archiveBytes)} · ${formatMs(entry.restoreMs)} · key ${entry.primaryKey}`);
    }

    const planPath = join(process.env['RUNNER_TEMP'] || workspace, 'build-cache', `plan-${randomUUID()}.json`);
    writePlan(planPath, plan);
    core.saveState(PLAN_STATE, planPath);
    core.exportVariable(PLANS_VARIABLE, [...planPaths(process.env[PLANS_VARIABLE], delimiter), planPath].join(delimiter));

    const hitKind = overallHitKind(plan.entries.map((entry) => entry.hitKind));
    core.setOutput('cache-hit', String(plan.entries.length > 0 && hitKind === 'exact'));
    core.setOutput('hit-kind', hitKind);
    core.setOutput('primary-key', plan.entries.map((entry) => entry.primaryKey).join('\n'));
    core.setOutput('restored-key', plan.entries.flatMap((entry) => (entry.matchedKey ? [entry.matchedKey] : [])).join('\n'));
    core.setOutput(
      'caches',
      JSON.stringify(
        Object.fromEntries(
          plan.entries.map((entry) => [
            entry.id,
            {
              key: entry.primaryKey,
              'hit-kind': entry.hitKind,
              'restored-key': entry.matchedKey ?? null,
              'archive-bytes': entry.archiveBytes ?? null,
              'restore-ms': entry.restoreMs ?? null,
              paths: entry.paths,
              'key-files': entry.keyFiles.length,
            },
          ]),
        ),
      ),
    );

    const tooBig = sizeWarning(plan.entries.map((entry) => entry.archiveBytes));
    if (tooBig) {
      core.warning(tooBig);
      notes.push(tooBig);
    }
    if (config.summary) appendSummary(renderRestoreSummary(plan.entries, notes));

    const missed = plan.entries.filter((entry) => entry.hitKind === 'miss').map((entry) => entry.id);
    if (config.failOnMiss && (missed.length > 0 || plan.entries.length === 0)) {
      throw new UserError(`fail-on-miss: no cache entry was found for ${missed.length > 0 ? missed.join(', ') : 'anything (nothing to cache was detected)'}`);
    }
  });
}
