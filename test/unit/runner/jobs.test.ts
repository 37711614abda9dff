import { describe, expect, test } from 'vitest';
import { KILL_DELAYS } from '../../harness/run-action.ts';
import { expandMatrix } from '../../doubles/runner/matrix.ts';
import { jobOf, stepOf } from '../../doubles/runner/transcript.ts';
import { runJob, runOnce } from '../../harness/workflow-repo.ts';

/**
 * Conformance, cancellation, timeouts and matrices (../shared/docs/runner-semantics.md §2 and §6),
 * each test citing its source key (CAN = "Workflow cancellation", SYN = workflow syntax, RSRC =
 * actions/runner). Minutes are scaled down (`minuteMs`) and so are the kill delays where a test
 * only needs their order; the delays themselves are GitHub's.
 */

const on = 'on: push\npermissions: {}\n';

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('§2 cancellation and timeouts', () => {
  test('a cancelled step gets SIGINT, then SIGTERM 7.5 s later, then its process tree is killed 2.5 s after that (CAN, RSRC)', async () => {
    expect(KILL_DELAYS).toEqual({ termMs: 7500, killMs: 2500 });
    const script = `trap 'echo got INT' INT; trap 'echo got TERM' TERM; echo started; for i in $(seq 1 200); do sleep 0.05; done; echo finished`;
    const { transcript } = await runOnce(`${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: long\n        shell: bash\n        run: "${script}"\n`, {
      killDelays: { termMs: 300, killMs: 300 },
      during: async (_repo, run) => {
        await waitFor(() => run.events.some((event) => event.event === 'step-started' && (event.step ?? '').startsWith('Run trap')), 'the step to start');
        await new Promise((resolve) => setTimeout(resolve, 300));
        run.cancel();
      },
    });
    const step = stepOf(jobOf(transcript, 'a'), 'long');
    expect(step.signals).toEqual(['SIGINT', 'SIGTERM', 'SIGKILL']);
    expect(step.log.indexOf('got INT')).toBeLessThan(step.log.indexOf('got TERM'));
    expect(step.log).not.toContain('finished');
    expect(step.conclusion).toBe('cancelled');
    expect(transcript.conclusion).toBe('cancelled');
  });

  test('on cancel, the if of running jobs and of their remaining steps is read again: only always() and cancelled() go on (CAN, RSRC)', async () => {
    const { transcript, repo } = await runOnce(
      `${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: long\n        run: sleep 20\n      - id: next\n        run: echo next\n      - id: cleanup\n        if: always()\n        run: echo cleanup\n      - id: told\n        if: cancelled()\n        run: echo "status=\${{ job.status }}"\n  keeps:\n    if: always()\n    runs-on: ubuntu-latest\n    steps:\n      - id: slow\n        run: sleep 1 && echo slow done\n  later:\n    needs: a\n${runJob(['echo later'])}  rescue:\n    needs: a\n    if: always()\n${runJob(['echo rescue'])}`,
      {
        killDelays: { termMs: 200, killMs: 200 },
        during: async (repo, run) => {
          await waitFor(() => run.events.some((event) => event.event === 'step-started' && event.step === 'Run sleep 20') && run.events.some((event) => event.event === 'step-started' && event.step === 'Run sleep 1 && echo slow done'), 'the steps to start');
          // Through GitHub's own operation: POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel.
          repo.github.grant('ghp_maintainer', { actions: 'write' }, 'maintainer');
          const answer = await fetch(`${repo.github.apiUrl}/repos/acme/app/actions/runs/${run.record.id}/cancel`, { method: 'POST', headers: { authorization: 'token ghp_maintainer' } });
          expect(answer.status).toBe(202);
        },
      },
    );
    const a = jobOf(transcript, 'a');
    expect(a.result).toBe('cancelled');
    expect(stepOf(a, 'long').conclusion).toBe('cancelled');
    expect(stepOf(a, 'next').conclusion).toBe('skipped');
    expect(stepOf(a, 'cleanup').conclusion).toBe('success');
    expect(stepOf(a, 'told').log).toContain('status=cancelled');
    expect(jobOf(transcript, 'keeps')).toMatchObject({ result: 'success' });
    expect(stepOf(jobOf(transcript, 'keeps'), 'slow').log).toContain('slow done');
    // Choice (the kit: unconfirmed): a job that never started because the run was cancelled reads cancelled.
    expect(jobOf(transcript, 'later').result).toBe('cancelled');
    expect(jobOf(transcript, 'rescue').result).toBe('success');
    expect(repo.github.runs.find(transcript.runId)).toMatchObject({ status: 'completed', conclusion: 'cancelled' });
  });

  test('job timeout-minutes (default 360) cancels the job on expiry; always() steps still run (SYN; result cancelled is our choice)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    timeout-minutes: 1\n    steps:\n      - id: long\n        run: sleep 20\n      - id: cleanup\n        if: always()\n        run: echo cleanup\n  b:\n${runJob(['echo quick'])}`,
      { minuteMs: 400, killDelays: { termMs: 200, killMs: 200 } },
    );
    const a = jobOf(transcript, 'a');
    expect(a.result).toBe('cancelled');
    expect(a.reason).toBe('The job has exceeded the maximum execution time of 1 minutes.');
    expect(stepOf(a, 'long').conclusion).toBe('cancelled');
    expect(stepOf(a, 'cleanup').conclusion).toBe('success');
    expect(jobOf(transcript, 'b').result).toBe('success');
  });

  test('step timeout-minutes fails the step ("has timed out after N minutes"), then continue-on-error applies (SYN, RSRC)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - id: soft\n        timeout-minutes: 1\n        continue-on-error: true\n        run: sleep 20\n      - id: hard\n        name: hard limit\n        timeout-minutes: 1\n        run: sleep 20\n      - id: after\n        run: echo after\n`,
      { minuteMs: 300, killDelays: { termMs: 100, killMs: 100 } },
    );
    const a = jobOf(transcript, 'a');
    expect(stepOf(a, 'soft')).toMatchObject({ outcome: 'failure', conclusion: 'success', timedOut: true });
    expect(stepOf(a, 'hard')).toMatchObject({ outcome: 'failure', conclusion: 'failure' });
    expect(stepOf(a, 'hard').errors).toContain("The action 'hard limit' has timed out after 1 minutes.");
    expect(stepOf(a, 'after').conclusion).toBe('skipped');
    expect(a.result).toBe('failure');
  });
});

