import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { StaticFilesDouble } from '../doubles/static-files.ts';
import { DEFAULT_SHAPE, generateHistory } from '../harness/dora-history.ts';
import { ActionHarness } from '../harness/run-action.ts';
import { startPrometheus, startPushgateway, type Prometheus, type Pushgateway } from '../sandbox/servers.ts';

/**
 * dora-metrics' figures where Grafana would read them: pushed to a real Pushgateway (Debian's
 * prometheus-pushgateway), scraped by a real Prometheus, queried back. The OpenMetrics file goes
 * through Prometheus' own OpenMetrics parser too: served with OpenMetrics' content type and scraped.
 */

let github: GitHubDouble;
let pushgateway: Pushgateway;
let files: StaticFilesDouble;
let prometheus: Prometheus;
const harness = new ActionHarness();
let outputDir: string;

beforeAll(async () => {
  github = await new GitHubDouble().start();
  pushgateway = await startPushgateway();
  files = await new StaticFilesDouble().start();
  prometheus = await startPrometheus({ targets: { pushgateway: [pushgateway.address], openmetrics: [new URL(files.url).host] }, scrapeSeconds: 1 });
  outputDir = mkdtempSync(join(tmpdir(), 'dora-push-'));
});

afterAll(async () => {
  harness.cleanup();
  rmSync(outputDir, { recursive: true, force: true });
  await Promise.all([github.stop(), pushgateway.stop(), files.stop(), prometheus.stop()]);
});

async function query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await response.json()) as { data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  return body.data.result;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

test('pushed to the Pushgateway, scraped by Prometheus, the same figures come back; the OpenMetrics file parses', async () => {
  const history = generateHistory(github, { ...DEFAULT_SHAPE, seed: 11, days: 30, services: ['app', 'api'] });
  const { main } = await harness.run('dora-metrics', {
    inputs: { environments: 'production', window: '14d', until: new Date(history.end).toISOString(), 'pushgateway-url': pushgateway.url, 'output-dir': outputDir },
    github: { apiUrl: github.apiUrl, token: DEFAULT_TOKEN },
  });
  expect(main.exitCode, main.log).toBe(0);
  expect(github.violations).toEqual([]);
  const metrics = JSON.parse(main.outputs['metrics'] as string);

  // What the Pushgateway holds for this repository's group.
  const group = await (await fetch(`${pushgateway.url}/api/v1/metrics`)).json();
  expect(JSON.stringify(group)).toContain('"repository":"acme/app"');

  const pushed = await eventually(() => query('dora_deployments{job="pushgateway"}'), (result) => result.length === 2, 'the pushed deployments in Prometheus');
  const byService = Object.fromEntries(pushed.map((sample) => [sample.metric['service'], Number(sample.value[1])]));
  expect(byService).toEqual(Object.fromEntries(metrics.groups.map((entry: any) => [entry.service, entry.current.deployments])));
  expect(pushed[0]?.metric).toMatchObject({ exported_job: 'dora-metrics', repository: 'acme/app', environment: 'production' });
  const leadTime = await query('dora_lead_time_median_seconds{job="pushgateway",service="api"}');
  expect(Number(leadTime[0]?.value[1])).toBe(metrics.groups.find((entry: any) => entry.service === 'api').current.leadTime.median);

  // The OpenMetrics file, served as OpenMetrics: Prometheus' strict parser takes it.
  files.put('/metrics', readFileSync(main.outputs['openmetrics'] as string), { 'content-type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' });
  const target = await eventually(
    async () => ((await (await fetch(`${prometheus.url}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> } }).data.activeTargets.find((entry) => entry.labels['job'] === 'openmetrics'),
    (entry) => entry?.health === 'up',
    'the OpenMetrics target to be scraped',
  );
  expect(target?.lastError).toBe('');
  const ratio = await eventually(() => query('dora_change_failure_ratio{job="openmetrics"}'), (result) => result.length === 2, 'the OpenMetrics samples');
  expect(ratio.map((sample) => Number(sample.value[1])).sort()).toEqual(metrics.groups.map((entry: any) => entry.current.changeFailure.rate).sort());
});

test('a Pushgateway that refuses: exit 1 naming pushgateway-url', async () => {
  github.environments.set('production', { name: 'production' });
  const { main } = await harness.run('dora-metrics', {
    inputs: { environments: 'production', 'pushgateway-url': `${pushgateway.url}/nowhere`, 'output-dir': outputDir },
    github: { apiUrl: github.apiUrl, token: DEFAULT_TOKEN },
  });
  expect(main.exitCode).toBe(1);
  expect(main.errors[0]?.message).toBe('dora-metrics: input "pushgateway-url": the push to the Pushgateway was refused: HTTP 404: 404 page not found');
});
