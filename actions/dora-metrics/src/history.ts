import { chooseReads, commitsBetween, type CommitStore, type MissingCommit, type StoredCommit } from './commits.ts';
import { readDeployment, type DeploymentFact, type DeploymentNode, type StatusNode } from './records.ts';

/**
 * Reading the deployment history from GitHub's GraphQL API, frugally: deployments with their
 * statuses 100 a page (one point each), the commits of many deployments per query through aliases,
 * and the runs behind the window's deployments (who triggered them, the environment reviews, the
 * jobs' timing) per commit, again many per query. Every call goes through `GraphqlClient`, so the
 * caller counts them and turns GitHub's refusals into messages.
 */

export interface GraphqlClient {
  query<T>(query: string, variables: Record<string, unknown>): Promise<T>;
}

export interface Repository {
  owner: string;
  name: string;
}

const PAGE = 100;
/** Enough for a blue-green deploy's statuses; longer histories are read on in a second pass. */
const STATUS_PAGE = 20;
/** Aliases per query: about 20 points for 50 pages of 100 commits, far from the 500,000-node limit. */
const COMMIT_READS_PER_QUERY = 50;
const RUN_READS_PER_QUERY = 100;
const MAX_COMMIT_ROUNDS = 200;
/** GitHub Actions' app id, whose check suites are workflow runs. */
const GITHUB_ACTIONS_APP_ID = 15368;

const DEPLOYMENT_FIELDS = `
fragment DeploymentFields on Deployment {
  id databaseId createdAt environment commitOid payload
  creator { login }
  latestStatus { id }
  statuses(first: ${STATUS_PAGE}) { pageInfo { hasNextPage endCursor } nodes { id state description createdAt logUrl } }
}`;

export const DEPLOYMENTS_QUERY = `
query DoraDeployments($owner: String!, $name: String!, $environments: [String!], $after: String) {
  repository(owner: $owner, name: $name) {
    deployments(environments: $environments, first: ${PAGE}, after: $after, orderBy: { field: CREATED_AT, direction: DESC }) {
      pageInfo { hasNextPage endCursor }
      nodes { ...DeploymentFields }
    }
  }
  rateLimit { cost }
}
${DEPLOYMENT_FIELDS}`;

interface Page<T> {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: T[];
}

export interface EnvironmentInfo {
  /** Environments the repository has (GitHub makes one for every environment a deployment names). */
  existing: Set<string>;
  /** Those with a required-reviewers protection rule: their runs have approvals to read. */
  reviewed: Set<string>;
  /** The repository's environments (the first 100), for a message naming what exists. */
  known: string[];
}

/** One query: which of the environments exist, and which require reviewers. */
export async function readEnvironments(client: GraphqlClient, repository: Repository, environments: readonly string[]): Promise<EnvironmentInfo> {
  const query = `
query DoraEnvironments($owner: String!, $name: String!, $names: [String!]) {
  repository(owner: $owner, name: $name) {
    all: environments(first: ${PAGE}) { nodes { name } }
    wanted: environments(names: $names, first: ${PAGE}) { nodes { name protectionRules(first: 10) { nodes { type } } } }
  }
  rateLimit { cost }
}`;
  type Nodes<T> = { nodes: T[] };
  const data = await client.query<{ repository: { all: Nodes<{ name: string }>; wanted: Nodes<{ name: string; protectionRules: Nodes<{ type: string }> }> } }>(query, {
    owner: repository.owner,
    name: repository.name,
    names: [...environments],
  });
  const wanted = data.repository.wanted.nodes;
  return {
    existing: new Set(wanted.map((node) => node.name)),
    reviewed: new Set(wanted.filter((node) => node.protectionRules.nodes.some((rule) => rule.type === 'REQUIRED_REVIEWERS')).map((node) => node.name)),
    known: data.repository.all.nodes.map((node) => node.name),
  };
}

export interface DeploymentHistory {
  deployments: DeploymentFact[];
  /** Records in these environments that another tool made (no deployActions payload): not counted. */
  foreign: number;
  /** True when the history ended before the horizon (everything there is was read). */
  complete: boolean;
}

/**
 * Deployments of the environments, newest first, back to `horizon` (epoch ms) and then on until
 * every environment and service seen has a success before the horizon (the previous deployment
 * that the first ones' lead time starts from), at most `extraPages` pages more.
 */
