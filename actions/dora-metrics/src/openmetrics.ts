import type { Level } from './levels.ts';
import type { GroupReport } from './render.ts';

/**
 * The window's figures as metrics: an OpenMetrics text file (for anything that reads it), and the
 * same samples in Prometheus' text format for a Pushgateway (which takes that format), so Grafana
 * can chart them. Gauges, one sample per environment and service; a figure the window cannot give
 * (no commit, nothing restored) is left out rather than sent as a made-up number. Pure.
 */

interface Family {
  name: string;
  help: string;
  unit?: 'seconds' | 'ratio';
  value: (group: GroupReport) => number | null;
}

const LEVEL_NUMBER: Record<Level, number> = { elite: 4, high: 3, medium: 2, low: 1 };

const FAMILIES: Family[] = [
  { name: 'dora_deployments', help: 'Deployments that reached success in the window.', value: (group) => group.current.deployments },
  { name: 'dora_deployment_frequency_per_day', help: 'Deployments that reached success, per day of the window.', value: (group) => group.current.perDay },
  { name: 'dora_lead_time_median_seconds', help: 'Median lead time (success time minus committer time) of the commits shipped.', unit: 'seconds', value: (group) => group.current.leadTime.median },
  { name: 'dora_lead_time_p90_seconds', help: '90th percentile lead time of the commits shipped.', unit: 'seconds', value: (group) => group.current.leadTime.p90 },
  { name: 'dora_change_failure_ratio', help: 'Deployments that went live and failed or were rolled back, over all that went live.', unit: 'ratio', value: (group) => group.current.changeFailure.rate },
  { name: 'dora_failed_deployments', help: 'Deployments that went live in the window and failed or were rolled back.', value: (group) => group.current.changeFailure.failed },
  { name: 'dora_canary_caught_failures', help: 'Failures that never passed 50% of traffic.', value: (group) => group.current.changeFailure.canaryCaught },
  { name: 'dora_time_to_restore_median_seconds', help: 'Median time from a failure going live to the next success.', unit: 'seconds', value: (group) => group.current.timeToRestore.median },
  { name: 'dora_time_to_restore_p90_seconds', help: '90th percentile time to restore.', unit: 'seconds', value: (group) => group.current.timeToRestore.p90 },
  { name: 'dora_rollbacks', help: 'Rollback deployments created in the window.', value: (group) => group.current.rollbacks.count },
  { name: 'dora_deployment_duration_median_seconds', help: 'Median time from a deployment being created to going live.', unit: 'seconds', value: (group) => group.current.duration.median },
  { name: 'dora_approval_wait_median_seconds', help: 'Median wait of approved deployments, from the jobs before finishing to the deploy job starting.', unit: 'seconds', value: (group) => group.approvalWait.median },
];

const LEVEL_FAMILY = 'dora_performance_level';

/** Label values escaped as both formats require: backslash, double quote, newline. */
function labelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
}

function samples(repository: string, groups: readonly GroupReport[], format: 'openmetrics' | 'prometheus'): string[] {
  const lines: string[] = [];
  const labels = (group: GroupReport, extra = '') => `{repository="${labelValue(repository)}",environment="${labelValue(group.environment)}",service="${labelValue(group.service)}"${extra}}`;
  for (const family of FAMILIES) {
    lines.push(`# TYPE ${family.name} gauge`);
    if (format === 'openmetrics' && family.unit) lines.push(`# UNIT ${family.name} ${family.unit}`);
    lines.push(`# HELP ${family.name} ${family.help}`);
    for (const group of groups) {
      const value = family.value(group);
      if (value !== null && Number.isFinite(value)) lines.push(`${family.name}${labels(group)} ${number(value)}`);
    }
  }
  lines.push(`# TYPE ${LEVEL_FAMILY} gauge`, `# HELP ${LEVEL_FAMILY} Performance level by DORA's 2023 report: 4 elite, 3 high, 2 medium, 1 low.`);
  for (const group of groups) {
    for (const [key, level] of Object.entries(group.levels)) {
      if (level) lines.push(`${LEVEL_FAMILY}${labels(group, `,key="${key}"`)} ${LEVEL_NUMBER[level as Level]}`);
    }
  }
  return lines;
}

export function openMetricsText(repository: string, groups: readonly GroupReport[]): string {
  return [...samples(repository, groups, 'openmetrics'), '# EOF', ''].join('\n');
}

/** Prometheus text format 0.0.4, what a Pushgateway accepts. */
export function prometheusText(repository: string, groups: readonly GroupReport[]): string {
  return [...samples(repository, groups, 'prometheus'), ''].join('\n');
}

/** The Pushgateway URL of this repository's group: /metrics/job/<job>/repository@base64/<owner/repo>. */
export function pushgatewayGroupUrl(base: URL, job: string, repository: string): string {
  const root = base.href.replace(/\/+$/, '');
  return `${root}/metrics/job/${encodeURIComponent(job)}/repository@base64/${Buffer.from(repository).toString('base64url')}`;
}
