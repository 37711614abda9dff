import type { Review, RunFacts } from './history.ts';
import type { DeploymentFact } from './records.ts';

/**
 * The audit trail: every deployment of the window with who triggered it, who approved it (the run's
 * environment reviews), how it ended and what it rolled back, as JSON and CSV, the evidence a
 * compliance review asks for. Also the time a deployment waited for approval, from its run's jobs.
 * Pure.
 */

/** One row of the audit trail (the JSON file's items; the CSV's columns follow them). */
export interface AuditEntry extends Pick<DeploymentFact, 'environment' | 'service' | 'version' | 'artifact' | 'artifactDigest' | 'sha'> {
  deploymentId: number;
  createdAt: string;
  wentLiveAt: string | null;
  succeededAt: string | null;
  /** Who triggered the run (GitHub's check suite creator), else the record's creator. */
  actor: string;
  approvals: Array<{ reviewer: string; state: string; comment: string }>;
  /** success, failure, error, in_progress..., or "rolled back" when a rollback names it. */
  result: string;
  rollbackOf: number | null;
  runId: number;
  runUrl: string;
  /** Seconds between the jobs the deploy job waited behind finishing and it starting, when it was approved. */
  approvalWaitSeconds: number | null;
}

const iso = (at: number | undefined) => (at === undefined ? null : new Date(at).toISOString().replace('.000Z', 'Z'));

/** The reviews of a run that concern the deployment's environment (all of them when GitHub did not say). */
export function reviewsFor(deployment: DeploymentFact, run: RunFacts | undefined): Review[] {
  return (run?.reviews ?? []).filter((review) => review.environments.length === 0 || review.environments.includes(deployment.environment));
}

/**
 * Approval wait from the run's jobs timing (GitHub's approvals history has no timestamps): the job
 * that made the record is the one running when it was created; it waited from when the jobs before
 * it finished (or the run started) until it started. Includes the wait for a runner, usually
 * seconds. Only for deployments an approval let through; undefined otherwise or without timing.
 */
export function approvalWait(deployment: DeploymentFact, run: RunFacts | undefined): number | undefined {
  if (!run?.detailed || !reviewsFor(deployment, run).some((review) => review.state === 'approved')) return undefined;
  const running = run.jobs
    .filter((job) => job.startedAt !== undefined && job.startedAt <= deployment.createdAt && (job.completedAt === undefined || job.completedAt >= deployment.createdAt))
    .sort((a, b) => (b.startedAt as number) - (a.startedAt as number))[0];
  if (!running) return undefined;
  const started = running.startedAt as number;
  const before = run.jobs.map((job) => job.completedAt).filter((at): at is number => at !== undefined && at <= started);
  const ready = Math.max(Number.isNaN(run.createdAt) ? -Infinity : run.createdAt, ...before);
  if (!Number.isFinite(ready)) return undefined;
  return Math.max(0, (started - ready) / 1000);
}

export function auditEntry(deployment: DeploymentFact, run: RunFacts | undefined, rolledBack: ReadonlySet<number>, repositoryUrl: string): AuditEntry {
  return {
    deploymentId: deployment.id,
    environment: deployment.environment,
    service: deployment.service,
    version: deployment.version,
    artifact: deployment.artifact,
    artifactDigest: deployment.artifactDigest,
    sha: deployment.sha,
    createdAt: iso(deployment.createdAt) as string,
    wentLiveAt: iso(deployment.wentLiveAt),
    succeededAt: iso(deployment.successAt),
    actor: run?.actor || deployment.creator,
    approvals: reviewsFor(deployment, run).map((review) => ({ reviewer: review.reviewer, state: review.state, comment: review.comment })),
    result: rolledBack.has(deployment.id) ? 'rolled back' : deployment.finalState,
    rollbackOf: deployment.rollbackOf,
    runId: deployment.runId,
    runUrl: run?.url ?? (deployment.runId ? `${repositoryUrl}/actions/runs/${deployment.runId}` : ''),
    approvalWaitSeconds: approvalWait(deployment, run) ?? null,
  };
}

export const CSV_COLUMNS = [
  'deployment_id',
  'environment',
  'service',
  'version',
  'artifact_digest',
  'sha',
  'created_at',
  'went_live_at',
  'succeeded_at',
  'actor',
  'approvals',
  'result',
  'rollback_of',
  'run_url',
  'approval_wait_seconds',
] as const;

/**
 * RFC 4180 quoting, and text that a spreadsheet would run as a formula (=, +, -, @, tab, CR at the
 * start: review comments are anyone's text) prefixed with an apostrophe.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function auditCsv(entries: readonly AuditEntry[]): string {
  const rows = entries.map((entry) =>
    [
      entry.deploymentId,
      entry.environment,
      entry.service,
      entry.version,
      entry.artifactDigest,
      entry.sha,
      entry.createdAt,
      entry.wentLiveAt,
      entry.succeededAt,
      entry.actor,
      entry.approvals.map((approval) => `${approval.reviewer}: ${approval.state}${approval.comment ? ` (${approval.comment})` : ''}`).join('; '),
      entry.result,
      entry.rollbackOf,
      entry.runUrl,
      entry.approvalWaitSeconds,
    ].map(csvCell),
  );
  return [CSV_COLUMNS.join(','), ...rows.map((row) => row.join(','))].join('\r\n') + '\r\n';
}
