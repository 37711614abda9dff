import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventIndex, formatTranscript, jobOf, stepOf, type Transcript } from '../../doubles/runner/transcript.ts';
import { PipelineSandbox } from '../../sandbox/pipeline.ts';

/**
 * .github/workflows/deploy.yml, called directly as a user's workflow calls it
 * (org/deploy-actions/.github/workflows/deploy.yml@<sha>, resolved to this checkout), on the runner
 * double against a real HAProxy and the sample service run by the sandbox's systemctl. Each test
 * asserts the jobs' results, the traffic through the real router and the deployment records.
 * The health gate is scaled down through the pipeline's own inputs.
 */

let sandbox: PipelineSandbox;
beforeAll(async () => {
  sandbox = await PipelineSandbox.create({
    // HEALTHY=false: a version that never passes its health check; v-unverified passes it but fails verification.
    sites: { production: { versions: { 'v-broken': { HEALTHY: 'false' } } } },
    files: { '.github/workflows/.keep': '' },
  });
});
afterAll(async () => {
  expect(await sandbox.stop()).toEqual([]);
});

async function deploy(name: string, inputs: Record<string, unknown>): Promise<Transcript> {
  const transcript = await sandbox.deploy(name, 'production', inputs);
  if (transcript.conclusion === 'startup_failure') throw new Error(formatTranscript(transcript));
  return transcript;
}

describe('deploy.yml called directly', () => {
  test('the first deploy goes to blue, the next to green; the record and the outputs say so; the notify jobs tell the story', async () => {
    const site = sandbox.site('production');
    const first = await deploy('first', { version: 'v1' });
    expect(first.conclusion).toBe('success');
    expect(jobOf(first, 'production').outputs).toMatchObject({ color: 'blue', 'rolled-back': 'false' });
    expect(await site.versionsServed(10)).toEqual({ v1: 10 });

    const second = await deploy('second', { version: 'v2', scan: true });
    expect(second.conclusion).toBe('success');
    expect(jobOf(second, 'production / scan').result).toBe('success');
    expect(stepOf(jobOf(second, 'production / scan'), 'actions/upload-artifact').outputs['artifact-digest']).toMatch(/^[0-9a-f]{64}$/);
    expect(jobOf(second, 'production / deploy')).toMatchObject({ result: 'success', outputs: { color: 'green' }, runner: 'production-host', permissions: { contents: 'read', deployments: 'write' } });
    expect(jobOf(second, 'production / rollback').result).toBe('skipped');
    expect(stepOf(jobOf(second, 'production / finished'), '$/actions/notify').summary).toContain('v2');
    expect(await site.versionsServed(10)).toEqual({ v2: 10 });
    expect(await site.unitVersion('blue')).toBe('v1');
    const [v1, v2] = sandbox.records('production').slice(-2);
    expect(v1).toMatchObject({ version: 'v1', color: 'blue' });
    expect(v2).toMatchObject({ version: 'v2', color: 'green' });
    expect(v2?.states.at(-1)).toBe('success');
    // deployment: false on the deploy job: the only records are deploy-bluegreen's.
    expect(sandbox.records('production').every((record) => record.creator === 'github-actions[bot]')).toBe(true);
  });

  test('a verify-command that fails after the switch: the rollback job puts all traffic back on the previous color, finished reports rolled_back', async () => {
    const site = sandbox.site('production');
    const before = await site.versionsServed(5);
    const live = Object.keys(before)[0] as string;
    const transcript = await deploy('verify-fails', { version: 'v-unverified', 'verify-command': 'echo "checking $URL ($VERSION on $COLOR)"; exit 1' });
    expect(transcript.conclusion).toBe('failure');
    expect(jobOf(transcript, 'production / deploy').result).toBe('failure');
    expect(stepOf(jobOf(transcript, 'production / deploy'), 'verify').log).toMatch(/checking http:\/\/127\.0\.0\.1:\d+ \(v-unverified on (blue|green)\)/);
    expect(jobOf(transcript, 'production / rollback').result).toBe('success');
    expect(jobOf(transcript, 'production').outputs['rolled-back']).toBe('true');
    expect(eventIndex(transcript, { event: 'job-completed', job: 'production / deploy' })).toBeLessThan(eventIndex(transcript, { event: 'job-started', job: 'production / rollback' }));
    expect(await site.versionsServed(10)).toEqual({ [live]: 10 });
    expect(stepOf(jobOf(transcript, 'production / finished'), '$/actions/notify').summary.toLowerCase()).toContain('rolled back');
  });

  test('a version that never passes its health gate: deploy fails, traffic never moves, nothing is rolled back, finished reports failure', async () => {
    const site = sandbox.site('production');
    const before = await site.versionsServed(5);
    const transcript = await deploy('unhealthy', { version: 'v-broken', 'health-timeout': '3s' });
    expect(jobOf(transcript, 'production / deploy').result).toBe('failure');
    expect(jobOf(transcript, 'production / rollback').result).toBe('skipped');
    expect(jobOf(transcript, 'production / finished').result).toBe('success');
    expect(await site.versionsServed(5)).toEqual(before);
    expect(sandbox.records('production').at(-1)?.states.at(-1)).toMatch(/failure|error/);
  });
});
