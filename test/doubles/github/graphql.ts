import { schema as published } from '@octokit/graphql-schema';
import {
  buildClientSchema,
  execute,
  getNamedType,
  GraphQLError,
  isObjectType,
  isInterfaceType,
  Kind,
  parse,
  validate,
  valueFromASTUntyped,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type IntrospectionQuery,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { RecordedRequest, Reply } from '../http-double.ts';
import type { GitCommit } from './commits.ts';
import { GITHUB_ACTIONS_APP_ID, type WorkflowRun } from './actions-runs.ts';
import type { Deployment, DeploymentStatus, GitHubDouble, Permission, TokenGrant } from './server.ts';

/**
 * GitHub's GraphQL API in the double (POST /graphql; /api/graphql under GitHub Enterprise Server).
 * Every query is parsed and validated against GitHub's published schema (@octokit/graphql-schema,
 * with graphql-js's own validator), then checked for GitHub's documented limits (first or last on
 * every connection, 1 to 100, at most 500,000 nodes), then executed by graphql-js over resolvers that
 * read the double's records: deployments and statuses (server.ts), commits (commits.ts), runs and
 * their reviews (actions-runs.ts). Anything refused is answered as GitHub answers, HTTP 200 with an `errors`
 * array, and kept in the double's `rejected` list, so a test whose code sent it fails.
 *
 * Error wording is graphql-js's for schema violations and GitHub's documented one for its limits.
 * A field the schema has but the double does not model resolves null and is a violation.
 */

let cachedSchema: GraphQLSchema | undefined;

/** GitHub's schema, built once per process from its published introspection result. */
export function gitHubSchema(): GraphQLSchema {
  cachedSchema ??= buildClientSchema(published.json as unknown as IntrospectionQuery);
  return cachedSchema;
}

/** GitHub's documented limits (docs: "Rate limits and node limits for the GraphQL API"). */
export const MAX_NODES = 500_000;
export const MAX_PAGE = 100;

interface Context {
  double: GitHubDouble;
  grant: TokenGrant;
}

interface GitHubErrorJson {
  message: string;
  type?: string;
  path?: ReadonlyArray<string | number>;
  locations?: ReadonlyArray<{ line: number; column: number }>;
  extensions?: Record<string, unknown>;
}

class GitHubGraphqlError extends GraphQLError {
  constructor(type: string, message: string) {
    super(message, { extensions: { githubType: type } });
  }
}

function allowed(grant: TokenGrant, scope: string, level: Permission): boolean {
  if (grant.permissions === 'all') return true;
  const has = grant.permissions[scope];
  return has === 'write' || (has === 'read' && level === 'read');
}

/** What a GITHUB_TOKEN without the permission gets: the field is null, the error says FORBIDDEN. */
function need(context: Context, scope: string, level: Permission = 'read'): void {
  if (!allowed(context.grant, scope, level)) throw new GitHubGraphqlError('FORBIDDEN', 'Resource not accessible by integration');
}

const encodeCursor = (offset: number) => Buffer.from(`cursor:v2:${offset}`).toString('base64');
function decodeCursor(cursor: string, connection: string): number {
  const match = /^cursor:v2:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw new GitHubGraphqlError('INVALID_CURSOR_ARGUMENTS', `\`${cursor}\` does not appear to be a valid cursor for the \`${connection}\` connection.`);
  return Number(match[1]);
}

interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

/** A Relay connection over items, paginated as GitHub does (limits already checked statically); only the page becomes nodes. */
function connection<T, N = T>(items: readonly T[], args: PageArgs, name: string, toNode: (item: T) => N = (item) => item as unknown as N): Record<string, unknown> {
  const total = items.length;
  let start = 0;
  let end = total;
  if (args.after) start = Math.max(start, decodeCursor(args.after, name) + 1);
  if (args.before) end = Math.min(end, decodeCursor(args.before, name));
  if (typeof args.first === 'number') end = Math.min(end, start + args.first);
  if (typeof args.last === 'number') start = Math.max(start, end - args.last);
  const page = items.slice(start, Math.max(start, end)).map(toNode);
  const edges = page.map((node, index) => ({ node, cursor: encodeCursor(start + index) }));
  return {
    nodes: page,
    edges,
    totalCount: total,
    pageInfo: {
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
    },
  };
}

/** GraphQL's Bot.login has no [bot] suffix; the REST login does. */
function actor(login: string): Record<string, unknown> {
  const bot = login.endsWith('[bot]');
  const name = bot ? login.slice(0, -'[bot]'.length) : login;
  return { __typename: bot ? 'Bot' : 'User', login: name, url: `https://github.com/${bot ? 'apps/' : ''}${name}` };
}

const stateEnum = (state: string) => state.toUpperCase();

function statusNode(deployment: Deployment, status: DeploymentStatus): Record<string, unknown> {
  return {
    __typename: 'DeploymentStatus',
    id: `DES_${status.id}`,
    state: stateEnum(status.state),
    description: status.description || null,
    environment: status.environment,
    environmentUrl: status.environmentUrl || null,
    logUrl: status.logUrl || null,
    createdAt: status.createdAt,
    updatedAt: status.createdAt,
    creator: actor(status.creator),
    deployment: () => deploymentNode(deployment),
  };
}

function deploymentNode(deployment: Deployment): Record<string, unknown> {
  return {
    __typename: 'Deployment',
    id: `DE_${deployment.id}`,
    databaseId: deployment.id,
    createdAt: deployment.createdAt,
    updatedAt: deployment.statuses.at(-1)?.createdAt ?? deployment.createdAt,
    environment: deployment.environment,
    originalEnvironment: deployment.environment,
    latestEnvironment: deployment.statuses.at(-1)?.environment ?? deployment.environment,
    commitOid: deployment.sha,
    task: deployment.task,
    description: deployment.description || null,
    payload: JSON.stringify(deployment.payload ?? {}),
    state: deployment.statuses.length === 0 ? 'PENDING' : stateEnum(latestDeploymentState(deployment)),
    creator: actor(deployment.creator),
    // Oldest first, as GitHub lists them here (the reader must not rely on it: latestStatus says which end is newest).
    statuses: (args: PageArgs) => connection(deployment.statuses, args, 'statuses', (status) => statusNode(deployment, status)),
    latestStatus: () => {
      const latest = deployment.statuses.at(-1);
      return latest ? statusNode(deployment, latest) : null;
    },
    commit: (_args: unknown, context: Context) => {
      need(context, 'contents');
      const commit = context.double.git.get(deployment.sha);
      return commit ? commitNode(commit) : null;
    },
  };
}

/** GitHub's DeploymentState: the latest status, with success called ACTIVE. */
function latestDeploymentState(deployment: Deployment): string {
  const latest = deployment.statuses.at(-1)?.state ?? 'pending';
  return latest === 'success' ? 'active' : latest;
}

function checkSuiteNode(run: WorkflowRun, double: GitHubDouble): Record<string, unknown> {
  const runUrl = `${double.repositoryUrl}/actions/runs/${run.id}`;
  const completed = run.jobs.every((job) => job.completedAt !== null);
  return {
    __typename: 'CheckSuite',
    id: `CS_${run.checkSuiteId}`,
    databaseId: run.checkSuiteId,
    createdAt: run.createdAt,
    updatedAt: run.jobs.map((job) => job.completedAt ?? job.startedAt).sort().at(-1) ?? run.createdAt,
    status: completed ? 'COMPLETED' : 'IN_PROGRESS',
    conclusion: completed ? (run.jobs.some((job) => job.conclusion === 'failure') ? 'FAILURE' : 'SUCCESS') : null,
    url: `${runUrl}`,
    resourcePath: `/${double.owner}/${double.repo}/actions/runs/${run.id}`,
    app: { __typename: 'App', databaseId: GITHUB_ACTIONS_APP_ID, slug: 'github-actions', name: 'GitHub Actions' },
    creator: actor(run.actor),
    checkRuns: (args: PageArgs, context: Context) => {
      need(context, 'checks');
      const jobs = run.jobs.map((job) => ({
        __typename: 'CheckRun',
        id: `CR_${job.id}`,
        databaseId: job.id,
        name: job.name,
        startedAt: job.startedAt,
        completedAt: job.completedAt,
        status: job.completedAt ? 'COMPLETED' : 'IN_PROGRESS',
        conclusion: job.conclusion ? job.conclusion.toUpperCase() : null,
        url: `${runUrl}/job/${job.id}`,
        detailsUrl: `${runUrl}/job/${job.id}`,
      }));
      return connection(jobs, args, 'checkRuns');
    },
    workflowRun: (_args: unknown, context: Context) => {
      need(context, 'actions');
      return {
        __typename: 'WorkflowRun',
        id: `WFR_${run.id}`,
        databaseId: run.id,
        runNumber: run.id % 10_000,
        createdAt: run.createdAt,
        updatedAt: run.createdAt,
        event: run.event,
        url: runUrl,
        resourcePath: `/${double.owner}/${double.repo}/actions/runs/${run.id}`,
        deploymentReviews: (args: PageArgs) =>
          connection(
            run.reviews.map((review, index) => ({
              __typename: 'DeploymentReview',
              id: `DR_${run.id}_${index}`,
              databaseId: run.id * 100 + index,
              state: review.state.toUpperCase(),
              comment: review.comment,
              user: actor(review.user),
              environments: (environmentArgs: PageArgs) => connection(review.environments.map((name) => environmentNode(name, double)), environmentArgs, 'environments'),
            })),
            args,
            'deploymentReviews',
          ),
      };
    },
  };
}

function environmentNode(name: string, double: GitHubDouble): Record<string, unknown> {
  const index = [...environmentNames(double)].indexOf(name);
  const rules = (double.environments.get(name)?.protectionRules ?? []).map((rule, ruleIndex) => ({
    __typename: 'DeploymentProtectionRule',
    databaseId: (index + 1) * 100 + ruleIndex,
    type: rule.type.toUpperCase(),
    timeout: rule.type === 'wait_timer' ? (rule.waitTimer ?? 1) : 0,
    preventSelfReview: false,
  }));
  return {
    __typename: 'Environment',
    id: `EN_${index + 1}`,
    databaseId: index + 1,
    name,
    protectionRules: (args: PageArgs) => connection(rules, args, 'protectionRules'),
  };
}

/** GitHub creates an environment when a deployment names it; configured ones exist without any. */
function environmentNames(double: GitHubDouble): Set<string> {
  return new Set([...double.environments.keys(), ...double.deployments.map((deployment) => deployment.environment)]);
}

function commitNode(commit: GitCommit): Record<string, unknown> {
  return {
    __typename: 'Commit',
    id: `C_${commit.oid}`,
    oid: commit.oid,
    abbreviatedOid: commit.oid.slice(0, 7),
    committedDate: commit.committedDate,
    authoredDate: commit.committedDate,
    message: commit.message,
    messageHeadline: commit.message.split('\n')[0],
    author: { __typename: 'GitActor', name: commit.author.name, email: commit.author.email, date: commit.committedDate, user: commit.author.login ? actor(commit.author.login) : null },
    committer: { __typename: 'GitActor', name: commit.author.name, email: commit.author.email, date: commit.committedDate, user: commit.author.login ? actor(commit.author.login) : null },
    parents: (args: PageArgs, context: Context) => connection(commit.parents.map((oid) => context.double.git.get(oid)).filter((found) => found !== undefined).map(commitNode), args, 'parents'),
    history: (args: PageArgs & { since?: string; until?: string }, context: Context) => {
      need(context, 'contents');
      const filter = { ...(args.since ? { since: args.since } : {}), ...(args.until ? { until: args.until } : {}) };
      // Walk only as far as the page needs (and one more, to know whether there is a next page).
      const offset = args.after ? decodeCursor(args.after, 'history') + 1 : 0;
      const limit = typeof args.first === 'number' && !args.before && typeof args.last !== 'number' ? offset + args.first + 1 : undefined;
      const walked = context.double.git.history(commit.oid, filter, limit);
      const page = connection(walked, args, 'history', commitNode);
      // A cut walk knows there is a next page, not how long the history is: counted only if asked.
      return { ...page, totalCount: () => context.double.git.history(commit.oid, filter).length };
    },
    checkSuites: (args: PageArgs & { filterBy?: { appId?: number; checkName?: string } }, context: Context) => {
      need(context, 'checks');
      const appId = args.filterBy?.appId;
      const runs = appId === undefined || appId === GITHUB_ACTIONS_APP_ID ? context.double.runs.forCommit(commit.oid) : [];
      return connection(runs.map((run) => checkSuiteNode(run, context.double)), args, 'checkSuites');
    },
  };
}

function repositoryNode(double: GitHubDouble): Record<string, unknown> {
  return {
    __typename: 'Repository',
    id: `R_${double.owner}_${double.repo}`,
    name: double.repo,
    nameWithOwner: `${double.owner}/${double.repo}`,
    url: double.repositoryUrl,
    deployments: (args: PageArgs & { environments?: string[] | null; orderBy?: { field: string; direction: string } }, context: Context) => {
      need(context, 'deployments');
      const wanted = args.environments ? new Set(args.environments) : undefined;
      const direction = args.orderBy?.direction ?? 'ASC';
      const matching = double.deployments
        .filter((deployment) => !wanted || wanted.has(deployment.environment))
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id - b.id) * (direction === 'DESC' ? -1 : 1));
      return connection(matching, args, 'deployments', deploymentNode);
    },
    environments: (args: PageArgs & { names?: string[] | null }, context: Context) => {
      need(context, 'actions');
      const names = [...environmentNames(double)].sort();
      const wanted = args.names && args.names.length > 0 ? new Set(args.names) : undefined;
      return connection(names.filter((name) => !wanted || wanted.has(name)).map((name) => environmentNode(name, double)), args, 'environments');
    },
    object: (args: { oid?: string; expression?: string }, context: Context) => {
      need(context, 'contents');
      const oid = args.oid ?? (args.expression ? double.resolveRef(args.expression) : undefined);
      const commit = oid ? double.git.get(oid) : undefined;
      return commit ? commitNode(commit) : null;
    },
  };
}

