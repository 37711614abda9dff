import { describe, expect, test } from 'vitest';
import { csvCell } from '../../../actions/dora-metrics/src/audit.ts';
import { chooseReads, commitsBetween, type CommitStore, type StoredCommit } from '../../../actions/dora-metrics/src/commits.ts';
import { parseInstant, parseWindow, readConfig } from '../../../actions/dora-metrics/src/inputs.ts';
import { failureRateLevel, frequencyLevel, leadTimeLevel, restoreLevel, trendsOf } from '../../../actions/dora-metrics/src/levels.ts';
import { computeKeys, spread } from '../../../actions/dora-metrics/src/metrics.ts';
import { orderStatuses, readDeployment, statusShares, type DeploymentNode } from '../../../actions/dora-metrics/src/records.ts';
import { seconds } from '../../../actions/dora-metrics/src/render.ts';
import { inputsFromRecord } from '../../../shared/inputs.ts';

/** dora-metrics' pure core, called directly: the rules the integration tests then check end to end. */

const status = (state: string, description: string) => ({ state: state as 'success', description });

describe('traffic shares from the status descriptions', () => {
  test('success is 100%, "takes N%" and "canary N%:" are N, the rest none', () => {
    expect(statusShares([status('in_progress', 'starting v2 on green'), status('in_progress', 'canary: v2 on green takes 10%'), status('in_progress', 'canary 10%: pass, score 97.5'), status('success', 'v2 live on green')])).toEqual([0, 10, 10, 100]);
  });

  test('"shifting N%" counts only when a later status says the traffic went back', () => {
    const failedAfterSwitch = [status('in_progress', 'green healthy: shifting 100% of traffic'), status('failure', 'v3 on green failed; traffic back on blue 100% / green 0%')];
    expect(statusShares(failedAfterSwitch)).toEqual([100, 0]);
    const switchFailed = [status('in_progress', 'green healthy: shifting 100% of traffic'), status('failure', 'v3 on green failed; traffic untouched (blue 100% / green 0%)')];
    expect(statusShares(switchFailed)).toEqual([0, 0]);
  });

  test('statuses oldest first whichever end GraphQL lists first', () => {
    const nodes = [{ id: 'b', state: 'SUCCESS', description: '', createdAt: '2026-11-01T00:00:02Z' }, { id: 'a', state: 'IN_PROGRESS', description: '', createdAt: '2026-11-01T00:00:01Z' }];
    expect(orderStatuses(nodes, 'b').map((node) => node.id)).toEqual(['a', 'b']);
    expect(orderStatuses([...nodes].reverse(), 'b').map((node) => node.id)).toEqual(['a', 'b']);
  });

  test('a record another tool made is not ours; a missing service is the default one', () => {
    const node: DeploymentNode = { id: 'DE_1', databaseId: 1, createdAt: '2026-11-01T00:00:00Z', environment: 'production', commitOid: 'a'.repeat(40), payload: '{}', creator: { login: 'github-actions' }, latestStatus: null, statuses: null };
    expect(readDeployment(node, [], 'app')).toBeUndefined();
    const ours = readDeployment({ ...node, payload: JSON.stringify({ deployActions: 1, version: 'v1', runId: 3, sha: 'b'.repeat(40) }) }, [], 'app');
    expect(ours).toMatchObject({ service: 'app', version: 'v1', runSha: 'b'.repeat(40), finalState: 'pending', wentLiveAt: undefined, artifactDigest: null });
  });
});

