import { Inputs, runnerInputs, type InputSource } from '../../../shared/inputs.ts';
import { BLUEGREEN_SECRET_INPUTS, readCommonConfig, type CommonConfig } from '../../../shared/bluegreen/config.ts';

export const MODES = ['instant', 'redeploy'] as const;

export interface RollbackConfig extends CommonConfig {
  mode: (typeof MODES)[number];
  deploymentId?: number | undefined;
  stopFailed: boolean;
  maxDeployments: number;
}

export function readConfig(source: InputSource = runnerInputs): { config: RollbackConfig; inputs: Inputs } {
  const inputs = new Inputs(source, { secret: BLUEGREEN_SECRET_INPUTS });
  const mode = inputs.choice('mode', MODES, 'instant');
  return {
    inputs,
    config: {
      // A redeploy starts the last good version on the idle color, so it needs start-command.
      ...readCommonConfig(inputs, { startCommand: mode === 'redeploy' }),
      mode,
      deploymentId: inputs.integer('deployment-id', { min: 1 }),
      stopFailed: inputs.boolean('stop-failed', true),
      maxDeployments: inputs.integer('max-deployments', { fallback: 50, min: 1, max: 1000 }) as number,
    },
  };
}
