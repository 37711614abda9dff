import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  buildPayload,
  deploymentStateFor,
  DeploymentRecords,
  isGood,
  lockVerdict,
  readPayload,
  statusDescription,
  type DeploymentRecord,
  type StatusRecord,
} from '../../../shared/deployments.ts';
import { UserError } from '../../../shared/errors.ts';
import { createGitHubClient } from '../../../shared/github.ts';
import { DEFAULT_TOKEN, GitHubDouble } from '../../doubles/github/server.ts';

const context = { owner: 'acme', repo: 'app', runId: 42, runAttempt: 1, sha: 'a'.repeat(40) };
const states = (...list: string[]) => list.map((state) => ({ state }) as Pick<StatusRecord, 'state'>);

describe('the record model, pure', () => {
  test.each([
    [['success'], true],
    [['inactive', 'success'], true],
    [['inactive', 'success', 'in_progress'], true],
    [['failure', 'success'], false],
    [['error', 'inactive', 'success'], false],
    [['in_progress', 'queued'], false],
    [[], false],
  ])('newest first %j is good: %s', (history, good) => expect(isGood(states(...history))).toBe(good));

  test('payload: versioned, read back from object or string, foreign ones ignored', () => {
    const payload = buildPayload(context, { version: '1.4.0', strategy: 'bluegreen', color: 'green', router: 'haproxy' });
    expect(payload).toEqual({
      deployActions: 1, version: '1.4.0', artifact: null, color: 'green', previousColor: null, strategy: 'bluegreen',
      router: 'haproxy', previousDeploymentId: null, rollbackOf: null, runId: 42, runAttempt: 1, sha: context.sha,
    });
    expect(readPayload(JSON.stringify(payload))).toEqual(payload);
    expect(readPayload({ deploy: 'migrate' })).toBeUndefined();
    expect(readPayload('not json')).toBeUndefined();
  });

  test('descriptions fit GitHub’s 140 characters', () => {
    expect(statusDescription('x'.repeat(200))).toHaveLength(140);
    expect(statusDescription('  two\n lines ')).toBe('two lines');
  });

  test.each([
    ['queued', undefined, 'queued', 'queued'],
    ['in_progress', undefined, 'in_progress', 'in progress'],
    ['success', undefined, 'success', 'success'],
    ['failure', undefined, 'failure', 'failure'],
    ['cancelled', undefined, 'error', 'cancelled'],
    ['rolled_back', 'v1.2.2', 'failure', 'rolled back to v1.2.2'],
  ] as const)('notify %s → %s', (status, to, state, description) => {
    expect(deploymentStateFor(status, to)).toEqual({ state, description });
  });

  test('lock verdicts', () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    const deployment = (runId: number): DeploymentRecord => ({
      id: 1, environment: 'production', sha: 'x', ref: 'main', createdAt: '2026-11-22T11:00:00Z',
      payload: { ...buildPayload({ ...context, runId }, { version: 'v', strategy: 'bluegreen' }) },
    });
    const status = (state: StatusRecord['state'], minutesAgo: number): StatusRecord => ({
      id: 2, state, description: '', environmentUrl: '', logUrl: 'https://github.com/acme/app/actions/runs/7', createdAt: new Date(now - minutesAgo * 60_000).toISOString(),
    });
    const thirty = 30 * 60_000;
    expect(lockVerdict(deployment(7), status('in_progress', 5), 42, now, thirty).kind).toBe('held');
    expect(lockVerdict(deployment(7), status('queued', 29), 42, now, thirty).kind).toBe('held');
    expect(lockVerdict(deployment(7), status('in_progress', 31), 42, now, thirty).kind).toBe('abandoned');
    expect(lockVerdict(deployment(42), status('in_progress', 1), 42, now, thirty).kind).toBe('free');
    expect(lockVerdict(deployment(7), status('success', 1), 42, now, thirty).kind).toBe('free');
    // No status yet: pending since creation (an hour ago here).
    expect(lockVerdict(deployment(7), undefined, 42, now, thirty).kind).toBe('abandoned');
  });
});