export async function readDeployments(
  client: GraphqlClient,
  repository: Repository,
  options: { environments: readonly string[]; horizon: number; defaultService: string; extraPages?: number },
): Promise<DeploymentHistory> {
  const deployments: DeploymentFact[] = [];
  const unfinished: Array<{ fact: DeploymentFact; node: DeploymentNode }> = [];
  let foreign = 0;
  let after: string | null = null;
  let extra = options.extraPages ?? 3;
  for (;;) {
    const data: { repository: { deployments: Page<DeploymentNode> } } = await client.query(DEPLOYMENTS_QUERY, {
      owner: repository.owner,
      name: repository.name,
      environments: [...options.environments],
      after,
    });
    const page = data.repository.deployments;
    let oldest = Infinity;
    for (const node of page.nodes) {
      oldest = Math.min(oldest, Date.parse(node.createdAt));
      const fact = readDeployment(node, node.statuses?.nodes ?? [], options.defaultService);
      if (!fact) {
        foreign += 1;
        continue;
      }
      deployments.push(fact);
      if (node.statuses?.pageInfo.hasNextPage) unfinished.push({ fact, node });
    }
    if (!page.pageInfo.hasNextPage) {
      await readRemainingStatuses(client, unfinished, options.defaultService, deployments);
      return { deployments, foreign, complete: true };
    }
    after = page.pageInfo.endCursor;
    if (oldest >= options.horizon) continue;
    if (!needsEarlierSuccess(deployments, options.horizon)) break;
    if (extra-- <= 0) break;
  }
  await readRemainingStatuses(client, unfinished, options.defaultService, deployments);
  return { deployments, foreign, complete: false };
}

/** Whether some environment and service seen has no success before the horizon yet. */
function needsEarlierSuccess(deployments: readonly DeploymentFact[], horizon: number): boolean {
  const seen = new Set<string>();
  const covered = new Set<string>();
  for (const deployment of deployments) {
    const key = `${deployment.environment}\u0000${deployment.service}`;
    seen.add(key);
    if (deployment.successAt !== undefined && deployment.successAt < horizon) covered.add(key);
  }
  return [...seen].some((key) => !covered.has(key));
}

/** Deployments with more statuses than the first page: the rest, many per query, then read again. */
async function readRemainingStatuses(client: GraphqlClient, unfinished: Array<{ fact: DeploymentFact; node: DeploymentNode }>, defaultService: string, deployments: DeploymentFact[]): Promise<void> {
  const pending = unfinished.map(({ fact, node }) => ({ fact, node, statuses: [...(node.statuses?.nodes ?? [])], cursor: node.statuses?.pageInfo.endCursor ?? null }));
  while (pending.length > 0) {
    const batch = pending.splice(0, RUN_READS_PER_QUERY);
    const aliases = batch.map((_, index) => `d${index}: node(id: $id${index}) { ... on Deployment { statuses(first: ${PAGE}, after: $after${index}) { pageInfo { hasNextPage endCursor } nodes { id state description createdAt logUrl } } } }`);
    const declarations = batch.map((_, index) => `$id${index}: ID!, $after${index}: String`).join(', ');
    const variables: Record<string, unknown> = {};
    batch.forEach((entry, index) => {
      variables[`id${index}`] = entry.node.id;
      variables[`after${index}`] = entry.cursor;
    });
    const data = await client.query<Record<string, { statuses: Page<StatusNode> } | null>>(`query DoraStatuses(${declarations}) {\n${aliases.join('\n')}\n  rateLimit { cost }\n}`, variables);
    batch.forEach((entry, index) => {
      const page = data[`d${index}`]?.statuses;
      if (!page) return;
      entry.statuses.push(...page.nodes);
      if (page.pageInfo.hasNextPage) {
        entry.cursor = page.pageInfo.endCursor;
        pending.push(entry);
        return;
      }
      const reread = readDeployment(entry.node, entry.statuses, defaultService);
      const at = deployments.indexOf(entry.fact);
      if (reread && at >= 0) deployments[at] = reread;
    });
  }
}

interface HistoryNode {
  oid: string;
  committedDate: string;
  parents: { nodes: Array<{ oid: string }> };
}

export interface CommitRange {
  /** The deployment whose lead time this is. */
  deploymentId: number;
  head: string;
  previous: string;
  /** When it matters (newest first is read first): the deployment's success time. */
  near: number;
}

