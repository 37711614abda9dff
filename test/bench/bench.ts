/**
 * npm run bench: what every job pays for each action before it does anything.
 * - bundle size on disk (each job downloads the whole repository, every bundle included)
 * - cold start: spawn to exit on a small valid input, as a ratio to `node -e 0` measured in the
 *   same run, the two interleaved so machine noise hits both alike.
 * Reference point (measured by hand on this machine kind): actions/cache's restore bundle is
 * 3.1 MB and starts in about 3.1x bare node.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ActionHarness, ROOT, type RunOptions } from '../harness/run-action.ts';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);

/** A small valid input per action: one that finishes without any network. */
const SMALL_INPUTS: Record<string, RunOptions> = {
  notify: { inputs: { status: 'success', environment: 'production', version: 'v1.0.0', channels: 'summary', 'github-token': '' } },
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function bareNode(): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - started));
  });
}

function folderBytes(folder: string): number {
  return readdirSync(folder).reduce((sum, name) => sum + statSync(join(folder, name)).size, 0);
}

const harness = new ActionHarness();
const rows: string[][] = [];
try {
  for (const [action, options] of Object.entries(SMALL_INPUTS)) {
    const bundle = join(ROOT, 'dist', action, 'index.js');
    const actionMs: number[] = [];
    const nodeMs: number[] = [];
    await harness.run(action, options); // warm the file cache once, as a runner's disk would be
    for (let run = 0; run < RUNS; run++) {
      nodeMs.push(await bareNode());
      const { main } = await harness.run(action, options);
      if (main.exitCode !== 0) throw new Error(`${action} failed on its bench input:\n${main.log}`);
      actionMs.push(main.durationMs);
    }
    const ratio = median(actionMs) / median(nodeMs);
    rows.push([
      action,
      `${(statSync(bundle).size / 1e6).toFixed(2)} MB`,
      `${(folderBytes(join(ROOT, 'dist', action)) / 1e6).toFixed(2)} MB`,
      `${median(actionMs).toFixed(0)} ms`,
      `${median(nodeMs).toFixed(0)} ms`,
      `${ratio.toFixed(2)}x`,
    ]);
  }
} finally {
  harness.cleanup();
}

const header = ['bundle', 'index.js', 'dist folder', 'cold start (median)', '`node -e 0` (median)', 'ratio'];
console.log(`Node ${process.version}, ${RUNS} interleaved runs each\n`);
console.log(`| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log('| actions/cache restore (reference, by hand) | 3.1 MB | | | | about 3.1x |');
