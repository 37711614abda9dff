import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '@actions/core';
import { readRunContext } from '../../../shared/context.ts';
import { DeploymentRecords } from '../../../shared/deployments.ts';
import { errorMessage, runAction, UserError } from '../../../shared/errors.ts';
import { createGitHubClient } from '../../../shared/github.ts';
import { appendSummary } from '../../../shared/markdown.ts';
import { redact } from '../../../shared/secrets.ts';
import { analyse, type Report } from './analysis.ts';
import { readConfig, type CanaryConfig } from './inputs.ts';
import { renderSummary } from './summary.ts';

const CANARY_SHARE = /takes (\d+(?:\.\d+)?)%/;

/**
 * The verdict as an in_progress status on the deployment (the record model): "canary 10%: pass,
 * score 96.5". The deployment is the one given, or this run's newest in progress.
 */
async function recordVerdict(config: CanaryConfig, report: Report): Promise<void> {
  if (!config.environment || !config.githubToken) return;
  const context = readRunContext();
  const records = new DeploymentRecords(createGitHubClient(config.githubToken, { apiUrl: context.apiUrl }), context);
  try {
    const deployment = config.deploymentId
      ? await records.get(config.deploymentId)
      : (await records.list(config.environment, 1, 30)).find((candidate) => candidate.payload?.runId === context.runId);
    if (!deployment) {
      core.info(`No deployment of ${config.environment} by this run: the verdict is not recorded there (give deployment-id to choose one).`);
      return;
    }
    const statuses = await records.statuses(deployment.id);
    const share = statuses.map((status) => CANARY_SHARE.exec(status.description)?.[1]).find(Boolean);
    await records.addStatus(deployment.id, {
      state: 'in_progress',
      description: `canary${share ? ` ${share}%` : ''}: ${report.verdict}, score ${report.score}`,
      logUrl: context.runUrl,
    });
  } catch (error) {
    core.warning(`the verdict could not be recorded on the deployment: ${errorMessage(error)}`);
  }
}

export async function run(): Promise<void> {
  await runAction('canary-analyze', async () => {
    const { config, inputs } = readConfig();
    inputs.maskSecrets();
    const report = await analyse(config.provider, config.plan, { log: (line) => core.info(line) });
    const reportPath = config.reportPath ?? join(process.env['RUNNER_TEMP'] ?? '.', `canary-report-${Date.now()}.json`);
    writeFileSync(reportPath, `${JSON.stringify(report, null, 1)}\n`);
    appendSummary(redact(renderSummary(report, reportPath), config.secrets));
    await recordVerdict(config, report);

    const failed = report.windows.at(-1)?.metrics.filter((metric) => metric.failed).map((metric) => metric.name) ?? [];
    core.setOutput('verdict', report.verdict);
    core.setOutput('score', String(report.score));
    core.setOutput('report', reportPath);
    core.setOutput('failed-metrics', failed.join(','));

    const outcome = report.verdict === 'pass' ? 'pass' : report.verdict === 'inconclusive' ? config.onInconclusive : config.onFail;
    const message = `verdict ${report.verdict}, score ${report.score}: ${report.rule}`;
    if (outcome === 'fail') throw new UserError(message);
    if (outcome === 'warn') core.warning(`canary-analyze: ${message}`);
    else core.info(`canary-analyze: ${message}`);
  });
}
