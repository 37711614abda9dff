import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DEFAULT_TOKEN, GitHubDouble, type Deployment } from '../doubles/github/server.ts';
import { DEFAULT_SHAPE, generateHistory, type HistoryShape } from '../harness/dora-history.ts';
import { oracleKeys, type OracleKeys } from '../harness/dora-oracle.ts';
import { mermaidProblems } from '../harness/mermaid.ts';
import { ActionHarness, type StepResult } from '../harness/run-action.ts';

/**
 * dora-metrics from its bundle against the GitHub double (GraphQL executed over its records,
 * checked against GitHub's schema): the four keys agree exactly with SQL over the same records in
 * SQLite on every generated history and on three small histories worked out by hand below; the
 * audit trail, the charts, the API budget and bad input.
 */

const harness = new ActionHarness();
afterAll(() => harness.cleanup());

let github: GitHubDouble;
beforeEach(async () => {
  github = await new GitHubDouble().start();
});
afterEach(async () => {
  const problems = [...github.violations, ...github.rejected];
  await github.stop();
  expect(problems).toEqual([]);
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 1);
const iso = (at: number) => new Date(at).toISOString().replace('.000Z', 'Z');

async function dora(inputs: Record<string, string>, token = DEFAULT_TOKEN): Promise<{ main: StepResult; metrics: any; outputDir: string }> {
  const outputDir = mkdtempSync(join(tmpdir(), 'dora-out-'));
  const { main } = await harness.run('dora-metrics', {
    inputs: { 'output-dir': outputDir, ...inputs },
    github: { apiUrl: github.apiUrl, token },
  });
  return { main, metrics: main.outputs['metrics'] ? JSON.parse(main.outputs['metrics']) : undefined, outputDir };
}

/** The figures the oracle gives, taken from the action's output for comparison. */
function comparable(group: any): OracleKeys {
  const keys = group;
  return {
    environment: keys.environment,
    service: keys.service,
    deployments: keys.deployments,
    perDay: keys.perDay,
    perWeek: keys.perWeek,
    leadTime: { count: keys.leadTime.count, median: keys.leadTime.median, p90: keys.leadTime.p90 },
    changeFailure: { live: keys.changeFailure.live, failed: keys.changeFailure.failed, rate: keys.changeFailure.rate, canaryCaught: keys.changeFailure.canaryCaught },
    timeToRestore: { count: keys.timeToRestore.count, median: keys.timeToRestore.median, p90: keys.timeToRestore.p90, unrestored: keys.timeToRestore.unrestored },
  };
}

function bothWindows(metrics: any): { current: OracleKeys[]; previous: OracleKeys[] } {
  const sort = (list: OracleKeys[]) => list.sort((a, b) => (a.environment + a.service < b.environment + b.service ? -1 : 1));
  return {
    current: sort(metrics.groups.map((group: any) => comparable({ environment: group.environment, service: group.service, ...group.current }))),
    previous: sort(metrics.groups.map((group: any) => comparable({ environment: group.environment, service: group.service, ...group.previous }))),
  };
}

function oracleBoth(environments: string[], since: number, until: number): { current: OracleKeys[]; previous: OracleKeys[] } {
  const sort = (list: OracleKeys[]) => list.sort((a, b) => (a.environment + a.service < b.environment + b.service ? -1 : 1));
  const length = until - since;
  return {
    current: sort(oracleKeys(github, { environments, defaultService: 'app', since, until })),
    previous: sort(oracleKeys(github, { environments, defaultService: 'app', since: since - length, until: since })),
  };
}

describe('the four keys agree exactly with SQL over the same records', () => {
  const shapes: Array<[string, HistoryShape]> = [
    ['the default shape: 3 services, canary, rollbacks, fix-forwards, merges, approvals', DEFAULT_SHAPE],
    ['a busy repository: 8 runs a day, more failures, mostly rollbacks', { ...DEFAULT_SHAPE, seed: 2, days: 30, runsPerDay: 8, failureRate: 0.25, rollbackShare: 0.8, commitsPerRun: 2 }],
    ['one service, every failure caught by the canary, no approvals', { ...DEFAULT_SHAPE, seed: 3, services: ['app'], canaryCatchShare: 1, approvals: false, mergeShare: 0.5 }],
    ['rare deploys of many commits, fix-forwards only, long statuses', { ...DEFAULT_SHAPE, seed: 4, days: 90, runsPerDay: 0.7, commitsPerRun: 9, rollbackShare: 0, failureRate: 0.3, chattyShare: 0.2 }],
  ];
  test.each(shapes)('%s', async (_name, shape) => {
    const history = generateHistory(github, shape);
    const until = history.end;
    const since = until - 21 * DAY;
    const { main, metrics } = await dora({ environments: 'staging, production', since: iso(since), until: iso(until) });
    expect(main.exitCode, main.log).toBe(0);
    const ours = bothWindows(metrics);
    const sql = oracleBoth(['staging', 'production'], since, until);
    expect(ours.current).toEqual(sql.current);
    expect(ours.previous).toEqual(sql.previous);
    // Not vacuous: the history has every kind of event the definitions care about.
    const totals = sql.current.reduce((sum, group) => ({ failed: sum.failed + group.changeFailure.failed, restored: sum.restored + group.timeToRestore.count, commits: sum.commits + group.leadTime.count }), { failed: 0, restored: 0, commits: 0 });
    expect(totals.failed).toBeGreaterThan(0);
    expect(totals.restored).toBeGreaterThan(0);
    expect(totals.commits).toBeGreaterThan(0);
  });

  test('with services chosen, only those are reported, and they still agree', async () => {
    const history = generateHistory(github, { ...DEFAULT_SHAPE, seed: 5 });
    const until = history.end;
    const { main, metrics } = await dora({ environments: 'production', services: 'api, app', window: '30d', until: iso(until) });
    expect(main.exitCode, main.log).toBe(0);
    expect(metrics.groups.map((group: any) => `${group.environment}/${group.service}`)).toEqual(['production/api', 'production/app']);
    const sql = oracleBoth(['production'], until - 30 * DAY, until);
    expect(bothWindows(metrics).current).toEqual(sql.current.filter((group) => group.service !== 'web'));
  });
});

/** Records written into the double by hand, times given exactly. */
class Records {
  readonly double: GitHubDouble;

  constructor(double: GitHubDouble) {
    this.double = double;
  }

  commit(oid: string, at: number, parents: string[] = []): string {
    const full = oid.padEnd(40, '0');
    this.double.git.add({ oid: full, committedDate: iso(at), parents: parents.map((parent) => parent.padEnd(40, '0')) });
    return full;
  }

  deploy(fields: { environment?: string; service?: string; sha: string; runSha?: string; at: number; version: string; rollbackOf?: number; runId?: number; foreign?: boolean }, statuses: Array<[string, string, number]>): Deployment {
    const payload = fields.foreign
      ? {}
      : { deployActions: 1, version: fields.version, artifact: `ghcr.io/acme/app:${fields.version}`, artifactDigest: `sha256:${'d'.repeat(64)}`, color: 'green', previousColor: 'blue', strategy: 'bluegreen', router: 'haproxy', previousDeploymentId: null, rollbackOf: fields.rollbackOf ?? null, runId: fields.runId ?? 900, runAttempt: 1, sha: (fields.runSha ?? fields.sha).padEnd(40, '0'), ...(fields.service ? { service: fields.service } : {}) };
    const environment = fields.environment ?? 'production';
    const deployment: Deployment = { id: this.double.nextId(), sha: fields.sha.padEnd(40, '0'), ref: 'main', task: 'deploy', environment, description: '', payload, transient: false, production: environment === 'production', creator: 'github-actions[bot]', createdAt: iso(fields.at), statuses: [] };
    for (const [state, description, at] of statuses) {
      deployment.statuses.push({ id: this.double.nextId(), state, description, environment, environmentUrl: '', logUrl: '', creator: 'github-actions[bot]', createdAt: iso(at) });
    }
    this.double.deployments.push(deployment);
    return deployment;
  }
}

const WEEK = { since: iso(T0), until: iso(T0 + 7 * DAY) };

describe('three small histories worked out by hand', () => {
  test('A: two plain deployments, an approval', async () => {
    const records = new Records(github);
    github.environments.set('production', { name: 'production', protectionRules: [{ type: 'required_reviewers', reviewers: ['lead-ana'] }] });
    const c1 = records.commit('c1', T0 - HOUR);
    const c2 = records.commit('c2', T0 + HOUR, [c1]);
    const c3 = records.commit('c3', T0 + 2 * HOUR, [c2]);
    const c4 = records.commit('c4', T0 + 26 * HOUR, [c3]);
    // D1, before the window: the previous success D2 starts from.
    records.deploy({ sha: c1, at: T0 - 30 * MINUTE, version: 'v1', runId: 900 }, [['success', 'v1 live on blue', T0 - 29 * MINUTE]]);
    // D2 ships c2 and c3 (c1 is D1's): success at T0+190m, so lead times 190-60 = 130m = 7800s and
    // 190-120 = 70m = 4200s. Created T0+3h, live at its success: duration 600s.
    const d2 = records.deploy({ sha: c3, at: T0 + 3 * HOUR, version: 'v2', runId: 901 }, [
      ['in_progress', 'starting v2 on green', T0 + 3 * HOUR + MINUTE],
      ['success', 'v2 live on green', T0 + 190 * MINUTE],
    ]);
    // D3 ships c4: success T0+27h5m, committed T0+26h: 65m = 3900s. Duration 300s.
    records.deploy({ sha: c4, at: T0 + 27 * HOUR, version: 'v3', runId: 902 }, [['success', 'v3 live on blue', T0 + 27 * HOUR + 5 * MINUTE]]);
    // Run 901: build until T0+2h55m, deploy job T0+2h59m..T0+3h11m (D2 was created in it), approved.
    // Approval wait = 2h59m - 2h55m = 240s. Run 902 had no review: no wait is reported for it.
    github.runs.recordRun({ id: 901, headSha: c3, createdAt: iso(T0 + 170 * MINUTE), actor: 'ana', jobs: [
      { name: 'build', startedAt: iso(T0 + 170 * MINUTE), completedAt: iso(T0 + 175 * MINUTE), conclusion: 'success' },
      { name: 'deploy', startedAt: iso(T0 + 179 * MINUTE), completedAt: iso(T0 + 191 * MINUTE), conclusion: 'success' },
    ] });
    github.runs.recordApprovals(901, [{ state: 'approved', comment: 'ok', user: 'lead-ana', environments: ['production'] }]);
    github.runs.recordRun({ id: 902, headSha: c4, createdAt: iso(T0 + 26.9 * HOUR), actor: 'bo', jobs: [{ name: 'deploy', startedAt: iso(T0 + 26.95 * HOUR), completedAt: iso(T0 + 27.1 * HOUR), conclusion: 'success' }] });

    const { main, metrics, outputDir } = await dora({ environments: 'production', ...WEEK });
    expect(main.exitCode, main.log).toBe(0);
    const [group] = metrics.groups;
    // Two successes in 7 days: 2/7 a day, 2 a week. Lead times 3900, 4200, 7800: median 4200, p90
    // the ceil(0.9 * 3) = 3rd, 7800. Both went live, neither failed: 0%. Durations 300, 600: median 450, p90 600.
    expect(group.current).toMatchObject({
      deployments: 2,
      perDay: 2 / 7,
      perWeek: 2,
      leadTime: { count: 3, median: 4200, p90: 7800, deployments: 2, withoutPrevious: 0 },
      changeFailure: { live: 2, failed: 0, rate: 0 },
      timeToRestore: { count: 0, median: null, unrestored: 0 },
      duration: { count: 2, median: 450, p90: 600 },
    });
    expect(group.approvalWait).toEqual({ count: 1, median: 240, p90: 240 });
    expect(group.levels).toEqual({ deploymentFrequency: 'high', leadTime: 'elite', changeFailureRate: 'elite', timeToRestore: null });
    expect(bothWindows(metrics).current).toEqual(oracleBoth(['production'], T0, T0 + 7 * DAY).current);

    const audit = JSON.parse(readFileSync(join(outputDir, 'audit.json'), 'utf8'));
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ deploymentId: d2.id, version: 'v2', sha: c3, actor: 'ana', approvals: [{ reviewer: 'lead-ana', state: 'approved', comment: 'ok' }], result: 'success', runUrl: 'https://github.com/acme/app/actions/runs/901', approvalWaitSeconds: 240, artifactDigest: `sha256:${'d'.repeat(64)}` });
    expect(audit[1]).toMatchObject({ version: 'v3', actor: 'bo', approvals: [], approvalWaitSeconds: null });
  });

  test('B: a canary-caught failure rolled back, an escaped one fixed forward', async () => {
    const records = new Records(github);
    const k1 = records.commit('a1', T0 - 2 * DAY);
    const k2 = records.commit('a2', T0 + 10 * HOUR, [k1]);
    const k3 = records.commit('a3', T0 + 20 * HOUR, [k2]);
    const k4 = records.commit('a4', T0 + 30 * HOUR, [k3]);
    const api = { service: 'api' };
    records.deploy({ ...api, sha: k1, at: T0 - DAY, version: 'v1', runId: 910 }, [['success', 'v1 live on blue', T0 - DAY + 5 * MINUTE]]);
    // E2 goes live at 10% at T0+11h2m, the canary fails it, rollback marks it failed: max share 10, canary-caught.
    const e2 = records.deploy({ ...api, sha: k2, at: T0 + 11 * HOUR, version: 'v2', runId: 911 }, [
      ['in_progress', 'starting v2 on green', T0 + 11 * HOUR + MINUTE],
      ['in_progress', 'canary: v2 on green takes 10%', T0 + 11 * HOUR + 2 * MINUTE],
      ['in_progress', 'canary 10%: fail, score 40.0', T0 + 11 * HOUR + 7 * MINUTE],
      ['failure', 'rolled back to v1', T0 + 11 * HOUR + 8 * MINUTE],
    ]);
    // E3, the rollback, succeeds at T0+11h9m: E2 restored in 7m = 420s. It ships nothing (k1 is E1's).
    records.deploy({ ...api, sha: k1, runSha: k2, at: T0 + 11 * HOUR + 8.5 * MINUTE, version: 'v1', rollbackOf: e2.id, runId: 912 }, [['success', 'rolled back to v1 on blue', T0 + 11 * HOUR + 9 * MINUTE]]);
    // E4 is switched to 100% at T0+21h1m and fails there (traffic back on blue): live at 100%, escaped.
    // Its version is anyone's text, here one a spreadsheet would run as a formula.
    records.deploy({ ...api, sha: k3, at: T0 + 21 * HOUR, version: '=1+2', runId: 913 }, [
      ['in_progress', 'green healthy: shifting 100% of traffic', T0 + 21 * HOUR + MINUTE],
      ['failure', 'v3 on green failed; traffic back on blue 100% / green 0%', T0 + 21 * HOUR + 3 * MINUTE],
    ]);
    // E5 fixes forward: success T0+31h5m, restoring E4 after 31h5m - 21h1m = 10h4m = 36240s. Its
    // previous success is E3 (at k1), so it ships k2, k3, k4: 21h5m = 75900s, 11h5m = 39900s, 1h5m = 3900s.
    records.deploy({ ...api, sha: k4, at: T0 + 31 * HOUR, version: 'v4', runId: 914 }, [['success', 'v4 live on green', T0 + 31 * HOUR + 5 * MINUTE]]);
    // Run 911's check suite is the sixth on its commit (beyond the five GraphQL reads): its
    // approvals come through REST, one call.
    github.environments.set('production', { name: 'production', protectionRules: [{ type: 'required_reviewers', reviewers: ['lead-bo'] }] });
    github.runs.recordRun({ id: 911, headSha: k2, createdAt: iso(T0 + 10.9 * HOUR), actor: 'cy' });
    for (let other = 0; other < 5; other++) github.runs.recordRun({ id: 1911 + other, headSha: k2, createdAt: iso(T0 + 10.9 * HOUR), actor: 'ci' });
    github.runs.recordApprovals(911, [{ state: 'approved', comment: '=HYPERLINK("http://x")', user: 'lead-bo', environments: ['production'] }]);
    // The rollback's run ran at main's tip (k2), not at the k1 it restored; the others at their own commits.
    for (const [id, sha] of [[912, k2], [913, k3], [914, k4]] as const) github.runs.recordRun({ id, headSha: sha, createdAt: iso(T0 + 10 * HOUR), actor: 'dee' });

    const { main, metrics, outputDir } = await dora({ environments: 'production', ...WEEK });
    expect(main.exitCode, main.log).toBe(0);
    const [group] = metrics.groups;
    expect(group.service).toBe('api');
    // Successes in the window: E3 and E5, 2/7 a day. Lead times 3900, 39900, 75900: median 39900,
    // p90 75900. Went live: E2, E3, E4, E5; failed E2 and E4: 2/4 = 0.5, one canary-caught, one
    // escaped. Restores 420 and 36240: median 18330, p90 36240. One rollback of three others: 1/3.
    expect(group.current).toMatchObject({
      deployments: 2,
      perDay: 2 / 7,
      leadTime: { count: 3, median: 39900, p90: 75900 },
      changeFailure: { live: 4, failed: 2, rate: 0.5, canaryCaught: 1, escaped: 1 },
      timeToRestore: { count: 2, median: 18330, p90: 36240, unrestored: 0 },
      rollbacks: { count: 1, rate: 1 / 3 },
      canary: { fail: 1 },
    });
    expect(group.levels).toEqual({ deploymentFrequency: 'high', leadTime: 'elite', changeFailureRate: 'low', timeToRestore: 'high' });
    expect(bothWindows(metrics).current).toEqual(oracleBoth(['production'], T0, T0 + 7 * DAY).current);

    const restCalls = github.calls().filter((call) => !call.endsWith('/graphql'));
    expect(restCalls).toEqual(['GET /repos/acme/app/actions/runs/911/approvals']);
    const audit = JSON.parse(readFileSync(join(outputDir, 'audit.json'), 'utf8'));
    expect(audit.map((entry: any) => [entry.version, entry.result, entry.rollbackOf])).toEqual([
      ['v2', 'rolled back', null],
      ['v1', 'success', e2.id],
      ['=1+2', 'failure', null],
      ['v4', 'success', null],
    ]);
    expect(audit[0].approvals).toEqual([{ reviewer: 'lead-bo', state: 'approved', comment: '=HYPERLINK("http://x")' }]);
    // The CSV as Python's csv module reads it: the same rows, the formula defused.
    const parsed = spawnSync('python3', ['-c', 'import csv,json,sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline="")))))', join(outputDir, 'audit.csv')], { encoding: 'utf8' });
    const rows = JSON.parse(parsed.stdout) as Array<Record<string, string>>;
    expect(rows.map((row) => [row['deployment_id'], row['result'], row['rollback_of'], row['sha']])).toEqual(audit.map((entry: any) => [String(entry.deploymentId), entry.result, entry.rollbackOf === null ? '' : String(entry.rollbackOf), entry.sha]));
    expect(rows.map((row) => row['version'])).toEqual(['v2', 'v1', "'=1+2", 'v4']);
    expect(rows[0]?.['approvals']).toBe('lead-bo: approved (=HYPERLINK("http://x"))');
  });

  test('C: two services, a merged branch, failures before traffic, another tool, the trend', async () => {
    const records = new Records(github);
    const m1 = records.commit('b1', T0 - 3 * DAY);
    const m2 = records.commit('b2', T0 - 2 * DAY, [m1]);
    const f1 = records.commit('f1', T0 + HOUR, [m2]);
    const f2 = records.commit('f2', T0 + 2 * HOUR, [f1]);
    const m3 = records.commit('b3', T0 + 3 * HOUR, [m2]);
    const m4 = records.commit('b4', T0 + 4 * HOUR, [m3, f2]);
    // app (no service field: the default service, named like the repository). F1 in the previous
    // window is app's first success: no previous one, so no lead time there.
    records.deploy({ sha: m2, at: T0 - 2 * DAY + HOUR, version: 'v1' }, [['success', 'v1 live on blue', T0 - 2 * DAY + 70 * MINUTE]]);
    // F2 ships the merge: m4, m3 and the branch's f2, f1 (not m2, F1's). Success at T0+315m: lead
    // times 315-240 = 75m, 135m, 195m, 255m = 4500, 8100, 11700, 15300s: median (8100+11700)/2 = 9900, p90 15300.
    records.deploy({ sha: m4, at: T0 + 5 * HOUR, version: 'v2' }, [['success', 'v2 live on green', T0 + 315 * MINUTE]]);
    // F3 fails its health check before any traffic; F4 is abandoned: neither went live, so neither counts in the failure rate.
    records.deploy({ sha: m4, at: T0 + 6 * HOUR, version: 'v3' }, [['in_progress', 'starting v3 on blue', T0 + 6 * HOUR + MINUTE], ['failure', 'v3 on blue failed; traffic untouched (green 100%)', T0 + 6 * HOUR + 2 * MINUTE]]);
    records.deploy({ sha: m4, at: T0 + 7 * HOUR, version: 'v4' }, [['in_progress', 'starting v4 on blue', T0 + 7 * HOUR + MINUTE], ['error', 'abandoned: no status for 30m', T0 + 8 * HOUR]]);
    // GitHub's own record of a job's environment: not ours, not counted.
    records.deploy({ sha: m4, at: T0 + 5 * HOUR, version: '', foreign: true }, [['success', '', T0 + 5 * HOUR + MINUTE]]);
    // web: G1 (previous window, first), G2 ships m3 and m2 (not m1): success T0+220m, lead 40m =
    // 2400s and 220m + 2d = 3100m = 186000s: median 94200, p90 186000.
    records.deploy({ service: 'web', sha: m1, at: T0 - DAY, version: 'w1' }, [['success', 'w1 live on blue', T0 - DAY + 2 * MINUTE]]);
    records.deploy({ service: 'web', sha: m3, at: T0 + 210 * MINUTE, version: 'w2' }, [['success', 'w2 live on green', T0 + 220 * MINUTE]]);

    const { main, metrics } = await dora({ environments: 'production', ...WEEK });
    expect(main.exitCode, main.log).toBe(0);
    const [app, web] = metrics.groups;
    expect(app).toMatchObject({ environment: 'production', service: 'app' });
    expect(app.current).toMatchObject({ deployments: 1, leadTime: { count: 4, median: 9900, p90: 15300 }, changeFailure: { live: 1, failed: 0, rate: 0 } });
    expect(app.previous).toMatchObject({ deployments: 1, leadTime: { count: 0, median: null, withoutPrevious: 1 } });
    // The same frequency both weeks; no lead time the week before to compare with.
    expect(app.trends).toEqual({ deploymentFrequency: 'same', leadTime: null, changeFailureRate: 'same', timeToRestore: null });
    expect(web.current).toMatchObject({ deployments: 1, leadTime: { count: 2, median: 94200, p90: 186000 } });
    expect(main.summary).toContain('1 records by other tools not counted');
    const ours = bothWindows(metrics);
    const sql = oracleBoth(['production'], T0, T0 + 7 * DAY);
    expect(ours.current).toEqual(sql.current);
    expect(ours.previous).toEqual(sql.previous);
  });
});

