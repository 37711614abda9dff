import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../harness/run-action.ts';
import { workflowErrors } from '../harness/workflow-parser.ts';

/**
 * The weekly DORA starter and the reusable workflow it calls, read by GitHub's own parser and
 * checked for what they promise: least privilege (read only, and only what dora-metrics reads), the
 * digest going from dora-metrics to notify's report, secrets passed by name, the pinned upload.
 * (Running them is for the runner double's tests.)
 */

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
}

interface Workflow {
  on: Record<string, { inputs?: Record<string, { default?: unknown }>; secrets?: Record<string, unknown> } | Array<{ cron: string }> | null>;
  permissions?: Record<string, string>;
  jobs: Record<string, { uses?: string; permissions?: Record<string, string>; with?: Record<string, unknown>; secrets?: Record<string, string>; env?: Record<string, string>; steps?: Step[] }>;
}

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const starter = read('workflows/dora-weekly.yml');
const reusable = read('.github/workflows/dora.yml');
const READS = { contents: 'read', deployments: 'read', actions: 'read', checks: 'read' };

test("GitHub's workflow parser takes both", async () => {
  expect(await workflowErrors('dora-weekly.yml', starter)).toEqual([]);
  expect(await workflowErrors('dora.yml', reusable)).toEqual([]);
});

describe('the starter', () => {
  const workflow = parse(starter) as Workflow;
  const job = workflow.jobs['dora'];

  test('weekly, and by hand', () => {
    expect(workflow.on['schedule']).toEqual([{ cron: '17 7 * * 1' }]);
    expect(Object.keys(workflow.on)).toEqual(['schedule', 'workflow_dispatch']);
  });

  test('reads only: contents for the workflow, the four reads dora-metrics needs for its job', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
    expect(job?.permissions).toEqual(READS);
  });

  test('calls the reusable workflow by tag, with inputs and secrets it declares', () => {
    expect(job?.uses).toBe('org/deploy-actions/.github/workflows/dora.yml@v1');
    const called = (parse(reusable) as Workflow).on['workflow_call'] as { inputs: Record<string, unknown>; secrets: Record<string, unknown> };
    for (const input of Object.keys(job?.with ?? {})) expect(Object.keys(called.inputs), input).toContain(input);
    expect(job?.secrets).toEqual({ SLACK_BOT_TOKEN: '${{ secrets.SLACK_BOT_TOKEN }}' });
    for (const secret of Object.keys(job?.secrets ?? {})) expect(Object.keys(called.secrets)).toContain(secret);
  });
});

describe('the reusable workflow', () => {
  const workflow = parse(reusable) as Workflow;
  const job = workflow.jobs['metrics'];
  const steps = job?.steps ?? [];

  test('one job with exactly the reads', () => {
    expect(Object.keys(workflow.jobs)).toEqual(['metrics']);
    expect(job?.permissions).toEqual(READS);
  });

  // The upload is pinned to v7.0.0's commit, as the team's pinned-actions table gives it.
  test('dora-metrics, then the artifact, then notify with the digest', () => {
    expect(steps.map((step) => step.uses)).toEqual(['$/actions/dora-metrics', 'actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f', '$/actions/notify']);
    expect(steps[1]?.with?.['path']).toBe(steps[0]?.with?.['output-dir']);
    expect(steps[2]?.with).toMatchObject({ report: '${{ steps.dora.outputs.report }}', channels: 'slack' });
    expect(steps[2]?.if).toBe("env.SLACK_CONFIGURED == 'true'");
    expect(job?.env?.['SLACK_CONFIGURED']).toBe("${{ secrets.SLACK_BOT_TOKEN != '' || secrets.SLACK_WEBHOOK_URL != '' }}");
  });
});
