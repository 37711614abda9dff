import * as core from '@actions/core';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRunContext, type RunContext } from '../../../shared/context.ts';
import { InputError, runAction, UserError } from '../../../shared/errors.ts';
import { createGitHubClient, explainGitHubError, isNotFound, type GitHubClient } from '../../../shared/github.ts';
import { sendWithRetry, statusLine } from '../../../shared/http.ts';
import { appendSummary } from '../../../shared/markdown.ts';
import { auditCsv, auditEntry, type AuditEntry } from './audit.ts';
import { readDeployments, readEnvironments, readRanges, readRuns, type CommitRange, type GraphqlClient, type Review, type RunFacts } from './history.ts';
import { readConfig, type DoraConfig } from './inputs.ts';
import { levelsOf, LEVELS_SOURCE, trendsOf } from './levels.ts';
import { computeKeys, failures, previousSuccesses, rolledBack, spread, type TimeWindow } from './metrics.ts';
import { openMetricsText, prometheusText, pushgatewayGroupUrl } from './openmetrics.ts';
import type { DeploymentFact } from './records.ts';
import { renderDigest, renderSummary, type DoraReport, type GroupReport } from './render.ts';

export const OUTPUTS = ['metrics', 'report', 'audit-csv', 'audit-json', 'openmetrics', 'api-calls'] as const;

export interface CallCount {
  graphql: number;
  rest: number;
  points: number;
}

/** GraphQL error paths to the GITHUB_TOKEN permission that reads them. */
const PERMISSION_BY_FIELD: Array<[string, string, string]> = [
  ['deployments', 'deployments: read', 'deployments'],
  ['checkSuites', 'checks: read', 'check suites (the runs behind deployments)'],
  ['checkRuns', 'checks: read', 'check runs (job timing)'],
  ['workflowRun', 'actions: read', 'workflow runs (approvals)'],
  ['environments', 'actions: read', 'environments'],
  ['history', 'contents: read', 'commits'],
  ['object', 'contents: read', 'commits'],
];

interface GraphqlFailure {
  errors?: Array<{ type?: string; message: string; path?: Array<string | number> }>;
}

/** A refusal GitHub explains (a missing permission, a missing repository) becomes the user's error. */
export function explainGraphqlErrors(errors: NonNullable<GraphqlFailure['errors']>): Error {
  const forbidden = errors.find((error) => error.type === 'FORBIDDEN');
  if (forbidden) {
    const path = (forbidden.path ?? []).map(String);
    const entry = [...PERMISSION_BY_FIELD].find(([field]) => path.includes(field)) ?? ['', 'the permissions this action lists', 'the deployment history'];
    return new InputError(
      'github-token',
      `the token may not read ${entry[2]}: GitHub answered FORBIDDEN (${forbidden.message}) at ${path.join('.') || 'the query'}; grant "${entry[1]}" under the job's permissions: (dora-metrics needs contents, deployments, actions and checks: read)`,
    );
  }
  const notFound = errors.find((error) => error.type === 'NOT_FOUND');
  if (notFound) return new UserError(`GitHub answered NOT_FOUND: ${notFound.message} (or the token may not see it)`);
  return new Error(`GitHub refused a query of dora-metrics: ${errors.map((error) => error.message).join('; ')}`);
}

/** The GraphQL client over Octokit, counting calls and points, turning refusals into messages. */
function graphqlClient(client: GitHubClient, count: CallCount): GraphqlClient {
  return {
    async query<T>(query: string, variables: Record<string, unknown>): Promise<T> {
      const name = /query (\w+)/.exec(query)?.[1] ?? 'query';
      const started = Date.now();
      try {
        const data = (await client.graphql(query, variables)) as T & { rateLimit?: { cost?: number } };
        count.points += data.rateLimit?.cost ?? 0;
        core.debug(`GraphQL ${name}: ${data.rateLimit?.cost ?? '?'} points, ${Date.now() - started} ms`);
        return data;
      } catch (error) {
        const failure = error as GraphqlFailure & { status?: number };
        if (Array.isArray(failure.errors)) throw explainGraphqlErrors(failure.errors);
        if (failure.status === 401) throw new InputError('github-token', 'GitHub answered 401 Bad credentials: the token is invalid or expired');
        throw explainGitHubError(error, 'reading the deployment history through GitHub GraphQL');
      }
    },
  };
}