describe('what a user sees', () => {
  test('the summary: the four keys, charts mermaid parses, the audit trail; outputs and files', async () => {
    const history = generateHistory(github, { ...DEFAULT_SHAPE, seed: 6, days: 40 });
    const { main, outputDir } = await dora({ environments: 'staging, production', window: '14d', until: iso(history.end) });
    expect(main.exitCode, main.log).toBe(0);
    expect(main.summary).toContain('| Environment | Service | Deployment frequency | Lead time (median / p90) | Change failure rate | Time to restore (median / p90) |');
    expect(main.summary).toContain("Levels: DORA's 2023 Accelerate State of DevOps Report");
    expect(main.summary).toMatch(/<summary>Audit trail: \d+ deployments in the window<\/summary>/);
    const charts = main.summary.match(/```mermaid/g) ?? [];
    expect(charts).toHaveLength(4); // per week for staging and production, lead times, failures
    expect(await mermaidProblems(main.summary)).toEqual([]);
    expect(readdirSync(outputDir).sort()).toEqual(['audit.csv', 'audit.json', 'dora.om.txt', 'metrics.json']);
    expect(main.outputs['audit-csv']).toBe(join(outputDir, 'audit.csv'));
    expect(main.outputs['report']).toMatch(/^\*\*DORA metrics for acme\/app\*\*, \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d\n- staging\/api: /);
    expect(readFileSync(join(outputDir, 'dora.om.txt'), 'utf8')).toMatch(/\n# EOF\n$/);
    rmSync(outputDir, { recursive: true, force: true });
  });

  test('calls: a handful of GraphQL queries per 1,000 deployments, counted the same by the action and the double', async () => {
    const history = generateHistory(github, { ...DEFAULT_SHAPE, seed: 7, days: 120, runsPerDay: 4 });
    const { main } = await dora({ environments: 'staging, production', window: '60d', until: iso(history.end) });
    expect(main.exitCode, main.log).toBe(0);
    const calls = github.calls();
    expect(Number(main.outputs['api-calls'])).toBe(calls.length);
    expect(history.deployments).toBeGreaterThan(900);
    // Deployments 100 a page both windows, commits 50 pages of history a query, runs 100 commits a query.
    expect(calls.length).toBeLessThanOrEqual(40);
    expect(github.graphql.points).toBeLessThan(250);
  });
});

describe('bad input: exit 1 naming the input, nothing written', () => {
  async function refused(inputs: Record<string, string>, token?: string): Promise<StepResult> {
    const { main, outputDir } = await dora(inputs, token);
    expect(main.exitCode).toBe(1);
    expect(main.log).not.toMatch(/\n\s+at /); // no stack trace
    expect(readdirSync(outputDir)).toEqual([]);
    rmSync(outputDir, { recursive: true, force: true });
    return main;
  }

  test('an environment the repository does not have', async () => {
    github.seedDeployment({ environment: 'production', payload: { deployActions: 1, version: 'v1' }, states: ['success'] });
    const main = await refused({ environments: 'production, prodution' });
    expect(main.errors[0]?.message).toBe('dora-metrics: input "environments": "prodution" is not an environment of acme/app; its environments: production');
  });

  test('a window that parses to nothing', async () => {
    for (const window of ['30 days', '0d', 'abc']) {
      const main = await refused({ window });
      expect(main.errors[0]?.message).toBe(`dora-metrics: input "window": "${window}" is not accepted; expected a length such as 7d, 30d, 12w or 48h (hours, days or weeks), more than zero`);
    }
    const both = await refused({ window: '7d', since: '2026-11-01' });
    expect(both.errors[0]?.message).toBe('dora-metrics: input "window": give either window or since (with until), not both');
    const backwards = await refused({ since: '2026-11-08', until: '2026-11-01' });
    expect(backwards.errors[0]?.message).toMatch(/^dora-metrics: input "since": "2026-11-08" is not before until/);
    expect(github.calls()).toEqual([]);
  });

  test('a token without the permissions it needs', async () => {
    github.git.add({ oid: 'a'.repeat(40), committedDate: iso(Date.now() - DAY) });
    github.seedDeployment({ environment: 'production', payload: { deployActions: 1, version: 'v1', runId: 42, sha: 'a'.repeat(40) }, states: ['success'] });
    github.grant('ghs_contentsOnly', { contents: 'read', actions: 'read' });
    const main = await refused({ environments: 'production' }, 'ghs_contentsOnly');
    expect(main.errors[0]?.message).toBe(
      'dora-metrics: input "github-token": the token may not read deployments: GitHub answered FORBIDDEN (Resource not accessible by integration) at repository.deployments; grant "deployments: read" under the job\'s permissions: (dora-metrics needs contents, deployments, actions and checks: read)',
    );
    github.grant('ghs_noChecks', { contents: 'read', actions: 'read', deployments: 'read' });
    const noChecks = await refused({ environments: 'production' }, 'ghs_noChecks');
    expect(noChecks.errors[0]?.message).toMatch(/^dora-metrics: input "github-token": the token may not read check suites .*grant "checks: read"/);
  });
});
