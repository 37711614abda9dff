import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { Stage } from '../sandbox/stage.ts';

/**
 * deploy-bluegreen through its bundle, against real HAProxy and nginx with the sample service behind
 * them and the GitHub double keeping the records. Each test checks the traffic (through the real
 * router), the processes, and the deployment records at each step.
 */

let stage: Stage;
afterEach(async () => {
  expect(await stage.stop()).toEqual([]);
});

describe('HAProxy', () => {
  test('first deploy goes to blue at 100%; the next to green, blue kept running for the way back', async () => {
    stage = await Stage.create('haproxy');
    const first = await stage.run('deploy-bluegreen', { version: 'v1' });
    expect(first.exitCode, first.log).toBe(0);
    expect(first.outputs).toMatchObject({ color: 'blue', 'previous-color': '', version: 'v1', 'traffic-percent': '100' });
    expect(await stage.versionsServed(10)).toEqual({ v1: 10 });

    const second = await stage.run('deploy-bluegreen', { version: 'v2', 'environment-url': 'https://app.example.com' });
    expect(second.exitCode, second.log).toBe(0);
    expect(second.outputs).toMatchObject({ color: 'green', 'previous-color': 'blue', version: 'v2', 'traffic-percent': '100' });
    expect(await stage.versionsServed(10)).toEqual({ v2: 10 });
    expect(stage.running('blue')).toBe(true);

    const [v1, v2] = stage.records();
    expect(v1).toMatchObject({ version: 'v1', color: 'blue', previousColor: null, states: ['in_progress', 'in_progress', 'in_progress', 'success'] });
    expect(v2).toMatchObject({ version: 'v2', color: 'green', previousColor: 'blue', states: ['in_progress', 'in_progress', 'in_progress', 'success'] });
    expect((stage.github.deployments[1]?.payload as Record<string, unknown>)['previousDeploymentId']).toBe(v1?.id);
    expect(stage.github.deployments[1]?.statuses.at(-1)?.environmentUrl).toBe('https://app.example.com');
    // The weights on disk match, so a restart of HAProxy keeps green.
    expect(readFileSync(stage.haproxy?.configPath as string, 'utf8')).toMatch(/server green 127\.0\.0\.1:\d+ weight 100/);
    expect(second.summary).toContain('v2 is live on green');
    expect(second.summary).toContain('blue 100% / green 0% → **blue 0% / green 100%**');
  });

  test('a canary: 10%, shift to 50%, promote', async () => {
    stage = await Stage.create('haproxy');
    expect((await stage.run('deploy-bluegreen', { version: 'v1' })).exitCode).toBe(0);
    const canary = await stage.run('deploy-bluegreen', { version: 'v2', 'traffic-percent': '10' });
    expect(canary.exitCode, canary.log).toBe(0);
    expect(canary.outputs).toMatchObject({ color: 'green', 'traffic-percent': '10' });
    const served = await stage.versionsServed(100);
    expect(served['v2']).toBeGreaterThan(0);
    expect(served['v1']).toBeGreaterThan(served['v2'] as number);
    expect(stage.records()[1]?.states.at(-1)).toBe('in_progress');
    expect(stage.records()[1]?.descriptions.at(-1)).toBe('canary: v2 on green takes 10%');

    const half = await stage.run('deploy-bluegreen', { action: 'shift', 'traffic-percent': '50' });
    expect(half.exitCode, half.log).toBe(0);
    expect(half.outputs).toMatchObject({ 'deployment-id': String(stage.records()[1]?.id), 'traffic-percent': '50' });

    const promoted = await stage.run('deploy-bluegreen', { action: 'promote' });
    expect(promoted.exitCode, promoted.log).toBe(0);
    expect(await stage.versionsServed(10)).toEqual({ v2: 10 });
    expect(stage.records()[1]?.states.at(-1)).toBe('success');
    expect(stage.records()).toHaveLength(2);
  });

  test('abort: all traffic back to blue, green stopped, the deployment failed', async () => {
    stage = await Stage.create('haproxy');
    await stage.run('deploy-bluegreen', { version: 'v1' });
    await stage.run('deploy-bluegreen', { version: 'v2', 'traffic-percent': '25' });
    expect(stage.running('green')).toBe(true);
    const aborted = await stage.run('deploy-bluegreen', { action: 'abort' });
    expect(aborted.exitCode, aborted.log).toBe(0);
    expect(await stage.versionsServed(10)).toEqual({ v1: 10 });
    expect(stage.running('green')).toBe(false);
    expect(stage.records()[1]).toMatchObject({ states: expect.arrayContaining(['failure']) });
    expect(stage.records()[1]?.descriptions.at(-1)).toBe('aborted: traffic back on blue');
  });

  test('a health gate that never passes: traffic untouched, the new color stopped, the record failed', async () => {
    stage = await Stage.create('haproxy', { v2: { HEALTHY: 'false' } });
    await stage.run('deploy-bluegreen', { version: 'v1' });
    const failed = await stage.run('deploy-bluegreen', { version: 'v2', 'health-timeout': '2s' });
    expect(failed.exitCode).toBe(1);
    expect(failed.errors[0]?.message).toMatch(/^deploy-bluegreen: green never became healthy: \d+ probes of \/healthz in .*, last: HTTP 503 \(expected 200\)/);
    expect(await stage.versionsServed(10)).toEqual({ v1: 10 });
    expect(stage.running('green')).toBe(false);
    expect(stage.records()[1]?.states.at(-1)).toBe('failure');
    expect(stage.records()[1]?.descriptions.at(-1)).toBe('v2 on green failed; traffic untouched (blue 100% / green 0%)');
    expect(failed.summary).toContain('❌ deploy-bluegreen deploy on production failed');
  });

  test('a version that breaks right after the switch is switched back at once', async () => {
    stage = await Stage.create('haproxy', { v2: { UNHEALTHY_AFTER_MS: '1500' } });
    await stage.run('deploy-bluegreen', { version: 'v1' });
    const failed = await stage.run('deploy-bluegreen', { version: 'v2', 'post-switch-window': '6s' });
    expect(failed.exitCode).toBe(1);
    expect(failed.errors[0]?.message).toMatch(/green failed .* after the switch \(HTTP 503 .*\); switched back to blue 100% \/ green 0%/);
    expect(await stage.versionsServed(10)).toEqual({ v1: 10 });
    expect(stage.running('green')).toBe(false);
    expect(stage.records()[1]?.descriptions.at(-1)).toBe('v2 on green failed; traffic back on blue 100% / green 0%');
  });

  test('a second run on a locked environment is refused with a link to the run holding it', async () => {
    stage = await Stage.create('haproxy');
    stage.github.seedDeployment({
      environment: 'production',
      payload: { deployActions: 1, runId: 7, version: 'v9', color: 'blue', strategy: 'bluegreen' },
      states: ['in_progress'],
    });
    const deployment = stage.github.deployments[0];
    if (deployment?.statuses[0]) deployment.statuses[0].logUrl = 'https://github.com/acme/app/actions/runs/7';
    const refused = await stage.run('deploy-bluegreen', { version: 'v2' });
    expect(refused.exitCode).toBe(1);
    expect(refused.errors[0]?.message).toContain('production is locked: deployment');
    expect(refused.errors[0]?.message).toContain('https://github.com/acme/app/actions/runs/7');
    expect(stage.running('blue') || stage.running('green')).toBe(false);
    expect(stage.github.deployments).toHaveLength(1);
  });

  test('cleanup stops the previous color only once keep-previous has passed', async () => {
    stage = await Stage.create('haproxy');
    await stage.run('deploy-bluegreen', { version: 'v1' });
    await stage.run('deploy-bluegreen', { version: 'v2' });
    const early = await stage.run('deploy-bluegreen', { action: 'cleanup', 'keep-previous': '1h' });
    expect(early.exitCode).toBe(0);
    expect(early.notices[0]?.message).toMatch(/^blue is kept until .* \(keep-previous 1h after deployment \d+ went live\)$/);
    expect(stage.running('blue')).toBe(true);
    const due = await stage.run('deploy-bluegreen', { action: 'cleanup', 'keep-previous': '0s' });
    expect(due.exitCode, due.log).toBe(0);
    expect(stage.running('blue')).toBe(false);
    expect(stage.running('green')).toBe(true);
    expect(await stage.versionsServed(5)).toEqual({ v2: 5 });
  });
});

