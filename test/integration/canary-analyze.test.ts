import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { recompute, type Report } from '../../actions/canary-analyze/src/analysis.ts';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { HttpDouble } from '../doubles/http-double.ts';
import { ActionHarness, type StepResult } from '../harness/run-action.ts';
import { binomialRatio, logNormal, openMetrics, seeded, type SyntheticSeries } from '../sandbox/history.ts';
import { startLoad } from '../sandbox/load.ts';
import { freePort, startPrometheus, startService, type Prometheus } from '../sandbox/servers.ts';

/**
 * canary-analyze through its bundle against a real Prometheus (Debian), its history backfilled with
 * promtool: 30 minutes of 15 s samples per scenario, ending three hours ago, judged with end-time.
 */

const END = new Date(Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000);
const MINUTES = 30;
const STEP = 15;

interface Scenario {
  latency: { baseline: number; canary: number };
  errors: { baseline: number; canary: number };
  canaryMinutes?: number;
}

const SCENARIOS: Record<string, Scenario> = {
  healthy: { latency: { baseline: 0.1, canary: 0.1 }, errors: { baseline: 0.01, canary: 0.01 } },
  bad: { latency: { baseline: 0.1, canary: 0.13 }, errors: { baseline: 0, canary: 0.02 } },
  slower: { latency: { baseline: 0.1, canary: 0.13 }, errors: { baseline: 0.01, canary: 0.01 } },
  quiet: { latency: { baseline: 0.1, canary: 0.1 }, errors: { baseline: 0.01, canary: 0.01 }, canaryMinutes: 4 },
};

function history(): string {
  const series: SyntheticSeries[] = [];
  const count = (MINUTES * 60) / STEP + 1;
  Object.entries(SCENARIOS).forEach(([scenario, spec], offset) => {
    for (const variant of ['baseline', 'canary'] as const) {
      const random = seeded(1000 + offset * 10 + (variant === 'canary' ? 1 : 0));
      const labels = { scenario, variant };
      // A canary with little data has samples only at the end of the window.
      const from = variant === 'canary' && spec.canaryMinutes ? count - (spec.canaryMinutes * 60) / STEP : 0;
      const gap = (value: number, index: number) => (index < from ? Number.NaN : value);
      series.push(
        { metric: 'app_latency_seconds', labels, value: (index) => gap(logNormal(random, spec.latency[variant], 0.2), index) },
        { metric: 'app_errors_ratio', labels, value: (index) => gap(binomialRatio(random, 200, spec.errors[variant]), index) },
        { metric: 'app_cpu_seconds', labels, value: (index) => gap(logNormal(random, 0.5, 0.1), index) },
      );
    }
  });
  // NaN gaps are left out of the file: Prometheus has no sample there.
  return openMetrics(series, END, MINUTES, STEP)
    .split('\n')
    .filter((line) => !line.includes(' NaN '))
    .join('\n');
}

function metrics(scenario: string): string {
  return stringify([
    { name: 'errors', query: `app_errors_ratio{scenario="${scenario}",variant="{{variant}}"}`, kind: 'rate', 'allowed-increase': 0.5, critical: true, 'must-have-data': true, group: 'errors', weight: 40 },
    { name: 'latency', query: `app_latency_seconds{scenario="${scenario}",variant="{{variant}}"}`, 'allowed-increase': 10, 'must-have-data': true, group: 'latency', weight: 40 },
    { name: 'cpu', query: `app_cpu_seconds{scenario="${scenario}",variant="{{variant}}"}`, 'allowed-increase': 25, group: 'resources', weight: 20 },
  ]);
}

let prometheus: Prometheus;
let github: GitHubDouble;
const harness = new ActionHarness();

beforeAll(async () => {
  [prometheus, github] = await Promise.all([startPrometheus({ openMetrics: history() }), new GitHubDouble().start()]);
});
afterAll(async () => {
  await Promise.all([prometheus.stop(), github.stop()]);
  harness.cleanup();
  expect([...github.violations, ...github.rejected]).toEqual([]);
});

async function analyse(inputs: Record<string, string>): Promise<StepResult> {
  const { main } = await harness.run('canary-analyze', {
    inputs: { 'prometheus-url': prometheus.url, 'end-time': END.toISOString(), interval: `${MINUTES}m`, step: `${STEP}s`, ...inputs },
    github: { apiUrl: github.apiUrl, token: DEFAULT_TOKEN },
  });
  return main;
}

