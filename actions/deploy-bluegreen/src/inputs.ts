import { InputError } from '../../../shared/errors.ts';
import { Inputs, runnerInputs, type InputSource } from '../../../shared/inputs.ts';
import { BLUEGREEN_SECRET_INPUTS, readCommonConfig, type CommonConfig } from '../../../shared/bluegreen/config.ts';

export const ACTIONS = ['deploy', 'shift', 'promote', 'abort', 'cleanup'] as const;
export type Action = (typeof ACTIONS)[number];

export interface DeployConfig extends CommonConfig {
  action: Action;
  version?: string | undefined;
  artifact?: string | undefined;
  trafficPercent: number;
  deploymentId?: number | undefined;
  keepPreviousMs: number;
}

export function readConfig(source: InputSource = runnerInputs): { config: DeployConfig; inputs: Inputs } {
  const inputs = new Inputs(source, { secret: BLUEGREEN_SECRET_INPUTS });
  const action = inputs.choice('action', ACTIONS, 'deploy');
  const common = readCommonConfig(inputs, { startCommand: action === 'deploy' });
  const trafficPercent = inputs.percent('traffic-percent', 100);
  if (trafficPercent <= 0 && (action === 'deploy' || action === 'shift')) {
    inputs.fail('traffic-percent', String(trafficPercent), 'a share above 0 and up to 100 (to take traffic away, use action: abort)');
  }
  const config: DeployConfig = {
    ...common,
    action,
    version: inputs.string('version'),
    artifact: inputs.string('artifact'),
    trafficPercent: action === 'promote' ? 100 : trafficPercent,
    deploymentId: inputs.integer('deployment-id', { min: 1 }),
    keepPreviousMs: inputs.duration('keep-previous', '1h', { min: 0, max: 90 * 24 * 3_600_000 }),
  };
  if (action === 'deploy' && !config.version) throw new InputError('version', 'is required for action: deploy (the tag, digest or build number being deployed)');
  if (action === 'deploy' && config.router === 'kubernetes' && !config.artifact) {
    throw new InputError('artifact', 'is required with router kubernetes: the image to deploy (ghcr.io/acme/app:1.4.0 or a digest)');
  }
  if (config.router === 'kubernetes' && !config.kubernetes?.httpRoute && config.trafficPercent < 100 && (action === 'deploy' || action === 'shift')) {
    inputs.fail('traffic-percent', String(trafficPercent), '100 with router kubernetes unless kubernetes-http-route is set: a Service selector sends all traffic to one color');
  }
  if (action === 'promote' && inputs.isSet('traffic-percent') && trafficPercent !== 100) {
    inputs.fail('traffic-percent', String(trafficPercent), '100 or nothing with action: promote (use action: shift for another share)');
  }
  return { config, inputs };
}
