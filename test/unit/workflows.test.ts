import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { actionErrors, workflowErrors } from '../harness/workflow-parser.ts';
import { ROOT } from '../harness/run-action.ts';

/** Workflows are code: GitHub's parser must accept every one, and they follow our pinning rules. */

function files(dir: string, match: (name: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (match(entry.name)) found.push(path);
    }
  };
  walk(join(ROOT, dir));
  return found.sort();
}

const workflows = [...files('.github/workflows', (name) => /\.ya?ml$/.test(name)), ...files('workflows', (name) => /\.ya?ml$/.test(name))];
const actions = files('actions', (name) => name === 'action.yml');

function usesOf(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(usesOf);
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) => (key === 'uses' && typeof value === 'string' ? [value] : usesOf(value)));
}

test('there is something to check', () => {
  expect(workflows.length).toBeGreaterThan(0);
  expect(actions.length).toBeGreaterThan(0);
});

describe.each(workflows.map((file) => [relative(ROOT, file), file]))('%s', (name, file) => {
  const content = readFileSync(file, 'utf8');
  const workflow = parse(content) as { on?: unknown; permissions?: unknown; jobs: Record<string, { permissions?: unknown; uses?: string }> };

  test('GitHub’s workflow parser reports no errors', async () => {
    expect(await workflowErrors(name, content)).toEqual([]);
  });

  test('every input passed to one of our actions is one it declares', () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const step of (job as { steps?: Array<{ uses?: string; with?: Record<string, unknown> }> }).steps ?? []) {
        const ours = /^\$\/actions\/([\w-]+)$/.exec(step.uses ?? '');
        if (!ours) continue;
        const declared = Object.keys((parse(readFileSync(join(ROOT, 'actions', ours[1] as string, 'action.yml'), 'utf8')) as { inputs?: object }).inputs ?? {});
        for (const input of Object.keys(step.with ?? {})) expect(declared, `${step.uses} with ${input}`).toContain(input);
      }
    }
  });

  test('permissions are declared (least privilege starts with saying what is needed)', () => {
    const triggers = typeof workflow.on === 'string' ? [workflow.on] : Array.isArray(workflow.on) ? workflow.on : Object.keys(workflow.on ?? {});
    if (triggers.length === 1 && triggers[0] === 'workflow_call') {
      // A called workflow's job may inherit the caller's grant (GitHub checks every nested job against
      // the caller at start-up, skipped or not); the jobs that change deployments say exactly what they use.
      for (const [id, job] of Object.entries(workflow.jobs)) {
        const steps = (job as { steps?: Array<{ uses?: string }> }).steps ?? [];
        if (steps.some((step) => /\$\/actions\/(deploy-bluegreen|rollback)$/.test(step.uses ?? ''))) {
          expect(job.permissions, id).toEqual({ contents: 'read', deployments: 'write' });
        }
      }
      return;
    }
    const everyJob = Object.values(workflow.jobs).every((job) => job.permissions !== undefined);
    expect(workflow.permissions !== undefined || everyJob).toBe(true);
  });

  test('third-party actions are pinned by full SHA, our own by $/', () => {
    for (const uses of usesOf(workflow.jobs)) {
      const ours = uses.startsWith('$/');
      const local = uses.startsWith('./');
      const pinned = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/.test(uses);
      // Starters (workflows/) call our reusable pipelines by tag: the one documented exception.
      const starterTag = name.startsWith('workflows/') && /^org\/deploy-actions\/\.github\/workflows\/[\w.-]+\.ya?ml@v\d+$/.test(uses);
      expect(ours || pinned || starterTag, uses).toBe(true);
      expect(local, `${uses}: ./ resolves in the caller's checkout`).toBe(false);
    }
  });
});

describe.each(actions.map((file) => [relative(ROOT, file), file]))('%s', (name, file) => {
  const content = readFileSync(file, 'utf8');
  const action = parse(content) as { runs: { using: string; main: string; post?: string } };

  test('GitHub’s action parser reports no errors', () => {
    expect(actionErrors(name, content)).toEqual([]);
  });

  test('runs on node24 from a committed bundle', () => {
    expect(action.runs.using).toBe('node24');
    expect(action.runs.main).toMatch(/^(\.\.\/)+dist\/[a-z0-9-]+\/index\.js$/);
  });
});