export interface RangesRead {
  shipped: Map<number, StoredCommit[]>;
  /** Deployments whose commits GitHub could not give (the commit is gone, or the walk gave up). */
  unavailable: Set<number>;
}

/**
 * The commits each range shipped. Rounds: work every range out on the commits read so far; read
 * what is missing (many pages of history per query, spread along the history so they overlap
 * little); again until every range is done.
 */
export async function readRanges(client: GraphqlClient, repository: Repository, ranges: readonly CommitRange[], store: CommitStore = new Map()): Promise<RangesRead> {
  const shipped = new Map<number, StoredCommit[]>();
  const unavailable = new Set<number>();
  const gone = new Set<string>();
  let open = [...ranges];
  for (let round = 0; open.length > 0; round++) {
    const missing: MissingCommit[] = [];
    const still: CommitRange[] = [];
    for (const range of open) {
      const result = commitsBetween(store, range.head, range.previous, range.near);
      if (result.kind === 'done') {
        shipped.set(range.deploymentId, result.commits);
        continue;
      }
      if (result.missing.some((entry) => gone.has(entry.oid))) {
        unavailable.add(range.deploymentId);
        continue;
      }
      missing.push(...result.missing);
      still.push(range);
    }
    open = still;
    if (open.length === 0) break;
    if (round >= MAX_COMMIT_ROUNDS) {
      for (const range of open) unavailable.add(range.deploymentId);
      break;
    }
    const reads = chooseReads(missing, { maxReads: COMMIT_READS_PER_QUERY, perPage: PAGE, commitsPerMs: density(store) });
    const found = await readHistoryPages(client, repository, reads);
    for (const read of reads) if (!found.has(read.oid)) gone.add(read.oid);
    for (const [oid, commit] of found) store.set(oid, commit);
  }
  return { shipped, unavailable };
}

/** Commits per millisecond of committer time in what was read so far (undefined before two are known). */
function density(store: CommitStore): number | undefined {
  if (store.size < 2) return undefined;
  let oldest = Infinity;
  let newest = -Infinity;
  for (const commit of store.values()) {
    oldest = Math.min(oldest, commit.committedAt);
    newest = Math.max(newest, commit.committedAt);
  }
  return newest > oldest ? store.size / (newest - oldest) : undefined;
}

async function readHistoryPages(client: GraphqlClient, repository: Repository, reads: readonly MissingCommit[]): Promise<Map<string, StoredCommit>> {
  const declarations = reads.map((_, index) => `$oid${index}: GitObjectID!`).join(', ');
  const aliases = reads.map(
    (read, index) => `c${index}: object(oid: $oid${index}) { ... on Commit { history(first: ${read.deep ? PAGE : 1}) { nodes { oid committedDate parents(first: 5) { nodes { oid } } } } } }`,
  );
  const variables: Record<string, unknown> = { owner: repository.owner, name: repository.name };
  reads.forEach((read, index) => (variables[`oid${index}`] = read.oid));
  const data = await client.query<{ repository: Record<string, { history?: { nodes: HistoryNode[] } } | null> }>(
    `query DoraCommits($owner: String!, $name: String!, ${declarations}) {\n  repository(owner: $owner, name: $name) {\n${aliases.join('\n')}\n  }\n  rateLimit { cost }\n}`,
    variables,
  );
  const found = new Map<string, StoredCommit>();
  for (let index = 0; index < reads.length; index++) {
    for (const node of data.repository[`c${index}`]?.history?.nodes ?? []) {
      found.set(node.oid, { oid: node.oid, committedAt: Date.parse(node.committedDate), parents: node.parents.nodes.map((parent) => parent.oid) });
    }
  }
  return found;
}

export interface Review {
  state: 'approved' | 'rejected';
  comment: string;
  reviewer: string;
  /** Empty when GitHub did not say (more environments than read). */
  environments: string[];
}

export interface RunFacts {
  runId: number;
  url: string;
  /** Who triggered the run (the check suite's creator). */
  actor: string;
  createdAt: number;
  reviews: Review[];
  jobs: Array<{ startedAt: number | undefined; completedAt: number | undefined }>;
  /** Whether reviews and jobs were read (runs of environments that require reviewers). */
  detailed: boolean;
}

interface SuiteNode {
  id: string;
  createdAt: string;
  creator: { login: string } | null;
  workflowRun: { databaseId: number | null; url: string; createdAt: string } | null;
}

