/**
 * npm run bench              everything below
 * npm run bench -- startup   bundle size and cold start only
 * npm run bench -- switch    the blue-green switch under load only
 * npm run bench -- canary    the canary judges compared, and the time to a verdict
 * npm run bench -- cache     build-cache's keys, save and restore against @actions/glob and @actions/cache
 * npm run bench -- scan      the secrets scanner against ripgrep and secretlint: throughput, recall, precision
 * npm run bench -- dora      dora-metrics on 1,000 and 10,000 deployments: wall time and GitHub API calls
 *
 * Startup: what every job pays for each action before it does anything. Bundle size on disk (each
 * job downloads the whole repository, every bundle included) and cold start: spawn to exit on a
 * small valid input, as a ratio to `node -e 0` measured in the same run, the two interleaved so
 * machine noise hits both alike. Reference point (by hand, this machine kind): actions/cache's
 * restore bundle is 3.1 MB and starts in about 3.1x bare node.
 *
 * Switch: see switch-load.ts. Canary: see canary-judges.ts. Cache: see cache-bench.ts. Scan: see scan-bench.ts.
 * Dora: see dora-bench.ts.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { HttpDouble } from '../doubles/http-double.ts';
import { ActionHarness, ROOT, type RunOptions } from '../harness/run-action.ts';
import { LIBRARIES } from '../../.ci/build.ts';
import { ensurePackages } from '../sandbox/requirements.ts';
import { stringify } from 'yaml';
import { logNormal, openMetrics, seeded, type SyntheticSeries } from '../sandbox/history.ts';
import { startPrometheus } from '../sandbox/servers.ts';
import { benchKeys, benchSaveRestore } from './cache-bench.ts';
import { benchJudges, benchRateSize } from './canary-judges.ts';
import { benchDora, DORA_HEADER, DORA_SHAPE_NOTE } from './dora-bench.ts';
import { benchRecallPrecision, benchSecretsThroughput } from './scan-bench.ts';
import { benchSwitchUnderLoad, SWITCH_HEADER } from './switch-load.ts';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const only = process.argv[2];

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

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

async function benchStartup(): Promise<string> {
  const github = await new GitHubDouble().start();
  // rollback's small input: the newest deployment is already a rollback, so it has nothing to do.
  const bad = github.seedDeployment({ environment: 'production', payload: { deployActions: 1, version: 'v2', color: 'green', previousColor: 'blue', strategy: 'bluegreen', runId: 1 }, states: ['success', 'failure'] });
  github.seedDeployment({ environment: 'production', payload: { deployActions: 1, version: 'v1', color: 'blue', previousColor: 'green', strategy: 'bluegreen', rollbackOf: bad.id, runId: 2 }, states: ['success'] });
  const router = { router: 'command', 'blue-address': '127.0.0.1:1', 'green-address': '127.0.0.1:2', 'route-command': 'true', 'state-command': 'echo blue=100 green=0' };
  // canary-analyze's small input: one metric from a JSON endpoint on loopback.
  const samples = await new HttpDouble(() => ({ status: 200, body: { values: Array.from({ length: 40 }, (_, index) => 0.1 + (index % 7) / 1000) } })).start();
  const github_ = { apiUrl: github.apiUrl, token: DEFAULT_TOKEN };
  const smallInputs: Record<string, RunOptions> = {
    notify: { inputs: { status: 'success', environment: 'production', version: 'v1.0.0', channels: 'summary', 'github-token': '' } },
    'deploy-bluegreen': { inputs: { environment: 'production', action: 'cleanup', ...router }, github: github_ },
    rollback: { inputs: { environment: 'production', ...router }, github: github_ },
    // build-cache's small input: an empty repository, no cache service (it says so and passes).
    'build-cache': { inputs: { summary: 'false' } },
    // scan's small input: an empty checkout, every scanner but dependencies (which would ask OSV).
    scan: { inputs: { scanners: 'secrets,workflows,manifests', summary: 'false' } },
    'canary-analyze': {
      inputs: { provider: 'http-json', 'http-json-path': 'values', metrics: `- { name: latency, query: "${samples.url}/{{variant}}" }`, 'end-time': '2026-11-22T10:00:00Z', interval: '10m', 'github-token': '' },
    },
  };
  const harness = new ActionHarness();
  const rows: string[][] = [];
  try {
    for (const [action, options] of Object.entries(smallInputs)) {
      const dist = join(ROOT, 'dist', action);
      const actionMs: number[] = [];
      const nodeMs: number[] = [];
      await harness.run(action, options); // warm the file cache once, as a runner's disk would be
      for (let run = 0; run < RUNS; run++) {
        nodeMs.push(await bareNode());
        const { main } = await harness.run(action, options);
        if (main.exitCode !== 0) throw new Error(`${action} failed on its bench input:\n${main.log}`);
        actionMs.push(main.durationMs);
      }
      rows.push([
        action,
        `${(statSync(join(dist, 'index.js')).size / 1e6).toFixed(2)} MB`,
        `${(folderBytes(dist) / 1e6).toFixed(2)} MB`,
        `${median(actionMs).toFixed(0)} ms`,
        `${median(nodeMs).toFixed(0)} ms`,
        `${(median(actionMs) / median(nodeMs)).toFixed(2)}x`,
      ]);
    }
  } finally {
    harness.cleanup();
    await Promise.all([github.stop(), samples.stop()]);
  }
  for (const library of LIBRARIES) {
    const dist = join(ROOT, 'dist', library.name);
    rows.push([`${library.name} (shared, loaded only when used)`, `${(statSync(join(dist, 'index.js')).size / 1e6).toFixed(2)} MB`, `${(folderBytes(dist) / 1e6).toFixed(2)} MB`, '', '', '']);
  }
  rows.push(['actions/cache restore (reference, by hand)', '3.1 MB', '', '', '', 'about 3.1x']);
  return table(['bundle', 'index.js', 'dist folder', 'cold start (median)', '`node -e 0` (median)', 'ratio'], rows);
}

ensurePackages('bench');
/** canary-analyze from its bundle: 10 metrics, an hour of 15 s samples per side, from a real Prometheus. */
async function benchTimeToVerdict(): Promise<string> {
  const end = new Date(Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000);
  const series: SyntheticSeries[] = [];
  for (let metric = 0; metric < 10; metric++) {
    for (const variant of ['baseline', 'canary']) {
      const random = seeded(metric * 2 + (variant === 'canary' ? 1 : 0));
      series.push({ metric: `bench_metric_${metric}`, labels: { variant }, value: () => logNormal(random, 0.1, 0.3) });
    }
  }
  const prometheus = await startPrometheus({ openMetrics: openMetrics(series, end, 60, 15) });
  const harness = new ActionHarness();
  const metrics = stringify(Array.from({ length: 10 }, (_, metric) => ({ name: `m${metric}`, query: `bench_metric_${metric}{variant="{{variant}}"}`, 'allowed-increase': 5 })));
  const times: number[] = [];
  let verdict = '';
  try {
    for (let run = 0; run < 5; run++) {
      const { main } = await harness.run('canary-analyze', { inputs: { 'prometheus-url': prometheus.url, metrics, 'end-time': end.toISOString(), interval: '1h', step: '15s', 'on-fail': 'pass' } });
      if (main.exitCode !== 0) throw new Error(`canary-analyze failed:\n${main.log}`);
      verdict = main.outputs['verdict'] ?? '';
      times.push(main.durationMs);
    }
  } finally {
    harness.cleanup();
    await prometheus.stop();
  }
  return `Time to a verdict, 10 metrics × 241 samples per side (an hour at 15 s) from Prometheus, spawn to exit: median ${median(times).toFixed(0)} ms over 5 runs (verdict ${verdict}).`;
}

