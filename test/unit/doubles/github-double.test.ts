import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DEFAULT_TOKEN, GitHubDouble } from '../../doubles/github/server.ts';

/** The double's refusals are what make every other test meaningful, so they are tested with raw HTTP. */

let github: GitHubDouble;
beforeEach(async () => {
  github = await new GitHubDouble().start();
});
afterEach(() => github.stop());

async function call(method: string, path: string, body?: unknown, token = DEFAULT_TOKEN) {
  const response = await fetch(`${github.url}${path}`, {
    method,
    headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

describe('what GitHub does not define is refused and recorded', () => {
  test('an unknown path', async () => {
    const response = await call('GET', '/repos/acme/app/deploymentz');
    expect(response.status).toBe(404);
    expect(github.violations).toEqual(["GET /repos/acme/app/deploymentz: path not defined in GitHub's OpenAPI description"]);
  });

  test('a method the path does not have', async () => {
    const response = await call('PATCH', '/repos/acme/app/deployments/1', {});
    expect(response.status).toBe(404);
    expect(github.violations[0]).toContain('method not defined for this path');
  });

  test('an operation GitHub has but the double does not implement is a failure too', async () => {
    await call('GET', '/repos/acme/app/branches');
    expect(github.violations[0]).toContain('repos/list-branches exists on GitHub but the double does not implement it');
  });
});

describe('bodies are checked against the operation schema (422 validation_failed)', () => {
  test('a missing required field', async () => {
    const response = await call('POST', '/repos/acme/app/deployments', { environment: 'production' });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ message: 'Validation Failed', errors: [{ field: 'ref', code: 'missing_field' }] });
    expect(github.rejected).toHaveLength(1);
  });

  test('a wrong type', async () => {
    const response = await call('POST', '/repos/acme/app/deployments', { ref: 'main', auto_merge: 'no' });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'auto_merge', code: 'invalid' })]);
  });

  test('a value outside an enum', async () => {
    const created = await call('POST', '/repos/acme/app/deployments', { ref: 'main', required_contexts: [] });
    const response = await call('POST', `/repos/acme/app/deployments/${created.body.id}/statuses`, { state: 'done' });
    expect(response.status).toBe(422);
    expect(response.body.errors[0]).toMatchObject({ field: 'state', code: 'invalid' });
  });

  test('GitHub’s own limits: 140-character status descriptions, 65,536-character comments', async () => {
    const created = await call('POST', '/repos/acme/app/deployments', { ref: 'main', required_contexts: [] });
    const status = await call('POST', `/repos/acme/app/deployments/${created.body.id}/statuses`, { state: 'success', description: 'x'.repeat(141) });
    expect(status.status).toBe(422);
    github.addPullRequest({ number: 3, headSha: 'b'.repeat(40) });
    const comment = await call('POST', '/repos/acme/app/issues/3/comments', { body: 'x'.repeat(65_537) });
    expect(comment.status).toBe(422);
  });
});

describe('GitHub semantics the suite depends on', () => {
  test('auth and permissions', async () => {
    expect((await call('GET', '/repos/acme/app/deployments', undefined, 'nope')).status).toBe(401);
    github.grant('ghs_contents', { contents: 'read' });
    const refused = await call('POST', '/repos/acme/app/deployments', { ref: 'main' }, 'ghs_contents');
    expect(refused).toMatchObject({ status: 403, body: { message: 'Resource not accessible by integration' } });
  });

  test('without required_contexts a red commit status blocks the deployment (409)', async () => {
    await call('POST', `/repos/acme/app/statuses/${'a'.repeat(40)}`, { state: 'failure', context: 'ci' });
    expect((await call('POST', '/repos/acme/app/deployments', { ref: 'main' })).status).toBe(409);
    expect((await call('POST', '/repos/acme/app/deployments', { ref: 'main', required_contexts: [] })).status).toBe(201);
  });

  test('auto_inactive touches earlier successful non-production deployments only', async () => {
    const staging1 = await call('POST', '/repos/acme/app/deployments', { ref: 'main', environment: 'staging', required_contexts: [] });
    await call('POST', `/repos/acme/app/deployments/${staging1.body.id}/statuses`, { state: 'success' });
    const prod1 = await call('POST', '/repos/acme/app/deployments', { ref: 'main', environment: 'production', required_contexts: [] });
    await call('POST', `/repos/acme/app/deployments/${prod1.body.id}/statuses`, { state: 'success' });
    const staging2 = await call('POST', '/repos/acme/app/deployments', { ref: 'main', environment: 'staging', required_contexts: [] });
    await call('POST', `/repos/acme/app/deployments/${staging2.body.id}/statuses`, { state: 'success' });
    const prod2 = await call('POST', '/repos/acme/app/deployments', { ref: 'main', environment: 'production', required_contexts: [] });
    await call('POST', `/repos/acme/app/deployments/${prod2.body.id}/statuses`, { state: 'success' });
    const latest = async (id: number) => (await call('GET', `/repos/acme/app/deployments/${id}/statuses`)).body[0].state;
    expect(await latest(staging1.body.id)).toBe('inactive');
    expect(await latest(prod1.body.id)).toBe('success');
  });

  test('pagination with Link headers, newest deployment first', async () => {
    for (let index = 0; index < 5; index++) github.seedDeployment({ environment: 'production' });
    const first = await call('GET', '/repos/acme/app/deployments?per_page=2');
    expect(first.body.map((deployment: { id: number }) => deployment.id)).toEqual([...github.deployments].reverse().slice(0, 2).map((deployment) => deployment.id));
    expect(first.headers.get('link')).toContain('rel="next"');
    const last = await call('GET', '/repos/acme/app/deployments?per_page=2&page=3');
    expect(last.body).toHaveLength(1);
    expect(last.headers.get('link')).not.toContain('rel="next"');
  });

  test('every response the double sends matches GitHub’s response schema', async () => {
    github.addPullRequest({ number: 5, headSha: 'c'.repeat(40) });
    const created = await call('POST', '/repos/acme/app/deployments', { ref: 'main', required_contexts: [], payload: { a: 1 } });
    await call('POST', `/repos/acme/app/deployments/${created.body.id}/statuses`, { state: 'in_progress', log_url: 'https://x' });
    await call('GET', `/repos/acme/app/deployments/${created.body.id}`);
    await call('GET', `/repos/acme/app/deployments/${created.body.id}/statuses`);
    const comment = await call('POST', '/repos/acme/app/issues/5/comments', { body: 'hi' });
    await call('PATCH', `/repos/acme/app/issues/comments/${comment.body.id}`, { body: 'edited' });
    await call('GET', '/repos/acme/app/issues/5/comments');
    await call('GET', `/repos/acme/app/commits/${'c'.repeat(40)}/pulls`);
    await call('GET', '/repos/acme/app/pulls/5');
    await call('GET', `/repos/acme/app/commits/${'a'.repeat(40)}`);
    await call('POST', '/repos/acme/app/check-runs', { name: 'scan', head_sha: 'a'.repeat(40) });
    await call('GET', '/repos/acme/app');
    expect(github.violations).toEqual([]);
  });
});