interface SuiteDetails {
  id: string;
  workflowRun: { databaseId: number | null; deploymentReviews: { nodes: Array<{ state: string; comment: string; user: { login: string } | null; environments: { nodes: Array<{ name: string }> } }> } } | null;
  checkRuns: { nodes: Array<{ startedAt: string | null; completedAt: string | null }> } | null;
}

const SUITES_FIELDS = `checkSuites(first: 5, filterBy: { appId: ${GITHUB_ACTIONS_APP_ID} }) { nodes { id createdAt creator { login } workflowRun { databaseId url createdAt } } }`;
const SUITE_DETAILS = `... on CheckSuite {
    id
    workflowRun { databaseId deploymentReviews(first: 3) { nodes { state comment user { login } environments(first: 2) { nodes { name } } } } }
    checkRuns(first: 10) { nodes { startedAt completedAt } }
  }`;

/**
 * The runs behind deployments, through the check suites GitHub Actions made on the commits they ran
 * at: first who triggered each (one alias per commit, 100 commits a query, about 6 points), then
 * for the runs in `detailed` (deployments of environments that require reviewers) their reviews and
 * their jobs' timing, by the suites' ids (100 a query, about 5 points).
 */
export async function readRuns(client: GraphqlClient, repository: Repository, commits: readonly string[], detailed: ReadonlySet<number>): Promise<Map<number, RunFacts>> {
  const runs = new Map<number, RunFacts>();
  const suiteOf = new Map<number, string>();
  for (let start = 0; start < commits.length; start += RUN_READS_PER_QUERY) {
    const batch = commits.slice(start, start + RUN_READS_PER_QUERY);
    const declarations = batch.map((_, index) => `$oid${index}: GitObjectID!`).join(', ');
    const aliases = batch.map((_, index) => `c${index}: object(oid: $oid${index}) { ... on Commit { ${SUITES_FIELDS} } }`);
    const variables: Record<string, unknown> = { owner: repository.owner, name: repository.name };
    batch.forEach((oid, index) => (variables[`oid${index}`] = oid));
    const data = await client.query<{ repository: Record<string, { checkSuites?: { nodes: SuiteNode[] } | null } | null> }>(
      `query DoraRuns($owner: String!, $name: String!, ${declarations}) {\n  repository(owner: $owner, name: $name) {\n${aliases.join('\n')}\n  }\n  rateLimit { cost }\n}`,
      variables,
    );
    batch.forEach((_, index) => {
      for (const suite of data.repository[`c${index}`]?.checkSuites?.nodes ?? []) {
        const run = suite.workflowRun;
        if (!run?.databaseId) continue;
        suiteOf.set(run.databaseId, suite.id);
        runs.set(run.databaseId, { runId: run.databaseId, url: run.url, actor: suite.creator?.login ?? '', createdAt: Date.parse(run.createdAt ?? suite.createdAt), reviews: [], jobs: [], detailed: false });
      }
    });
  }
  const wanted = [...detailed].flatMap((runId) => {
    const suite = suiteOf.get(runId);
    return suite ? [[runId, suite] as const] : [];
  });
  for (let start = 0; start < wanted.length; start += RUN_READS_PER_QUERY) {
    const batch = wanted.slice(start, start + RUN_READS_PER_QUERY);
    const data = await client.query<{ nodes: Array<SuiteDetails | null> }>(`query DoraReviews($ids: [ID!]!) {\n  nodes(ids: $ids) { ${SUITE_DETAILS} }\n  rateLimit { cost }\n}`, { ids: batch.map(([, suite]) => suite) });
    data.nodes.forEach((details, index) => {
      const run = runs.get((batch[index] as readonly [number, string])[0]);
      if (!details || !run) return;
      run.detailed = true;
      run.reviews = (details.workflowRun?.deploymentReviews.nodes ?? []).map((review) => ({
        state: review.state === 'REJECTED' ? 'rejected' : 'approved',
        comment: review.comment,
        reviewer: review.user?.login ?? '',
        environments: review.environments.nodes.map((environment) => environment.name),
      }));
      run.jobs = (details.checkRuns?.nodes ?? []).map((job) => ({ startedAt: job.startedAt ? Date.parse(job.startedAt) : undefined, completedAt: job.completedAt ? Date.parse(job.completedAt) : undefined }));
    });
  }
  return runs;
}
