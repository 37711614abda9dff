import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { asString, evaluateExpression, hashFiles } from '../../doubles/runner/expressions.ts';
import { jobOf, stepOf } from '../../doubles/runner/transcript.ts';
import { runJob, runOnce } from '../../harness/workflow-repo.ts';

/**
 * Conformance, expressions and conditions: each test is one item of the team's runner-semantics
 * facts (../shared/docs/runner-semantics.md §1 and §3), named with its source key (EXP = GitHub's
 * "Evaluate expressions" reference, CTX = "Contexts reference", SYN = workflow syntax, LS =
 * actions/languageservices, RSRC = actions/runner). The evaluation is GitHub's own engine; these
 * tests check that the runner double feeds it what GitHub feeds it, at the places GitHub does.
 */

const on = 'on: push\npermissions: {}\n';

describe('§1 if, status functions, results', () => {
  test('an if without a status function reads success() && (...); an empty if reads success() (EXP, LS)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  a:\n${runJob(['exit 1'])}  plain:\n    needs: a\n    if: needs.a.result == 'failure'\n${runJob(['echo plain'])}  status:\n    needs: a\n    if: failure() && needs.a.result == 'failure'\n${runJob(['echo status'])}  empty:\n    if: ''\n${runJob(['echo empty'])}`,
    );
    expect(jobOf(transcript, 'plain').result).toBe('skipped');
    expect(jobOf(transcript, 'status').result).toBe('success');
    expect(jobOf(transcript, 'empty').result).toBe('success');
  });

  test('${{ }} is optional in if, and `true && ${{ false }}` is a non-empty string, so true (EXP)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: bare\n        if: 1 == 1\n        run: echo bare\n      - id: wrapped\n        if: \${{ !false }}\n        run: echo wrapped\n      - id: mixed\n        if: true && \${{ false }}\n        run: echo mixed\n      - id: off\n        if: \${{ false }}\n        run: echo off\n`,
    );
    const job = jobOf(transcript, 'a');
    expect(['bare', 'wrapped', 'mixed', 'off'].map((id) => stepOf(job, id).conclusion)).toEqual(['success', 'success', 'success', 'skipped']);
  });

  test('a failed or skipped need skips its dependents down the chain, unless their if calls always(), failure() or cancelled() (SYN, EXP)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  a:\n${runJob(['exit 1'])}  b:\n    needs: a\n${runJob(['echo b'])}  c:\n    needs: b\n${runJob(['echo c'])}  d:\n    needs: c\n    if: failure()\n${runJob(['echo d'])}  e:\n    needs: c\n    if: always()\n${runJob(['echo e'])}`,
    );
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => jobOf(transcript, id).result)).toEqual(['failure', 'skipped', 'skipped', 'success', 'success']);
    expect(transcript.conclusion).toBe('failure');
  });

  test('needs.<id>.result is success, failure, cancelled or skipped, for direct needs only (CTX)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  a:\n${runJob(['exit 1'])}  b:\n    needs: a\n${runJob(['echo b'])}  c:\n    needs: [a, b]\n    if: always()\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "a=\${{ needs.a.result }} b=\${{ needs.b.result }} x=[\${{ needs.x.result }}]"\n`,
    );
    expect(jobOf(transcript, 'c').steps[0]?.log).toContain('a=failure b=skipped x=[]');
  });

  test('a failed job with continue-on-error reads success to its dependents and the run can pass; it still shows failure (SYN, R1161)', async () => {
    const { transcript } = await runOnce(`${on}jobs:\n  a:\n    continue-on-error: true\n${runJob(['exit 1'])}  b:\n    needs: a\n${runJob(['echo "a read ${{ needs.a.result }}"'])}`);
    expect(jobOf(transcript, 'a')).toMatchObject({ result: 'success', conclusion: 'failure' });
    expect(jobOf(transcript, 'b').steps[0]?.log).toContain('a read success');
    expect(transcript.conclusion).toBe('success');
  });

  test('a step’s outcome is before continue-on-error, its conclusion after; success()/failure() in steps read the job’s status (CTX, RSRC)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: soft\n        run: exit 1\n        continue-on-error: true\n      - id: still\n        run: echo "outcome=\${{ steps.soft.outcome }} conclusion=\${{ steps.soft.conclusion }} job=\${{ job.status }}"\n      - id: hard\n        run: exit 1\n      - id: after-success\n        run: echo no\n      - id: after-failure\n        if: failure()\n        run: echo "job=\${{ job.status }}"\n`,
    );
    const job = jobOf(transcript, 'a');
    expect(stepOf(job, 'soft')).toMatchObject({ outcome: 'failure', conclusion: 'success' });
    expect(stepOf(job, 'still').log).toContain('outcome=failure conclusion=success job=success');
    expect(stepOf(job, 'after-success').conclusion).toBe('skipped');
    expect(stepOf(job, 'after-failure').log).toContain('job=failure');
  });
});

