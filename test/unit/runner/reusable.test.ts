import { describe, expect, test } from 'vitest';
import { jobOf } from '../../doubles/runner/transcript.ts';
import { MAX_UNIQUE_WORKFLOWS, MAX_WORKFLOW_LEVELS } from '../../doubles/runner/workflows.ts';
import { runJob, runOnce } from '../../harness/workflow-repo.ts';

/**
 * Conformance and refusals, reusable workflows (../shared/docs/runner-semantics.md §4), each test
 * citing its source key (SYN = workflow syntax, RWF = "Reusing workflow configurations", RWH =
 * "Reuse workflows", BOOL, PERM, B4M, R4453 = the issue threads the kit cites, CL-N = changelog
 * 2025-11-06). The refusals are GitHub's: the run ends as startup_failure before any job runs.
 */

const on = 'on: push\npermissions: {}\n';

function callee(inputs: string, jobs: string, extra = ''): string {
  return `on:\n  workflow_call:\n${inputs}${extra}permissions: {}\njobs:\n${jobs}`;
}

describe('§4 inputs, secrets and outputs of a called workflow', () => {
  test('input type is required; an input without a default is false, 0 or "" (SYN)', async () => {
    const called = callee(
      '    inputs:\n      flag:\n        type: boolean\n      count:\n        type: number\n      text:\n        type: string\n      preset:\n        type: string\n        default: from-${{ github.event_name }}\n',
      `  show:\n${runJob(['echo "flag=[${{ inputs.flag }}] count=[${{ inputs.count }}] text=[${{ inputs.text }}] preset=[${{ inputs.preset }}]"'])}`,
    );
    const { transcript } = await runOnce(`${on}jobs:\n  call:\n    uses: ./.github/workflows/called.yml\n`, { files: { '.github/workflows/called.yml': called } });
    expect(jobOf(transcript, 'call / show').steps[0]?.log).toContain('flag=[false] count=[0] text=[] preset=[from-push]');
    const untyped = await runOnce(`${on}jobs:\n  call:\n    uses: ./.github/workflows/called.yml\n`, { files: { '.github/workflows/called.yml': callee('    inputs:\n      loose:\n        default: x\n', `  show:\n${runJob(['echo'])}`) } });
    expect(untyped.transcript.conclusion).toBe('startup_failure');
    expect(untyped.transcript.errors.join('\n')).toMatch(/type/);
  });

  test('refused: an input or a secret the called workflow does not declare (SYN)', async () => {
    const called = callee('    inputs:\n      known:\n        type: string\n', `  show:\n${runJob(['echo'])}`);
    const input = await runOnce(`${on}jobs:\n  call:\n    uses: ./.github/workflows/called.yml\n    with:\n      known: a\n      unknown: b\n`, { files: { '.github/workflows/called.yml': called } });
    expect(input.transcript.conclusion).toBe('startup_failure');
    expect(input.transcript.errors.join('\n')).toContain('Invalid input, unknown is not defined in the referenced workflow.');
    expect(input.transcript.jobs).toEqual([]);
    const secret = await runOnce(`${on}jobs:\n  call:\n    uses: ./.github/workflows/called.yml\n    secrets:\n      TOKEN: x\n`, { files: { '.github/workflows/called.yml': called } });
    expect(secret.transcript.errors.join('\n')).toContain('Invalid secret, TOKEN is not defined in the referenced workflow.');
  });

  test('refused: a required input or secret the caller does not pass (SYN; the wording, unconfirmed in the kit, is the parser’s)', async () => {
    const called = callee('    inputs:\n      needed:\n        type: string\n        required: true\n    secrets:\n      KEY:\n        required: true\n', `  show:\n${runJob(['echo'])}`);
    const { transcript } = await runOnce(`${on}jobs:\n  call:\n    uses: ./.github/workflows/called.yml\n`, { files: { '.github/workflows/called.yml': called } });
    expect(transcript.conclusion).toBe('startup_failure');
    expect(transcript.errors.join('\n')).toContain('Input needed is required, but not provided while calling.');
    expect(transcript.errors.join('\n')).toContain('Secret KEY is required, but not provided while calling.');
  });

  test('types are strict: the string \'false\' for a boolean input fails with "Unexpected value \'false\'" (BOOL)', async () => {
    const called = callee('    inputs:\n      flag:\n        type: boolean\n', `  show:\n${runJob(['echo "${{ inputs.flag }}"'])}`);
    const { transcript } = await runOnce(`on:\n  workflow_dispatch:\n    inputs:\n      flag:\n        type: string\n        default: 'false'\npermissions: {}\njobs:\n  call:\n    uses: ./.github/workflows/called.yml\n    with:\n      flag: \${{ github.event.inputs.flag }}\n`, {
      files: { '.github/workflows/called.yml': called },
      trigger: { event: 'workflow_dispatch', payload: { inputs: { flag: 'false' } } },
    });
    expect(jobOf(transcript, 'call').result).toBe('failure');
    expect(jobOf(transcript, 'call').reason).toContain("Unexpected value 'false'");
    expect(transcript.jobs.map((job) => job.path)).toEqual(['call']);
  });

  test('secrets: inherit passes the caller’s secrets one level down; named secrets pass only those (SYN, RWH)', async () => {
    const inner = callee('    secrets:\n      NAMED:\n        required: false\n', `  show:\n${runJob(['echo "named=[${{ secrets.NAMED }}] repo=[${{ secrets.REPO_SECRET }}]"'])}`);
    const middle = callee('', `  inherit:\n    uses: ./.github/workflows/inner.yml\n    secrets: inherit\n  named:\n    uses: ./.github/workflows/inner.yml\n    secrets:\n      NAMED: \${{ secrets.REPO_SECRET }}\n  none:\n    uses: ./.github/workflows/inner.yml\n`);
    const { transcript } = await runOnce(`${on}jobs:\n  top:\n    uses: ./.github/workflows/middle.yml\n    secrets: inherit\n`, {
      files: { '.github/workflows/middle.yml': middle, '.github/workflows/inner.yml': inner },
      secrets: { REPO_SECRET: 'repo-value' },
    });
    expect(jobOf(transcript, 'top / inherit / show').steps[0]?.log).toContain('named=[] repo=[***]');
    expect(jobOf(transcript, 'top / named / show').steps[0]?.log).toContain('named=[***] repo=[]');
    expect(jobOf(transcript, 'top / none / show').steps[0]?.log).toContain('named=[] repo=[]');
  });

  test('environment secrets reach a called job that names the environment only when the caller used secrets: inherit (SYN, RWH; observed in actions/runner#4453)', async () => {
    const called = callee('', `  deploy:\n    environment: production\n${runJob(['echo "env=[${{ secrets.ENV_SECRET }}] var=[${{ vars.ENV_VAR }}]"'])}`);
    const { transcript } = await runOnce(`${on}jobs:\n  inherit:\n    uses: ./.github/workflows/called.yml\n    secrets: inherit\n  plain:\n    uses: ./.github/workflows/called.yml\n`, {
      files: { '.github/workflows/called.yml': called },
      setup: (repo) => repo.github.environments.set('production', { name: 'production', secrets: { ENV_SECRET: 'env-value' }, variables: { ENV_VAR: 'env-var' } }),
    });
    expect(jobOf(transcript, 'inherit / deploy').steps[0]?.log).toContain('env=[***] var=[env-var]');
    expect(jobOf(transcript, 'plain / deploy').steps[0]?.log).toContain('env=[] var=[env-var]');
  });

  test('outputs go jobs.<j>.outputs → on.workflow_call.outputs.<o>.value → needs.<caller>.outputs; a called matrix keeps the last successful non-empty value (RWH)', async () => {
    const called = callee(
      '    outputs:\n      color:\n        value: ${{ jobs.pick.outputs.color }}\n      result:\n        value: ${{ jobs.pick.result }}\n',
      `  pick:\n    runs-on: ubuntu-latest\n    outputs:\n      color: \${{ steps.s.outputs.color }}\n    steps:\n      - id: s\n        run: echo "color=green" >> "$GITHUB_OUTPUT"\n`,
    );
    const { transcript } = await runOnce(`${on}jobs:\n  call:\n    uses: ./.github/workflows/called.yml\n  use:\n    needs: call\n${runJob(['echo "color=${{ needs.call.outputs.color }} result=${{ needs.call.outputs.result }}"'])}`, { files: { '.github/workflows/called.yml': called } });
    expect(jobOf(transcript, 'call').outputs).toEqual({ color: 'green', result: 'success' });
    expect(jobOf(transcript, 'use').steps[0]?.log).toContain('color=green result=success');

    const matrix = callee(
      '    inputs:\n      n:\n        type: number\n    outputs:\n      last:\n        value: ${{ jobs.j.outputs.value }}\n',
      `  j:\n    runs-on: ubuntu-latest\n    outputs:\n      value: \${{ steps.s.outputs.value }}\n    steps:\n      - id: s\n        run: sleep \${{ inputs.n == 3 && '1' || '0' }}; echo "value=n\${{ inputs.n }}" >> "$GITHUB_OUTPUT"; if [ "\${{ inputs.n }}" = 3 ]; then exit 1; fi\n`,
    );
    const legs = await runOnce(`${on}jobs:\n  call:\n    strategy:\n      fail-fast: false\n      matrix:\n        n: [1, 2, 3]\n    uses: ./.github/workflows/called.yml\n    with:\n      n: \${{ matrix.n }}\n  use:\n    needs: call\n    if: always()\n${runJob(['echo "last=${{ needs.call.outputs.last }}"'])}`, { files: { '.github/workflows/called.yml': matrix } });
    expect(jobOf(legs.transcript, 'call (3)')).toMatchObject({ result: 'failure', outputs: { last: 'n3' } });
    const last = /last=(\S*)/.exec(jobOf(legs.transcript, 'use').steps[0]?.log ?? '')?.[1];
    expect(['n1', 'n2']).toContain(last);
  });

  test('an output naming a step that does not exist is empty, as on GitHub (SYN)', async () => {
    const { transcript } = await runOnce(`${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    outputs:\n      missing: \${{ steps.nope.outputs.value }}\n    steps:\n      - run: echo\n  b:\n    needs: a\n${runJob(['echo "missing=[${{ needs.a.outputs.missing }}]"'])}`);
    expect(jobOf(transcript, 'a').outputs).toEqual({});
    expect(jobOf(transcript, 'b').steps[0]?.log).toContain('missing=[]');
  });
});