function countRequests(client: GitHubClient, count: CallCount): void {
  client.hook.before('request', (options) => {
    if (String(options.url).endsWith('/graphql')) count.graphql += 1;
    else count.rest += 1;
  });
}

/** Runs whose approvals are read one REST call each, when their check suite was not found (newest first). */
const MAX_REST_APPROVAL_READS = 50;

const key = (environment: string, service: string) => `${environment}\u0000${service}`;

/** Runs not found through their commit's check suites (more workflows on it than read): REST, one each. */
async function readMissingReviews(client: GitHubClient, context: RunContext, runIds: readonly number[]): Promise<Map<number, RunFacts>> {
  const found = new Map<number, RunFacts>();
  for (const runId of runIds) {
    try {
      const response = await client.rest.actions.getReviewsForRun({ owner: context.owner, repo: context.repo, run_id: runId });
      const reviews: Review[] = response.data.map((review) => ({
        state: review.state === 'rejected' ? 'rejected' : 'approved',
        comment: review.comment,
        reviewer: review.user.login,
        environments: review.environments.flatMap((environment) => (environment.name ? [environment.name] : [])),
      }));
      found.set(runId, { runId, url: `${context.repositoryUrl}/actions/runs/${runId}`, actor: '', createdAt: Number.NaN, reviews, jobs: [], detailed: false });
    } catch (error) {
      if (isNotFound(error)) continue; // The run was deleted: its approvals are gone with it.
      throw explainGitHubError(error, `reading the approvals of run ${runId}`);
    }
  }
  return found;
}

export interface DoraResult {
  report: DoraReport;
  metrics: Record<string, unknown>;
  calls: CallCount;
}

