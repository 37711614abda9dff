import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { UserError } from './errors.ts';

/**
 * The suite's GitHub REST client: @actions/github's Octokit (REST methods, pagination, the runner's
 * proxy settings) with retries on 5xx and throttling that honours Retry-After and secondary limits.
 * The base URL comes from GITHUB_API_URL, so GitHub Enterprise Server works unchanged.
 */
export type GitHubClient = ReturnType<typeof getOctokit>;

export interface GitHubClientOptions {
  apiUrl?: string;
  /** The longest rate-limit wait to sit out before giving up (seconds). */
  maxRateLimitWaitSeconds?: number;
  /** How many times one request is retried after a rate limit. */
  maxRateLimitRetries?: number;
  /**
   * A client that only reads. GitHub asks for a second between mutative requests, and the
   * throttling plugin spaces GraphQL queries (POSTs) the same way; reads need no such pause
   * (GitHub's secondary limit for them is points per minute), so a reading client skips it.
   */
  readOnly?: boolean;
}

/**
 * A limiter that lets every job through at once: what the plugin's `write` group becomes for reads.
 * Duck-typed (the plugin calls only key(id).schedule(options, job)), so no Bottleneck of our own.
 */
const UNPACED = { key: () => ({ schedule: <T>(_options: unknown, job: (...args: unknown[]) => Promise<T>, ...args: unknown[]) => job(...args) }) };

export function createGitHubClient(token: string, options: GitHubClientOptions = {}): GitHubClient {
  const { maxRateLimitWaitSeconds = 60, maxRateLimitRetries = 2 } = options;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      const allowed = retryCount < maxRateLimitRetries && retryAfter <= maxRateLimitWaitSeconds;
      const action = allowed ? `retrying in ${retryAfter}s` : 'giving up';
      core.warning(`GitHub ${kind} on ${request.method} ${request.url}: ${action}`);
      return allowed;
    };
  return getOctokit(
    token,
    {
      ...(options.apiUrl ? { baseUrl: options.apiUrl } : {}),
      userAgent: 'deploy-actions',
      // 429 is left to the throttling plugin, which reads Retry-After; the retry plugin's own
      // schedule (1s, 4s, 9s) covers 5xx and network errors.
      retry: { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
      throttle: {
        onRateLimit: onLimit('rate limit'),
        onSecondaryRateLimit: onLimit('secondary rate limit'),
        ...(options.readOnly ? { write: UNPACED as never } : {}),
      },
    },
    retry,
    throttling,
  );
}

/** Route patterns (on the URL path) and the GITHUB_TOKEN permission they need to read and to write. */
const ROUTE_PERMISSIONS: ReadonlyArray<readonly [RegExp, string, string]> = [
  [/\/deployments(\/|$|\?)/, 'deployments: read', 'deployments: write'],
  [/\/environments(\/|$|\?)/, 'actions: read', 'actions: read'],
  [/\/issues\/(\d+\/comments|comments\/\d+)/, 'pull-requests: read', 'pull-requests: write'],
  [/\/commits\/[^/]+\/pulls/, 'pull-requests: read', 'pull-requests: read'],
  [/\/pulls(\/|$|\?)/, 'pull-requests: read', 'pull-requests: write'],
  [/\/statuses\//, 'statuses: read', 'statuses: write'],
  [/\/check-runs(\/|$|\?)/, 'checks: read', 'checks: write'],
  [/\/code-scanning\//, 'security-events: read', 'security-events: write'],
  [/\/actions\/caches(\/|$|\?)/, 'actions: read', 'actions: write'],
  [/\/releases(\/|$|\?)/, 'contents: read', 'contents: write'],
  [/\/(commits|contents|git)(\/|$|\?)/, 'contents: read', 'contents: write'],
];

/** The permission a GITHUB_TOKEN needs for a request, e.g. "deployments: write". */
export function permissionFor(method: string, url: string): string | undefined {
  const path = url.replace(/^https?:\/\/[^/]+/, '');
  const write = !['GET', 'HEAD'].includes(method.toUpperCase());
  const entry = ROUTE_PERMISSIONS.find(([pattern]) => pattern.test(path));
  return entry ? entry[write ? 2 : 1] : undefined;
}

interface RequestErrorLike {
  status: number;
  message: string;
  request: { method: string; url: string };
  response?: { data?: unknown };
}

export function isRequestError(error: unknown): error is RequestErrorLike {
  return (
    error instanceof Error &&
    typeof (error as Partial<RequestErrorLike>).status === 'number' &&
    typeof (error as Partial<RequestErrorLike>).request?.method === 'string'
  );
}

export function isNotFound(error: unknown): boolean {
  return isRequestError(error) && error.status === 404;
}

function githubMessage(error: RequestErrorLike): string {
  const data = error.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const message = typeof data?.message === 'string' ? data.message : error.message;
  const details = Array.isArray(data?.errors) ? ` ${JSON.stringify(data.errors)}` : '';
  return `${message}${details}`.slice(0, 300);
}

/**
 * Turns an Octokit error into a sentence for the user: which call, what GitHub said, and for
 * 403/404 the permission that is most likely missing (GitHub answers 404 instead of 403 when a
 * token may not see a resource).
 */
export function explainGitHubError(error: unknown, doing: string): Error {
  if (!isRequestError(error)) return error instanceof Error ? error : new Error(String(error));
  const { method, url } = error.request;
  const path = url.replace(/^https?:\/\/[^/]+/, '').replace(/\?.*$/, '');
  const said = `GitHub answered ${error.status} to ${method} ${path} (${githubMessage(error)})`;
  const permission = permissionFor(method, url);
  const grant = permission ? `grant "${permission}" under the job's permissions:` : 'check the token';
  switch (error.status) {
    case 401:
      return new UserError(`${doing}: ${said}: the token is invalid or expired`);
    case 403:
      return new UserError(`${doing}: ${said}: the token is not allowed to do this; ${grant}`);
    case 404:
      return new UserError(`${doing}: ${said}: it does not exist, or the token may not see it; ${grant}`);
    default:
      return new UserError(`${doing}: ${said}`);
  }
}
