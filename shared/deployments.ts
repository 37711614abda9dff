import type { RunContext } from './context.ts';
import { UserError } from './errors.ts';
import { explainGitHubError, type GitHubClient } from './github.ts';
import { shorten } from './markdown.ts';

/**
 * GitHub Deployments as the suite's system of record (../shared/docs/deployment-record.md).
 * Pure rules first (payload, goodness, lock decision, status mapping), then the REST calls.
 */

export const PAYLOAD_VERSION = 1;

/** Set once at creation (GitHub offers no update); later facts go into statuses. Never secrets. */
export interface DeploymentPayload {
  deployActions: typeof PAYLOAD_VERSION;
  version: string;
  artifact: string | null;
  color: string | null;
  previousColor: string | null;
  strategy: string;
  router: string | null;
  previousDeploymentId: number | null;
  rollbackOf: number | null;
  runId: number;
  runAttempt: number;
  sha: string;
}

export const DEPLOYMENT_STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

export interface DeploymentRecord {
  id: number;
  environment: string;
  sha: string;
  ref: string;
  createdAt: string;
  /** Our payload, or undefined when another tool created the deployment. */
  payload: DeploymentPayload | undefined;
}

export interface StatusRecord {
  id: number;
  state: DeploymentState;
  description: string;
  environmentUrl: string;
  logUrl: string;
  createdAt: string;
}

export const MAX_STATUS_DESCRIPTION = 140;

export function statusDescription(text: string): string {
  return shorten(text.replace(/\s+/g, ' ').trim(), MAX_STATUS_DESCRIPTION);
}

export function isProductionEnvironment(environment: string): boolean {
  return ['production', 'prod'].includes(environment.toLowerCase());
}

/** Reads a deployment's payload as ours if it carries our version marker (GitHub may return it as a string). */
export function readPayload(raw: unknown): DeploymentPayload | undefined {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (value === null || typeof value !== 'object') return undefined;
  const payload = value as Partial<DeploymentPayload>;
  return payload.deployActions === PAYLOAD_VERSION ? (payload as DeploymentPayload) : undefined;
}

export function buildPayload(
  context: Pick<RunContext, 'runId' | 'runAttempt' | 'sha'>,
  fields: Pick<DeploymentPayload, 'version' | 'strategy'> & Partial<DeploymentPayload>,
): DeploymentPayload {
  return {
    deployActions: PAYLOAD_VERSION,
    version: fields.version,
    artifact: fields.artifact ?? null,
    color: fields.color ?? null,
    previousColor: fields.previousColor ?? null,
    strategy: fields.strategy,
    router: fields.router ?? null,
    previousDeploymentId: fields.previousDeploymentId ?? null,
    rollbackOf: fields.rollbackOf ?? null,
    runId: context.runId,
    runAttempt: context.runAttempt,
    sha: context.sha,
  };
}

/**
 * Good = its history holds a success with no failure or error after it. An `inactive` after the
 * success only means a newer deployment superseded it, so a latest-status check would be wrong.
 */
export function isGood(statusesNewestFirst: readonly Pick<StatusRecord, 'state'>[]): boolean {
  for (const status of statusesNewestFirst) {
    if (status.state === 'success') return true;
    if (status.state === 'failure' || status.state === 'error') return false;
  }
  return false;
}

const LOCKING_STATES: ReadonlySet<DeploymentState> = new Set(['queued', 'pending', 'in_progress']);

export type LockVerdict =
  | { kind: 'free' }
  | { kind: 'held'; deployment: DeploymentRecord; status: StatusRecord }
  | { kind: 'abandoned'; deployment: DeploymentRecord; status: StatusRecord };

/**
 * Whether one recent deployment holds the environment lock: it is queued or in progress, belongs to
 * another run, and its latest status is younger than the timeout. Older than that it is abandoned.
 * A deployment with no status yet is pending since its creation.
 */
export function lockVerdict(
  deployment: DeploymentRecord,
  latestStatus: StatusRecord | undefined,
  runId: number,
  now: number,
  timeoutMs: number,
): LockVerdict {
  const latest = latestStatus ?? pendingSinceCreation(deployment);
  if (!LOCKING_STATES.has(latest.state)) return { kind: 'free' };
  if (deployment.payload?.runId === runId) return { kind: 'free' };
  const age = now - Date.parse(latest.createdAt);
  return age < timeoutMs ? { kind: 'held', deployment, status: latest } : { kind: 'abandoned', deployment, status: latest };
}

