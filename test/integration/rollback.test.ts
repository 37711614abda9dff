import { afterEach, describe, expect, test } from 'vitest';
import { Stage } from '../sandbox/stage.ts';

/** rollback through its bundle against real HAProxy, records checked in the GitHub double. */

let stage: Stage;
afterEach(async () => {
  expect(await stage.stop()).toEqual([]);
});

async function v1ThenV2(router: 'haproxy' | 'nginx' = 'haproxy', percent = '100'): Promise<void> {
  stage = await Stage.create(router);
  expect((await stage.run('deploy-bluegreen', { version: 'v1' })).exitCode).toBe(0);
  expect((await stage.run('deploy-bluegreen', { version: 'v2', 'traffic-percent': percent })).exitCode).toBe(0);
}

describe('instant', () => {
  test('all traffic back to the previous color; the bad one failed, the rollback recorded, the failed color stopped', async () => {
    await v1ThenV2();
    const result = await stage.run('rollback', { mode: 'instant' });
    expect(result.exitCode, result.log).toBe(0);
    expect(await stage.versionsServed(10)).toEqual({ v1: 10 });
    expect(stage.running('green')).toBe(false);
    const [v1, v2, back] = stage.records();
    expect(v2).toMatchObject({ version: 'v2', states: ['in_progress', 'in_progress', 'in_progress', 'success', 'failure'] });
    expect(v2?.descriptions.at(-1)).toBe('rolled back to v1');
    expect(back).toMatchObject({ version: 'v1', color: 'blue', previousColor: 'green', rollbackOf: v2?.id, states: ['success'] });
    expect(result.outputs).toEqual({ version: 'v1', color: 'blue', 'deployment-id': String(back?.id), 'rolled-back-deployment-id': String(v2?.id) });
    expect(v1?.states.at(-1)).toBe('success');
    expect(result.summary).toContain('rolled back to v1 on blue');
  });

  test('running it twice is harmless: the second run says so and changes nothing', async () => {
    await v1ThenV2();
    expect((await stage.run('rollback', {})).exitCode).toBe(0);
    const deployments = stage.github.deployments.length;
    const again = await stage.run('rollback', {});
    expect(again.exitCode, again.log).toBe(0);
    expect(again.notices[0]?.message).toMatch(/^deployment \d+ \(v2\) was already rolled back by deployment \d+ \(v1\): nothing to do$/);
    expect(stage.github.deployments).toHaveLength(deployments);
    expect(await stage.versionsServed(5)).toEqual({ v1: 5 });
  });

  test('a canary in flight is taken back to 100% on the previous color', async () => {
    await v1ThenV2('haproxy', '10');
    const result = await stage.run('rollback', {});
    expect(result.exitCode, result.log).toBe(0);
    expect(await stage.versionsServed(20)).toEqual({ v1: 20 });
    expect(stage.records()[1]?.states.at(-1)).toBe('failure');
  });

  test('a previous color that is gone is not sent traffic: nothing changes and redeploy is suggested', async () => {
    await v1ThenV2();
    expect((await stage.run('deploy-bluegreen', { action: 'cleanup', 'keep-previous': '0s' })).exitCode).toBe(0);
    const result = await stage.run('rollback', { 'health-timeout': '1s' });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]?.message).toMatch(/^rollback: blue \(v1\) is not healthy \(cannot connect .*\): an instant rollback would send traffic to it; use mode: redeploy\. Nothing was changed$/);
    expect(await stage.versionsServed(5)).toEqual({ v2: 5 });
    expect(stage.records()[1]?.states.at(-1)).toBe('success');
  });
});

describe('redeploy', () => {
  test('the last good version is deployed again on the idle color, health-gated, and recorded as a rollback', async () => {
    await v1ThenV2('nginx');
    expect((await stage.run('deploy-bluegreen', { action: 'cleanup', 'keep-previous': '0s' })).exitCode).toBe(0);
    expect(stage.running('blue')).toBe(false);
    const result = await stage.run('rollback', { mode: 'redeploy' });
    expect(result.exitCode, result.log).toBe(0);
    expect(await stage.versionsServed(10)).toEqual({ v1: 10 });
    const [, v2, back] = stage.records();
    expect(v2?.descriptions.at(-1)).toBe('rolled back to v1');
    expect(back).toMatchObject({ version: 'v1', color: 'blue', previousColor: 'green', rollbackOf: v2?.id });
    expect(back?.states.at(-1)).toBe('success');
    expect(result.outputs).toMatchObject({ version: 'v1', color: 'blue', 'rolled-back-deployment-id': String(v2?.id) });
    const again = await stage.run('rollback', { mode: 'redeploy' });
    expect(again.exitCode).toBe(0);
    expect(again.notices[0]?.message).toContain('was already rolled back');
  });

  test('with no earlier good deployment there is nothing to redeploy', async () => {
    stage = await Stage.create('haproxy');
    expect((await stage.run('deploy-bluegreen', { version: 'v1' })).exitCode).toBe(0);
    const result = await stage.run('rollback', { mode: 'redeploy' });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]?.message).toBe('rollback: no earlier good deployment of production in its whole history: nothing to redeploy');
    expect(await stage.versionsServed(5)).toEqual({ v1: 5 });
  });
});
