import type { StepResult } from '../harness/run-action.ts';
import { startLoad, type LoadStats } from './load.ts';
import type { Stage } from './stage.ts';

/**
 * The switch scenario the demo shows and the benchmark measures: v1 goes live; then, under
 * continuous keep-alive load, v2 is deployed blue-green and rolled back instantly. What the clients
 * saw is recorded, with the moments traffic moved.
 */

export interface ScenarioResult {
  steps: { v1: StepResult; v2: StepResult; rollback: StepResult };
  stats: LoadStats;
  /** From the first answer of v2 to the moment every answer is from v2 (what clients saw of the switch). */
  switchMs: number | undefined;
  /** From the start of the rollback step (the runner starting it) to every answer from v1. */
  rollbackMs: number | undefined;
  /** GitHub REST calls made by the v2 deploy step. */
  deployApiCalls: number;
}

export interface ScenarioHooks {
  /** Keep-alive connections of the load (16 by default). */
  connections?: number;
  /** Called around each step, e.g. to tell the story with notify. */
  before?(step: 'v1' | 'v2' | 'rollback'): Promise<void>;
  after?(step: 'v1' | 'v2' | 'rollback', result: StepResult): Promise<void>;
  note?(line: string): void;
}

const HEALTH = { 'health-interval': '250ms', 'health-successes': '3', 'post-switch-window': '3s', 'drain-time': '2s' };

function expectOk(name: string, result: StepResult): StepResult {
  if (result.exitCode !== 0) throw new Error(`${name} failed:\n${result.log}`);
  return result;
}

export async function switchScenario(stage: Stage, hooks: ScenarioHooks = {}): Promise<ScenarioResult> {
  const connections = hooks.connections ?? 16;
  const note = hooks.note ?? (() => undefined);
  await hooks.before?.('v1');
  const v1 = expectOk('deploy v1', await stage.run('deploy-bluegreen', { version: 'v1', ...HEALTH }, { runId: '101' }));
  await hooks.after?.('v1', v1);

  const load = startLoad(stage.url, connections);
  note(`load started: ${connections} keep-alive connections, back to back`);
  await new Promise((resolve) => setTimeout(resolve, 1500));

  await hooks.before?.('v2');
  const callsBefore = stage.github.requests.length;
  const v2 = expectOk('deploy v2', await stage.run('deploy-bluegreen', { version: 'v2', ...HEALTH }, { runId: '102' }));
  const deployApiCalls = stage.github.requests.length - callsBefore;
  await hooks.after?.('v2', v2);
  await new Promise((resolve) => setTimeout(resolve, 1500));

  await hooks.before?.('rollback');
  const rollbackStarted = Date.now();
  const rollback = expectOk('rollback', await stage.run('rollback', { mode: 'instant', ...HEALTH }, { runId: '103' }));
  await hooks.after?.('rollback', rollback);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const stats = await load.stop();

  const firstOf = (version: string, since: number) =>
    [...stats.buckets.entries()]
      .filter(([at, versions]) => stats.startedAt + at >= since && versions.has(version))
      .map(([at]) => stats.startedAt + at)
      .sort((a, b) => a - b)[0];
  const firstV2 = firstOf('v2', stats.startedAt);
  const allV2 = firstV2 === undefined ? undefined : load.firstAllFrom('v2', firstV2, rollbackStarted);
  const allV1 = load.firstAllFrom('v1', rollbackStarted);
  return {
    steps: { v1, v2, rollback },
    stats,
    switchMs: firstV2 !== undefined && allV2 !== undefined ? allV2 - firstV2 : undefined,
    rollbackMs: allV1 === undefined ? undefined : allV1 - rollbackStarted,
    deployApiCalls,
  };
}
