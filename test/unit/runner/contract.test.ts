import { describe, expect, test } from 'vitest';
import { jobOf, stepOf } from '../../doubles/runner/transcript.ts';
import { runOnce } from '../../harness/workflow-repo.ts';

/**
 * Conformance, the runner ↔ step contract and new syntax (../shared/docs/runner-semantics.md §7,
 * §8): CMD = "Workflow commands", META = "Metadata syntax", R361 = actions/runner#361, RSRC =
 * actions/runner, CL-Y = changelog 2025-09-18 (YAML anchors), R1182 = actions/runner#1182, CL-S =
 * changelog 2026-07-30 ($/ self-references). Plus the double's own refusals of actions it does not
 * run (unlisted pins, container and composite actions).
 */

const on = 'on: push\npermissions:\n  contents: read\n';

/** A JavaScript action in the repository: main saves state and outputs, post reports what it sees. */
const probe = {
  'probe/action.yml': [
    'name: probe',
    'description: a fixture action for the contract tests',
    'inputs:',
    '  My Input:',
    '    description: spaces in a name',
    '    default: from the default',
    '  dashed-name:',
    '    description: a hyphen in a name',
    '  fail:',
    '    description: make main fail',
    "    default: 'false'",
    '  label:',
    '    description: told apart in the post steps',
    '    default: one',
    'outputs:',
    '  seen:',
    '    description: what main saw',
    'runs:',
    '  using: node24',
    '  main: main.mjs',
    '  post: post.mjs',
    '',
  ].join('\n'),
  'probe/main.mjs': [
    "import { appendFileSync } from 'node:fs';",
    "console.log(`my-input=[${process.env['INPUT_MY_INPUT']}] dashed=[${process.env['INPUT_DASHED-NAME']}]`);",
    "appendFileSync(process.env.GITHUB_STATE, `label=${process.env.INPUT_LABEL}\\n`);",
    "appendFileSync(process.env.GITHUB_OUTPUT, `seen=${process.env['INPUT_MY_INPUT']}\\n`);",
    "if (process.env.INPUT_FAIL === 'true') process.exit(1);",
    '',
  ].join('\n'),
  'probe/post.mjs': "console.log(`post of ${process.env.STATE_label} state=[${process.env.STATE_label}]`);\n",
};

describe('§7 the runner ↔ step contract', () => {
  test('GITHUB_OUTPUT, GITHUB_ENV (multiline with a delimiter), GITHUB_PATH (prepends) and GITHUB_STEP_SUMMARY; env and path reach later steps only (CMD)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: write\n        run: |\n          echo "single=one" >> "$GITHUB_OUTPUT"\n          { echo "multi<<EOF"; echo "line 1"; echo "line 2"; echo "EOF"; } >> "$GITHUB_OUTPUT"\n          echo "LATER=set" >> "$GITHUB_ENV"\n          mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho tool ran\\n' > "$RUNNER_TEMP/bin/mytool" && chmod +x "$RUNNER_TEMP/bin/mytool"\n          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"\n          echo "### hello" >> "$GITHUB_STEP_SUMMARY"\n          echo "now=[\${LATER:-}]"\n      - id: read\n        run: |\n          echo "later=[$LATER] env=[\${{ env.LATER }}] multi=[\${{ steps.write.outputs.multi }}]"\n          mytool\n`,
    );
    const job = jobOf(transcript, 'a');
    expect(stepOf(job, 'write')).toMatchObject({ outputs: { single: 'one', multi: 'line 1\nline 2' }, summary: '### hello\n' });
    expect(stepOf(job, 'write').log).toContain('now=[]');
    expect(stepOf(job, 'read').log).toContain('later=[set] env=[set] multi=[line 1\nline 2]');
    expect(stepOf(job, 'read').log).toContain('tool ran');
  });

  test('inputs become INPUT_<NAME>: upper-cased, spaces to _, hyphens kept; defaults from action.yml; an undeclared input is a warning, not an error (META, RSRC)', async () => {
    const { transcript } = await runOnce(`${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: p\n        uses: $/probe\n        with:\n          dashed-name: kept\n          nonsense: x\n`, { files: probe });
    const step = stepOf(jobOf(transcript, 'a'), 'p');
    expect(step.log).toContain('my-input=[from the default] dashed=[kept]');
    expect(step.warnings[0]).toMatch(/^Unexpected input\(s\) 'nonsense', valid inputs are \['My Input', 'dashed-name', 'fail', 'label'\]/);
    expect(step.conclusion).toBe('success');
  });

  test('post steps run at job end in reverse order, only if their main step ran, with STATE_<k> of their own main; post-if defaults to always() and reads the job status (META, R361)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: $/probe\n        with:\n          label: first\n      - uses: $/probe\n        with:\n          label: second\n          fail: 'true'\n      - uses: $/probe\n        with:\n          label: never\n`,
      { files: probe },
    );
    const job = jobOf(transcript, 'a');
    expect(job.steps.map((step) => `${step.name}:${step.conclusion}`)).toEqual(['$/probe:success', '$/probe:failure', '$/probe:skipped', 'Post $/probe:success', 'Post $/probe:success']);
    expect(job.steps[3]?.log).toContain('post of second state=[second]');
    expect(job.steps[4]?.log).toContain('post of first state=[first]');
  });

  test('a ./ action resolves in the workspace, so it needs a checkout first (actions/checkout at its pin, the double copying the repository at the run’s commit) (SYN)', async () => {
    const workflow = `${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: missing\n        continue-on-error: true\n        uses: ./probe\n      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1\n        id: checkout\n        with:\n          persist-credentials: false\n      - id: local\n        uses: ./probe\n`;
    const { transcript } = await runOnce(workflow, { files: probe });
    const job = jobOf(transcript, 'a');
    expect(stepOf(job, 'missing')).toMatchObject({ outcome: 'failure' });
    expect(stepOf(job, 'missing').errors[0]).toMatch(/no action\.yml/);
    expect(stepOf(job, 'checkout').outputs).toMatchObject({ ref: 'refs/heads/main', commit: 'a'.repeat(40) });
    expect(stepOf(job, 'local').log).toContain('my-input=[from the default]');
  });

  test('checkout without contents: read is refused by the API, as a clone would be', async () => {
    const { transcript } = await runOnce(`on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1\n`);
    expect(jobOf(transcript, 'a').steps[0]?.errors[0]).toMatch(/Repository not found/);
  });
});