function pendingSinceCreation(deployment: DeploymentRecord): StatusRecord {
  return { id: 0, state: 'pending', description: '', environmentUrl: '', logUrl: '', createdAt: deployment.createdAt };
}

/** A deployment is settled once its latest status is terminal; older ones cannot be mid-flight behind it. */
function isSettled(latest: StatusRecord | undefined): boolean {
  return latest !== undefined && !LOCKING_STATES.has(latest.state);
}

export const NOTIFY_STATUSES = ['queued', 'in_progress', 'success', 'failure', 'cancelled', 'rolled_back'] as const;
export type NotifyStatus = (typeof NOTIFY_STATUSES)[number];

/** How a notify status is written as a deployment status. */
export function deploymentStateFor(status: NotifyStatus, rolledBackTo?: string): { state: DeploymentState; description: string } {
  switch (status) {
    case 'cancelled':
      return { state: 'error', description: 'cancelled' };
    case 'rolled_back':
      return { state: 'failure', description: rolledBackTo ? `rolled back to ${rolledBackTo}` : 'rolled back' };
    default:
      return { state: status, description: status.replace('_', ' ') };
  }
}

type ApiDeployment = { id: number; environment: string; sha: string; ref: string; created_at: string; payload: unknown };
type ApiStatus = { id: number; state: string; description?: string | null; environment_url?: string; log_url?: string; created_at: string };

function toRecord(deployment: ApiDeployment): DeploymentRecord {
  return {
    id: deployment.id,
    environment: deployment.environment,
    sha: deployment.sha,
    ref: deployment.ref,
    createdAt: deployment.created_at,
    payload: readPayload(deployment.payload),
  };
}

function toStatus(status: ApiStatus): StatusRecord {
  return {
    id: status.id,
    state: status.state as DeploymentState,
    description: status.description ?? '',
    environmentUrl: status.environment_url ?? '',
    logUrl: status.log_url ?? '',
    createdAt: status.created_at,
  };
}

export interface CreateDeploymentOptions {
  environment: string;
  payload: DeploymentPayload;
  description?: string;
  productionEnvironment?: boolean;
  transientEnvironment?: boolean;
  /** Status checks GitHub must see green before it accepts the deployment; none by default. */
  requiredContexts?: string[];
}

export interface StatusOptions {
  state: DeploymentState;
  description: string;
  environmentUrl?: string;
  logUrl?: string;
}

export interface LastGoodResult {
  deployment: DeploymentRecord | undefined;
  examined: number;
  /** True when the cap stopped the search before the history ended. */
  capped: boolean;
}

/** The REST side of the record model, for one repository. */
export class DeploymentRecords {
  readonly #client: GitHubClient;
  readonly #owner: string;
  readonly #repo: string;

  constructor(client: GitHubClient, context: Pick<RunContext, 'owner' | 'repo'>) {
    this.#client = client;
    this.#owner = context.owner;
    this.#repo = context.repo;
  }