/** Query.node and Query.nodes: the ids the double hands out for deployments, commits and check suites. */
function lookupNode(id: string, context: Context): Record<string, unknown> {
  const double = context.double;
  const deployment = /^DE_(\d+)$/.exec(id);
  const found = deployment ? double.findDeployment(deployment[1]) : undefined;
  if (found) {
    need(context, 'deployments');
    return deploymentNode(found);
  }
  const commit = /^C_([0-9a-f]{40})$/.exec(id);
  const stored = commit ? double.git.get(commit[1] as string) : undefined;
  if (stored) {
    need(context, 'contents');
    return commitNode(stored);
  }
  const suite = /^CS_(\d+)$/.exec(id);
  const run = suite ? double.runs.bySuite(Number(suite[1])) : undefined;
  if (run) {
    need(context, 'checks');
    return checkSuiteNode(run, double);
  }
  throw new GitHubGraphqlError('NOT_FOUND', `Could not resolve to a node with the global id of '${id}'`);
}

interface StaticCheck {
  errors: GitHubErrorJson[];
  nodes: number;
  /** GitHub's rate-limit "requests": one per connection per parent node. */
  requests: number;
}

/**
 * GitHub's limits before execution: every connection needs first or last within 1-100; the nodes a
 * query could return (the product of the page sizes down each path) stay within 500,000. The same
 * walk counts the requests that GitHub's points formula adds up.
 */
