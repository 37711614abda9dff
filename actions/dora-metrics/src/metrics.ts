import type { StoredCommit } from './commits.ts';
import type { DeploymentFact } from './records.ts';

/**
 * The four keys and their companions over deployment facts, by the definitions in
 * docs/dora-metrics.md (the same ones the SQL oracle in the tests is written from). Pure.
 * Times are epoch milliseconds in, seconds out. A window is [since, until).
 */

export interface TimeWindow {
  since: number;
  until: number;
}

export interface Spread {
  count: number;
  /** Seconds; null without values. */
  median: number | null;
  p90: number | null;
}

export interface KeySet {
  /** Deployments that reached success in the window (by their first success). */
  deployments: number;
  perDay: number;
  perWeek: number;
  leadTime: Spread & {
    /** Deployments whose commits count (reached success in the window, a previous success known). */
    deployments: number;
    /** Reached success in the window with no earlier success of the environment and service read. */
    withoutPrevious: number;
    /** Their commits could not be read from GitHub. */
    unavailable: number;
  };
  changeFailure: {
    /** Went live in the window. */
    live: number;
    /** Of those, ended `failure` or were named by a rollback's rollbackOf. */
    failed: number;
    rate: number | null;
    /** Failures that never passed 50% of traffic. */
    canaryCaught: number;
    escaped: number;
  };
  timeToRestore: Spread & { unrestored: number };
  /** Created to live, for deployments that went live in the window. */
  duration: Spread;
  rollbacks: { count: number; rate: number | null };
  /** Verdicts recorded in the window, by word (pass, marginal, fail, inconclusive). */
  canary: Record<string, number>;
}

export interface Failure {
  deployment: DeploymentFact;
  wentLiveAt: number;
  restoredAt: number | undefined;
  /** The deployment whose success restored service. */
  restoredBy: DeploymentFact | undefined;
  canaryCaught: boolean;
}

/** Median (the mean of the two middle values for an even count) and p90 (nearest rank). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { count: 0, median: null, p90: null };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  const p90 = sorted[Math.ceil(0.9 * sorted.length) - 1] as number;
  return { count: sorted.length, median, p90 };
}

const within = (at: number | undefined, window: TimeWindow): at is number => at !== undefined && at >= window.since && at < window.until;

/** Successful deployments of one environment and service, in success order (ties by id). */
function bySuccess(group: readonly DeploymentFact[]): DeploymentFact[] {
  return group.filter((deployment) => deployment.successAt !== undefined).sort((a, b) => (a.successAt as number) - (b.successAt as number) || a.id - b.id);
}

/** For each successful deployment, the previous successful one of its environment and service. */
export function previousSuccesses(group: readonly DeploymentFact[]): Map<number, DeploymentFact | undefined> {
  const ordered = bySuccess(group);
  return new Map(ordered.map((deployment, index) => [deployment.id, index > 0 ? ordered[index - 1] : undefined]));
}

/** Ids named by some rollback's rollbackOf. */
export function rolledBack(all: readonly DeploymentFact[]): Set<number> {
  return new Set(all.flatMap((deployment) => (deployment.rollbackOf === null ? [] : [deployment.rollbackOf])));
}

export function isFailure(deployment: DeploymentFact, named: ReadonlySet<number>): boolean {
  return deployment.wentLiveAt !== undefined && (deployment.finalState === 'failure' || named.has(deployment.id));
}

/** The failures that went live in the window, each with the first later success that restored service. */
export function failures(group: readonly DeploymentFact[], named: ReadonlySet<number>, window: TimeWindow): Failure[] {
  const successes = bySuccess(group);
  return group
    .filter((deployment) => within(deployment.wentLiveAt, window) && isFailure(deployment, named))
    .sort((a, b) => (a.wentLiveAt as number) - (b.wentLiveAt as number) || a.id - b.id)
    .map((deployment) => {
      const wentLiveAt = deployment.wentLiveAt as number;
      const restoredBy = successes.find((other) => other.id !== deployment.id && (other.successAt as number) > wentLiveAt);
      return { deployment, wentLiveAt, restoredAt: restoredBy?.successAt, restoredBy, canaryCaught: deployment.maxShare <= 50 };
    });
}

/**
 * The keys of one environment and service in one window. `group` is every deployment read for it
 * (earlier ones give the previous success), `all` every deployment read (rollbacks name ids),
 * `shipped` the commits each successful deployment shipped.
 */
export function computeKeys(
  group: readonly DeploymentFact[],
  all: readonly DeploymentFact[],
  shipped: ReadonlyMap<number, readonly StoredCommit[]>,
  unavailable: ReadonlySet<number>,
  window: TimeWindow,
): KeySet {
  const days = (window.until - window.since) / 86_400_000;
  const succeeded = group.filter((deployment) => within(deployment.successAt, window));
  const previous = previousSuccesses(group);

  const leadTimes: number[] = [];
  let withoutPrevious = 0;
  let missing = 0;
  let counted = 0;
  for (const deployment of succeeded) {
    if (!previous.get(deployment.id)) {
      withoutPrevious += 1;
      continue;
    }
    const commits = shipped.get(deployment.id);
    if (!commits || unavailable.has(deployment.id)) {
      missing += 1;
      continue;
    }
    counted += 1;
    for (const commit of commits) leadTimes.push(((deployment.successAt as number) - commit.committedAt) / 1000);
  }

  const named = rolledBack(all);
  const live = group.filter((deployment) => within(deployment.wentLiveAt, window));
  const failed = failures(group, named, window);
  const canaryCaught = failed.filter((failure) => failure.canaryCaught).length;
  const restores = failed.filter((failure) => failure.restoredAt !== undefined).map((failure) => ((failure.restoredAt as number) - failure.wentLiveAt) / 1000);

  const created = group.filter((deployment) => within(deployment.createdAt, window));
  const rollbacks = created.filter((deployment) => deployment.rollbackOf !== null).length;
  const notRollbacks = created.length - rollbacks;

  const canary: Record<string, number> = {};
  for (const deployment of group) {
    for (const verdict of deployment.canaryVerdicts) if (within(verdict.at, window)) canary[verdict.verdict] = (canary[verdict.verdict] ?? 0) + 1;
  }

  return {
    deployments: succeeded.length,
    perDay: succeeded.length / days,
    perWeek: succeeded.length / (days / 7),
    leadTime: { ...spread(leadTimes), deployments: counted, withoutPrevious, unavailable: missing },
    changeFailure: { live: live.length, failed: failed.length, rate: live.length === 0 ? null : failed.length / live.length, canaryCaught, escaped: failed.length - canaryCaught },
    timeToRestore: { ...spread(restores), unrestored: failed.length - restores.length },
    duration: spread(live.map((deployment) => ((deployment.wentLiveAt as number) - deployment.createdAt) / 1000)),
    rollbacks: { count: rollbacks, rate: notRollbacks === 0 ? null : rollbacks / notRollbacks },
    canary,
  };
}
