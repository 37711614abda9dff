import * as core from '@actions/core';
import { BlueGreen, type Outcome } from '../../../shared/bluegreen/engine.ts';
import { createRouter } from '../../../shared/bluegreen/config.ts';
import { renderSummary } from '../../../shared/bluegreen/summary.ts';
import { readRunContext } from '../../../shared/context.ts';
import { DeploymentRecords } from '../../../shared/deployments.ts';
import { errorMessage, runAction } from '../../../shared/errors.ts';
import { createGitHubClient } from '../../../shared/github.ts';
import { appendSummary } from '../../../shared/markdown.ts';
import { readConfig, type DeployConfig } from './inputs.ts';

export const OUTPUTS = ['deployment-id', 'color', 'previous-color', 'version', 'traffic-percent', 'environment-url'] as const;

function act(engine: BlueGreen, config: DeployConfig): Promise<Outcome> {
  switch (config.action) {
    case 'deploy':
      return engine.deploy({ version: config.version as string, artifact: config.artifact, percent: config.trafficPercent });
    case 'shift':
    case 'promote':
      return engine.shift(config.trafficPercent, config.deploymentId);
    case 'abort':
      return engine.abort(config.deploymentId);
    case 'cleanup':
      return engine.cleanup(config.keepPreviousMs, config.deploymentId);
  }
}

export async function run(): Promise<void> {
  await runAction('deploy-bluegreen', async () => {
    const { config, inputs } = readConfig();
    inputs.maskSecrets();
    const context = readRunContext();
    const records = new DeploymentRecords(createGitHubClient(config.githubToken, { apiUrl: context.apiUrl }), context);
    const router = await createRouter(config, records);
    const engine = new BlueGreen({
      ...config,
      router,
      records,
      context,
      log: { info: (message) => core.info(message), warning: (message) => core.warning(message) },
    });
    let outcome: Outcome | undefined;
    let failure: string | undefined;
    try {
      outcome = await act(engine, config);
    } catch (error) {
      failure = errorMessage(error);
      throw error;
    } finally {
      await router.close();
      appendSummary(
        renderSummary({
          action: `deploy-bluegreen ${config.action}`,
          environment: config.environment,
          router: config.router,
          outcome,
          failure,
          phases: engine.phases,
          deploymentUrl: `${context.repositoryUrl}/deployments/${encodeURIComponent(config.environment)}`,
        }),
      );
    }
    core.setOutput('deployment-id', outcome.deploymentId ? String(outcome.deploymentId) : '');
    core.setOutput('color', outcome.color ?? '');
    core.setOutput('previous-color', outcome.previousColor ?? '');
    core.setOutput('version', outcome.version ?? '');
    core.setOutput('traffic-percent', outcome.color ? String(outcome.split[outcome.color]) : '0');
    core.setOutput('environment-url', config.environmentUrl ?? '');
    if (outcome.noop) core.notice(outcome.noop);
  });
}