  async create(ref: string, options: CreateDeploymentOptions): Promise<DeploymentRecord> {
    try {
      const response = await this.#client.rest.repos.createDeployment({
        owner: this.#owner,
        repo: this.#repo,
        ref,
        task: 'deploy',
        environment: options.environment,
        // GitHub's defaults would merge the default branch into the ref and wait for every status check.
        auto_merge: false,
        required_contexts: options.requiredContexts ?? [],
        payload: options.payload as unknown as Record<string, unknown>,
        description: statusDescription(options.description ?? `${options.payload.strategy} ${options.payload.version}`),
        production_environment: options.productionEnvironment ?? isProductionEnvironment(options.environment),
        transient_environment: options.transientEnvironment ?? false,
      });
      if (response.status !== 201 || !('id' in response.data)) {
        const message = (response.data as { message?: string }).message ?? 'no deployment was created';
        throw new UserError(`creating a deployment for ${options.environment}: GitHub answered ${response.status} (${message})`);
      }
      return toRecord(response.data as ApiDeployment);
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw explainGitHubError(error, `creating a deployment for ${options.environment}`);
    }
  }

  async addStatus(deploymentId: number, options: StatusOptions): Promise<StatusRecord> {
    try {
      const response = await this.#client.rest.repos.createDeploymentStatus({
        owner: this.#owner,
        repo: this.#repo,
        deployment_id: deploymentId,
        state: options.state,
        description: statusDescription(options.description),
        ...(options.environmentUrl ? { environment_url: options.environmentUrl } : {}),
        ...(options.logUrl ? { log_url: options.logUrl } : {}),
      });
      return toStatus(response.data as ApiStatus);
    } catch (error) {
      throw explainGitHubError(error, `adding a "${options.state}" status to deployment ${deploymentId}`);
    }
  }

  /** The status history, newest first. */
  async statuses(deploymentId: number, perPage = 100): Promise<StatusRecord[]> {
    try {
      const response = await this.#client.rest.repos.listDeploymentStatuses({
        owner: this.#owner,
        repo: this.#repo,
        deployment_id: deploymentId,
        per_page: perPage,
      });
      return (response.data as ApiStatus[]).map(toStatus);
    } catch (error) {
      throw explainGitHubError(error, `reading the statuses of deployment ${deploymentId}`);
    }
  }

  async get(deploymentId: number): Promise<DeploymentRecord> {
    try {
      const response = await this.#client.rest.repos.getDeployment({ owner: this.#owner, repo: this.#repo, deployment_id: deploymentId });
      return toRecord(response.data as ApiDeployment);
    } catch (error) {
      throw explainGitHubError(error, `reading deployment ${deploymentId}`);
    }
  }

  /** One page of the environment's deployments, newest first. */
  async list(environment: string, page = 1, perPage = 30): Promise<DeploymentRecord[]> {
    try {
      const response = await this.#client.rest.repos.listDeployments({
        owner: this.#owner,
        repo: this.#repo,
        environment,
        per_page: perPage,
        page,
      });
      return (response.data as ApiDeployment[]).map(toRecord);
    } catch (error) {
      throw explainGitHubError(error, `listing the deployments of ${environment}`);
    }
  }

  /** The newest deployment of the environment created by this run (its payload carries the run id). */
  async findForRun(environment: string, runId: number): Promise<{ mine: DeploymentRecord | undefined; recent: DeploymentRecord[] }> {
    const recent = await this.list(environment, 1, 30);
    return { mine: recent.find((deployment) => deployment.payload?.runId === runId), recent };
  }

  /** The newest good deployment (see isGood), reading at most `maxDeployments` of them. */
  async findLastGood(environment: string, options: { excludeId?: number; maxDeployments?: number } = {}): Promise<LastGoodResult> {
    const { excludeId, maxDeployments = 50 } = options;
    const perPage = Math.min(100, maxDeployments);
    let examined = 0;
    for (let page = 1; ; page++) {
      const deployments = await this.list(environment, page, perPage);
      for (const deployment of deployments) {
        if (deployment.id === excludeId) continue;
        if (examined >= maxDeployments) return { deployment: undefined, examined, capped: true };
        examined++;
        if (isGood(await this.statuses(deployment.id))) return { deployment, examined, capped: false };
      }
      if (deployments.length < perPage) return { deployment: undefined, examined, capped: false };
    }
  }

  /**
   * Takes the environment lock before a new deployment: refuses while another run's deployment is
   * queued or in progress with a recent status; marks older ones `error` (abandoned) and goes on.
   * Returns the deployments it marked abandoned.
   */
  async acquireLock(environment: string, runId: number, options: { timeoutMs: number; now?: number }): Promise<DeploymentRecord[]> {
    const now = options.now ?? Date.now();
    const abandoned: DeploymentRecord[] = [];
    for (const deployment of await this.list(environment, 1, 10)) {
      const [latest] = await this.statuses(deployment.id, 1);
      const verdict = lockVerdict(deployment, latest, runId, now, options.timeoutMs);
      if (verdict.kind === 'held') {
        const minutes = Math.round(options.timeoutMs / 60_000);
        const where = verdict.status.logUrl ? ` (${verdict.status.logUrl})` : '';
        throw new UserError(
          `${environment} is locked: deployment ${deployment.id} of another run is ${verdict.status.state}${where}, ` +
            `last status ${verdict.status.createdAt}. Wait for it, or it counts as abandoned after ${minutes}m without a status.`,
        );
      }
      if (verdict.kind === 'abandoned') {
        const minutes = Math.round(options.timeoutMs / 60_000);
        await this.addStatus(deployment.id, { state: 'error', description: `abandoned: no status for ${minutes}m` });
        abandoned.push(deployment);
        continue;
      }
      if (isSettled(latest)) break;
    }
    return abandoned;
  }
}
