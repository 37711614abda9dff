import { readFileSync } from 'node:fs';
import { UserError } from './errors.ts';

/** What the runner tells a step about the run, read once from its environment. */
export interface RunContext {
  owner: string;
  repo: string;
  /** owner/repo */
  repository: string;
  sha: string;
  ref: string;
  /** The branch or tag name, without refs/heads/ or refs/tags/. */
  refName: string;
  runId: number;
  runAttempt: number;
  serverUrl: string;
  apiUrl: string;
  actor: string;
  workflow: string;
  job: string;
  eventName: string;
  /** The webhook payload of the triggering event (GITHUB_EVENT_PATH), or {} when absent. */
  event: Record<string, unknown>;
  repositoryUrl: string;
  /** Link to this run's attempt: what deployment statuses use as log_url. */
  runUrl: string;
  commitUrl: string;
}

type Env = Record<string, string | undefined>;

function readEvent(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function readRunContext(env: Env = process.env): RunContext {
  const repository = env['GITHUB_REPOSITORY'] ?? '';
  const [owner, repo] = repository.split('/');
  if (!owner || !repo) {
    throw new UserError('GITHUB_REPOSITORY is not set to owner/repo: this action must run inside a GitHub Actions job');
  }
  const serverUrl = (env['GITHUB_SERVER_URL'] || 'https://github.com').replace(/\/+$/, '');
  const sha = env['GITHUB_SHA'] ?? '';
  const ref = env['GITHUB_REF'] ?? '';
  const runId = Number(env['GITHUB_RUN_ID'] ?? 0);
  const runAttempt = Number(env['GITHUB_RUN_ATTEMPT'] ?? 1);
  const repositoryUrl = `${serverUrl}/${repository}`;
  return {
    owner,
    repo,
    repository,
    sha,
    ref,
    refName: env['GITHUB_REF_NAME'] || ref.replace(/^refs\/(heads|tags)\//, ''),
    runId,
    runAttempt,
    serverUrl,
    apiUrl: (env['GITHUB_API_URL'] || 'https://api.github.com').replace(/\/+$/, ''),
    actor: env['GITHUB_TRIGGERING_ACTOR'] || env['GITHUB_ACTOR'] || '',
    workflow: env['GITHUB_WORKFLOW'] ?? '',
    job: env['GITHUB_JOB'] ?? '',
    eventName: env['GITHUB_EVENT_NAME'] ?? '',
    event: readEvent(env['GITHUB_EVENT_PATH']),
    repositoryUrl,
    runUrl: `${repositoryUrl}/actions/runs/${runId}${runAttempt > 1 ? `/attempts/${runAttempt}` : ''}`,
    commitUrl: `${repositoryUrl}/commit/${sha}`,
  };
}
