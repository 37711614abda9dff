import { gunzipSync } from 'node:zlib';
import { HttpDouble, type Fault, type RecordedRequest, type Reply } from '../http-double.ts';
import { RUN_HANDLERS, RUN_PERMISSIONS, WorkflowRuns } from './actions-runs.ts';
import { CommitGraph } from './commits.ts';
import { GitHubGraphql } from './graphql.ts';
import { gitHubOpenApi, type Route } from './openapi.ts';

/**
 * A GitHub REST double: a real HTTP server with in-memory state for the endpoints the suite uses.
 * GitHub's OpenAPI description decides what exists: a method + path it does not define is answered
 * 404 and recorded as a violation (a test failure); a body missing a required field or with a wrong
 * type is answered 422 validation_failed, as GitHub does. Responses start from GitHub's own
 * examples and are checked against the description before they are sent.
 */

export type Permission = 'read' | 'write';
/** Token permissions in workflow syntax: { deployments: 'write', 'pull-requests': 'read' }. */
export type Permissions = Record<string, Permission>;

export interface TokenGrant {
  login: string;
  /** 'all' = a token that may do anything (a PAT with repo scope). */
  permissions: Permissions | 'all';
}

export interface Deployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  description: string;
  payload: unknown;
  transient: boolean;
  production: boolean;
  creator: string;
  createdAt: string;
  statuses: DeploymentStatus[];
}

export interface DeploymentStatus {
  id: number;
  state: string;
  description: string;
  environment: string;
  environmentUrl: string;
  logUrl: string;
  creator: string;
  createdAt: string;
}

export interface Comment {
  id: number;
  issue: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}

export interface PullRequest {
  number: number;
  headSha: string;
  headRef: string;
  baseRef: string;
  state: 'open' | 'closed';
  user: string;
}

export interface CommitStatus {
  id: number;
  sha: string;
  state: string;
  context: string;
  description: string;
  targetUrl: string;
  createdAt: string;
}

export interface CheckRun {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  output: { title?: string; summary?: string; text?: string; annotations?: unknown[] } | null;
}

export interface SarifUpload {
  id: string;
  commitSha: string;
  ref: string;
  sarif: unknown;
  toolNames: string[];
}

export interface ActionsCache {
  id: number;
  key: string;
  ref: string;
  version: string;
  sizeInBytes: number;
  createdAt: string;
  lastAccessedAt: string;
}

export interface EnvironmentConfig {
  name: string;
  /** GitHub's numeric id (the runner double assigns one when a job first names the environment). */
  id?: number;
  protectionRules?: Array<{ type: 'required_reviewers' | 'wait_timer' | 'branch_policy'; waitTimer?: number; reviewers?: string[]; preventSelfReview?: boolean }>;
  /** Deployment branch and tag policies (fnmatch patterns against the short ref name; `*` does not cross `/`). */
  branchPolicies?: Array<{ name: string; type?: 'branch' | 'tag' }>;
  canAdminsBypass?: boolean;
  /** Environment secrets and variables: the runner double gives them to jobs that name the environment. */
  secrets?: Record<string, string>;
  variables?: Record<string, string>;
}

/** The GITHUB_TOKEN of a job that was granted everything the suite might ask for. */
export const DEFAULT_TOKEN = 'ghs_doubleTokenForTests0000000000000000';

type Handler = (call: Call) => Reply;

export interface Call {
  request: RecordedRequest;
  route: Route;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  user: string;
}

const ROUTE_PERMISSIONS: Record<string, Array<[string, Permission]>> = {
  'repos/get': [['contents', 'read']],
  'repos/list-deployments': [['deployments', 'read']],
  'repos/get-deployment': [['deployments', 'read']],
  'repos/create-deployment': [['deployments', 'write']],
  'repos/delete-deployment': [['deployments', 'write']],
  'repos/list-deployment-statuses': [['deployments', 'read']],
  'repos/get-deployment-status': [['deployments', 'read']],
  'repos/create-deployment-status': [['deployments', 'write']],
  'repos/get-all-environments': [['actions', 'read']],
  'repos/get-environment': [['actions', 'read']],
  'issues/list-comments': [['pull-requests', 'read'], ['issues', 'read']],
  'issues/get-comment': [['pull-requests', 'read'], ['issues', 'read']],
  'issues/create-comment': [['pull-requests', 'write'], ['issues', 'write']],
  'issues/update-comment': [['pull-requests', 'write'], ['issues', 'write']],
  'issues/delete-comment': [['pull-requests', 'write'], ['issues', 'write']],
  'pulls/get': [['pull-requests', 'read']],
  'repos/list-pull-requests-associated-with-commit': [['pull-requests', 'read'], ['contents', 'read']],
  'repos/get-commit': [['contents', 'read']],
  'repos/create-commit-status': [['statuses', 'write']],
  'repos/list-commit-statuses-for-ref': [['statuses', 'read']],
  'repos/get-combined-status-for-ref': [['statuses', 'read']],
  'checks/create': [['checks', 'write']],
  'checks/update': [['checks', 'write']],
  'checks/get': [['checks', 'read']],
  'code-scanning/upload-sarif': [['security-events', 'write']],
  'code-scanning/get-sarif': [['security-events', 'read']],
  'actions/get-actions-cache-list': [['actions', 'read']],
  'actions/delete-actions-cache-by-id': [['actions', 'write']],
  'actions/delete-actions-cache-by-key': [['actions', 'write']],
  ...RUN_PERMISSIONS,
};