describe('nginx', () => {
  test('deploy, canary and promote through nginx -t and graceful reloads', async () => {
    stage = await Stage.create('nginx');
    expect((await stage.run('deploy-bluegreen', { version: 'v1' })).exitCode).toBe(0);
    expect(await stage.versionsServed(5)).toEqual({ v1: 5 });
    const canary = await stage.run('deploy-bluegreen', { version: 'v2', 'traffic-percent': '50' });
    expect(canary.exitCode, canary.log).toBe(0);
    const served = await stage.versionsServed(40);
    expect(Object.keys(served).sort()).toEqual(['v1', 'v2']);
    expect((await stage.run('deploy-bluegreen', { action: 'promote' })).exitCode).toBe(0);
    expect(await stage.versionsServed(10)).toEqual({ v2: 10 });
    expect(stage.records().map((record) => record.states.at(-1))).toEqual(['success', 'success']);
  });

  test('a reload nginx refuses leaves traffic and file as they were, and the record failed', async () => {
    stage = await Stage.create('nginx');
    await stage.run('deploy-bluegreen', { version: 'v1' });
    const before = readFileSync(stage.nginx?.upstreamFile as string, 'utf8');
    const failed = await stage.run('deploy-bluegreen', { version: 'v2', 'nginx-upstream-name': 'app-v2' });
    expect(failed.exitCode).toBe(1);
    expect(failed.errors[0]?.message).toMatch(/nginx -t refused the new upstream/);
    expect(readFileSync(stage.nginx?.upstreamFile as string, 'utf8')).toBe(before);
    expect(await stage.versionsServed(5)).toEqual({ v1: 5 });
    expect(stage.running('green')).toBe(false);
    expect(stage.records()[1]?.states.at(-1)).toBe('failure');
  });
});