/** Everything but the files and outputs: read the history, compute, render. */
export async function doraMetrics(config: DoraConfig, context: RunContext, client: GitHubClient = createGitHubClient(config.githubToken, { apiUrl: context.apiUrl, readOnly: true })): Promise<DoraResult> {
  const calls: CallCount = { graphql: 0, rest: 0, points: 0 };
  countRequests(client, calls);
  const graphql = graphqlClient(client, calls);
  const repository = { owner: context.owner, name: context.repo };
  const notes: string[] = [];

  const environments = await core.group('Environments', async () => {
    const info = await readEnvironments(graphql, repository, config.environments);
    const unknown = config.environments.filter((name) => !info.existing.has(name));
    if (unknown.length > 0) {
      const known = info.known.length > 0 ? `; its environments: ${info.known.join(', ')}` : '; it has none yet (GitHub creates one with the first deployment that names it)';
      throw new InputError('environments', `${unknown.map((name) => JSON.stringify(name)).join(', ')} ${unknown.length === 1 ? 'is not an environment' : 'are not environments'} of ${context.repository}${known}`);
    }
    // Names are the user's text: never at the start of a line, where the runner reads workflow commands.
    core.info(`Environments found: ${config.environments.join(', ')}; required reviewers on ${[...info.reviewed].join(', ') || 'none'}`);
    return info;
  });

  const history = await core.group('Deployment history', async () => {
    const read = await readDeployments(graphql, repository, { environments: config.environments, horizon: config.previous.since, defaultService: context.repo });
    core.info(`Deployments read: ${read.deployments.length} (${read.foreign} by other tools, not counted)${read.complete ? ', the whole history' : ''}`);
    return read;
  });

  const wanted = (deployment: DeploymentFact) => config.services.length === 0 || config.services.includes(deployment.service);
  const deployments = history.deployments.filter(wanted);
  const groupKeys: Array<[string, string]> = [];
  for (const environment of config.environments) {
    const services = config.services.length > 0 ? config.services : [...new Set(deployments.filter((deployment) => deployment.environment === environment).map((deployment) => deployment.service))].sort();
    for (const service of services.length > 0 ? services : [context.repo]) groupKeys.push([environment, service]);
  }
  const groups = new Map(groupKeys.map(([environment, service]) => [key(environment, service), deployments.filter((deployment) => deployment.environment === environment && deployment.service === service)]));

  const inWindows = (at: number | undefined) => at !== undefined && at >= config.previous.since && at < config.window.until;
  const ranges: CommitRange[] = [];
  for (const group of groups.values()) {
    const previous = previousSuccesses(group);
    for (const deployment of group) {
      const before = previous.get(deployment.id);
      if (before && inWindows(deployment.successAt)) ranges.push({ deploymentId: deployment.id, head: deployment.sha, previous: before.sha, near: deployment.successAt as number });
    }
  }
  const commits = await core.group('Commits shipped', async () => {
    const read = await readRanges(graphql, repository, ranges);
    core.info(`Commits read for ${ranges.length} deployments${read.unavailable.size > 0 ? `; ${read.unavailable.size} could not be (their commits are not in the repository)` : ''}`);
    return read;
  });

  const inWindow = (deployment: DeploymentFact) => deployment.createdAt >= config.window.since && deployment.createdAt < config.window.until;
  const windowDeployments = deployments.filter(inWindow).sort((a, b) => a.createdAt - b.createdAt || a.id - b.id);
  const runs = await core.group('Runs and approvals', async () => {
    // A run's check suite sits on the commit it ran at (payload.sha), which a rollback's record does not deploy.
    const commitsRunAt = [...new Set(windowDeployments.map((deployment) => deployment.runSha))];
    const reviewedRuns = new Set(windowDeployments.filter((deployment) => environments.reviewed.has(deployment.environment)).map((deployment) => deployment.runId));
    const found = await readRuns(graphql, repository, commitsRunAt, reviewedRuns);
    const missing = [...new Set(windowDeployments.filter((deployment) => environments.reviewed.has(deployment.environment) && deployment.runId > 0 && !found.has(deployment.runId)).map((deployment) => deployment.runId))];
    const viaRest = missing.slice(-MAX_REST_APPROVAL_READS);
    for (const [runId, run] of await readMissingReviews(client, context, viaRest)) found.set(runId, run);
    if (missing.length > viaRest.length) notes.push(`${missing.length - viaRest.length} older runs of environments with reviewers were not found through their commits' check suites and not read one by one (at most ${MAX_REST_APPROVAL_READS}): their approvals are missing from the audit trail.`);
    core.info(`Runs read: ${found.size} for ${windowDeployments.length} deployments of the window${viaRest.length > 0 ? ` (${viaRest.length} through REST)` : ''}`);
    return found;
  });

  const named = rolledBack(history.deployments);
  const audit: AuditEntry[] = windowDeployments.map((deployment) => auditEntry(deployment, runs.get(deployment.runId), named, context.repositoryUrl));
  const reports: GroupReport[] = groupKeys.map(([environment, service]) => {
    const group = groups.get(key(environment, service)) ?? [];
    const current = computeKeys(group, history.deployments, commits.shipped, commits.unavailable, config.window);
    const previous = computeKeys(group, history.deployments, commits.shipped, commits.unavailable, config.previous);
    const inGroup = (entry: AuditEntry) => entry.environment === environment && entry.service === service;
    const succeeded = group.filter((deployment) => deployment.successAt !== undefined && deployment.successAt >= config.window.since && deployment.successAt < config.window.until);
    return {
      environment,
      service,
      current,
      previous,
      levels: levelsOf(current),
      trends: trendsOf(current, previous),
      approvalWait: spread(audit.filter(inGroup).flatMap((entry) => (entry.approvalWaitSeconds === null ? [] : [entry.approvalWaitSeconds]))),
      failures: failures(group, named, config.window),
      successTimes: succeeded.map((deployment) => deployment.successAt as number),
      leadTimes: succeeded.flatMap((deployment) => (commits.shipped.get(deployment.id) ?? []).map((commit) => ((deployment.successAt as number) - commit.committedAt) / 1000)),
    };
  });

  if (commits.unavailable.size > 0) notes.push(`${commits.unavailable.size} deployments count no lead time: GitHub has not got the commits they or their previous deployment ran (a rewritten history, or commits never pushed).`);
  if (!history.complete) notes.push(`History read back to ${new Date(config.previous.since).toISOString().slice(0, 10)} and a little beyond; deployments of an environment and service whose previous success lies further back count no lead time.`);
  const report: DoraReport = {
    repository: context.repository,
    repositoryUrl: context.repositoryUrl,
    window: config.window,
    previous: config.previous,
    groups: reports,
    audit,
    foreign: history.foreign,
    calls,
    notes,
  };
  const iso = (window: TimeWindow) => ({ since: new Date(window.since).toISOString(), until: new Date(window.until).toISOString() });
  const metrics = {
    repository: context.repository,
    window: iso(config.window),
    previousWindow: iso(config.previous),
    levels: LEVELS_SOURCE,
    groups: reports.map((group) => ({
      environment: group.environment,
      service: group.service,
      current: group.current,
      previous: group.previous,
      levels: group.levels,
      trends: group.trends,
      approvalWait: group.approvalWait,
    })),
    apiCalls: calls,
  };
  return { report, metrics, calls };
}