describe('§3 expressions', () => {
  test('jobs.<id>.if may use only github, needs, vars and inputs; secrets never work in if: the workflow does not start (CTX, SYN)', async () => {
    const steps = await runOnce(`${on}jobs:\n  a:\n    if: steps.x.outcome == 'success'\n${runJob(['echo'])}`);
    expect(steps.transcript.conclusion).toBe('startup_failure');
    expect(steps.transcript.errors.join('\n')).toMatch(/Unrecognized named-value: 'steps'/);
    const secrets = await runOnce(`${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - if: secrets.TOKEN != ''\n        run: echo\n`);
    expect(secrets.transcript.conclusion).toBe('startup_failure');
    expect(secrets.transcript.errors.join('\n')).toMatch(/Unrecognized named-value: 'secrets'/);
  });

  test('hashFiles works only under steps (CTX)', async () => {
    const { transcript } = await runOnce(`${on}jobs:\n  a:\n    runs-on: \${{ hashFiles('x') }}\n${runJob(['echo'])}`.replace('    runs-on: ubuntu-latest\n', ''));
    expect(transcript.conclusion).toBe('startup_failure');
    expect(transcript.errors.join('\n')).toMatch(/hashFiles/);
  });

  test('the jobs context exists only in workflow_call outputs (CTX)', async () => {
    const { transcript } = await runOnce(`${on}jobs:\n  a:\n${runJob(['echo "${{ jobs.a.result }}"'])}`);
    expect(transcript.conclusion).toBe('startup_failure');
    expect(transcript.errors.join('\n')).toMatch(/Unrecognized named-value: 'jobs'/);
  });

  test('an unset secret is the empty string (SYN)', async () => {
    const { transcript } = await runOnce(`${on}jobs:\n  a:\n${runJob(['echo "[${{ secrets.NOT_SET }}]"'])}`);
    expect(jobOf(transcript, 'a').steps[0]?.log).toContain('[]');
  });

  test('falsy: false, 0, -0, \'\', null; everything else is truthy, also \'false\' (EXP)', async () => {
    const scope = { contexts: {} };
    const falsy = ['false', '0', '-0', "''", 'null'];
    const truthy = ["'false'", "'0'", "fromJSON('[]')", "fromJSON('{}')", '0.5', "' '"];
    for (const expression of falsy) expect(await evaluateExpression(`!(${expression})`, [], scope), expression).toBe(true);
    for (const expression of truthy) expect(await evaluateExpression(`!(${expression})`, [], scope), expression).toBe(false);
    // In a step's if: the string 'false' (here from an operand) runs the step, 0 does not.
    const { transcript } = await runOnce(`${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: text\n        if: \${{ github.event_name == 'push' && 'false' }}\n        run: echo ran\n      - id: zero\n        if: \${{ github.event_name == 'push' && 0 }}\n        run: echo ran\n`);
    expect(jobOf(transcript, 'a').steps.map((step) => step.conclusion)).toEqual(['success', 'skipped']);
  });

  test('== is loose: numbers from other types, NaN never equal, strings case-insensitive, objects only to themselves (EXP)', async () => {
    const scope = { contexts: { github: { event: { list: [1] } } } };
    const check = (expression: string) => evaluateExpression(expression, ['github'], scope);
    expect(await check("'1' == 1")).toBe(true);
    expect(await check('null == 0')).toBe(true);
    expect(await check("true == '1'")).toBe(true);
    expect(await check("'' == 0")).toBe(true);
    expect(await check("'abc' == 'ABC'")).toBe(true);
    expect(await check("'abc' == 0")).toBe(false);
    expect(await check("'abc' != 0")).toBe(true);
    expect(await check("fromJSON('[1]') == fromJSON('[1]')")).toBe(false);
    expect(await check('github.event.list == github.event.list')).toBe(true);
  });

  test('to string: null → \'\', booleans, numbers to 15 significant digits, objects and arrays as Object and Array (EXP, LS)', async () => {
    expect([null, true, false, 0.1 + 0.2, 1e21, 3].map((value) => asString(value))).toEqual(['', 'true', 'false', '0.3', '1e+21', '3']);
    const { transcript } = await runOnce(`${on}jobs:\n  a:\n${runJob(['echo "[${{ null }}] ${{ 1 == 1 }} ${{ fromJSON(\'{"a":1}\') }} ${{ fromJSON(\'[1]\') }}"'])}`);
    expect(jobOf(transcript, 'a').steps[0]?.log).toContain('[] true Object Array');
  });

  test('&& and || return the deciding operand, not a boolean (LS)', async () => {
    const scope = { contexts: {} };
    expect(await evaluateExpression("'' || 'fallback'", [], scope)).toBe('fallback');
    expect(await evaluateExpression("0 && 'never'", [], scope)).toBe(0);
    expect(await evaluateExpression("'a' && 'b'", [], scope)).toBe('b');
  });

  test('`a ${{x}} b` is always a string; a value that is one whole ${{ }} keeps its type (LS)', async () => {
    const callee = `on:\n  workflow_call:\n    inputs:\n      flag:\n        type: boolean\n        required: true\npermissions: {}\njobs:\n  show:\n${runJob(['echo "flag=${{ inputs.flag }} type=${{ inputs.flag == true }}"'])}`;
    const whole = await runOnce(`${on}jobs:\n  call:\n    uses: ./.github/workflows/callee.yml\n    with:\n      flag: \${{ 1 == 1 }}\n`, { files: { '.github/workflows/callee.yml': callee } });
    expect(jobOf(whole.transcript, 'call / show').steps[0]?.log).toContain('flag=true type=true');
    const text = await runOnce(`${on}jobs:\n  call:\n    uses: ./.github/workflows/callee.yml\n    with:\n      flag: 'is \${{ 1 == 1 }}'\n`, { files: { '.github/workflows/callee.yml': callee } });
    expect(jobOf(text.transcript, 'call')).toMatchObject({ result: 'failure' });
    expect(jobOf(text.transcript, 'call').reason).toContain("Unexpected value 'is true'");
  });

  test('hashFiles: SHA-256 of each matched file under the workspace, then of those digests; ! excludes; no match is \'\' (EXP)', async () => {
    const workspace = mkdtempSync(join(tmpdir(), 'hashfiles-'));
    try {
      writeFileSync(join(workspace, 'a.lock'), 'alpha\n');
      writeFileSync(join(workspace, 'b.lock'), 'beta\n');
      writeFileSync(join(workspace, 'c.txt'), 'gamma\n');
      // The oracle: Python's hashlib over the same files, in the globber's (sorted) order.
      const oracle = (names: string[]) =>
        execFileSync('python3', ['-c', 'import hashlib,sys\nh=hashlib.sha256()\nfor f in sys.argv[1:]: h.update(hashlib.sha256(open(f,"rb").read()).digest())\nprint(h.hexdigest())', ...names.map((name) => join(workspace, name))], { encoding: 'utf8' }).trim();
      expect(await hashFiles(['*.lock'], workspace)).toBe(oracle(['a.lock', 'b.lock']));
      expect(await hashFiles(['*', '!c.txt'], workspace)).toBe(oracle(['a.lock', 'b.lock']));
      expect(await hashFiles(['*.nothing'], workspace)).toBe('');
      expect(await evaluateExpression("hashFiles('**/*.lock')", ['hashFiles(1,255)'], { contexts: {}, workspace })).toBe(oracle(['a.lock', 'b.lock']));
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });

  test('outputs are strings; empty outputs and those that may contain a secret are dropped with GitHub’s warning (SYN, RSRC)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    outputs:\n      number: \${{ steps.s.outputs.n }}\n      empty: \${{ steps.s.outputs.nothing }}\n      secret: \${{ steps.s.outputs.leak }}\n    steps:\n      - id: s\n        env:\n          TOKEN: \${{ secrets.API_TOKEN }}\n        run: |\n          echo "n=42" >> "$GITHUB_OUTPUT"\n          echo "leak=token is $TOKEN" >> "$GITHUB_OUTPUT"\n  b:\n    needs: a\n${runJob(['echo "n=${{ needs.a.outputs.number }} leak=[${{ needs.a.outputs.secret }}]"'])}`,
      { secrets: { API_TOKEN: 's3cr3t-value' } },
    );
    const a = jobOf(transcript, 'a');
    expect(a.outputs).toEqual({ number: '42' });
    expect(a.steps.at(-1)?.warnings).toContain("Skip output 'secret' since it may contain secret.");
    expect(jobOf(transcript, 'b').steps[0]?.log).toContain('n=42 leak=[]');
  });
});
