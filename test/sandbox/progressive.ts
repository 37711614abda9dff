import { DEFAULT_TOKEN } from '../doubles/github/server.ts';
import type { StepResult } from '../harness/run-action.ts';
import type { Prometheus } from './servers.ts';
import type { Stage } from './stage.ts';

/**
 * Progressive delivery as the reusable pipeline runs it, step by step through the bundles: deploy at
 * 10%, analyze, shift to 50%, analyze, promote; any verdict short of pass rolls back instantly.
 * The analysis reads the real Prometheus scraping both colors, baseline = the color serving before.
 */

export interface ProgressiveResult {
  version: string;
  outcome: 'promoted' | 'rolled back';
  analyses: StepResult[];
  steps: Array<{ name: string; result: StepResult }>;
}

/** Short windows so the demo does not take minutes: 1 s scrapes, 3 s rates, 10 s intervals. */
const ANALYSIS = { 'rate-window': '3s', step: '1s', warmup: '3s', interval: '10s', 'min-samples': '8', 'on-fail': 'fail', 'on-inconclusive': 'fail' };

export async function progressiveDeploy(stage: Stage, prometheus: Prometheus, version: string, runId: string, note: (line: string) => void = () => undefined): Promise<ProgressiveResult> {
  const steps: Array<{ name: string; result: StepResult }> = [];
  const analyses: StepResult[] = [];
  const run = async (name: string, action: 'deploy-bluegreen' | 'rollback', inputs: Record<string, string>) => {
    const result = await stage.run(action, inputs, { runId });
    steps.push({ name, result });
    return result;
  };
  const deployed = await run(`deploy ${version} at 10%`, 'deploy-bluegreen', { version, 'traffic-percent': '10' });
  if (deployed.exitCode !== 0) throw new Error(`deploy failed:\n${deployed.log}`);
  const canary = deployed.outputs['color'] as string;
  const baseline = deployed.outputs['previous-color'] as string;
  const deploymentId = deployed.outputs['deployment-id'] as string;
  note(`${version} on ${canary} takes 10% (deployment ${deploymentId}); ${baseline} is the baseline`);

  const analyse = async (share: string) => {
    const { main } = await stage.harness.run('canary-analyze', {
      inputs: {
        'prometheus-url': prometheus.url,
        'baseline-selector': `color="${baseline}"`,
        'canary-selector': `color="${canary}"`,
        'canary-version': version,
        environment: 'production',
        'deployment-id': deploymentId,
        ...ANALYSIS,
      },
      github: { apiUrl: stage.github.apiUrl, token: DEFAULT_TOKEN, runId },
    });
    analyses.push(main);
    steps.push({ name: `analyze at ${share}`, result: main });
    note(`canary-analyze at ${share}: ${main.outputs['verdict']}, score ${main.outputs['score']}${main.outputs['failed-metrics'] ? ` (failed: ${main.outputs['failed-metrics']})` : ''}`);
    return main.exitCode === 0;
  };

  const rollBack = async () => {
    const back = await run('rollback', 'rollback', { mode: 'instant', 'deployment-id': deploymentId });
    note(`rolled back: ${back.outputs['version']} on ${back.outputs['color']} takes all traffic again`);
    return { version, outcome: 'rolled back' as const, analyses, steps };
  };

  if (!(await analyse('10%'))) return rollBack();
  const shifted = await run(`shift ${version} to 50%`, 'deploy-bluegreen', { action: 'shift', 'traffic-percent': '50', 'deployment-id': deploymentId });
  if (shifted.exitCode !== 0) return rollBack();
  note(`${version} on ${canary} takes 50%`);
  if (!(await analyse('50%'))) return rollBack();
  const promoted = await run(`promote ${version}`, 'deploy-bluegreen', { action: 'promote', 'deployment-id': deploymentId });
  if (promoted.exitCode !== 0) return rollBack();
  note(`${version} promoted: ${canary} takes 100%`);
  return { version, outcome: 'promoted', analyses, steps };
}
