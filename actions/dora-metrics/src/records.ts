import { DEPLOYMENT_STATES, readPayload, type DeploymentState } from '../../../shared/deployments.ts';

/**
 * GitHub's deployment records, as GraphQL returns them, read into the facts the four keys are
 * computed from: when a deployment went live, how far its traffic share got, when it first reached
 * success, how it ended, what it rolled back, and the canary verdicts its statuses carry.
 * Pure functions: no I/O here.
 */

/** One status as the history query returns it. */
export interface StatusNode {
  id: string;
  state: string;
  description: string | null;
  createdAt: string;
  logUrl?: string | null;
}

/** One deployment as the history query returns it. */
export interface DeploymentNode {
  id: string;
  databaseId: number;
  createdAt: string;
  environment: string | null;
  commitOid: string;
  payload: string | null;
  creator: { login: string } | null;
  latestStatus: { id: string } | null;
  statuses: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: StatusNode[] } | null;
}

export interface StatusFact {
  state: DeploymentState;
  description: string;
  /** Epoch milliseconds. */
  at: number;
  /** The share of traffic the deployment had at this status (0 when the status says none). */
  share: number;
  logUrl: string;
}

export interface CanaryVerdict {
  share: number;
  verdict: string;
  score: number | undefined;
  at: number;
}

export interface DeploymentFact {
  id: number;
  nodeId: string;
  environment: string;
  /** The payload's service, or the repository's name for records without one (the default service). */
  service: string;
  version: string;
  artifact: string | null;
  artifactDigest: string | null;
  sha: string;
  /** The commit the run that made the record ran at (payload.sha): a rollback's differs from the sha it restored. */
  runSha: string;
  /** The record's creator (the token's user: github-actions for GITHUB_TOKEN). */
  creator: string;
  createdAt: number;
  runId: number;
  runAttempt: number;
  strategy: string;
  rollbackOf: number | null;
  /** Oldest first. */
  statuses: StatusFact[];
  /** When it first served traffic: its first status at a share above 0. */
  wentLiveAt: number | undefined;
  /** The highest share any of its statuses records. */
  maxShare: number;
  /** Its first `success` status. */
  successAt: number | undefined;
  /** The state of its latest status (pending when it has none). */
  finalState: DeploymentState;
  canaryVerdicts: CanaryVerdict[];
}

const TAKES_SHARE = /\btakes (\d+(?:\.\d+)?)%/;
const CANARY_STATUS = /^canary (\d+(?:\.\d+)?)%: (\w+)(?:, score (-?\d+(?:\.\d+)?))?/;
const SHIFTING = /\bhealthy: shifting (\d+(?:\.\d+)?)% of traffic/;
const TRAFFIC_BACK = /\btraffic back on\b/;

/**
 * The traffic share each status records, by what deploy-bluegreen and canary-analyze write:
 * `success` is 100%; "... takes N%" and "canary N%: verdict" are N%. "healthy: shifting N% of
 * traffic" is written just before the switch, so it counts as N% only when a later status of the
 * same deployment says the traffic went back (it served traffic in between, then failed).
 * Anything else records no traffic.
 */
export function statusShares(statuses: ReadonlyArray<Pick<StatusFact, 'state' | 'description'>>): number[] {
  return statuses.map((status, index) => {
    if (status.state === 'success') return 100;
    const takes = TAKES_SHARE.exec(status.description) ?? CANARY_STATUS.exec(status.description);
    if (takes) return Number(takes[1]);
    const shifting = SHIFTING.exec(status.description);
    if (shifting && statuses.slice(index + 1).some((later) => TRAFFIC_BACK.test(later.description))) return Number(shifting[1]);
    return 0;
  });
}

function asState(state: string): DeploymentState {
  const lower = state.toLowerCase();
  // GraphQL's WAITING (GitHub's own environment records) has no REST name: it is not yet running.
  if (lower === 'waiting') return 'queued';
  return (DEPLOYMENT_STATES as readonly string[]).includes(lower) ? (lower as DeploymentState) : 'pending';
}

/**
 * Statuses oldest first, whichever end GraphQL lists first: the latest status tells which end is
 * the newest (the schema promises no order; timestamps have one-second resolution and tie often).
 */
export function orderStatuses(nodes: readonly StatusNode[], latestId: string | undefined): StatusNode[] {
  if (nodes.length > 1 && latestId !== undefined && nodes[0]?.id === latestId) return [...nodes].reverse();
  return [...nodes];
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Reads one deployment; undefined for records another tool made (no deployActions payload). */
export function readDeployment(node: DeploymentNode, statuses: readonly StatusNode[], defaultService: string): DeploymentFact | undefined {
  const payload = readPayload(node.payload);
  if (!payload || !node.environment) return undefined;
  const extra = payload as unknown as Record<string, unknown>;
  const ordered = orderStatuses(statuses, node.latestStatus?.id);
  const base = ordered.map((status) => ({ state: asState(status.state), description: status.description ?? '', at: Date.parse(status.createdAt), logUrl: status.logUrl ?? '' }));
  const shares = statusShares(base);
  const facts: StatusFact[] = base.map((status, index) => ({ ...status, share: shares[index] as number }));
  const live = facts.find((status) => status.share > 0);
  const canaryVerdicts: CanaryVerdict[] = [];
  for (const status of facts) {
    const match = CANARY_STATUS.exec(status.description);
    if (match) canaryVerdicts.push({ share: Number(match[1]), verdict: match[2] as string, score: match[3] === undefined ? undefined : Number(match[3]), at: status.at });
  }
  const rollbackOf = typeof payload.rollbackOf === 'number' ? payload.rollbackOf : null;
  return {
    id: node.databaseId,
    nodeId: node.id,
    environment: node.environment,
    service: optionalString(extra['service']) ?? defaultService,
    version: typeof payload.version === 'string' ? payload.version : '',
    artifact: optionalString(payload.artifact),
    artifactDigest: optionalString(extra['artifactDigest']),
    sha: node.commitOid,
    runSha: optionalString(payload.sha) ?? node.commitOid,
    creator: node.creator?.login ?? '',
    createdAt: Date.parse(node.createdAt),
    runId: typeof payload.runId === 'number' ? payload.runId : 0,
    runAttempt: typeof payload.runAttempt === 'number' ? payload.runAttempt : 1,
    strategy: typeof payload.strategy === 'string' ? payload.strategy : '',
    rollbackOf,
    statuses: facts,
    wentLiveAt: live?.at,
    maxShare: facts.reduce((max, status) => Math.max(max, status.share), 0),
    successAt: facts.find((status) => status.state === 'success')?.at,
    finalState: facts.at(-1)?.state ?? 'pending',
    canaryVerdicts,
  };
}
