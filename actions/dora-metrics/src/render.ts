import { formatDuration } from '../../../shared/inputs.ts';
import { code, details, escapeCell, escapeText, link, mermaid, mermaidLabel, table } from '../../../shared/markdown.ts';
import type { AuditEntry } from './audit.ts';
import { LEVELS_SOURCE, type Level, type Levels, type Trend, type Trends } from './levels.ts';
import type { Failure, KeySet, Spread, TimeWindow } from './metrics.ts';

/**
 * What a person reads: the job summary (tables, mermaid charts, the audit trail) and a short
 * digest for chat. Pure strings from the computed report.
 */

export interface GroupReport {
  environment: string;
  service: string;
  current: KeySet;
  previous: KeySet;
  levels: Levels;
  trends: Trends;
  /** Seconds from deploy-job ready to started, for approved deployments of the window. */
  approvalWait: Spread;
  /** The window's failures, with what restored them. */
  failures: Failure[];
  /** Success times of the window's deployments (epoch ms), for the weekly chart. */
  successTimes: number[];
  /** Lead time of each commit shipped in the window (seconds), for the distribution. */
  leadTimes: number[];
}

export interface DoraReport {
  repository: string;
  repositoryUrl: string;
  window: TimeWindow;
  previous: TimeWindow;
  groups: GroupReport[];
  audit: AuditEntry[];
  /** Records in the environments made by other tools, not counted. */
  foreign: number;
  calls: { graphql: number; rest: number; points: number };
  notes: string[];
}

const LEVEL_MARK: Record<Level, string> = { elite: '🟢 elite', high: '🔵 high', medium: '🟡 medium', low: '🔴 low' };
const TREND_MARK: Record<Exclude<Trend, null>, string> = { better: '↗ better', worse: '↘ worse', same: '→ same' };

const day = (at: number) => new Date(at).toISOString().slice(0, 10);
const instant = (at: number) => new Date(at).toISOString().replace('.000Z', 'Z').replace('T', ' ');

/** A duration for reading, to two units: 35s, 57m34s, 13h18m, 2d10h. */
export function seconds(value: number | null): string {
  if (value === null) return '–';
  const sign = value < 0 ? '-' : '';
  const whole = Math.round(Math.abs(value));
  if (whole < 3600) return `${sign}${formatDuration(whole * 1000)}`;
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3600], ['m', 60]];
  const first = units.findIndex(([, size]) => whole >= size);
  const [bigName, bigSize] = units[first] as [string, number];
  const [smallName, smallSize] = units[first + 1] as [string, number];
  const big = Math.floor(whole / bigSize);
  const small = Math.round((whole - big * bigSize) / smallSize);
  return small === 0 ? `${sign}${big}${bigName}` : small * smallSize >= bigSize ? `${sign}${big + 1}${bigName}` : `${sign}${big}${bigName}${small}${smallName}`;
}

export function percent(rate: number | null): string {
  return rate === null ? '–' : `${(rate * 100).toFixed(1)}%`;
}

function perDay(value: number): string {
  return value >= 1 ? `${value.toFixed(1)}/day` : `${(value * 7).toFixed(1)}/week`;
}

function judged(value: string, level: Level | null, trend: Trend): string {
  const parts = [value];
  if (level) parts.push(LEVEL_MARK[level]);
  if (trend) parts.push(TREND_MARK[trend]);
  return parts.join(' · ');
}

function windowText(window: TimeWindow): string {
  return `${instant(window.since)} → ${instant(window.until)} (${formatDuration(window.until - window.since)})`;
}

function keysTable(groups: readonly GroupReport[]): string {
  const rows = groups.map((group) => {
    const { current: keys, levels, trends } = group;
    return [
      escapeCell(group.environment),
      escapeCell(group.service),
      judged(`${perDay(keys.perDay)} (${keys.deployments})`, levels.deploymentFrequency, trends.deploymentFrequency),
      judged(`${seconds(keys.leadTime.median)} / ${seconds(keys.leadTime.p90)} (${keys.leadTime.count} commits)`, levels.leadTime, trends.leadTime),
      judged(`${percent(keys.changeFailure.rate)} (${keys.changeFailure.failed}/${keys.changeFailure.live})`, levels.changeFailureRate, trends.changeFailureRate),
      judged(`${seconds(keys.timeToRestore.median)} / ${seconds(keys.timeToRestore.p90)} (${keys.timeToRestore.count}${keys.timeToRestore.unrestored ? `, ${keys.timeToRestore.unrestored} not restored` : ''})`, levels.timeToRestore, trends.timeToRestore),
    ];
  });
  return table(['Environment', 'Service', 'Deployment frequency', 'Lead time (median / p90)', 'Change failure rate', 'Time to restore (median / p90)'], rows);
}

