import * as core from '@actions/core';
import type { BlueGreen, Outcome } from '../../../shared/bluegreen/engine.ts';
import { runBlueGreen } from '../../../shared/bluegreen/run.ts';
import { runAction } from '../../../shared/errors.ts';
import { readConfig, type DeployConfig } from './inputs.ts';

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
    const outcome = await runBlueGreen(config, `deploy-bluegreen ${config.action}`, (engine) => act(engine, config));
    core.setOutput('deployment-id', outcome.deploymentId ? String(outcome.deploymentId) : '');
    core.setOutput('color', outcome.color ?? '');
    core.setOutput('previous-color', outcome.previousColor ?? '');
    core.setOutput('version', outcome.version ?? '');
    core.setOutput('traffic-percent', outcome.color ? String(outcome.split[outcome.color]) : '0');
    core.setOutput('environment-url', config.environmentUrl ?? '');
  });
}