function checkLimits(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): StaticCheck {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const result: StaticCheck = { errors: [], nodes: 0, requests: 0 };
  const argument = (field: FieldNode, name: string): unknown => {
    const node = field.arguments?.find((entry) => entry.name.value === name);
    return node ? valueFromASTUntyped(node.value, variables) : undefined;
  };
  const walk = (type: GraphQLCompositeType, selections: SelectionSetNode, multiplier: number) => {
    for (const selection of selections.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const condition = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType) : type;
        walk(condition, selection.selectionSet, multiplier);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType, fragment.selectionSet, multiplier);
        continue;
      }
      if (!selection.selectionSet || !(isObjectType(type) || isInterfaceType(type))) continue;
      const definition = type.getFields()[selection.name.value];
      if (!definition) continue;
      const named = getNamedType(definition.type) as GraphQLCompositeType;
      let inner = multiplier;
      const ids = selection.name.value === 'nodes' && type === schema.getQueryType() ? argument(selection, 'ids') : undefined;
      if (Array.isArray(ids)) {
        // Query.nodes(ids:) is not a connection, but each id is a parent of what is selected below it.
        inner = multiplier * ids.length;
        result.nodes += inner;
      } else if (named.name.endsWith('Connection')) {
        const first = argument(selection, 'first');
        const last = argument(selection, 'last');
        const size = typeof first === 'number' ? first : typeof last === 'number' ? last : undefined;
        const name = selection.name.value;
        if (size === undefined) {
          result.errors.push({ type: 'MISSING_PAGINATION_BOUNDARIES', message: `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.` });
        } else if (size < 0 || size > MAX_PAGE) {
          const which = typeof first === 'number' ? 'first' : 'last';
          result.errors.push({ type: 'EXCESSIVE_PAGINATION', message: `Requesting ${size} records on the \`${name}\` connection exceeds the \`${which}\` limit of ${MAX_PAGE} records.` });
        }
        result.requests += multiplier;
        inner = multiplier * Math.max(1, size ?? 1);
        result.nodes += inner;
      }
      walk(named, selection.selectionSet, inner);
    }
  };
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  if (root) walk(root, operation.selectionSet, 1);
  if (result.nodes > MAX_NODES) {
    result.errors.push({ type: 'MAX_NODE_LIMIT_EXCEEDED', message: `This query requests up to ${result.nodes.toLocaleString('en-US')} possible nodes which exceeds the maximum limit of ${MAX_NODES.toLocaleString('en-US')}.` });
  }
  return result;
}

