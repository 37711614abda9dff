import * as core from '@actions/core';
import { readRunContext } from '../context.ts';
import { DeploymentRecords } from '../deployments.ts';
import { errorMessage } from '../errors.ts';
import { createGitHubClient } from '../github.ts';
import { appendSummary } from '../markdown.ts';
import { createRouter, type CommonConfig } from './config.ts';
import { BlueGreen, type Outcome } from './engine.ts';
import { renderSummary } from './summary.ts';

/**
 * The edge both blue-green actions share: the records client, the router (closed whatever happens),
 * the engine, and the job summary written on success and on failure alike.
 */
export async function runBlueGreen(config: CommonConfig, title: string, flow: (engine: BlueGreen) => Promise<Outcome>): Promise<Outcome> {
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
    outcome = await flow(engine);
    if (outcome.noop) core.notice(outcome.noop);
    return outcome;
  } catch (error) {
    failure = errorMessage(error);
    throw error;
  } finally {
    await router.close();
    appendSummary(
      renderSummary({
        action: title,
        environment: config.environment,
        router: config.router,
        outcome,
        failure,
        phases: engine.phases,
        deploymentUrl: `${context.repositoryUrl}/deployments/${encodeURIComponent(config.environment)}`,
      }),
    );
  }
}