describe('§8 new syntax', () => {
  test('$/ is the file’s own repository at the running commit: no @ref, no checkout; in a reusable workflow it is that workflow’s repository (CL-S, SYN)', async () => {
    const { transcript } = await runOnce(`${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: own\n        uses: $/probe\n      - id: ours\n        uses: org/deploy-actions/actions/notify@v1\n        with:\n          status: success\n          environment: ci\n          channels: summary\n`, { files: probe });
    const job = jobOf(transcript, 'a');
    expect(stepOf(job, 'own').conclusion).toBe('success');
    expect(stepOf(job, 'ours').summary).toContain('ci');
  });

  test('YAML anchors and aliases work; merge keys (<<) do not (CL-Y, R1182)', async () => {
    const anchors = await runOnce(`${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: one\n        env: &shared\n          GREETING: hello\n        run: echo "$GREETING one"\n      - id: two\n        env: *shared\n        run: echo "$GREETING two"\n`);
    expect(stepOf(jobOf(anchors.transcript, 'a'), 'two').log).toContain('hello two');
    const merge = await runOnce(`${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: one\n        env: &shared\n          GREETING: hello\n        run: echo one\n      - id: two\n        env:\n          <<: *shared\n          OTHER: x\n        run: echo two\n`);
    expect(merge.transcript.conclusion).toBe('startup_failure');
  });
});

describe('what the double refuses to run', () => {
  test('a third-party action that is not a pin of pinned-actions.md, a pin without a double, a container action: the job fails at set-up, before any step (RSRC)', async () => {
    const job = (id: string, uses: string) => `  ${id}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo never\n      - uses: ${uses}\n`;
    const { transcript } = await runOnce(
      `${on}jobs:\n${job('tag', 'actions/checkout@v4')}${job('unknown', 'someone/action@0123456789abcdef0123456789abcdef01234567')}${job('nodouble', 'docker/login-action@4907a6ddec9925e35a0a9e82d7399ccc52663121 # v4.1.0')}${job('container', 'docker://alpine:3')}`,
    );
    expect(jobOf(transcript, 'tag')).toMatchObject({ result: 'failure', steps: [], reason: 'Set up job: actions/checkout@v4: actions/checkout is pinned at 3d3c42e5aac5ba805825da76410c181273ba90b1 (v7.0.1); v4 is not that pin' });
    expect(jobOf(transcript, 'unknown').reason).toMatch(/not an action of the pinned list/);
    expect(jobOf(transcript, 'nodouble').reason).toMatch(/pinned \(v4\.1\.0\), but the runner double has no double of docker\/login-action yet/);
    expect(jobOf(transcript, 'container').reason).toMatch(/container actions are not modelled/);
  });
});
