import * as core from '@actions/core';
import { runBlueGreen } from '../../../shared/bluegreen/run.ts';
import { runAction } from '../../../shared/errors.ts';
import { readConfig } from './inputs.ts';

export async function run(): Promise<void> {
  await runAction('rollback', async () => {
    const { config, inputs } = readConfig();
    inputs.maskSecrets();
    const outcome = await runBlueGreen(config, `rollback (${config.mode})`, (engine) =>
      config.mode === 'instant'
        ? engine.rollbackInstant({ deploymentId: config.deploymentId, stopFailed: config.stopFailed })
        : engine.rollbackRedeploy({ deploymentId: config.deploymentId, maxDeployments: config.maxDeployments }),
    );
    core.setOutput('version', outcome.version ?? '');
    core.setOutput('color', outcome.color ?? '');
    core.setOutput('deployment-id', outcome.deploymentId ? String(outcome.deploymentId) : '');
    core.setOutput('rolled-back-deployment-id', outcome.rolledBack ? String(outcome.rolledBack) : '');
  });
}
