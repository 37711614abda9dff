import type { KeySet } from './metrics.ts';

/**
 * Performance levels from DORA's 2023 Accelerate State of DevOps Report (Google Cloud), its four
 * software delivery performance clusters:
 *
 * | level  | deployment frequency                  | change lead time             | change failure rate | failed deployment recovery time |
 * | elite  | on demand (multiple deploys per day)  | less than one day            | 5%                  | less than one hour              |
 * | high   | between once per day and once a week  | between one day and one week | 10%                 | less than one day               |
 * | medium | between once a week and once a month  | between one week and a month | 15%                 | between one day and one week    |
 * | low    | between once a week and once a month  | between one week and a month | 64%                 | between one month and six months|
 *
 * The report gives each cluster's typical values, not cut-offs, and its low cluster repeats the
 * medium one's frequency and lead time. As bands: a value as good as a cluster's is that cluster's
 * level; anything worse than medium is low. Lead time and time to restore compare their medians.
 */

export const LEVELS_SOURCE = "DORA's 2023 Accelerate State of DevOps Report (software delivery performance clusters)";

export type Level = 'elite' | 'high' | 'medium' | 'low';

const HOUR = 3600;
const DAY = 24 * HOUR;

export function frequencyLevel(perDay: number): Level {
  if (perDay >= 1) return 'elite';
  if (perDay >= 1 / 7) return 'high';
  if (perDay >= 1 / 30) return 'medium';
  return 'low';
}

export function leadTimeLevel(medianSeconds: number): Level {
  if (medianSeconds < DAY) return 'elite';
  if (medianSeconds < 7 * DAY) return 'high';
  if (medianSeconds < 30 * DAY) return 'medium';
  return 'low';
}

export function failureRateLevel(rate: number): Level {
  if (rate <= 0.05) return 'elite';
  if (rate <= 0.1) return 'high';
  if (rate <= 0.15) return 'medium';
  return 'low';
}

export function restoreLevel(medianSeconds: number): Level {
  if (medianSeconds < HOUR) return 'elite';
  if (medianSeconds < DAY) return 'high';
  if (medianSeconds < 7 * DAY) return 'medium';
  return 'low';
}

export interface Levels {
  deploymentFrequency: Level | null;
  leadTime: Level | null;
  changeFailureRate: Level | null;
  timeToRestore: Level | null;
}

/** Null where the window has nothing to judge (no deployment, no commit, nothing live, no restore). */
export function levelsOf(keys: KeySet): Levels {
  return {
    deploymentFrequency: keys.deployments === 0 ? null : frequencyLevel(keys.perDay),
    leadTime: keys.leadTime.median === null ? null : leadTimeLevel(keys.leadTime.median),
    changeFailureRate: keys.changeFailure.rate === null ? null : failureRateLevel(keys.changeFailure.rate),
    timeToRestore: keys.timeToRestore.median === null ? null : restoreLevel(keys.timeToRestore.median),
  };
}

export type Trend = 'better' | 'worse' | 'same' | null;

function compare(current: number | null, previous: number | null, higherIsBetter: boolean): Trend {
  if (current === null || previous === null) return null;
  if (current === previous) return 'same';
  return current > previous === higherIsBetter ? 'better' : 'worse';
}

export interface Trends {
  deploymentFrequency: Trend;
  leadTime: Trend;
  changeFailureRate: Trend;
  timeToRestore: Trend;
}

/** Against the previous window of the same length. */
export function trendsOf(current: KeySet, previous: KeySet): Trends {
  return {
    deploymentFrequency: compare(current.perDay, previous.deployments === 0 && current.deployments === 0 ? null : previous.perDay, true),
    leadTime: compare(current.leadTime.median, previous.leadTime.median, false),
    changeFailureRate: compare(current.changeFailure.rate, previous.changeFailure.rate, false),
    timeToRestore: compare(current.timeToRestore.median, previous.timeToRestore.median, false),
  };
}
