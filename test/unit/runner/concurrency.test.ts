import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConcurrencyGroups, MAX_QUEUE } from '../../doubles/runner/concurrency.ts';
import { eventIndex, type Transcript } from '../../doubles/runner/transcript.ts';
import { runJob, WorkflowRepo } from '../../harness/workflow-repo.ts';

/**
 * Conformance, concurrency (../shared/docs/runner-semantics.md §4, last item): CONC = "Control the
 * concurrency of workflows and jobs", CL-Q = changelog 2026-05-07 (queue: max), RWF = "Reusing
 * workflow configurations".
 */

async function until(check: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 800 && !check(); attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Three runs of one workflow, one after the other; each appends its run id to `order` when its job runs. */
async function three(concurrency: string, order: string[] = []): Promise<Transcript[]> {
  const out = join(mkdtempSync(join(tmpdir(), 'concurrency-')), 'order');
  const workflow = `on: push\npermissions: {}\nconcurrency:\n${concurrency}jobs:\n  a:\n${runJob([`sleep 0.6; echo "\${{ github.run_id }}" >> ${out}`])}`;
  const repo = await WorkflowRepo.create({ '.github/workflows/test.yml': workflow });
  try {
    // Each newcomer arrives once the run before it holds the group or waits in it.
    const first = await repo.runner.trigger('.github/workflows/test.yml');
    await until(() => first.events.some((event) => event.event === 'concurrency-acquired'));
    const second = await repo.runner.trigger('.github/workflows/test.yml');
    await until(() => second.events.some((event) => event.event.startsWith('concurrency-')));
    const third = await repo.runner.trigger('.github/workflows/test.yml');
    const done = await Promise.all([first.done, second.done, third.done]);
    order.push(...(existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : []));
    return done;
  } finally {
    expect(await repo.stop()).toEqual([]);
  }
}

function finished(transcript: Transcript): number {
  return transcript.events.find((event) => event.event === 'run-completed')?.at ?? -1;
}

describe('concurrency groups', () => {
  test('by default a group holds one running and one pending run: a newer pending run replaces (cancels) the older one (CONC)', async () => {
    const [first, second, third] = (await three('  group: deploy\n')) as [Transcript, Transcript, Transcript];
    expect([first.conclusion, second.conclusion, third.conclusion]).toEqual(['success', 'cancelled', 'success']);
    expect(second.jobs).toEqual([]);
    expect(second.errors.join('\n')).toMatch(/a newer run is now the pending one/);
    expect(eventIndex(third, { event: 'concurrency-waiting' })).toBeGreaterThanOrEqual(0);
  });

  test('queue: max keeps every run, first in first out (CL-Q)', async () => {
    const order: string[] = [];
    const runs = (await three('  group: deploy\n  queue: max\n', order)) as [Transcript, Transcript, Transcript];
    expect(runs.map((run) => run.conclusion)).toEqual(['success', 'success', 'success']);
    expect(order).toEqual(runs.map((run) => String(run.runId)));
  });

  test(`queue: max holds up to ${MAX_QUEUE} pending; a newcomer beyond that is cancelled (CL-Q)`, async () => {
    const groups = new ConcurrencyGroups();
    const never = new Promise<void>(() => undefined);
    const setting = { group: 'g', cancelInProgress: false, queue: 'max' as const };
    const admissions = Array.from({ length: MAX_QUEUE + 2 }, (_, index) => groups.acquire(setting, { label: `run ${index}`, cancel: () => undefined }, never, () => undefined));
    const first = await admissions[0];
    const last = await admissions[MAX_QUEUE + 1];
    expect(first?.admitted).toBe(true);
    expect(last).toMatchObject({ admitted: false, reason: `cancelled: concurrency group g already has ${MAX_QUEUE} pending runs` });
    expect(groups.state('g').pending).toHaveLength(MAX_QUEUE);
    expect(groups.state('g').pending[0]).toBe('run 1');
  });

  test('cancel-in-progress: a new run cancels the running one (CONC)', async () => {
    const [first, second, third] = (await three('  group: deploy\n  cancel-in-progress: true\n')) as [Transcript, Transcript, Transcript];
    expect([first.conclusion, second.conclusion, third.conclusion]).toEqual(['cancelled', 'cancelled', 'success']);
    expect(finished(first)).toBeGreaterThanOrEqual(0);
  });

  test('queue: max cannot be combined with cancel-in-progress: true (CL-Q)', async () => {
    const repo = await WorkflowRepo.create({ '.github/workflows/test.yml': `on: push\npermissions: {}\nconcurrency:\n  group: g\n  cancel-in-progress: true\n  queue: max\njobs:\n  a:\n${runJob(['echo'])}` });
    try {
      const transcript = await repo.runner.run('.github/workflows/test.yml');
      expect(transcript.conclusion).toBe('startup_failure');
      expect(transcript.errors).toEqual(['concurrency group g: queue: max cannot be combined with cancel-in-progress: true']);
    } finally {
      await repo.stop();
    }
  });

  test('a caller and its called workflow in one group with cancel-in-progress: the caller is cancelled (RWF)', async () => {
    const called = `on: workflow_call\npermissions: {}\nconcurrency:\n  group: shared-\${{ github.workflow }}\n  cancel-in-progress: true\njobs:\n  inner:\n${runJob(['echo inner'])}`;
    const repo = await WorkflowRepo.create({
      '.github/workflows/test.yml': `name: app\non: push\npermissions: {}\nconcurrency:\n  group: shared-\${{ github.workflow }}\n  cancel-in-progress: true\njobs:\n  call:\n    uses: ./.github/workflows/called.yml\n`,
      '.github/workflows/called.yml': called,
    });
    try {
      const transcript = await repo.runner.run('.github/workflows/test.yml');
      expect(transcript.conclusion).toBe('cancelled');
      expect(transcript.jobs.some((job) => job.path === 'call / inner' && job.result === 'success')).toBe(false);
    } finally {
      await repo.stop();
    }
  });
});