/** All files are written under temporary names first and renamed at the end: none or all. */
function writeFiles(dir: string, files: Record<string, string>): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const written: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, `.${name}.partial`), text);
    written[name] = join(dir, name);
  }
  for (const name of Object.keys(files)) renameSync(join(dir, `.${name}.partial`), join(dir, name));
  return written;
}

async function push(config: NonNullable<DoraConfig['pushgateway']>, repository: string, text: string): Promise<string> {
  const url = pushgatewayGroupUrl(config.url, config.job, repository);
  let response;
  try {
    response = await sendWithRetry({ method: 'PUT', url, headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }, body: text }, { deadline: Date.now() + 30_000 });
  } catch (error) {
    throw new InputError('pushgateway-url', `the push to the Pushgateway failed: ${(error as Error).message}`);
  }
  if (response.status < 200 || response.status >= 300) throw new InputError('pushgateway-url', `the push to the Pushgateway was refused: ${statusLine(response)}`);
  return url;
}

export async function run(): Promise<void> {
  await runAction('dora-metrics', async () => {
    const { config, inputs } = readConfig();
    inputs.maskSecrets();
    const context = readRunContext();
    const { report, metrics, calls } = await doraMetrics(config, context);
    const groups = report.groups;
    const files = writeFiles(config.outputDir, {
      'audit.csv': auditCsv(report.audit),
      'audit.json': `${JSON.stringify(report.audit, null, 2)}\n`,
      'metrics.json': `${JSON.stringify(metrics, null, 2)}\n`,
      'dora.om.txt': openMetricsText(context.repository, groups),
    });
    if (config.pushgateway) {
      const url = await push(config.pushgateway, context.repository, prometheusText(context.repository, groups));
      core.info(`Pushed ${groups.length} groups to the Pushgateway (${url.replace(/^https?:\/\/[^/]+/, '')})`);
    }
    if (config.summary) appendSummary(renderSummary(report));
    const outputs: Record<(typeof OUTPUTS)[number], string> = {
      metrics: JSON.stringify(metrics),
      report: renderDigest(report),
      'audit-csv': files['audit.csv'] as string,
      'audit-json': files['audit.json'] as string,
      openmetrics: files['dora.om.txt'] as string,
      'api-calls': String(calls.graphql + calls.rest),
    };
    for (const name of OUTPUTS) core.setOutput(name, outputs[name]);
    core.info(`GitHub API: ${calls.graphql} GraphQL calls (${calls.points} points) and ${calls.rest} REST calls for ${report.audit.length} deployments in the window`);
  });
}