describe('the run as GitHub’s API shows it', () => {
  test('GET /repos/{o}/{r}/actions/runs/{id} and .../jobs: status, conclusion, run_attempt, each job with its steps (REST)', async () => {
    let run: unknown;
    let jobs: unknown;
    await runOnce(`${on}jobs:\n  a:\n${runJob(['echo one', 'exit 1'])}  b:\n    needs: a\n${runJob(['echo never'])}`, {
      during: async (repo, started) => {
        await started.done;
        repo.github.grant('ghp_reader', { actions: 'read' }, 'reader');
        const get = (path: string) => fetch(`${repo.github.apiUrl}/repos/acme/app/actions/runs/${started.record.id}${path}`, { headers: { authorization: 'token ghp_reader' } }).then((answer) => answer.json());
        run = await get('');
        jobs = await get('/jobs');
        expect(repo.github.violations).toEqual([]);
      },
    });
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure', run_attempt: 1, event: 'push', path: '.github/workflows/test.yml' });
    expect(jobs).toMatchObject({
      total_count: 2,
      jobs: [
        { name: 'a', status: 'completed', conclusion: 'failure', labels: ['ubuntu-latest'], steps: [{ name: 'Run echo one', number: 1, conclusion: 'success' }, { name: 'Run exit 1', number: 2, conclusion: 'failure' }] },
        { name: 'b', status: 'completed', conclusion: 'skipped', steps: [] },
      ],
    });
  });
});