describe('the commits a deployment shipped: previous..own', () => {
  const store: CommitStore = new Map();
  const add = (oid: string, minute: number, parents: string[] = []) => store.set(oid, { oid, committedAt: minute * 60_000, parents } satisfies StoredCommit);
  // a - b - c - m - e        (m merges the branch x - y made from b)
  //      \ x - y /
  add('a', 0);
  add('b', 1, ['a']);
  add('x', 2, ['b']);
  add('c', 3, ['b']);
  add('y', 4, ['x']);
  add('m', 5, ['c', 'y']);
  add('e', 6, ['m']);
  const oids = (result: ReturnType<typeof commitsBetween>) => (result.kind === 'done' ? result.commits.map((commit) => commit.oid) : result);

  test('a linear range, a merge with its branch, nothing for the same commit, nothing for an older one', () => {
    expect(oids(commitsBetween(store, 'c', 'a', 0))).toEqual(['c', 'b']);
    expect(oids(commitsBetween(store, 'e', 'c', 0))).toEqual(['e', 'm', 'y', 'x']);
    expect(oids(commitsBetween(store, 'e', 'e', 0))).toEqual([]);
    expect(oids(commitsBetween(store, 'b', 'm', 0))).toEqual([]);
  });

  test('what the store lacks is asked for: the deployment side deep, the previous one shallow', () => {
    expect(commitsBetween(store, 'z', 'a', 9)).toEqual({ kind: 'missing', missing: [{ oid: 'z', deep: true, near: 9 }] });
    expect(commitsBetween(store, 'e', 'q', 9)).toEqual({ kind: 'missing', missing: [{ oid: 'q', deep: false, near: 9 }] });
  });

  test('reads are spread along the history once its density is known, shallow ones wait', () => {
    // Ten heads a minute apart; a page of 100 commits at 25 commits a minute covers 4 minutes.
    const missing = Array.from({ length: 10 }, (_, index) => ({ oid: `d${index}`, deep: true, near: (100 - index) * 60_000 }));
    const options = { maxReads: 50, perPage: 100, commitsPerMs: 25 / 60_000 };
    expect(chooseReads([...missing, { oid: 's', deep: false, near: 5 }], { ...options, commitsPerMs: undefined }).map((read) => read.oid)).toEqual(['d0']);
    expect(chooseReads(missing, options).map((read) => read.oid)).toEqual(['d0', 'd4', 'd8']);
    expect(chooseReads(missing, { ...options, maxReads: 2 }).map((read) => read.oid)).toEqual(['d0', 'd4']);
    expect(chooseReads([{ oid: 's', deep: false, near: 5 }], options).map((read) => read.oid)).toEqual(['s']);
  });
});