describe('the parser refuses what GitHub refuses', () => {
  test('an unknown job key', async () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n';
    expect((await workflowErrors('broken.yml', broken)).join('\n')).toMatch(/stepz/);
  });

  test('needs on a missing job (found by the model conversion)', async () => {
    const job = '    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n';
    const broken = `on: push\njobs:\n  a:\n${job}  b:\n    needs: [nope]\n${job}`;
    expect((await workflowErrors('broken.yml', broken)).join('\n')).toMatch(/nope/);
  });

  test('an environment on a job that calls a reusable workflow', async () => {
    const broken = 'on: push\njobs:\n  a:\n    uses: org/x/.github/workflows/y.yml@v1\n    environment: production\n';
    expect(await workflowErrors('broken.yml', broken)).not.toEqual([]);
  });

  test('an action.yml with an unknown runtime', () => {
    expect(actionErrors('action.yml', 'name: x\ndescription: y\nruns:\n  using: node99\n  main: index.js\n')).not.toEqual([]);
  });
});

describe('deploy-bluegreen and rollback share their router inputs word for word', () => {
  test('every input rollback takes beyond its own is declared as deploy-bluegreen declares it', () => {
    const load = (name: string) => (parse(readFileSync(join(ROOT, 'actions', name, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs;
    const deploy = load('deploy-bluegreen');
    const rollback = load('rollback');
    const own = ['mode', 'deployment-id', 'stop-failed', 'max-deployments', 'environment'];
    const shared = Object.keys(rollback).filter((name) => !own.includes(name));
    expect(shared.length).toBeGreaterThan(30);
    for (const name of shared) expect(rollback[name], name).toEqual(deploy[name]);
  });
});

describe('the reusable deploy pipeline avoids the known pitfalls', () => {
  const workflow = parse(readFileSync(join(ROOT, '.github/workflows/deploy.yml'), 'utf8')) as {
    concurrency: { group: string; 'cancel-in-progress': boolean };
    jobs: Record<string, { if?: string; environment?: { deployment?: boolean }; steps?: Array<{ uses?: string; run?: string; with?: Record<string, string> }> }>;
  };

  test('its concurrency group is its own and never cancels a deploy in flight', () => {
    expect(workflow.concurrency.group).not.toContain('github.workflow');
    expect(workflow.concurrency['cancel-in-progress']).toBe(false);
  });

  test('jobs that take the environment do not create a second deployment record', () => {
    for (const id of ['deploy', 'rollback']) expect(workflow.jobs[id]?.environment?.deployment).toBe(false);
  });

  test('rollback acts only on this run’s deployment, and only when one went live', () => {
    const rollback = workflow.jobs['rollback'];
    expect(rollback?.if).toContain("needs.deploy.outputs.deployment-id != ''");
    expect(rollback?.steps?.[0]?.with?.['deployment-id']).toBe('${{ needs.deploy.outputs.deployment-id }}');
  });

  test('on the progressive path anything short of pass fails the job, so the rollback runs', () => {
    const analyses = Object.values(workflow.jobs).flatMap((job) => job.steps ?? []).filter((step) => step.uses === '$/actions/canary-analyze');
    expect(analyses).toHaveLength(2);
    for (const step of analyses) expect(step.with).toMatchObject({ 'on-fail': 'fail', 'on-inconclusive': 'fail', 'deployment-id': '${{ steps.deploy.outputs.deployment-id }}' });
  });

  test('the scan gate runs at the environment’s threshold, and a failed scan stops the deploy', () => {
    const scan = workflow.jobs['scan']?.steps?.find((step) => step.uses === '$/actions/scan');
    expect(scan?.with).toMatchObject({ environment: '${{ inputs.environment }}', 'fail-on': '${{ inputs.scan-fail-on }}' });
    const deploy = workflow.jobs['deploy'] as { needs?: string[]; if?: string };
    expect(deploy.needs).toContain('scan');
    expect(deploy.if).toContain("needs.scan.result != 'failure'");
  });

  test('no expression is spliced into a script', () => {
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps ?? []) expect(step.run ?? '').not.toContain('${{');
    }
  });
});