describe('verdicts from a real Prometheus', () => {
  test('a healthy canary passes, and the report recomputes to the same verdict', async () => {
    const result = await analyse({ metrics: metrics('healthy') });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.outputs).toMatchObject({ verdict: 'pass', score: '100', 'failed-metrics': '' });
    const report = JSON.parse(readFileSync(result.outputs['report'] as string, 'utf8')) as Report;
    expect(report.windows[0]?.metrics.map((metric) => metric.samples)).toEqual([
      { baseline: 121, canary: 121 },
      { baseline: 121, canary: 121 },
      { baseline: 121, canary: 121 },
    ]);
    const again = recompute(report);
    expect(again?.verdict).toBe(report.verdict);
    expect(again?.score).toBe(report.score);
    expect(result.summary).toContain('### ✅ Canary analysis: pass, score 100');
    expect(result.summary).toContain('| Metric | Result | Samples (baseline / canary) | Median | Shift [interval] | Effect | p | Rule |');
  });

  test('+30% latency and 2% errors (from 0%) fail on the critical error ratio, and say why', async () => {
    const result = await analyse({ metrics: metrics('bad') });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ verdict: 'fail', 'failed-metrics': 'errors,latency' });
    expect(result.errors[0]?.message).toMatch(/^canary-analyze: verdict fail, score \d+(\.\d+)?: critical metric errors failed: p = .*effect \d(\.\d+)? points: higher, at least the allowed 0\.5 points$/);
    expect(result.summary).toContain('xychart-beta');
  });

  test('a slower canary with clean errors is marginal (one group of 40% fails)', async () => {
    const result = await analyse({ metrics: metrics('slower') });
    expect(result.outputs).toMatchObject({ verdict: 'marginal', score: '60', 'failed-metrics': 'latency' });
    expect(result.exitCode).toBe(1);
    const warned = await analyse({ metrics: metrics('slower'), 'on-fail': 'warn' });
    expect(warned.exitCode).toBe(0);
    expect(warned.warnings[0]?.message).toMatch(/^canary-analyze: verdict marginal, score 60/);
  });

  test('a canary with too little data is inconclusive, never a pass', async () => {
    const result = await analyse({ metrics: metrics('quiet') });
    expect(result.outputs['verdict']).toBe('inconclusive');
    expect(result.errors[0]?.message).toMatch(/must-have-data metric errors has no data \(16 canary samples, fewer than min-samples 30/);
  });

  test('intervals are cumulative and a failure stops the analysis early', async () => {
    const result = await analyse({ metrics: metrics('bad'), interval: '10m', intervals: '3', 'on-fail': 'pass' });
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(readFileSync(result.outputs['report'] as string, 'utf8')) as Report;
    expect(report.stoppedEarly).toBe(true);
    expect(report.windows).toHaveLength(1);
    expect(result.log).toContain('stopping early: a critical metric failed');
    const healthy = await analyse({ metrics: metrics('healthy'), interval: '10m', intervals: '3' });
    const windows = (JSON.parse(readFileSync(healthy.outputs['report'] as string, 'utf8')) as Report).windows;
    expect(windows.map((window) => window.metrics[0]?.samples.baseline)).toEqual([41, 81, 121]);
  });
});

describe('problems are named', () => {
  test('a PromQL error shows Prometheus’ own message and names the metric', async () => {
    const result = await analyse({ metrics: stringify([{ name: 'broken', query: 'app_latency_seconds{variant=' }]) });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]?.message).toMatch(/^canary-analyze: input "metrics": metric "broken": Prometheus refused the query: bad_data: .*parse error/);
  });

  test('Prometheus unreachable is inconclusive with the reason', async () => {
    const port = await freePort();
    const { main } = await harness.run('canary-analyze', {
      inputs: { 'prometheus-url': `http://127.0.0.1:${port}`, metrics: metrics('healthy'), 'end-time': END.toISOString(), interval: '30m', 'on-inconclusive': 'warn' },
    });
    expect(main.exitCode).toBe(0);
    expect(main.outputs['verdict']).toBe('inconclusive');
    expect(main.warnings[0]?.message).toMatch(/Prometheus unavailable: Prometheus did not answer: ECONNREFUSED/);
  });

  test('a bad metric definition names the metric and field', async () => {
    const result = await analyse({ metrics: stringify([{ name: 'p95', query: 'x', direction: 'up' }]) });
    expect(result.errors[0]?.message).toBe('canary-analyze: input "metrics": metric "p95", field "direction": "up" is not accepted; expected increase, decrease or either (the change that is bad)');
  });
});