describe('§6 matrix', () => {
  test('include merges into combinations it does not overwrite, else adds one; exclude matches partially, before include (SYN: the docs’ own example)', () => {
    const combinations = expandMatrix({
      fruit: ['apple', 'pear'],
      animal: ['cat', 'dog'],
      include: [{ color: 'green' }, { color: 'pink', animal: 'cat' }, { fruit: 'apple', shape: 'circle' }, { fruit: 'banana' }, { fruit: 'banana', animal: 'cat' }],
    });
    expect(combinations).toEqual([
      { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
      { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
      { fruit: 'pear', animal: 'cat', color: 'pink' },
      { fruit: 'pear', animal: 'dog', color: 'green' },
      { fruit: 'banana' },
      { fruit: 'banana', animal: 'cat' },
    ]);
    const excluded = expandMatrix({ os: ['linux', 'windows'], node: [20, 24], exclude: [{ os: 'windows' }], include: [{ os: 'windows', node: 24, experimental: true }] });
    expect(excluded).toEqual([{ os: 'linux', node: 20 }, { os: 'linux', node: 24 }, { os: 'windows', node: 24, experimental: true }]);
  });

  test('at most 256 jobs (SYN)', async () => {
    expect(() => expandMatrix({ a: Array.from({ length: 16 }, (_, i) => i), b: Array.from({ length: 17 }, (_, i) => i) })).toThrow(/272 jobs, GitHub allows at most 256/);
    const { transcript } = await runOnce(`${on}jobs:\n  a:\n    strategy:\n      matrix:\n        x: \${{ fromJSON('[${Array.from({ length: 257 }, (_, i) => i).join(',')}]') }}\n${runJob(['echo'])}`);
    expect(jobOf(transcript, 'a').reason).toMatch(/257 jobs, GitHub allows at most 256/);
  });

  test('fail-fast (default true) cancels the matrix’s queued and running jobs; a job with continue-on-error does not trigger it (SYN)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  fast:\n    strategy:\n      max-parallel: 2\n      matrix:\n        n: [1, 2, 3, 4]\n    runs-on: ubuntu-latest\n    steps:\n      - run: if [ "\${{ matrix.n }}" = 1 ]; then exit 1; fi; sleep 5\n  tolerant:\n    continue-on-error: true\n    strategy:\n      matrix:\n        n: [1, 2]\n    runs-on: ubuntu-latest\n    steps:\n      - run: if [ "\${{ matrix.n }}" = 1 ]; then exit 1; fi; sleep 0.5; echo survived\n  after:\n    needs: [fast, tolerant]\n    if: always()\n${runJob(['echo "fast=${{ needs.fast.result }} tolerant=${{ needs.tolerant.result }}"'])}`,
      { killDelays: { termMs: 100, killMs: 100 } },
    );
    expect(['fast (1)', 'fast (2)', 'fast (3)', 'fast (4)'].map((path) => jobOf(transcript, path).result)).toEqual(['failure', 'cancelled', 'cancelled', 'cancelled']);
    expect(jobOf(transcript, 'tolerant (2)').steps[0]?.log).toContain('survived');
    expect(jobOf(transcript, 'after').steps[0]?.log).toContain('fast=failure tolerant=success');
  });

  test('matrix outputs are merged; for the same name the job that finishes last wins (SYN)', async () => {
    const { transcript } = await runOnce(
      `${on}jobs:\n  m:\n    strategy:\n      matrix:\n        include:\n          - name: slow\n            wait: 2\n          - name: quick\n            wait: 0\n    runs-on: ubuntu-latest\n    outputs:\n      winner: \${{ steps.s.outputs.winner }}\n    steps:\n      - id: s\n        run: sleep \${{ matrix.wait }}; echo "winner=\${{ matrix.name }}" >> "$GITHUB_OUTPUT"\n  after:\n    needs: m\n${runJob(['echo "winner=${{ needs.m.outputs.winner }}"'])}`,
    );
    expect(jobOf(transcript, 'after').steps[0]?.log).toContain('winner=slow');
  });
});
