import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { UserError } from '../../../shared/errors.ts';
import { createGitHubClient, explainGitHubError, permissionFor } from '../../../shared/github.ts';
import { DEFAULT_TOKEN, GitHubDouble } from '../../doubles/github/server.ts';

let github: GitHubDouble;
beforeEach(async () => {
  github = await new GitHubDouble().start();
});
afterEach(async () => {
  await github.stop();
  expect(github.violations).toEqual([]);
});

const where = { owner: 'acme', repo: 'app' };

describe('retries and throttling', () => {
  test('a 502 is retried', async () => {
    github.serverError({ status: 502, path: '/repos/acme/app' });
    const client = createGitHubClient(DEFAULT_TOKEN, { apiUrl: github.apiUrl });
    const response = await client.rest.repos.get(where);
    expect(response.status).toBe(200);
    expect(github.calls()).toEqual(['GET /repos/acme/app', 'GET /repos/acme/app']);
  });

  test.each([403, 429] as const)('a secondary rate limit (%d) is waited out as Retry-After says', async (status) => {
    github.secondaryRateLimit({ status, retryAfterSeconds: 1, path: '/deployments' });
    const client = createGitHubClient(DEFAULT_TOKEN, { apiUrl: github.apiUrl });
    const started = Date.now();
    const response = await client.rest.repos.listDeployments(where);
    expect(response.status).toBe(200);
    expect(github.requests.filter((request) => request.path.endsWith('/deployments'))).toHaveLength(2);
    // Behaviour, not speed: the retry must not come before the second GitHub asked for.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  test('a limit asking for longer than we may wait is given up', async () => {
    github.secondaryRateLimit({ retryAfterSeconds: 120, path: '/deployments' });
    const client = createGitHubClient(DEFAULT_TOKEN, { apiUrl: github.apiUrl, maxRateLimitWaitSeconds: 60 });
    const error = await client.rest.repos.listDeployments(where).catch((caught: unknown) => caught);
    expect((error as { status: number }).status).toBe(403);
    expect(github.requests).toHaveLength(1);
  });
});

test('GitHub Enterprise Server: the API base from GITHUB_API_URL, /api/v3 included', async () => {
  const ghes = await new GitHubDouble({ pathPrefix: '/api/v3' }).start();
  try {
    const client = createGitHubClient(DEFAULT_TOKEN, { apiUrl: ghes.apiUrl });
    await client.rest.repos.createDeployment({ ...where, ref: 'main', required_contexts: [], auto_merge: false });
    expect(ghes.calls()).toEqual(['POST /api/v3/repos/acme/app/deployments']);
    expect(ghes.violations).toEqual([]);
  } finally {
    await ghes.stop();
  }
});

describe('errors name the missing permission', () => {
  test('403 from a token without deployments: write', async () => {
    github.grant('ghs_readonly', { contents: 'read' });
    const client = createGitHubClient('ghs_readonly', { apiUrl: github.apiUrl });
    const error = await client.rest.repos.createDeployment({ ...where, ref: 'main' }).catch((caught: unknown) => caught);
    const explained = explainGitHubError(error, 'creating a deployment');
    expect(explained).toBeInstanceOf(UserError);
    expect(explained.message).toBe(
      'creating a deployment: GitHub answered 403 to POST /repos/acme/app/deployments (Resource not accessible by integration): ' +
        'the token is not allowed to do this; grant "deployments: write" under the job\'s permissions:',
    );
  });

  test('404 says it may be a permission GitHub hides', async () => {
    const client = createGitHubClient(DEFAULT_TOKEN, { apiUrl: github.apiUrl });
    const error = await client.rest.issues.createComment({ ...where, issue_number: 99, body: 'x' }).catch((caught: unknown) => caught);
    expect(explainGitHubError(error, 'commenting').message).toContain('it does not exist, or the token may not see it; grant "pull-requests: write"');
  });

  test('401 says the token is bad', async () => {
    const client = createGitHubClient('ghs_unknown', { apiUrl: github.apiUrl });
    const error = await client.rest.repos.get(where).catch((caught: unknown) => caught);
    expect(explainGitHubError(error, 'reading the repository').message).toContain('the token is invalid or expired');
  });

  test.each([
    ['POST', '/repos/a/b/deployments', 'deployments: write'],
    ['GET', '/repos/a/b/deployments?environment=x', 'deployments: read'],
    ['POST', '/repos/a/b/deployments/1/statuses', 'deployments: write'],
    ['PATCH', '/repos/a/b/issues/comments/5', 'pull-requests: write'],
    ['POST', '/repos/a/b/issues/5/comments', 'pull-requests: write'],
    ['GET', '/repos/a/b/commits/abc/pulls', 'pull-requests: read'],
    ['POST', '/repos/a/b/code-scanning/sarifs', 'security-events: write'],
    ['DELETE', '/repos/a/b/actions/caches/1', 'actions: write'],
    ['POST', '/repos/a/b/statuses/abc', 'statuses: write'],
    ['GET', '/repos/a/b/commits/abc', 'contents: read'],
  ])('%s %s needs %s', (method, path, permission) => expect(permissionFor(method, `https://api.github.com${path}`)).toBe(permission));
});