test('the verdict is recorded on this run’s deployment: "canary 10%: pass, score 100"', async () => {
  const deployment = github.seedDeployment({
    environment: 'production',
    payload: { deployActions: 1, version: 'v2', color: 'green', previousColor: 'blue', strategy: 'bluegreen', runId: 4242 },
    states: ['in_progress'],
  });
  if (deployment.statuses[0]) deployment.statuses[0].description = 'canary: v2 on green takes 10%';
  const result = await analyse({ metrics: metrics('healthy'), environment: 'production' });
  expect(result.exitCode, result.log).toBe(0);
  expect(deployment.statuses.at(-1)).toMatchObject({ state: 'in_progress', description: 'canary 10%: pass, score 100' });
});

describe('other providers', () => {
  test('Datadog: its v1 query API, keys in headers', async () => {
    const random = seeded(7);
    const datadog = await new HttpDouble((request) => {
      if (request.headers['dd-api-key'] !== 'api-key-123' || request.headers['dd-application-key'] !== 'app-key-456') return { status: 403, body: { errors: ['Forbidden'] } };
      const from = Number(request.query.get('from'));
      const canary = (request.query.get('query') ?? '').includes('canary');
      return { status: 200, body: { status: 'ok', series: [{ pointlist: Array.from({ length: 60 }, (_, index) => [(from + index * 15) * 1000, logNormal(random, canary ? 0.2 : 0.1, 0.1)]) }] } };
    }).start();
    try {
      const { main } = await harness.run('canary-analyze', {
        inputs: {
          provider: 'datadog',
          'datadog-api-url': datadog.url,
          'datadog-api-key': 'api-key-123',
          'datadog-application-key': 'app-key-456',
          metrics: stringify([{ name: 'latency', query: 'avg:app.latency{variant:{{variant}}}', 'allowed-increase': 10 }]),
          'end-time': END.toISOString(),
          interval: '15m',
        },
      });
      expect(main.outputs['verdict']).toBe('fail');
      expect(datadog.requests[0]?.path).toBe('/api/v1/query');
      expect(datadog.requests[0]?.query.get('query')).toBe('avg:app.latency{variant:baseline}');
      expect(main.log).not.toContain('api-key-123');
    } finally {
      await datadog.stop();
    }
  });

  test('http-json: any endpoint, a path to the samples', async () => {
    const endpoint = await new HttpDouble((request) => ({ status: 200, body: { data: { values: Array.from({ length: 40 }, (_, index) => [1_700_000_000 + index * 15, request.path.endsWith('canary') ? '0.1' : '0.1']) } } })).start();
    try {
      const { main } = await harness.run('canary-analyze', {
        inputs: { provider: 'http-json', 'http-json-path': 'data.values', metrics: stringify([{ name: 'latency', query: `${endpoint.url}/series/{{variant}}` }]), 'end-time': END.toISOString(), interval: '10m' },
      });
      expect(main.exitCode, main.log).toBe(0);
      expect(main.outputs['verdict']).toBe('pass');
      expect(endpoint.requests.map((request) => request.path).sort()).toEqual(['/series/baseline', '/series/canary']);
    } finally {
      await endpoint.stop();
    }
  });
});

test('live: Prometheus scraping a baseline and a canary service under load, the built-in HTTP metrics', async () => {
  const [baselinePort, canaryPort] = [await freePort(), await freePort()];
  const services = await Promise.all([
    startService(baselinePort, { VERSION: 'v1', COLOR: 'blue', LATENCY_MS: '5' }),
    startService(canaryPort, { VERSION: 'v2', COLOR: 'green', LATENCY_MS: '40', ERROR_RATE: '0.05' }),
  ]);
  const live = await startPrometheus({ targets: { baseline: [`127.0.0.1:${baselinePort}`], canary: [`127.0.0.1:${canaryPort}`] }, scrapeSeconds: 1 });
  const loads = [startLoad(`http://127.0.0.1:${baselinePort}/`, 2), startLoad(`http://127.0.0.1:${canaryPort}/`, 2)];
  try {
    const { main } = await harness.run('canary-analyze', {
      inputs: {
        'prometheus-url': live.url,
        'baseline-selector': 'job="baseline"',
        'canary-selector': 'job="canary"',
        'rate-window': '5s',
        step: '1s',
        warmup: '6s',
        interval: '15s',
        'min-samples': '10',
        'on-fail': 'warn',
      },
    });
    expect(main.exitCode, main.log).toBe(0);
    expect(main.outputs['verdict']).toBe('fail');
    expect(main.outputs['failed-metrics']).toContain('error-ratio');
    expect(main.outputs['failed-metrics']).toContain('latency-p50');
  } finally {
    await Promise.all(loads.map((load) => load.stop()));
    await Promise.all([...services.map((service) => service.stop()), live.stop()]);
  }
});

