import { getOctokit } from '@actions/github';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { DEFAULT_SHAPE, generateHistory, type HistoryShape } from '../harness/dora-history.ts';
import { ActionHarness } from '../harness/run-action.ts';

/**
 * dora-metrics against the GitHub double: wall time (spawn to exit of the bundle) and GitHub API
 * calls for about 1,000 and 10,000 deployments, and as the peer in the same run, the REST way of
 * reading the same records: the deployments 100 a page and one statuses call per deployment (before
 * any commit, run or approval is read, which REST would add one call each for).
 */

export const DORA_SHAPE_NOTE =
  '18 pipeline runs a day, each deploying one of 3 services to staging then production (a blue-green canary there: 10%, 50%, 100%), ' +
  '3 commits a run on average (a fifth arrive as merged two-commit branches), 12% of production rollouts fail after going live ' +
  '(half caught by the canary and rolled back, the rest rolled back or fixed forward), 5% fail before traffic, production requires ' +
  'reviewers (every run approved); the window is half the history, so both it and the one before (the trend) are read';

export const DORA_HEADER = ['deployments', 'history', 'wall time (median of 3)', 'GraphQL calls', 'REST calls', 'GraphQL points', 'calls per 1,000 deployments', 'REST way: records and statuses only', 'ratio of calls'];

interface Measured {
  deployments: number;
  days: number;
  ms: number[];
  graphql: number;
  rest: number;
  points: number;
  restWay: { calls: number; ms: number };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** The peer: what reading the records and their statuses costs through REST, timed with Octokit. */
async function restWay(github: GitHubDouble): Promise<{ calls: number; ms: number }> {
  const client = getOctokit(DEFAULT_TOKEN, { baseUrl: github.apiUrl });
  const before = github.requests.length;
  const started = performance.now();
  for (const environment of ['staging', 'production']) {
    const deployments = await client.paginate(client.rest.repos.listDeployments, { owner: github.owner, repo: github.repo, environment, per_page: 100 });
    for (const deployment of deployments) await client.rest.repos.listDeploymentStatuses({ owner: github.owner, repo: github.repo, deployment_id: deployment.id, per_page: 100 });
  }
  return { calls: github.requests.length - before, ms: performance.now() - started };
}

async function measure(days: number, runs = 3): Promise<Measured> {
  const github = await new GitHubDouble().start();
  const harness = new ActionHarness();
  try {
    const shape: HistoryShape = { ...DEFAULT_SHAPE, seed: 2026, days, runsPerDay: 18, chattyShare: 0 };
    const history = generateHistory(github, shape);
    const window = `${Math.floor(days / 2)}d`;
    const ms: number[] = [];
    let counted = { graphql: 0, rest: 0, points: 0 };
    for (let run = 0; run < runs; run++) {
      const before = github.requests.length;
      const pointsBefore = github.graphql.points;
      const { main } = await harness.run('dora-metrics', {
        inputs: { environments: 'staging, production', window, until: new Date(history.end).toISOString(), summary: 'true' },
        github: { apiUrl: github.apiUrl, token: DEFAULT_TOKEN },
        timeoutMs: 300_000,
      });
      if (main.exitCode !== 0) throw new Error(`dora-metrics failed on the bench history:\n${main.log}`);
      const calls = github.requests.slice(before).map((request) => request.path);
      counted = { graphql: calls.filter((path) => path.endsWith('/graphql')).length, rest: calls.filter((path) => !path.endsWith('/graphql')).length, points: github.graphql.points - pointsBefore };
      ms.push(main.durationMs);
    }
    if (github.violations.length > 0 || github.rejected.length > 0) throw new Error(`the double refused: ${[...github.violations, ...github.rejected].join('; ')}`);
    return { deployments: history.deployments, days, ms, ...counted, restWay: await restWay(github) };
  } finally {
    harness.cleanup();
    await github.stop();
  }
}

export async function benchDora(): Promise<string[][]> {
  const rows: string[][] = [];
  for (const days of [40, 400]) {
    const result = await measure(days);
    const calls = result.graphql + result.rest;
    rows.push([
      result.deployments.toLocaleString('en-US'),
      `${result.days} days`,
      `${(median(result.ms) / 1000).toFixed(2)} s`,
      String(result.graphql),
      String(result.rest),
      String(result.points),
      ((calls / result.deployments) * 1000).toFixed(1),
      `${result.restWay.calls.toLocaleString('en-US')} calls, ${(result.restWay.ms / 1000).toFixed(1)} s`,
      `${(result.restWay.calls / calls).toFixed(0)}x fewer`,
    ]);
  }
  return rows;
}