function alsoTable(groups: readonly GroupReport[]): string {
  const rows = groups.map((group) => {
    const keys = group.current;
    const verdicts = Object.entries(keys.canary)
      .sort()
      .map(([verdict, count]) => `${verdict} ${count}`)
      .join(', ');
    return [
      escapeCell(group.environment),
      escapeCell(group.service),
      `${seconds(keys.duration.median)} / ${seconds(keys.duration.p90)}`,
      `${keys.rollbacks.count} (${percent(keys.rollbacks.rate)})`,
      `${keys.changeFailure.canaryCaught} caught by canary, ${keys.changeFailure.escaped} past 50%`,
      verdicts || '–',
      group.approvalWait.count === 0 ? '–' : `${seconds(group.approvalWait.median)} / ${seconds(group.approvalWait.p90)} (${group.approvalWait.count})`,
    ];
  });
  return table(['Environment', 'Service', 'Duration, created to live (median / p90)', 'Rollbacks (rate)', 'Failures', 'Canary verdicts', 'Approval wait (median / p90)'], rows);
}

/** Week buckets from the window's start (the last one may be shorter). */
export function weekBuckets(window: TimeWindow, times: readonly number[]): Array<{ start: number; count: number }> {
  const week = 7 * 86_400_000;
  const buckets: Array<{ start: number; count: number }> = [];
  for (let start = window.since; start < window.until; start += week) buckets.push({ start, count: 0 });
  for (const at of times) {
    const index = Math.floor((at - window.since) / week);
    const bucket = buckets[index];
    if (bucket && at >= window.since && at < window.until) bucket.count += 1;
  }
  return buckets;
}

const quoted = (text: string) => `"${mermaidLabel(text).replace(/"/g, '')}"`;

/** Deployments per week of one environment (its services summed), weeks along the x axis. */
export function weeklyChart(window: TimeWindow, environment: string, groups: readonly GroupReport[]): string {
  const buckets = weekBuckets(window, groups.filter((group) => group.environment === environment).flatMap((group) => group.successTimes));
  const lines = [
    'xychart-beta',
    `  title ${quoted(`Deployments per week, ${environment}`)}`,
    `  x-axis ${quoted('week from')} [${buckets.map((bucket) => quoted(day(bucket.start).slice(5))).join(', ')}]`,
    `  y-axis ${quoted('deployments')} 0 --> ${Math.max(1, ...buckets.map((bucket) => bucket.count))}`,
    `  bar [${buckets.map((bucket) => bucket.count).join(', ')}]`,
  ];
  return mermaid(lines.join('\n'));
}

const LEAD_TIME_BUCKETS: Array<[string, number]> = [
  ['under 1h', 3600],
  ['1h to 1d', 86_400],
  ['1d to 1w', 7 * 86_400],
  ['1w to 30d', 30 * 86_400],
  ['over 30d', Infinity],
];

export function leadTimeBuckets(leadTimes: readonly number[]): number[] {
  const counts = LEAD_TIME_BUCKETS.map(() => 0);
  for (const value of leadTimes) {
    const index = LEAD_TIME_BUCKETS.findIndex(([, limit]) => value < limit);
    counts[index] = (counts[index] as number) + 1;
  }
  return counts;
}

export function leadTimeChart(groups: readonly GroupReport[]): string {
  const counts = leadTimeBuckets(groups.flatMap((group) => group.leadTimes));
  const lines = [
    'xychart-beta',
    `  title ${quoted('Lead time of the commits shipped')}`,
    `  x-axis [${LEAD_TIME_BUCKETS.map(([label]) => quoted(label)).join(', ')}]`,
    `  y-axis ${quoted('commits')} 0 --> ${Math.max(1, ...counts)}`,
    `  bar [${counts.join(', ')}]`,
  ];
  return mermaid(lines.join('\n'));
}

/** Timeline text: no colons (they separate events) and nothing that ends a line or a label. */
const timelineText = (text: string) => mermaidLabel(text).replace(/:/g, ' ').replace(/\s+/g, ' ').trim();