/** GitHub's points for a query: its requests / 100, rounded, at least 1. */
export function pointsFor(requests: number): number {
  return Math.max(1, Math.round(requests / 100));
}

/** The limits check and the cost of a query on its own (for tests of the formula and for budgets). */
export function queryCost(query: string, variables: Record<string, unknown> = {}): { nodes: number; requests: number; points: number; errors: string[] } {
  const document = parse(query);
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error('no operation in the query');
  const limits = checkLimits(gitHubSchema(), document, operation, variables);
  return { nodes: limits.nodes, requests: limits.requests, points: pointsFor(limits.requests), errors: limits.errors.map((error) => error.message) };
}

export interface GraphqlCall {
  query: string;
  variables: Record<string, unknown>;
  points: number;
  nodes: number;
  /** The errors the answer carried (refusals and FORBIDDEN fields). */
  errors: GitHubErrorJson[];
}

export class GitHubGraphql {
  readonly #double: GitHubDouble;
  /** Every query answered, with its cost. */
  readonly calls: GraphqlCall[] = [];
  /** Points spent, by GitHub's formula; GITHUB_TOKEN gets 1,000 an hour per repository. */
  points = 0;
  /** A GITHUB_TOKEN's hourly budget of points (the x-ratelimit-limit header). */
  limit = 1000;