describe('§4 the calling job, limits, contexts', () => {
  test('refused: a calling job with environment: (or runs-on, steps); it may hold only name, uses, with, secrets, strategy, needs, if, concurrency, permissions (RWF)', async () => {
    const called = callee('', `  show:\n${runJob(['echo'])}`);
    for (const key of ['environment: production', 'runs-on: ubuntu-latest']) {
      const { transcript } = await runOnce(`${on}jobs:\n  call:\n    uses: ./.github/workflows/called.yml\n    ${key}\n`, { files: { '.github/workflows/called.yml': called } });
      expect(transcript.conclusion, key).toBe('startup_failure');
      expect(transcript.jobs).toEqual([]);
    }
  });

  test(`nesting: ${MAX_WORKFLOW_LEVELS} levels of workflows counting the caller run; one more is refused (RWH, CL-N)`, async () => {
    const chain = (levels: number) => {
      const files: Record<string, string> = {};
      for (let level = 2; level <= levels; level++) {
        files[`.github/workflows/level${level}.yml`] = callee('', level === levels ? `  leaf:\n${runJob([`echo "level ${level}"`])}` : `  next:\n    uses: ./.github/workflows/level${level + 1}.yml\n`);
      }
      return files;
    };
    const top = `${on}jobs:\n  next:\n    uses: ./.github/workflows/level2.yml\n`;
    const ten = await runOnce(top, { files: chain(MAX_WORKFLOW_LEVELS) });
    expect(ten.transcript.conclusion).toBe('success');
    expect(ten.transcript.jobs.find((job) => job.id === 'leaf')?.steps[0]?.log).toContain(`level ${MAX_WORKFLOW_LEVELS}`);
    const eleven = await runOnce(top, { files: chain(MAX_WORKFLOW_LEVELS + 1) });
    expect(eleven.transcript.conclusion).toBe('startup_failure');
    expect(eleven.transcript.errors.join('\n')).toMatch(/level 11: GitHub allows 10 levels/);
  });

  test(`at most ${MAX_UNIQUE_WORKFLOWS} distinct reusable workflows; loops are refused (RWH, CL-N)`, async () => {
    const files: Record<string, string> = {};
    let jobs = '';
    for (let index = 0; index <= MAX_UNIQUE_WORKFLOWS; index++) {
      files[`.github/workflows/w${index}.yml`] = callee('', `  j:\n${runJob(['echo'])}`);
      jobs += `  c${index}:\n    uses: ./.github/workflows/w${index}.yml\n`;
    }
    const many = await runOnce(`${on}jobs:\n${jobs}`, { files });
    expect(many.transcript.conclusion).toBe('startup_failure');
    expect(many.transcript.errors.join('\n')).toContain(`calls ${MAX_UNIQUE_WORKFLOWS + 1} distinct reusable workflows: GitHub allows ${MAX_UNIQUE_WORKFLOWS}`);
    const loop = await runOnce(`${on}jobs:\n  a:\n    uses: ./.github/workflows/a.yml\n`, { files: { '.github/workflows/a.yml': callee('', '  again:\n    uses: ./.github/workflows/b.yml\n'), '.github/workflows/b.yml': callee('', '  back:\n    uses: ./.github/workflows/a.yml\n') } });
    expect(loop.transcript.conclusion).toBe('startup_failure');
    expect(loop.transcript.errors.join('\n')).toMatch(/GitHub refuses loops/);
  });

  test('the called workflow sees the caller’s github context (github.workflow is the caller’s name); env crosses in neither direction (RWF)', async () => {
    const called = `on: workflow_call\npermissions: {}\nenv:\n  CALLEE_ENV: callee\njobs:\n  show:\n${runJob(['echo "workflow=${{ github.workflow }} caller_env=[$CALLER_ENV] callee_env=[$CALLEE_ENV]"'])}`;
    const { transcript } = await runOnce(`name: The Caller\n${on}env:\n  CALLER_ENV: caller\njobs:\n  call:\n    uses: ./.github/workflows/called.yml\n  own:\n${runJob(['echo "callee_env=[$CALLEE_ENV]"'])}`, { files: { '.github/workflows/called.yml': called } });
    expect(jobOf(transcript, 'call / show').steps[0]?.log).toContain('workflow=The Caller caller_env=[] callee_env=[callee]');
    expect(jobOf(transcript, 'own').steps[0]?.log).toContain('callee_env=[]');
  });

  test('refused at start-up, even for a job whose if is false: a called job asking for more than the caller granted (RWF, PERM, B4M)', async () => {
    const called = `on: workflow_call\njobs:\n  publish:\n    if: false\n    permissions:\n      packages: write\n${runJob(['echo'])}`;
    const { transcript } = await runOnce(`on: push\njobs:\n  call:\n    uses: ./.github/workflows/called.yml\n    permissions:\n      packages: read\n`, { files: { '.github/workflows/called.yml': called } });
    expect(transcript.conclusion).toBe('startup_failure');
    expect(transcript.errors.join('\n')).toContain("The nested job 'publish' is requesting 'packages: write', but is only allowed 'packages: read'.");
    expect(transcript.jobs).toEqual([]);
  });

  test('a called job that declares nothing gets the caller’s grant, and no more (RWF)', async () => {
    const called = `on: workflow_call\njobs:\n  show:\n${runJob(['echo'])}`;
    const { transcript } = await runOnce(`on: push\njobs:\n  call:\n    uses: ./.github/workflows/called.yml\n    permissions:\n      contents: read\n      deployments: write\n`, { files: { '.github/workflows/called.yml': called } });
    expect(jobOf(transcript, 'call / show').permissions).toEqual({ contents: 'read', deployments: 'write' });
  });
});