describe('bad input: exit 1, the input named, nothing queried', () => {
  const good = () => ({ 'prometheus-url': prometheus.url, metrics: metrics('healthy') });
  const cases: Array<[string, Record<string, string>, string]> = [
    ['provider', { provider: 'graphite' }, 'input "provider": "graphite" is not accepted; expected one of prometheus, http-json, datadog'],
    ['prometheus-url', { 'prometheus-url': '' }, 'input "prometheus-url": is required with provider prometheus'],
    ['prometheus-url scheme', { 'prometheus-url': 'http://prometheus.example.com' }, 'input "prometheus-url": "http://prometheus.example.com" is not accepted; expected an https:// URL'],
    ['token and basic auth', { 'prometheus-token': 't0k3n-abcdefghijklmnop', 'prometheus-username': 'me' }, 'input "prometheus-token": give prometheus-token or prometheus-username/password, not both'],
    ['no metrics, no selectors', { metrics: '' }, 'input "metrics": is required (or metrics-file), unless baseline-selector and canary-selector are given'],
    ['metrics and a file', { 'metrics-file': 'm.yml' }, 'input "metrics-file": give metrics or metrics-file, not both'],
    ['metrics-file unreadable', { metrics: '', 'metrics-file': '/nonexistent/m.yml' }, 'input "metrics-file": cannot read /nonexistent/m.yml: ENOENT'],
    ['{{selector}} without selectors', { metrics: stringify([{ name: 'x', query: 'up{ {{selector}} }' }]) }, 'input "baseline-selector": is required: a metric query uses {{selector}}'],
    ['interval', { interval: 'often' }, 'input "interval": "often" is not accepted'],
    ['intervals and duration', { intervals: '3', duration: '15m' }, 'input "duration": give intervals or duration, not both'],
    ['end-time', { 'end-time': 'yesterday' }, 'input "end-time": "yesterday" is not accepted; expected an ISO 8601 time'],
    ['confidence', { confidence: '98' }, 'input "confidence": "98" is not accepted; expected a confidence level from 0.5 to below 1'],
    ['thresholds', { 'pass-threshold': '40' }, 'input "marginal-threshold": "50" is not accepted; expected at most pass-threshold (40)'],
    ['min-samples', { 'min-samples': '1' }, 'input "min-samples": "1" is not accepted; expected a whole number from 3'],
    ['rate-window', { 'rate-window': '1 minute' }, 'input "rate-window": "1 minute" is not accepted; expected a PromQL duration'],
    ['on-fail', { 'on-fail': 'ignore' }, 'input "on-fail": "ignore" is not accepted; expected one of fail, warn, pass'],
    ['datadog keys', { provider: 'datadog' }, 'input "datadog-api-key": is required'],
    ['http-json path', { provider: 'http-json' }, 'input "http-json-path": is required'],
  ];
  /** Prometheus counts the query_range requests it served on its own /metrics. */
  const rangeQueries = async () => {
    const text = await (await fetch(`${prometheus.url}/metrics`)).text();
    return Number(/prometheus_http_requests_total\{code="\d+",handler="\/api\/v1\/query_range"\} (\d+)/.exec(text)?.[1] ?? 0);
  };

  test.each(cases)('%s', async (_name, inputs, message) => {
    const before = await rangeQueries();
    const { main } = await harness.run('canary-analyze', { inputs: { ...good(), ...inputs } });
    expect(await rangeQueries()).toBe(before);
    expect(main.exitCode).toBe(1);
    expect(main.errors).toHaveLength(1);
    expect(main.errors[0]?.message.startsWith(`canary-analyze: ${message}`), main.errors[0]?.message).toBe(true);
    expect(main.log).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(main.log).not.toContain('t0k3n-abcdefghijklmnop');
    expect(main.outputs['verdict']).toBeUndefined();
  });
});