console.log(`Node ${process.version}, ${new Date().toISOString().slice(0, 10)}\n`);
if (!only || only === 'startup') {
  console.log(`Bundle size and cold start (${RUNS} interleaved runs each):\n`);
  console.log(await benchStartup());
  console.log('');
}
if (!only || only === 'canary') {
  const { header, rows } = benchJudges();
  console.log('Canary judges on the same simulated series (allowed effect: +5% latency, +0.5 points errors), share of runs that failed the canary:\n');
  console.log(table(header, rows));
  console.log('');
  const size = benchRateSize();
  console.log('The rate test when the canary is exactly the allowed points worse: the share of runs it fails (its size, nominal 1%), exact over every outcome, worst over the baseline ratio:\n');
  console.log(table(size.header, size.rows));
  console.log('');
  console.log(await benchTimeToVerdict());
  console.log('');
}
if (!only || only === 'cache') {
  console.log('build-cache keys: finding and hashing the key files of a monorepo (median of 7 interleaved runs):\n');
  console.log(table(['monorepo', 'build-cache', '@actions/glob hashFiles', 'ratio'], await benchKeys()));
  console.log('');
  const { bytes, rows } = await benchSaveRestore();
  console.log(`build-cache save and restore of a ${(bytes / 1024 / 1024).toFixed(0)} MB node_modules-like tree (20,000 files) through the cache service double and Azurite (median of 3):\n`);
  console.log(table(['', 'build-cache (bundle)', 'plain @actions/cache call', 'ratio'], rows));
  console.log('');
}
if (!only || only === 'scan') {
  const throughput = await benchSecretsThroughput();
  console.log(`Secrets scanner throughput on real third-party text (${throughput.note}):\n`);
  console.log(table(throughput.header, throughput.rows));
  console.log('');
  const quality = await benchRecallPrecision();
  console.log('Secrets scanner recall and precision per family on the generated labelled corpus:\n');
  console.log(table(quality.header, quality.rows));
  console.log(`\n${quality.note}\n`);
}
if (!only || only === 'dora') {
  console.log(`dora-metrics from its bundle against the GitHub double (GraphQL checked against GitHub's schema); history: ${DORA_SHAPE_NOTE}:\n`);
  console.log(table(DORA_HEADER, await benchDora()));
  console.log('');
}
if (!only || only === 'switch') {
  console.log('Blue-green switch and instant rollback under continuous keep-alive load:\n');
  console.log(table(SWITCH_HEADER, await benchSwitchUnderLoad()));
}
