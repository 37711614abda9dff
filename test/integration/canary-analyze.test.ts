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
 * Errors are counters (app_requests_total, app_errors_total) the judge reads as counts over the window.
 */

const END = new Date(Math.floor((Date.now() - 3 * 3_600_000) / 60_000) * 60_000);
const MINUTES = 30;
const STEP = 15;

interface Scenario {
  latency: { baseline: number; canary: number };
  /** The share of requests that fail. */
  errors: { baseline: number; canary: number };
  /** Requests per 15 s step (default 200). */
  requests?: number;
  canaryMinutes?: number;
}

const SCENARIOS: Record<string, Scenario> = {
  healthy: { latency: { baseline: 0.1, canary: 0.1 }, errors: { baseline: 0.01, canary: 0.01 } },
  bad: { latency: { baseline: 0.1, canary: 0.13 }, errors: { baseline: 0, canary: 0.02 } },
  slower: { latency: { baseline: 0.1, canary: 0.13 }, errors: { baseline: 0.01, canary: 0.01 } },
  quiet: { latency: { baseline: 0.1, canary: 0.1 }, errors: { baseline: 0.01, canary: 0.01 }, canaryMinutes: 4 },
  // About 20 requests a step: per-step error ratios are mostly 0 (the judge once passed this canary).
  'low-traffic-bad': { latency: { baseline: 0.1, canary: 0.1 }, errors: { baseline: 0, canary: 0.02 }, requests: 20 },
  'low-traffic-healthy': { latency: { baseline: 0.1, canary: 0.1 }, errors: { baseline: 0.01, canary: 0.01 }, requests: 20 },
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
      // Counters from 0 at their first sample: each step adds its requests and the failed share of them.
      const perStep = spec.requests ?? 200;
      const draw = seeded(5000 + offset * 10 + (variant === 'canary' ? 1 : 0));
      const totals = { requests: 0, errors: 0 };
      const counters = Array.from({ length: count }, (_, index) => {
        if (index > from) {
          totals.requests += perStep;
          totals.errors += Math.round(binomialRatio(draw, perStep, spec.errors[variant]) * perStep);
        }
        return { ...totals };
      });
      series.push(
        { metric: 'app_latency_seconds', labels, value: (index) => gap(logNormal(random, spec.latency[variant], 0.2), index) },
        { metric: 'app_requests_total', labels, value: (index) => gap((counters[index] as { requests: number }).requests, index) },
        { metric: 'app_errors_total', labels, value: (index) => gap((counters[index] as { errors: number }).errors, index) },
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
  const count = (metric: string) => `sum(increase(${metric}{scenario="${scenario}",variant="{{variant}}"}[{{window}}]))`;
  return stringify([
    { name: 'errors', errors: count('app_errors_total'), requests: count('app_requests_total'), 'allowed-increase': 0.5, critical: true, 'must-have-data': true, group: 'errors', weight: 40 },
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
    // errors: the requests counted over the window (200 a step for 120 steps); the others: samples.
    expect(report.windows[0]?.metrics.map((metric) => metric.samples)).toEqual([
      { baseline: 24_000, canary: 24_000 },
      { baseline: 121, canary: 121 },
      { baseline: 121, canary: 121 },
    ]);
    expect(report.windows[0]?.metrics[0]).toMatchObject({ test: 'score test', counts: { baseline: { requests: 24_000 }, canary: { requests: 24_000 } } });
    const again = recompute(report);
    expect(again?.verdict).toBe(report.verdict);
    expect(again?.score).toBe(report.score);
    expect(result.summary).toContain('### ✅ Canary analysis: pass, score 100');
    expect(result.summary).toContain('| Metric | Result | Samples (baseline / canary) | Median (rate: errors) | Shift [interval] | Effect | p | Rule |');
    // The value metrics' intervals say what they really cover.
    expect(result.summary).toMatch(/\| latency \| Pass \| 121 \/ 121 \| [^|]+ \| [^|]+ covers 98(\.\d+)?% \|/);
  });

  test('+30% latency and 2% errors (from 0%) fail on the critical error ratio, and say why', async () => {
    const result = await analyse({ metrics: metrics('bad') });
    expect(result.exitCode).toBe(1);
    expect(result.outputs).toMatchObject({ verdict: 'fail', 'failed-metrics': 'errors,latency' });
    expect(result.errors[0]?.message).toMatch(
      /^canary-analyze: verdict fail, score \d+(\.\d+)?: critical metric errors failed: 0\/24000 \(0%\) → \d+\/24000 \([\d.]+%\): \+[\d.]+ points \[\+[\d.]+, \+[\d.]+\]: higher by more than the allowed \+0\.5 points \(p = .+ < α\/2 0\.01\)$/,
    );
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

  test('at low traffic (20 requests a step) 0% → 2% errors fails on the counts; a healthy canary there passes', async () => {
    const bad = await analyse({ metrics: metrics('low-traffic-bad') });
    expect(bad.exitCode).toBe(1);
    expect(bad.outputs).toMatchObject({ verdict: 'fail', 'failed-metrics': 'errors' });
    const report = JSON.parse(readFileSync(bad.outputs['report'] as string, 'utf8')) as Report;
    const errors = report.windows[0]?.metrics[0];
    expect(errors?.counts).toMatchObject({ baseline: { errors: 0, requests: 2400 }, canary: { requests: 2400 } });
    expect(errors?.shift?.lower).toBeGreaterThan(0.5);
    expect(bad.errors[0]?.message).toMatch(/critical metric errors failed: 0\/2400 \(0%\) → \d+\/2400 .*: higher by more than the allowed \+0\.5 points/);
    expect(recompute(report)?.verdict).toBe('fail');
    expect(bad.summary).toMatch(/\| \*\*errors\*\* \| ❌ ⬆️ High \| 2400 \/ 2400 requests \| 0% → [\d.]+% \| [\d.]+ \[[\d.]+, [\d.]+\] pts \| \+[\d.]+ pts \|/);
    const healthy = await analyse({ metrics: metrics('low-traffic-healthy') });
    expect(healthy.exitCode, healthy.log).toBe(0);
    expect(healthy.outputs).toMatchObject({ verdict: 'pass', score: '100' });
  });

  test('a canary with too little data is inconclusive, never a pass', async () => {
    const result = await analyse({ metrics: metrics('quiet') });
    expect(result.outputs['verdict']).toBe('inconclusive');
    // The error counts are plenty (16 steps of 200 requests); the latency series has too few samples.
    expect(result.errors[0]?.message).toMatch(/must-have-data metric latency has no data \(16 canary samples, fewer than min-samples 30/);
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
    expect(windows.map((window) => window.metrics[1]?.samples.baseline)).toEqual([41, 81, 121]);
    expect(windows.map((window) => window.metrics[0]?.counts?.baseline.requests)).toEqual([8000, 16_000, 24_000]);
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

  test('Datadog: a rate metric adds up the .as_count() points of its two count queries', async () => {
    // 60 rollups of 20 requests a side; the canary fails 1 in 50 of them, the baseline none.
    const datadog = await new HttpDouble((request) => {
      const query = request.query.get('query') ?? '';
      const from = Number(request.query.get('from'));
      const value = (index: number) => (query.startsWith('sum:app.requests') ? 20 : query.includes('canary') && index % 5 === 0 ? 2 : 0);
      return { status: 200, body: { status: 'ok', series: [{ pointlist: Array.from({ length: 60 }, (_, index) => [(from + index * 15) * 1000, value(index)]) }] } };
    }).start();
    try {
      const { main } = await harness.run('canary-analyze', {
        inputs: {
          provider: 'datadog',
          'datadog-api-url': datadog.url,
          'datadog-api-key': 'api-key-123',
          'datadog-application-key': 'app-key-456',
          metrics: stringify([{ name: 'errors', errors: 'sum:app.errors{variant:{{variant}}}.as_count()', requests: 'sum:app.requests{variant:{{variant}}}.as_count()', 'allowed-increase': 0.5 }]),
          'end-time': END.toISOString(),
          interval: '15m',
          'on-fail': 'warn',
        },
      });
      expect(main.exitCode, main.log).toBe(0);
      const report = JSON.parse(readFileSync(main.outputs['report'] as string, 'utf8')) as Report;
      expect(report.windows[0]?.metrics[0]).toMatchObject({ classification: 'High', failed: true, counts: { baseline: { errors: 0, requests: 1200 }, canary: { errors: 24, requests: 1200 } } });
      expect(datadog.requests.map((request) => request.query.get('query')).sort()).toEqual([
        'sum:app.errors{variant:baseline}.as_count()',
        'sum:app.errors{variant:canary}.as_count()',
        'sum:app.requests{variant:baseline}.as_count()',
        'sum:app.requests{variant:canary}.as_count()',
      ]);
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

  test('http-json: a rate metric adds up the counts the endpoint answers; no answer is no data', async () => {
    // The baseline's errors endpoint answers no points at all.
    const counts: Record<string, number[]> = { '/requests/baseline': [400, 400, 400], '/requests/canary': [400, 400, 400], '/errors/baseline': [], '/errors/canary': [1, 0, 2] };
    const endpoint = await new HttpDouble((request) => ({ status: 200, body: { values: counts[request.path] ?? [] } })).start();
    try {
      const { main } = await harness.run('canary-analyze', {
        inputs: {
          provider: 'http-json',
          'http-json-path': 'values',
          metrics: stringify([{ name: 'errors', errors: `${endpoint.url}/errors/{{variant}}`, requests: `${endpoint.url}/requests/{{variant}}`, 'must-have-data': true }]),
          'end-time': END.toISOString(),
          interval: '10m',
          'on-inconclusive': 'warn',
        },
      });
      expect(main.exitCode, main.log).toBe(0);
      expect(main.outputs['verdict']).toBe('inconclusive');
      const report = JSON.parse(readFileSync(main.outputs['report'] as string, 'utf8')) as Report;
      expect(report.windows[0]?.metrics[0]?.counts).toEqual({ baseline: { errors: null, requests: 1200 }, canary: { errors: 3, requests: 1200 } });
      expect(main.warnings[0]?.message).toMatch(/must-have-data metric errors has no data \(no answer for the baseline errors count/);
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
    ['unknown placeholder in a later metric', { metrics: stringify([{ name: 'up', query: 'up' }, { name: 'x', query: 'up[{{span}}]' }]) }, 'input "metrics": metric "x", field "query": {{span}} is not a placeholder'],
    [
      'a rate metric as a ratio series',
      { metrics: stringify([{ name: 'errors', kind: 'rate', query: 'errors_ratio' }]) },
      'input "metrics": metric "errors", field "query": a rate metric is judged on counts, not on a series of ratios',
    ],
    [
      'a Prometheus count without {{window}}',
      { metrics: stringify([{ name: 'errors', errors: 'sum(increase(e[5m]))', requests: 'sum(increase(r[{{window}}]))' }]) },
      'input "metrics": metric "errors", field "errors": with Prometheus a count over the analysis window needs {{window}}',
    ],
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