describe('the record model against the GitHub double', () => {
  let github: GitHubDouble;
  let records: DeploymentRecords;
  beforeEach(async () => {
    github = await new GitHubDouble().start();
    records = new DeploymentRecords(createGitHubClient(DEFAULT_TOKEN, { apiUrl: github.apiUrl }), context);
  });
  afterEach(async () => {
    await github.stop();
    expect(github.violations).toEqual([]);
    expect(github.rejected).toEqual([]);
  });

  const create = (environment: string, runId = 42, version = 'v1') =>
    records.create(context.sha, { environment, payload: buildPayload({ ...context, runId }, { version, strategy: 'bluegreen' }) });

  test('create sends auto_merge false, required_contexts [] and the payload', async () => {
    github.commitStatuses.push({ id: 1, sha: context.sha, state: 'failure', context: 'lint', description: '', targetUrl: '', createdAt: '' });
    const created = await create('prod');
    const body = github.requests[0]?.body as Record<string, unknown>;
    expect(body['auto_merge']).toBe(false);
    expect(body['required_contexts']).toEqual([]);
    expect(body['production_environment']).toBe(true);
    expect(created.payload?.version).toBe('v1');
    expect(github.deployments[0]?.payload).toEqual(created.payload);
  });

  test('the last good deployment reads status history, not the latest status', async () => {
    const good = await create('staging', 1, 'v1');
    await records.addStatus(good.id, { state: 'success', description: 'ok' });
    const next = await create('staging', 2, 'v2');
    await records.addStatus(next.id, { state: 'success', description: 'ok' });
    // auto_inactive (staging is not production) made v1 inactive: it is still good.
    expect((await records.statuses(good.id)).map((status) => status.state)).toEqual(['inactive', 'success']);
    await records.addStatus(next.id, { state: 'failure', description: 'broke later' });
    const current = await create('staging', 3, 'v3');
    const found = await records.findLastGood('staging', { excludeId: current.id });
    expect(found.deployment?.payload?.version).toBe('v1');
    expect(found).toMatchObject({ examined: 2, capped: false });
  });

  test('pages through history and says when the cap stopped it', async () => {
    // Seeded directly: through the API the client would space 210 writes a second apart.
    const oldest = github.seedDeployment({ environment: 'production', payload: buildPayload({ ...context, runId: 1 }, { version: 'v0', strategy: 'bluegreen' }), states: ['success'] });
    for (let index = 0; index < 104; index++) {
      github.seedDeployment({ environment: 'production', payload: buildPayload({ ...context, runId: 100 + index }, { version: `bad${index}`, strategy: 'bluegreen' }), states: ['in_progress', 'failure'] });
    }
    const far = await records.findLastGood('production', { maxDeployments: 200 });
    expect(far).toMatchObject({ examined: 105, capped: false });
    expect(far.deployment?.id).toBe(oldest.id);
    expect(github.requests.some((request) => request.query.get('page') === '2')).toBe(true);
    const capped = await records.findLastGood('production', { maxDeployments: 10 });
    expect(capped).toEqual({ deployment: undefined, examined: 10, capped: true });
  });

  test('the environment lock: held by another run, abandoned after the timeout, free for our own run', async () => {
    const other = await create('production', 7);
    await records.addStatus(other.id, { state: 'in_progress', description: 'deploying', logUrl: 'https://github.com/acme/app/actions/runs/7' });
    const error = await records.acquireLock('production', 42, { timeoutMs: 30 * 60_000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toContain('https://github.com/acme/app/actions/runs/7');
    expect(await records.acquireLock('production', 7, { timeoutMs: 30 * 60_000 })).toEqual([]);

    const abandoned = await records.acquireLock('production', 42, { timeoutMs: 30 * 60_000, now: Date.now() + 31 * 60_000 });
    expect(abandoned.map((deployment) => deployment.id)).toEqual([other.id]);
    const [latest] = await records.statuses(other.id);
    expect(latest).toMatchObject({ state: 'error', description: 'abandoned: no status for 30m' });
    expect(await records.acquireLock('production', 42, { timeoutMs: 30 * 60_000 })).toEqual([]);
  });
});