describe('command router', () => {
  test('route-command sets the split, state-command reads it back', async () => {
    stage = await Stage.create('command');
    expect((await stage.run('deploy-bluegreen', { version: 'v1' })).exitCode).toBe(0);
    const second = await stage.run('deploy-bluegreen', { version: 'v2', 'traffic-percent': '20' });
    expect(second.exitCode, second.log).toBe(0);
    expect(readFileSync(`${stage.dir}/route`, 'utf8').trim()).toBe('blue=80 green=20');
    expect((await stage.run('deploy-bluegreen', { action: 'promote' })).exitCode).toBe(0);
    expect(readFileSync(`${stage.dir}/route`, 'utf8').trim()).toBe('blue=0 green=100');
  });

  test('without state-command the split comes from the deployment records', async () => {
    stage = await Stage.create('command');
    delete stage.routerInputs['state-command'];
    expect((await stage.run('deploy-bluegreen', { version: 'v1' })).exitCode).toBe(0);
    const second = await stage.run('deploy-bluegreen', { version: 'v2', 'traffic-percent': '30' });
    expect(second.outputs).toMatchObject({ color: 'green', 'previous-color': 'blue' });
    const aborted = await stage.run('deploy-bluegreen', { action: 'abort' });
    expect(aborted.exitCode, aborted.log).toBe(0);
    expect(aborted.log).toContain('command has blue 70% / green 30%');
    expect(readFileSync(`${stage.dir}/route`, 'utf8').trim()).toBe('blue=100 green=0');
  });
});

describe('the GitHub side', () => {
  test('a deploy stays within the record model’s budget of 15 REST calls', async () => {
    stage = await Stage.create('haproxy');
    const first = await stage.run('deploy-bluegreen', { version: 'v1' });
    expect(first.exitCode, first.log).toBe(0);
    const before = stage.github.requests.length;
    const second = await stage.run('deploy-bluegreen', { version: 'v2' });
    expect(second.exitCode, second.log).toBe(0);
    const calls = stage.github.calls().slice(before);
    // lock (list + latest status), previous good (list + history), create, four statuses
    expect(calls.length, calls.join('\n')).toBeLessThanOrEqual(15);
    expect(calls.filter((call) => call.startsWith('POST')), calls.join('\n')).toHaveLength(5);
  });

  test('a 502 from GitHub in the middle of a deploy is retried and the deploy completes', async () => {
    stage = await Stage.create('haproxy');
    await stage.run('deploy-bluegreen', { version: 'v1' });
    stage.github.serverError({ status: 502, method: 'POST', path: /\/statuses$/, times: 1 });
    const result = await stage.run('deploy-bluegreen', { version: 'v2' });
    expect(result.exitCode, result.log).toBe(0);
    expect(stage.records()[1]?.states).toEqual(['in_progress', 'in_progress', 'in_progress', 'success']);
  });

  test('a token that may not write deployments: refused before anything starts, the permission named', async () => {
    stage = await Stage.create('haproxy');
    await stage.run('deploy-bluegreen', { version: 'v1' });
    stage.github.grant('ghs_readonly', { deployments: 'read', contents: 'read' });
    const result = await stage.run('deploy-bluegreen', { version: 'v2', 'github-token': 'ghs_readonly' });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]?.message).toContain('grant "deployments: write"');
    expect(stage.running('green')).toBe(false);
    expect(await stage.versionsServed(5)).toEqual({ v1: 5 });
  });
});
