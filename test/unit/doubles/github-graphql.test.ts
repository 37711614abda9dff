import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { queryCost } from '../../doubles/github/graphql.ts';
import { DEFAULT_TOKEN, GitHubDouble } from '../../doubles/github/server.ts';

/**
 * The GraphQL side of the GitHub double, through raw HTTP: what GitHub's published schema does not
 * allow is refused with an errors array (and recorded), GitHub's documented limits hold, and what
 * is allowed is executed over the double's records.
 */

let github: GitHubDouble;
beforeEach(async () => {
  github = await new GitHubDouble().start();
});
afterEach(() => github.stop());

async function graphql(query: string, variables: Record<string, unknown> = {}, token = DEFAULT_TOKEN) {
  const response = await fetch(`${github.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: any; errors?: Array<Record<string, any>> } };
}

const sha = (n: number) => n.toString(16).padStart(40, '0');

describe('refused as GitHub refuses, and recorded', () => {
  test('a field the schema does not have', async () => {
    const answer = await graphql('query { repository(owner: "acme", name: "app") { deployments(first: 1) { nodes { version } } } }');
    expect(answer.status).toBe(200);
    expect(answer.body.data).toBeUndefined();
    expect(answer.body.errors?.[0]?.message).toBe('Cannot query field "version" on type "Deployment".');
    expect(github.rejected).toHaveLength(1);
  });

  test('a wrong argument type and a missing required argument', async () => {
    const answer = await graphql('query { repository(owner: "acme") { deployments(first: "ten") { totalCount } } }');
    const messages = answer.body.errors?.map((error) => error.message);
    expect(messages).toContain('Field "repository" argument "name" of type "String!" is required, but it was not provided.');
    expect(messages?.some((message) => message.startsWith('Int cannot represent non-integer value: "ten"'))).toBe(true);
  });

  test('a syntax error', async () => {
    const answer = await graphql('query { repository(owner: "acme", name: "app") { ');
    expect(answer.body.errors?.[0]?.message).toMatch(/^Syntax Error/);
    expect(answer.body.errors?.[0]?.locations).toEqual([{ line: 1, column: 50 }]);
  });

  test('a connection without first or last, or with more than 100', async () => {
    const missing = await graphql('query { repository(owner: "acme", name: "app") { deployments { totalCount } } }');
    expect(missing.body.errors).toEqual([{ type: 'MISSING_PAGINATION_BOUNDARIES', message: 'You must provide a `first` or `last` value to properly paginate the `deployments` connection.' }]);
    const tooMany = await graphql('query($n: Int) { repository(owner: "acme", name: "app") { deployments(first: $n) { totalCount } } }', { n: 101 });
    expect(tooMany.body.errors).toEqual([{ type: 'EXCESSIVE_PAGINATION', message: 'Requesting 101 records on the `deployments` connection exceeds the `first` limit of 100 records.' }]);
  });

  test('more than 500,000 possible nodes', async () => {
    const answer = await graphql(
      'query { repository(owner: "acme", name: "app") { deployments(first: 100) { nodes { statuses(first: 100) { nodes { deployment { statuses(first: 100) { totalCount } } } } } } } }',
    );
    expect(answer.body.errors).toEqual([{ type: 'MAX_NODE_LIMIT_EXCEEDED', message: 'This query requests up to 1,010,100 possible nodes which exceeds the maximum limit of 500,000.' }]);
  });

  test('a token without the permission: the field is null and the error says FORBIDDEN', async () => {
    github.grant('ghs_noDeployments', { contents: 'read' });
    const answer = await graphql('query { repository(owner: "acme", name: "app") { name deployments(first: 1) { totalCount } } }', {}, 'ghs_noDeployments');
    expect(answer.body.data).toEqual({ repository: null });
    expect(answer.body.errors).toEqual([{ type: 'FORBIDDEN', message: 'Resource not accessible by integration', path: ['repository', 'deployments'], locations: [{ line: 1, column: 55 }] }]);
  });

  test('a bad token is 401, another repository NOT_FOUND', async () => {
    expect((await graphql('query { rateLimit { cost } }', {}, 'ghs_nobody')).status).toBe(401);
    const other = await graphql('query { repository(owner: "acme", name: "other") { name } }');
    expect(other.body.errors?.[0]).toMatchObject({ type: 'NOT_FOUND', message: "Could not resolve to a Repository with the name 'acme/other'." });
  });
});

describe("GitHub's points and node formula (the documentation's own examples)", () => {
  test('550 nodes and 22,060 nodes', () => {
    const simple = 'query { viewer { repositories(first: 50) { edges { repository:node { name issues(first: 10) { totalCount edges { node { title bodyHTML } } } } } } } }';
    expect(queryCost(simple).nodes).toBe(550);
    const complex =
      'query { viewer { repositories(first: 50) { edges { repository:node { name pullRequests(first: 20) { edges { pullRequest:node { title comments(first: 10) { edges { comment:node { bodyHTML } } } } } } issues(first: 20) { totalCount edges { issue:node { title bodyHTML comments(first: 10) { edges { comment:node { bodyHTML } } } } } } } } } followers(first: 10) { edges { follower:node { login } } } } }';
    expect(queryCost(complex).nodes).toBe(22_060);
  });

  test('5,101 requests are 51 points', () => {
    const query = 'query { viewer { login repositories(first: 100) { edges { node { id issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name } } } } } } } } } } }';
    expect(queryCost(query)).toMatchObject({ requests: 5101, points: 51 });
  });
});

describe('queries are executed over the double records', () => {
  test('deployments newest first with their statuses, page by page', async () => {
    for (let index = 0; index < 3; index++) {
      github.now = () => new Date(Date.UTC(2026, 11, 1, index));
      github.seedDeployment({ environment: index === 1 ? 'staging' : 'production', sha: sha(index + 1), payload: { deployActions: 1, version: `v${index}` }, states: ['in_progress', 'success'] });
    }
    const query = `query($after: String) { repository(owner: "acme", name: "app") {
      deployments(environments: ["production"], first: 1, after: $after, orderBy: { field: CREATED_AT, direction: DESC }) {
        pageInfo { hasNextPage endCursor }
        nodes { databaseId environment commitOid payload createdAt creator { __typename login } latestStatus { state } statuses(first: 5) { nodes { state createdAt } } }
      } } rateLimit { cost remaining } }`;
    const first = await graphql(query);
    expect(first.body.errors).toBeUndefined();
    const page = first.body.data.repository.deployments;
    expect(page.nodes).toHaveLength(1);
    expect(page.nodes[0]).toMatchObject({ environment: 'production', commitOid: sha(3), creator: { __typename: 'Bot', login: 'github-actions' }, latestStatus: { state: 'SUCCESS' } });
    expect(JSON.parse(page.nodes[0].payload)).toEqual({ deployActions: 1, version: 'v2' });
    expect(page.nodes[0].statuses.nodes.map((status: { state: string }) => status.state)).toEqual(['IN_PROGRESS', 'SUCCESS']);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const second = await graphql(query, { after: page.pageInfo.endCursor });
    expect(second.body.data.repository.deployments.nodes[0].commitOid).toBe(sha(1));
    expect(second.body.data.repository.deployments.pageInfo.hasNextPage).toBe(false);
    expect(first.body.data.rateLimit).toEqual({ cost: 1, remaining: 999 });
    expect(second.headers.get('x-ratelimit-used')).toBe('2');
    expect(github.violations).toEqual([]);
  });

  test("a commit's history is git log's order, merges included, and each commit has its parents", async () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 0, minute)).toISOString().replace('.000', '');
    github.git.add({ oid: sha(1), committedDate: at(0) });
    github.git.add({ oid: sha(2), committedDate: at(1), parents: [sha(1)] });
    github.git.add({ oid: sha(3), committedDate: at(2), parents: [sha(1)] });
    github.git.add({ oid: sha(4), committedDate: at(3), parents: [sha(2), sha(3)] });
    const answer = await graphql(`query { repository(owner: "acme", name: "app") { object(oid: "${sha(4)}") { ... on Commit { history(first: 3) { pageInfo { hasNextPage } nodes { oid committedDate parents(first: 2) { nodes { oid } } } } } } } }`);
    const history = answer.body.data.repository.object.history;
    expect(history.nodes.map((node: { oid: string }) => node.oid)).toEqual([sha(4), sha(3), sha(2)]);
    expect(history.nodes[0].parents.nodes).toEqual([{ oid: sha(2) }, { oid: sha(3) }]);
    expect(history.pageInfo.hasNextPage).toBe(true);
    const unknown = await graphql(`query { repository(owner: "acme", name: "app") { object(oid: "${sha(9)}") { oid } } }`);
    expect(unknown.body.data.repository.object).toBeNull();
  });

  test("a commit's Actions check suites lead to the run, its reviews and its jobs", async () => {
    github.git.add({ oid: sha(1), committedDate: '2026-12-01T00:00:00Z' });
    github.runs.recordRun({ id: 77, headSha: sha(1), createdAt: '2026-12-01T00:01:00Z', actor: 'alice', jobs: [{ name: 'deploy', startedAt: '2026-12-01T00:09:00Z', completedAt: '2026-12-01T00:12:00Z', conclusion: 'success' }] });
    github.runs.recordApprovals(77, [{ state: 'approved', comment: 'ship it', user: 'bob', environments: ['production'] }]);
    const answer = await graphql(`query { repository(owner: "acme", name: "app") { object(oid: "${sha(1)}") { ... on Commit {
      checkSuites(first: 5, filterBy: { appId: 15368 }) { nodes { creator { login } app { databaseId }
        workflowRun { databaseId deploymentReviews(first: 3) { nodes { state comment user { login } environments(first: 2) { nodes { name } } } } }
        checkRuns(first: 10) { nodes { name startedAt completedAt } } } } } } } }`);
    expect(answer.body.errors).toBeUndefined();
    const [suite] = answer.body.data.repository.object.checkSuites.nodes;
    expect(suite).toEqual({
      creator: { login: 'alice' },
      app: { databaseId: 15368 },
      workflowRun: { databaseId: 77, deploymentReviews: { nodes: [{ state: 'APPROVED', comment: 'ship it', user: { login: 'bob' }, environments: { nodes: [{ name: 'production' }] } }] } },
      checkRuns: { nodes: [{ name: 'deploy', startedAt: '2026-12-01T00:09:00Z', completedAt: '2026-12-01T00:12:00Z' }] },
    });
  });

  test('a field the double does not model is a violation, not a silent null', async () => {
    await graphql('query { repository(owner: "acme", name: "app") { stargazerCount } }');
    expect(github.violations[0]).toBe('GraphQL field Repository.stargazerCount exists on GitHub but the double does not model it');
  });
});

describe('the approvals history over REST', () => {
  test("GET .../actions/runs/{run_id}/approvals answers the run's reviews in GitHub's schema", async () => {
    github.runs.recordRun({ id: 78, headSha: sha(1), createdAt: '2026-12-01T00:01:00Z' });
    github.runs.recordApprovals(78, [{ state: 'rejected', comment: 'not today', user: 'carol', environments: ['production'] }]);
    const response = await fetch(`${github.url}/repos/acme/app/actions/runs/78/approvals`, { headers: { authorization: `token ${DEFAULT_TOKEN}` } });
    const body = (await response.json()) as Array<Record<string, any>>;
    expect(response.status).toBe(200);
    expect(body.map((review) => [review['state'], review['comment'], review['user'].login, review['environments'].map((environment: { name: string }) => environment.name)])).toEqual([['rejected', 'not today', 'carol', ['production']]]);
    expect((await fetch(`${github.url}/repos/acme/app/actions/runs/79/approvals`, { headers: { authorization: `token ${DEFAULT_TOKEN}` } })).status).toBe(404);
    github.grant('ghs_noActions', { deployments: 'read' });
    expect((await fetch(`${github.url}/repos/acme/app/actions/runs/78/approvals`, { headers: { authorization: `token ghs_noActions` } })).status).toBe(403);
    expect(github.violations).toEqual([]);
  });
});