function allowed(grant: TokenGrant, needs: Array<[string, Permission]>): boolean {
  if (grant.permissions === 'all') return true;
  const permissions = grant.permissions;
  return needs.some(([scope, level]) => {
    const has = permissions[scope];
    return has === 'write' || (has === 'read' && level === 'read');
  });
}

function iso(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

const SECONDARY_RATE_LIMIT = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';

export class GitHubDouble extends HttpDouble {
  readonly owner: string;
  readonly repo: string;
  readonly openapi = gitHubOpenApi();
  readonly tokens = new Map<string, TokenGrant>([[DEFAULT_TOKEN, { login: 'github-actions[bot]', permissions: 'all' }]]);
  readonly deployments: Deployment[] = [];
  readonly comments: Comment[] = [];
  readonly pulls: PullRequest[] = [];
  readonly commitStatuses: CommitStatus[] = [];
  readonly sarifs: SarifUpload[] = [];
  readonly checkRuns: CheckRun[] = [];
  readonly caches: ActionsCache[] = [];
  readonly environments = new Map<string, EnvironmentConfig>();
  /** Workflow runs (the runner double's), their jobs, pending deployments and reviews. */
  readonly runs = new WorkflowRuns(this);
  readonly branches = new Map<string, string>();
  /** sha → GitHub login of the commit's author. */
  readonly commitAuthors = new Map<string, string>();
  /** Requests answered 422 because the body broke the OpenAPI schema (or refused by the GraphQL schema). */
  readonly rejected: string[] = [];
  /** Commits (GraphQL's Commit and history) and the GraphQL endpoint. */
  readonly git = new CommitGraph();
  readonly graphql = new GitHubGraphql(this);
  /** The double's clock; tests move it to age statuses (the environment lock). */
  now: () => Date = () => new Date();
  #nextId = 1000;

  /** GitHub Enterprise Server serves the API under /api/v3. */
  readonly pathPrefix: string;

  constructor(options: { owner?: string; repo?: string; pathPrefix?: string } = {}) {
    super((request) => this.#route(request));
    this.owner = options.owner ?? 'acme';
    this.repo = options.repo ?? 'app';
    this.pathPrefix = options.pathPrefix ?? '';
    this.branches.set('main', 'a'.repeat(40));
  }

  get apiUrl(): string {
    return `${this.url}${this.pathPrefix}`;
  }

  get repositoryUrl(): string {
    return `https://github.com/${this.owner}/${this.repo}`;
  }

  /** Requests that reached a route (faults included), as "METHOD /path". */
  calls(): string[] {
    return this.requests.map((request) => `${request.method} ${request.path}`);
  }

  grant(token: string, permissions: Permissions | 'all', login = 'github-actions[bot]'): void {
    this.tokens.set(token, { login, permissions });
  }

  /** Puts a deployment with a status history into the double directly, as if made earlier. */
  seedDeployment(fields: Partial<Omit<Deployment, 'statuses'>> & { environment: string; states?: string[] }): Deployment {
    const { states = [], ...rest } = fields;
    const deployment: Deployment = {
      id: this.#id(),
      sha: 'a'.repeat(40),
      ref: 'main',
      task: 'deploy',
      description: '',
      payload: {},
      transient: false,
      production: fields.environment === 'production',
      creator: 'github-actions[bot]',
      createdAt: iso(this.now()),
      ...rest,
      statuses: [],
    };
    this.deployments.push(deployment);
    for (const state of states) {
      this.createStatus(deployment, { state, description: state, environment: deployment.environment, environmentUrl: '', logUrl: '', creator: deployment.creator });
    }
    return deployment;
  }

  addPullRequest(pull: Partial<PullRequest> & Pick<PullRequest, 'number' | 'headSha'>): PullRequest {
    const full: PullRequest = { headRef: `feature-${pull.number}`, baseRef: 'main', state: 'open', user: 'octocat', ...pull };
    this.pulls.push(full);
    return full;
  }

  /** GitHub's answers to abuse: a secondary rate limit (403 or 429) with Retry-After. */
  secondaryRateLimit(options: { status?: 403 | 429; retryAfterSeconds?: number; method?: string; path?: string | RegExp; times?: number } = {}): void {
    const fault: Fault = {
      times: options.times ?? 1,
      reply: {
        status: options.status ?? 403,
        headers: { 'retry-after': String(options.retryAfterSeconds ?? 1) },
        body: { message: SECONDARY_RATE_LIMIT, documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' },
      },
    };
    if (options.method) fault.method = options.method;
    if (options.path) fault.path = options.path;
    this.fault(fault);
  }

  serverError(options: { status?: 500 | 502 | 503; method?: string; path?: string | RegExp; times?: number } = {}): void {
    const fault: Fault = { times: options.times ?? 1, reply: { status: options.status ?? 502, body: { message: 'Server Error' } } };
    if (options.method) fault.method = options.method;
    if (options.path) fault.path = options.path;
    this.fault(fault);
  }

  #id(): number {
    this.#nextId += 1;
    return this.#nextId;
  }

  #error(status: number, message: string, route?: Route, extra: Record<string, unknown> = {}): Reply {
    return {
      status,
      body: { message, documentation_url: route?.documentationUrl ?? 'https://docs.github.com/rest', status: String(status), ...extra },
    };
  }

  #validationFailed(route: Route, resource: string, errors: Array<{ field: string; code: string; message?: string }>): Reply {
    return this.#error(422, 'Validation Failed', route, { errors: errors.map((error) => ({ resource, ...error })) });
  }

  #route(request: RecordedRequest): Reply {
    if (this.graphql.handles(request.path)) return this.graphql.answer(request);
    if (!request.path.startsWith(this.pathPrefix)) {
      this.violations.push(`${request.method} ${request.path}: outside the API base ${this.pathPrefix}`);
      return this.#error(404, 'Not Found');
    }
    const path = request.path.slice(this.pathPrefix.length);
    const found = this.openapi.match(request.method, path);
    if (!found) {
      const why = this.openapi.knowsPath(path) ? 'method not defined for this path' : 'path not defined';
      this.violations.push(`${request.method} ${path}: ${why} in GitHub's OpenAPI description`);
      return this.#error(404, 'Not Found');
    }
    const { route, params } = found;
    const auth = /^(?:token|bearer)\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''));
    const grant = auth ? this.tokens.get(auth[1] as string) : undefined;
    if (!grant) return this.#error(401, 'Bad credentials', route);
    if (params['owner'] !== this.owner || params['repo'] !== this.repo) return this.#error(404, 'Not Found', route);

    const handler = HANDLERS[route.operationId];
    if (!handler) {
      this.violations.push(`${request.method} ${request.path}: ${route.operationId} exists on GitHub but the double does not implement it`);
      return this.#error(404, 'Not Found', route);
    }
    if (request.rawBody && request.body === undefined) return this.#error(400, 'Problems parsing JSON', route);
    const problems = this.openapi.checkBody(route, request.body);
    if (problems.length > 0) {
      this.rejected.push(`${request.method} ${request.path}: ${problems.map((problem) => problem.message).join('; ')}`);
      return this.#validationFailed(route, route.operationId.split('/')[0] ?? 'Request', problems);
    }
    const needs = ROUTE_PERMISSIONS[route.operationId] ?? [];
    if (!allowed(grant, needs)) return this.#error(403, 'Resource not accessible by integration', route);

    const reply = handler.call(this, {
      request,
      route,
      params,
      query: request.query,
      body: (request.body ?? {}) as Record<string, unknown>,
      user: grant.login,
    });
    if (reply.status < 300 && reply.body !== undefined) {
      for (const problem of this.openapi.checkResponse(route, reply.status, reply.body)) {
        this.violations.push(`double's ${reply.status} response to ${route.operationId} breaks GitHub's schema: ${problem}`);
      }
    }
    return reply;
  }

  // --- response builders: GitHub's example, with the state the double keeps ---

  deploymentJson(route: Route, status: number, deployment: Deployment): Record<string, unknown> {
    const example = this.exampleOf(route, status);
    const api = `${this.apiUrl}/repos/${this.owner}/${this.repo}`;
    return {
      ...example,
      url: `${api}/deployments/${deployment.id}`,
      id: deployment.id,
      node_id: `DE_${deployment.id}`,
      sha: deployment.sha,
      ref: deployment.ref,
      task: deployment.task,
      payload: deployment.payload,
      original_environment: deployment.environment,
      environment: deployment.environment,
      description: deployment.description,
      creator: { ...(example['creator'] as object), login: deployment.creator, type: deployment.creator.endsWith('[bot]') ? 'Bot' : 'User' },
      created_at: deployment.createdAt,
      updated_at: deployment.statuses.at(-1)?.createdAt ?? deployment.createdAt,
      statuses_url: `${api}/deployments/${deployment.id}/statuses`,
      repository_url: api,
      transient_environment: deployment.transient,
      production_environment: deployment.production,
    };
  }

  statusJson(route: Route, status: number, deployment: Deployment, entry: DeploymentStatus): Record<string, unknown> {
    const example = this.exampleOf(route, status);
    const api = `${this.apiUrl}/repos/${this.owner}/${this.repo}`;
    return {
      ...example,
      url: `${api}/deployments/${deployment.id}/statuses/${entry.id}`,
      id: entry.id,
      node_id: `DES_${entry.id}`,
      state: entry.state,
      creator: { ...(example['creator'] as object), login: entry.creator },
      description: entry.description,
      environment: entry.environment,
      target_url: entry.logUrl,
      log_url: entry.logUrl,
      environment_url: entry.environmentUrl,
      created_at: entry.createdAt,
      updated_at: entry.createdAt,
      deployment_url: `${api}/deployments/${deployment.id}`,
      repository_url: api,
    };
  }

  commentJson(route: Route, status: number, comment: Comment): Record<string, unknown> {
    const example = this.exampleOf(route, status);
    const api = `${this.apiUrl}/repos/${this.owner}/${this.repo}`;
    return {
      ...example,
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: `${api}/issues/comments/${comment.id}`,
      html_url: `${this.repositoryUrl}/pull/${comment.issue}#issuecomment-${comment.id}`,
      issue_url: `${api}/issues/${comment.issue}`,
      body: comment.body,
      user: { ...(example['user'] as object), login: comment.user, type: comment.user.endsWith('[bot]') ? 'Bot' : 'User' },
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
    };
  }

  pullJson(route: Route, status: number, pull: PullRequest): Record<string, unknown> {
    const example = this.exampleOf(route, status);
    const head = example['head'] as Record<string, unknown>;
    const baseRef = example['base'] as Record<string, unknown>;
    return {
      ...example,
      number: pull.number,
      id: pull.number * 10,
      state: pull.state,
      html_url: `${this.repositoryUrl}/pull/${pull.number}`,
      user: { ...(example['user'] as object), login: pull.user },
      head: { ...head, sha: pull.headSha, ref: pull.headRef },
      base: { ...baseRef, ref: pull.baseRef },
      requested_teams: [],
    };
  }

  /** Paginates like GitHub: per_page (default 30, max 100), page, and a Link header. */
  page<T>(call: Call, items: T[]): { items: T[]; headers: Record<string, string> } {
    const perPage = Math.min(100, Math.max(1, Number(call.query.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(call.query.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (n: number, rel: string) => {
      const query = new URLSearchParams(call.query);
      query.set('page', String(n));
      query.set('per_page', String(perPage));
      return `<${this.url}${call.request.path}?${query}>; rel="${rel}"`;
    };
    const links = [];
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
    return { items: items.slice((page - 1) * perPage, page * perPage), headers: links.length > 0 ? { link: links.join(', ') } : {} };
  }

  resolveRef(ref: string): string | undefined {
    if (/^[0-9a-f]{40}$/.test(ref)) return ref;
    return this.branches.get(ref.replace(/^refs\/heads\//, ''));
  }

  findDeployment(id: string | undefined): Deployment | undefined {
    return this.deployments.find((deployment) => deployment.id === Number(id));
  }

  createStatus(deployment: Deployment, fields: Omit<DeploymentStatus, 'id' | 'createdAt'>): DeploymentStatus {
    const entry: DeploymentStatus = { ...fields, id: this.#id(), createdAt: iso(this.now()) };
    deployment.statuses.push(entry);
    return entry;
  }

  nextId(): number {
    return this.#id();
  }

  timestamp(): string {
    return iso(this.now());
  }

  decodeSarif(encoded: string): unknown {
    return JSON.parse(gunzipSync(Buffer.from(encoded, 'base64')).toString('utf8'));
  }

  error(status: number, message: string, route: Route): Reply {
    return this.#error(status, message, route);
  }

  validationFailed(route: Route, resource: string, errors: Array<{ field: string; code: string; message?: string }>): Reply {
    return this.#validationFailed(route, resource, errors);
  }

  exampleOf(route: Route, status: number): Record<string, unknown> {
    const base = this.openapi.example(route, status) as Record<string, unknown> | Array<Record<string, unknown>>;
    return (Array.isArray(base) ? base[0] : base) as Record<string, unknown>;
  }
}

const latestState = (deployment: Deployment) => deployment.statuses.at(-1)?.state;

/** GitHub refuses longer issue and PR comments. */
const MAX_COMMENT_CHARS = 65_536;
const COMMENT_TOO_LONG = { field: 'body', code: 'custom', message: 'body is too long (maximum is 65536 characters)' };

function cacheJson(cache: ActionsCache): Record<string, unknown> {
  return {
    id: cache.id,
    ref: cache.ref,
    key: cache.key,
    version: cache.version,
    last_accessed_at: cache.lastAccessedAt,
    created_at: cache.createdAt,
    size_in_bytes: cache.sizeInBytes,
  };
}

function commitStatusJson(example: Record<string, unknown>, status: CommitStatus): Record<string, unknown> {
  return {
    ...example,
    id: status.id,
    state: status.state,
    context: status.context,
    description: status.description,
    target_url: status.targetUrl || null,
    created_at: status.createdAt,
    updated_at: status.createdAt,
  };
}

function checkRunJson(double: GitHubDouble, route: Route, status: number, run: CheckRun): Record<string, unknown> {
  const example = double.exampleOf(route, status);
  const output = example['output'] as Record<string, unknown>;
  return {
    ...example,
    id: run.id,
    node_id: `CR_${run.id}`,
    name: run.name,
    head_sha: run.headSha,
    status: run.status,
    conclusion: run.conclusion,
    output: { ...output, title: run.output?.title ?? null, summary: run.output?.summary ?? null, text: run.output?.text ?? null, annotations_count: run.output?.annotations?.length ?? 0 },
  };
}

const HANDLERS: Record<string, (this: GitHubDouble, call: Call) => Reply> = {
  ...RUN_HANDLERS,
  'repos/get'(call) {
    // Not a fork: GitHub's example carries source/parent objects (and a flawed one at that).
    const { source: _source, parent: _parent, ...example } = this.exampleOf(call.route, 200);
    return { status: 200, body: { ...example, name: this.repo, full_name: `${this.owner}/${this.repo}`, language: null } };
  },

  'repos/list-deployments'(call) {
    const filters = ['sha', 'ref', 'task', 'environment'] as const;
    const matching = this.deployments
      .filter((deployment) => filters.every((key) => !call.query.has(key) || deployment[key] === call.query.get(key)))
      .sort((a, b) => b.id - a.id);
    const { items, headers } = this.page(call, matching);
    return { status: 200, headers, body: items.map((deployment) => this.deploymentJson(call.route, 200, deployment)) };
  },

  'repos/get-deployment'(call) {
    const deployment = this.findDeployment(call.params['deployment_id']);
    if (!deployment) return this.error(404, 'Not Found', call.route);
    return { status: 200, body: this.deploymentJson(call.route, 200, deployment) };
  },

  'repos/create-deployment'(call) {
    const body = call.body as {
      ref: string;
      task?: string;
      auto_merge?: boolean;
      required_contexts?: string[];
      payload?: unknown;
      environment?: string;
      description?: string | null;
      transient_environment?: boolean;
      production_environment?: boolean;
    };
    const sha = this.resolveRef(body.ref);
    if (!sha) return this.validationFailed(call.route, 'Deployment', [{ field: 'ref', code: 'invalid', message: `No ref found for: ${body.ref}` }]);
    // Without required_contexts GitHub waits for every status context of the commit to be green.
    const statuses = this.commitStatuses.filter((status) => status.sha === sha);
    const latestByContext = new Map<string, string>();
    for (const status of statuses) latestByContext.set(status.context, status.state);
    const required = body.required_contexts ?? [...latestByContext.keys()];
    const failing = required.filter((context) => latestByContext.get(context) !== 'success');
    if (failing.length > 0) {
      return this.error(409, `Conflict: Commit status checks failed for ${body.ref}.`, call.route);
    }
    const environment = body.environment ?? 'production';
    const deployment: Deployment = {
      id: this.nextId(),
      sha,
      ref: body.ref,
      task: body.task ?? 'deploy',
      environment,
      description: body.description ?? '',
      payload: body.payload ?? {},
      transient: body.transient_environment ?? false,
      production: body.production_environment ?? environment === 'production',
      creator: call.user,
      createdAt: this.timestamp(),
      statuses: [],
    };
    this.deployments.push(deployment);
    return { status: 201, body: this.deploymentJson(call.route, 201, deployment) };
  },

  'repos/delete-deployment'(call) {
    const deployment = this.findDeployment(call.params['deployment_id']);
    if (!deployment) return this.error(404, 'Not Found', call.route);
    const others = this.deployments.filter((other) => other.environment === deployment.environment && other !== deployment);
    if (latestState(deployment) !== 'inactive' && others.length > 0) {
      return this.validationFailed(call.route, 'Deployment', [{ field: 'state', code: 'custom', message: 'We cannot delete an active deployment unless it is the only deployment in a given environment.' }]);
    }
    this.deployments.splice(this.deployments.indexOf(deployment), 1);
    return { status: 204 };
  },

  'repos/list-deployment-statuses'(call) {
    const deployment = this.findDeployment(call.params['deployment_id']);
    if (!deployment) return this.error(404, 'Not Found', call.route);
    const { items, headers } = this.page(call, [...deployment.statuses].reverse());
    return { status: 200, headers, body: items.map((entry) => this.statusJson(call.route, 200, deployment, entry)) };
  },

  'repos/get-deployment-status'(call) {
    const deployment = this.findDeployment(call.params['deployment_id']);
    const entry = deployment?.statuses.find((status) => status.id === Number(call.params['status_id']));
    if (!deployment || !entry) return this.error(404, 'Not Found', call.route);
    return { status: 200, body: this.statusJson(call.route, 200, deployment, entry) };
  },

  'repos/create-deployment-status'(call) {
    const deployment = this.findDeployment(call.params['deployment_id']);
    if (!deployment) return this.error(404, 'Not Found', call.route);
    const body = call.body as {
      state: string;
      description?: string;
      log_url?: string;
      target_url?: string;
      environment?: string;
      environment_url?: string;
      auto_inactive?: boolean;
    };
    const description = body.description ?? '';
    if (description.length > 140) {
      return this.validationFailed(call.route, 'DeploymentStatus', [{ field: 'description', code: 'custom', message: 'description is too long (maximum is 140 characters)' }]);
    }
    const entry = this.createStatus(deployment, {
      state: body.state,
      description,
      environment: body.environment ?? deployment.environment,
      environmentUrl: body.environment_url ?? '',
      logUrl: body.log_url ?? body.target_url ?? '',
      creator: call.user,
    });
    // auto_inactive: earlier successful deployments of the same environment go inactive, but only
    // those that are neither transient nor production.
    if (body.state === 'success' && body.auto_inactive !== false) {
      for (const other of this.deployments) {
        if (other === deployment || other.environment !== deployment.environment || other.id > deployment.id) continue;
        if (other.transient || other.production || latestState(other) !== 'success') continue;
        this.createStatus(other, { ...entry, state: 'inactive', description: '' });
      }
    }
    return { status: 201, body: this.statusJson(call.route, 201, deployment, entry) };
  },

  'repos/get-all-environments'(call) {
    const example = this.exampleOf(call.route, 200);
    const template = (example['environments'] as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    const environments = [...this.environments.values()].map((environment, index) => ({
      ...template,
      id: index + 1,
      name: environment.name,
      protection_rules: [],
    }));
    return { status: 200, body: { total_count: environments.length, environments } };
  },

  'repos/get-environment'(call) {
    const environment = this.environments.get(call.params['environment_name'] ?? '');
    if (!environment) return this.error(404, 'Not Found', call.route);
    const example = this.exampleOf(call.route, 200);
    const rules = (environment.protectionRules ?? []).map((rule, index) => ({
      id: index + 1,
      node_id: `GA_${index + 1}`,
      type: rule.type,
      ...(rule.type === 'wait_timer' ? { wait_timer: rule.waitTimer ?? 1 } : {}),
      ...(rule.type === 'required_reviewers'
        ? { prevent_self_review: rule.preventSelfReview ?? false, reviewers: (rule.reviewers ?? []).map((login) => ({ type: 'User', reviewer: { login } })) }
        : {}),
    }));
    const policy = environment.branchPolicies ? { protected_branches: false, custom_branch_policies: true } : null;
    return {
      status: 200,
      body: { ...example, ...(environment.id ? { id: environment.id } : {}), name: environment.name, protection_rules: rules, deployment_branch_policy: policy, can_admins_bypass: environment.canAdminsBypass ?? true },
    };
  },

  'issues/list-comments'(call) {
    const issue = Number(call.params['issue_number']);
    if (!this.pulls.some((pull) => pull.number === issue)) return this.error(404, 'Not Found', call.route);
    const { items, headers } = this.page(call, this.comments.filter((comment) => comment.issue === issue));
    return { status: 200, headers, body: items.map((comment) => this.commentJson(call.route, 200, comment)) };
  },

  'issues/get-comment'(call) {
    const comment = this.comments.find((entry) => entry.id === Number(call.params['comment_id']));
    if (!comment) return this.error(404, 'Not Found', call.route);
    return { status: 200, body: this.commentJson(call.route, 200, comment) };
  },

  'issues/create-comment'(call) {
    const issue = Number(call.params['issue_number']);
    if (!this.pulls.some((pull) => pull.number === issue)) return this.error(404, 'Not Found', call.route);
    const body = String(call.body['body']);
    if (body.length > MAX_COMMENT_CHARS) return this.validationFailed(call.route, 'IssueComment', [COMMENT_TOO_LONG]);
    const now = this.timestamp();
    const comment: Comment = { id: this.nextId(), issue, body, user: call.user, createdAt: now, updatedAt: now };
    this.comments.push(comment);
    return { status: 201, body: this.commentJson(call.route, 201, comment) };
  },

  'issues/update-comment'(call) {
    const comment = this.comments.find((entry) => entry.id === Number(call.params['comment_id']));
    if (!comment) return this.error(404, 'Not Found', call.route);
    const body = String(call.body['body']);
    if (body.length > MAX_COMMENT_CHARS) return this.validationFailed(call.route, 'IssueComment', [COMMENT_TOO_LONG]);
    comment.body = body;
    comment.updatedAt = this.timestamp();
    return { status: 200, body: this.commentJson(call.route, 200, comment) };
  },

  'issues/delete-comment'(call) {
    const index = this.comments.findIndex((entry) => entry.id === Number(call.params['comment_id']));
    if (index < 0) return this.error(404, 'Not Found', call.route);
    this.comments.splice(index, 1);
    return { status: 204 };
  },

  'pulls/get'(call) {
    const pull = this.pulls.find((entry) => entry.number === Number(call.params['pull_number']));
    if (!pull) return this.error(404, 'Not Found', call.route);
    return { status: 200, body: this.pullJson(call.route, 200, pull) };
  },

  'repos/list-pull-requests-associated-with-commit'(call) {
    const sha = call.params['commit_sha'];
    const pulls = this.pulls.filter((pull) => pull.headSha === sha);
    return { status: 200, body: pulls.map((pull) => this.pullJson(call.route, 200, pull)) };
  },

  'repos/get-commit'(call) {
    const sha = this.resolveRef(call.params['ref'] ?? '');
    if (!sha) return this.validationFailed(call.route, 'Commit', [{ field: 'sha', code: 'invalid', message: `No commit found for SHA: ${call.params['ref']}` }]);
    const example = this.exampleOf(call.route, 200);
    const login = this.commitAuthors.get(sha);
    return {
      status: 200,
      body: {
        ...example,
        sha,
        node_id: `C_${sha}`,
        html_url: `${this.repositoryUrl}/commit/${sha}`,
        author: login ? { ...(example['author'] as object), login } : null,
        files: [],
      },
    };
  },

  'repos/create-commit-status'(call) {
    const body = call.body as { state: string; context?: string; description?: string; target_url?: string };
    const status: CommitStatus = {
      id: this.nextId(),
      sha: call.params['sha'] ?? '',
      state: body.state,
      context: body.context ?? 'default',
      description: body.description ?? '',
      targetUrl: body.target_url ?? '',
      createdAt: this.timestamp(),
    };
    this.commitStatuses.push(status);
    const example = this.exampleOf(call.route, 201);
    return {
      status: 201,
      body: commitStatusJson(example, status),
    };
  },

  'repos/list-commit-statuses-for-ref'(call) {
    const sha = this.resolveRef(call.params['ref'] ?? '');
    const example = this.exampleOf(call.route, 200);
    const statuses = this.commitStatuses.filter((status) => status.sha === sha).reverse();
    const { items, headers } = this.page(call, statuses);
    return {
      status: 200,
      headers,
      body: items.map((status) => commitStatusJson(example, status)),
    };
  },

  'repos/get-combined-status-for-ref'(call) {
    const sha = this.resolveRef(call.params['ref'] ?? '');
    if (!sha) return this.error(404, 'Not Found', call.route);
    const latest = new Map<string, CommitStatus>();
    for (const status of this.commitStatuses.filter((entry) => entry.sha === sha)) latest.set(status.context, status);
    const states = [...latest.values()].map((status) => status.state);
    const state = states.some((entry) => entry === 'failure' || entry === 'error') ? 'failure' : states.every((entry) => entry === 'success') && states.length > 0 ? 'success' : 'pending';
    const example = this.exampleOf(call.route, 200);
    const template = (example['statuses'] as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    return {
      status: 200,
      body: {
        ...example,
        state,
        sha,
        total_count: latest.size,
        statuses: [...latest.values()].map((status) => ({ ...template, id: status.id, state: status.state, context: status.context, description: status.description, target_url: status.targetUrl || null })),
      },
    };
  },

  'checks/create'(call) {
    const body = call.body as { name: string; head_sha: string; status?: string; conclusion?: string; output?: CheckRun['output'] };
    const run: CheckRun = {
      id: this.nextId(),
      name: body.name,
      headSha: body.head_sha,
      status: body.conclusion ? 'completed' : (body.status ?? 'queued'),
      conclusion: body.conclusion ?? null,
      output: body.output ?? null,
    };
    this.checkRuns.push(run);
    return { status: 201, body: checkRunJson(this, call.route, 201, run) };
  },

  'checks/update'(call) {
    const run = this.checkRuns.find((entry) => entry.id === Number(call.params['check_run_id']));
    if (!run) return this.error(404, 'Not Found', call.route);
    const body = call.body as { name?: string; status?: string; conclusion?: string; output?: CheckRun['output'] };
    if (body.name) run.name = body.name;
    if (body.status) run.status = body.status;
    if (body.conclusion) {
      run.conclusion = body.conclusion;
      run.status = 'completed';
    }
    if (body.output) run.output = body.output;
    return { status: 200, body: checkRunJson(this, call.route, 200, run) };
  },

  'checks/get'(call) {
    const run = this.checkRuns.find((entry) => entry.id === Number(call.params['check_run_id']));
    if (!run) return this.error(404, 'Not Found', call.route);
    return { status: 200, body: checkRunJson(this, call.route, 200, run) };
  },

  'code-scanning/upload-sarif'(call) {
    const body = call.body as { commit_sha: string; ref: string; sarif: string };
    let sarif: unknown;
    try {
      sarif = this.decodeSarif(body.sarif);
    } catch {
      return this.error(400, 'Invalid SARIF: the sarif field must be gzip-compressed and base64-encoded', call.route);
    }
    const runs = (sarif as { runs?: Array<{ tool?: { driver?: { name?: string } } }> }).runs ?? [];
    const upload: SarifUpload = {
      id: `sarif-${this.nextId()}`,
      commitSha: body.commit_sha,
      ref: body.ref,
      sarif,
      toolNames: runs.map((run) => run.tool?.driver?.name ?? ''),
    };
    this.sarifs.push(upload);
    return { status: 202, body: { id: upload.id, url: `${this.apiUrl}/repos/${this.owner}/${this.repo}/code-scanning/sarifs/${upload.id}` } };
  },

  'code-scanning/get-sarif'(call) {
    const upload = this.sarifs.find((entry) => entry.id === call.params['sarif_id']);
    if (!upload) return this.error(404, 'Not Found', call.route);
    return { status: 200, body: { processing_status: 'complete', analyses_url: `${this.apiUrl}/repos/${this.owner}/${this.repo}/code-scanning/analyses?sarif_id=${upload.id}`, errors: null } };
  },

  'actions/get-actions-cache-list'(call) {
    const key = call.query.get('key');
    const ref = call.query.get('ref');
    const direction = call.query.get('direction') ?? 'desc';
    const sort = call.query.get('sort') ?? 'last_accessed_at';
    const field = sort === 'created_at' ? 'createdAt' : sort === 'size_in_bytes' ? 'sizeInBytes' : 'lastAccessedAt';
    const matching = this.caches
      .filter((cache) => (!key || cache.key.startsWith(key)) && (!ref || cache.ref === ref))
      .sort((a, b) => (a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0) * (direction === 'asc' ? 1 : -1));
    const { items, headers } = this.page(call, matching);
    return {
      status: 200,
      headers,
      body: {
        total_count: matching.length,
        actions_caches: items.map(cacheJson),
      },
    };
  },

  'actions/delete-actions-cache-by-id'(call) {
    const index = this.caches.findIndex((cache) => cache.id === Number(call.params['cache_id']));
    if (index < 0) return this.error(404, 'Not Found', call.route);
    this.caches.splice(index, 1);
    return { status: 204 };
  },

  'actions/delete-actions-cache-by-key'(call) {
    const key = call.query.get('key');
    const ref = call.query.get('ref');
    const removed = this.caches.filter((cache) => cache.key === key && (!ref || cache.ref === ref));
    if (removed.length === 0) return this.error(404, 'Not Found', call.route);
    for (const cache of removed) this.caches.splice(this.caches.indexOf(cache), 1);
    return {
      status: 200,
      body: {
        total_count: removed.length,
        actions_caches: removed.map(cacheJson),
      },
    };
  },
};