describe('the keys', () => {
  test('median is the mean of the middle two, p90 the nearest rank', () => {
    expect(spread([])).toEqual({ count: 0, median: null, p90: null });
    expect(spread([5])).toEqual({ count: 1, median: 5, p90: 5 });
    expect(spread([4, 1, 3, 2])).toEqual({ count: 4, median: 2.5, p90: 4 });
    expect(spread([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual({ count: 10, median: 5.5, p90: 9 });
    expect(spread([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).toEqual({ count: 11, median: 6, p90: 10 });
  });

  test('a failure is restored by the first later success of another deployment, not its own', () => {
    const base = { nodeId: '', environment: 'production', service: 'app', version: '', artifact: null, artifactDigest: null, sha: 's', runSha: 's', creator: '', runId: 0, runAttempt: 1, strategy: 'bluegreen', statuses: [], canaryVerdicts: [] };
    const bad = { ...base, id: 2, createdAt: 100_000, rollbackOf: null, wentLiveAt: 110_000, maxShare: 100, successAt: 110_000, finalState: 'failure' as const };
    const next = { ...base, id: 3, createdAt: 200_000, rollbackOf: null, wentLiveAt: 230_000, maxShare: 100, successAt: 230_000, finalState: 'success' as const };
    const keys = computeKeys([bad, next], [bad, next], new Map(), new Set(), { since: 0, until: 1_000_000 });
    expect(keys.timeToRestore).toEqual({ count: 1, median: 120, p90: 120, unrestored: 0 });
    expect(keys.changeFailure).toEqual({ live: 2, failed: 1, rate: 0.5, canaryCaught: 0, escaped: 1 });
    const alone = computeKeys([bad], [bad], new Map(), new Set(), { since: 0, until: 1_000_000 });
    expect(alone.timeToRestore).toMatchObject({ count: 0, unrestored: 1 });
    // Failed at 50%: it never passed 50%, so the canary caught it.
    const atHalf = computeKeys([{ ...bad, maxShare: 50 }, next], [bad, next], new Map(), new Set(), { since: 0, until: 1_000_000 });
    expect(atHalf.changeFailure).toMatchObject({ canaryCaught: 1, escaped: 0 });
  });

  test('levels at their boundaries (2023 clusters as bands)', () => {
    expect([1, 0.99, 1 / 7, 1 / 7 - 1e-9, 1 / 30, 0].map(frequencyLevel)).toEqual(['elite', 'high', 'high', 'medium', 'medium', 'low']);
    expect([86_399, 86_400, 604_799, 604_800, 2_591_999, 2_592_000].map(leadTimeLevel)).toEqual(['elite', 'high', 'high', 'medium', 'medium', 'low']);
    expect([0.05, 0.0501, 0.1, 0.15, 0.1501].map(failureRateLevel)).toEqual(['elite', 'high', 'high', 'medium', 'low']);
    expect([3599, 3600, 86_399, 86_400, 604_799, 604_800].map(restoreLevel)).toEqual(['elite', 'high', 'high', 'medium', 'medium', 'low']);
  });

  test('the trend: more deployments and shorter times are better', () => {
    const keys = (perDay: number, lead: number | null, rate: number | null, restore: number | null) =>
      ({ deployments: perDay > 0 ? 1 : 0, perDay, leadTime: { median: lead }, changeFailure: { rate }, timeToRestore: { median: restore } }) as unknown as Parameters<typeof trendsOf>[0];
    expect(trendsOf(keys(2, 100, 0.1, 50), keys(1, 200, 0.2, null))).toEqual({ deploymentFrequency: 'better', leadTime: 'better', changeFailureRate: 'better', timeToRestore: null });
    expect(trendsOf(keys(1, 300, 0.3, 60), keys(2, 200, 0.3, 50))).toEqual({ deploymentFrequency: 'worse', leadTime: 'worse', changeFailureRate: 'same', timeToRestore: 'worse' });
  });
});

describe('inputs and text', () => {
  test('windows and instants', () => {
    expect(parseWindow('30d')).toBe(30 * 86_400_000);
    expect(parseWindow('12w')).toBe(84 * 86_400_000);
    expect(parseWindow('48H')).toBe(48 * 3_600_000);
    expect(['', '0d', '30 days', '1y', '-3d', '3.5d'].map(parseWindow)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
    expect(parseInstant('2026-11-01')).toBe(Date.UTC(2026, 10, 1));
    expect(parseInstant('2026-11-01T09:30:00+02:00')).toBe(Date.UTC(2026, 10, 1, 7, 30));
    expect(parseInstant('2026-11-01T09:30')).toBe(Date.UTC(2026, 10, 1, 9, 30));
    expect(parseInstant('yesterday')).toBeUndefined();
  });

  test('the window ends at until (or now) and the previous one is as long', () => {
    const now = Date.UTC(2026, 11, 1);
    const { config } = readConfig(inputsFromRecord({ environments: 'production', 'github-token': 't', window: '7d' }), {}, now);
    expect(config).toMatchObject({ environments: ['production'], window: { since: now - 7 * 86_400_000, until: now }, previous: { since: now - 14 * 86_400_000, until: now - 7 * 86_400_000 } });
  });

  test('CSV cells: quoted when needed, formulas defused', () => {
    expect(['plain', 'a,b', 'say "hi"', '=1+2', '+cmd', '@SUM(A1)', '-1', null, -1].map((cell) => csvCell(cell))).toEqual(['plain', '"a,b"', '"say ""hi"""', "'=1+2", "'+cmd", "'@SUM(A1)", "'-1", '', '-1']);
  });

  test('durations for reading', () => {
    expect([null, 35, 3454, 3600, 47_869, 86_400, 210_383, -90].map(seconds)).toEqual(['–', '35s', '57m34s', '1h', '13h18m', '1d', '2d10h', '-1m30s']);
  });
});