  constructor(double: GitHubDouble) {
    this.#double = double;
  }

  /** GraphQL's endpoint: /graphql on github.com, /api/graphql beside GHES's /api/v3. */
  get path(): string {
    return this.#double.pathPrefix.endsWith('/v3') ? `${this.#double.pathPrefix.slice(0, -'/v3'.length)}/graphql` : `${this.#double.pathPrefix}/graphql`;
  }

  handles(path: string): boolean {
    return path === this.path;
  }

  answer(request: RecordedRequest): Reply {
    const double = this.#double;
    if (request.method !== 'POST') {
      double.violations.push(`${request.method} ${request.path}: GitHub's GraphQL API takes POST only`);
      return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/graphql' } };
    }
    const auth = /^(?:token|bearer)\s+(\S+)$/i.exec(String(request.headers.authorization ?? ''));
    const grant = auth ? double.tokens.get(auth[1] as string) : undefined;
    if (!grant) return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/graphql' } };
    const body = request.body as { query?: unknown; variables?: unknown; operationName?: unknown } | undefined;
    const refuse = (errors: GitHubErrorJson[], query = '') => {
      double.rejected.push(`POST ${request.path}: ${errors.map((error) => error.message).join('; ')}`);
      this.calls.push({ query, variables: {}, points: 0, nodes: 0, errors });
      return { status: 200, body: { errors } };
    };
    if (!body || typeof body.query !== 'string') return refuse([{ message: 'A query attribute must be specified and must be a string.' }]);
    const query = body.query;
    const variables = (body.variables && typeof body.variables === 'object' ? body.variables : {}) as Record<string, unknown>;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      const syntax = error as GraphQLError;
      return refuse([{ message: syntax.message, ...(syntax.locations ? { locations: syntax.locations } : {}) }], query);
    }
    const schema = gitHubSchema();
    const invalid = validate(schema, document);
    if (invalid.length > 0) {
      return refuse(invalid.map((error) => ({ message: error.message, ...(error.locations ? { locations: error.locations } : {}), extensions: { code: 'undefinedField' } })), query);
    }
    const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
    const operation = typeof body.operationName === 'string' ? operations.find((entry) => entry.name?.value === body.operationName) : operations[0];
    if (!operation) return refuse([{ message: 'No operation named in the document' }], query);
    if (operation.operation !== 'query') {
      double.violations.push(`POST ${request.path}: the double answers GraphQL queries only, not ${operation.operation}s`);
      return refuse([{ message: `${operation.operation} is not modelled by the double` }], query);
    }
    const limits = checkLimits(schema, document, operation, variables);
    if (limits.errors.length > 0) return refuse(limits.errors, query);