export function failureTimeline(groups: readonly GroupReport[], limit = 20): string | undefined {
  const failures = groups
    .flatMap((group) => group.failures.map((failure) => ({ group, failure })))
    .sort((a, b) => a.failure.wentLiveAt - b.failure.wentLiveAt)
    .slice(-limit);
  if (failures.length === 0) return undefined;
  const byDay = new Map<string, string[]>();
  for (const { group, failure } of failures) {
    const deployment = failure.deployment;
    const what = `${group.environment}/${group.service} ${deployment.version} failed${failure.canaryCaught ? ` at ${deployment.maxShare}% (canary)` : ''}`;
    const restored = failure.restoredAt === undefined ? 'not restored' : `restored in ${seconds((failure.restoredAt - failure.wentLiveAt) / 1000)}${failure.restoredBy ? ` by ${failure.restoredBy.version}` : ''}`;
    const events = byDay.get(day(failure.wentLiveAt)) ?? [];
    events.push(timelineText(what), timelineText(restored));
    byDay.set(day(failure.wentLiveAt), events);
  }
  const lines = ['timeline', `  title ${timelineText('Failures and restores')}`, ...[...byDay].map(([date, events]) => `  ${date} : ${events.join(' : ')}`)];
  return mermaid(lines.join('\n'));
}

function auditTable(entries: readonly AuditEntry[], limit = 50): string {
  const shown = entries.slice(0, limit);
  const rows = shown.map((entry) => [
    entry.runUrl ? link(String(entry.deploymentId), entry.runUrl) : String(entry.deploymentId),
    escapeCell(`${entry.environment}/${entry.service}`),
    escapeCell(entry.version),
    code(entry.sha.slice(0, 7)),
    escapeCell(entry.actor),
    escapeCell(entry.approvals.map((approval) => `${approval.reviewer} ${approval.state}${approval.comment ? `: ${approval.comment}` : ''}`).join('; ') || '–'),
    escapeCell(entry.result),
    entry.rollbackOf === null ? '' : String(entry.rollbackOf),
    escapeCell(entry.createdAt.replace('T', ' ')),
  ]);
  const more = entries.length > shown.length ? `\n\n_${entries.length - shown.length} more in the CSV and JSON files._` : '';
  return table(['Deployment (run)', 'Where', 'Version', 'Commit', 'Actor', 'Approvals', 'Result', 'Rollback of', 'Created'], rows) + more;
}

export function renderSummary(report: DoraReport): string {
  const environments = [...new Set(report.groups.map((group) => group.environment))];
  const charts = [...environments.map((environment) => weeklyChart(report.window, environment, report.groups)), leadTimeChart(report.groups), failureTimeline(report.groups)].filter(
    (chart): chart is string => chart !== undefined,
  );
  const parts = [
    `## DORA metrics: ${link(report.repository, report.repositoryUrl)}`,
    `${escapeText(windowText(report.window))}; trend against the ${escapeText(windowText(report.previous))} before. Levels: ${escapeText(LEVELS_SOURCE)}.`,
    keysTable(report.groups),
    '### Also',
    alsoTable(report.groups),
    '### Charts',
    ...charts,
    details(`Audit trail: ${report.audit.length} deployment${report.audit.length === 1 ? '' : 's'} in the window`, auditTable(report.audit)),
    ...report.notes.map((note) => `> ${escapeText(note)}`),
    `<sub>${report.calls.graphql} GraphQL and ${report.calls.rest} REST calls (${report.calls.points} GraphQL points)${report.foreign ? `; ${report.foreign} records by other tools not counted` : ''}. Definitions: docs/dora-metrics.md.</sub>`,
  ];
  return parts.join('\n\n');
}

/** A few lines for chat (Markdown that notify converts for Slack): the four keys per environment and service. */
export function renderDigest(report: DoraReport): string {
  const lines = [`**DORA metrics for ${report.repository}**, ${day(report.window.since)} to ${day(report.window.until)}`];
  for (const group of report.groups) {
    const { current: keys, levels } = group;
    const level = (value: Level | null) => (value ? ` (${value})` : '');
    lines.push(
      `- ${group.environment}/${group.service}: ${perDay(keys.perDay)}${level(levels.deploymentFrequency)}, lead time ${seconds(keys.leadTime.median)}${level(levels.leadTime)}, ` +
        `change failure ${percent(keys.changeFailure.rate)}${level(levels.changeFailureRate)}, restore ${seconds(keys.timeToRestore.median)}${level(levels.timeToRestore)}`,
    );
  }
  lines.push(`Levels: ${LEVELS_SOURCE}.`);
  return lines.join('\n');
}