    const points = pointsFor(limits.requests);
    const context: Context = { double, grant };
    const unmodelled = new Set<string>();
    const fieldResolver: GraphQLFieldResolver<Record<string, unknown>, Context> = (source, args, ctx, info) => {
      if (!(info.fieldName in source)) {
        unmodelled.add(`${info.parentType.name}.${info.fieldName}`);
        return null;
      }
      const value = source[info.fieldName];
      return typeof value === 'function' ? (value as (a: unknown, c: Context, i: unknown) => unknown).call(source, args, ctx, info) : value;
    };
    this.points += points;
    const remaining = Math.max(0, this.limit - this.points);
    const rootValue = {
      repository: (args: { owner: string; name: string }) => {
        if (args.owner !== double.owner || args.name !== double.repo) {
          throw new GitHubGraphqlError('NOT_FOUND', `Could not resolve to a Repository with the name '${args.owner}/${args.name}'.`);
        }
        return repositoryNode(double);
      },
      node: (args: { id: string }) => lookupNode(args.id, context),
      nodes: (args: { ids: string[] }) => args.ids.map((id) => lookupNode(id, context)),
      rateLimit: () => ({ __typename: 'RateLimit', cost: points, limit: this.limit, remaining, used: this.points, nodeCount: limits.nodes, resetAt: new Date(Date.now() + 3_600_000).toISOString() }),
    };
    const result = execute({ schema, document, rootValue, contextValue: context, variableValues: variables, operationName: operation.name?.value ?? null, fieldResolver }) as Awaited<ReturnType<typeof execute>>;
    for (const field of unmodelled) double.violations.push(`GraphQL field ${field} exists on GitHub but the double does not model it`);
    const errors: GitHubErrorJson[] = (result.errors ?? []).map((error) => {
      const type = error.extensions?.['githubType'];
      if (typeof type !== 'string') double.violations.push(`GraphQL resolver failed: ${error.message}`);
      return { ...(typeof type === 'string' ? { type } : {}), message: error.message, ...(error.path ? { path: error.path } : {}), ...(error.locations ? { locations: error.locations } : {}) };
    });
    this.calls.push({ query, variables, points, nodes: limits.nodes, errors });
    return {
      status: 200,
      headers: {
        'x-ratelimit-limit': String(this.limit),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-used': String(this.points),
        'x-ratelimit-resource': 'graphql',
      },
      body: { data: result.data ?? null, ...(errors.length > 0 ? { errors } : {}) },
    };
  }
}
