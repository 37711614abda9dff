import { code, escapeCell, escapeText, mermaid, mermaidLabel, table } from '../../../shared/markdown.ts';
import type { Report, WindowReport } from './analysis.ts';
import type { MetricJudgement } from './judge.ts';

/** The job summary: the verdict and its rule, every metric with every number, and the series that decided. */

const VERDICT_MARK = { pass: '✅', marginal: '🟡', fail: '❌', inconclusive: '⚪' } as const;
const CLASS_MARK = { Pass: 'Pass', High: '⬆️ High', Low: '⬇️ Low', NoData: '∅ NoData' } as const;

function number(value: number | undefined | null): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  return magnitude >= 1e4 || magnitude < 1e-3 ? value.toExponential(2) : Number(value.toPrecision(3)).toString();
}

function effect(metric: MetricJudgement): string {
  if (!metric.effect) return '–';
  if (metric.effect.type === 'points') return `${metric.effect.value !== null && metric.effect.value >= 0 ? '+' : ''}${number(metric.effect.value)} pts`;
  return metric.effect.value === null ? 'n/a (baseline 0)' : `×${number(metric.effect.value)}`;
}

/** value: the shift [interval] and what the interval really covers; rate: the difference in points. */
function shift(metric: MetricJudgement): string {
  if (!metric.shift) return '–';
  const interval = `${number(metric.shift.estimate)} [${number(metric.shift.lower)}, ${number(metric.shift.upper)}]`;
  if (metric.kind === 'rate') return `${interval} pts`;
  return metric.shift.coverage === undefined ? interval : `${interval} covers ${number(metric.shift.coverage * 100)}%`;
}

function metricTable(window: WindowReport): string {
  const rows = window.metrics.map((metric) => [
    `${metric.critical ? '**' : ''}${escapeCell(metric.name)}${metric.critical ? '**' : ''}`,
    `${metric.failed ? '❌ ' : ''}${CLASS_MARK[metric.classification]}`,
    `${metric.samples.baseline} / ${metric.samples.canary}${metric.kind === 'rate' ? ' requests' : ''}`,
    metric.kind === 'rate' && metric.mean
      ? `${number(metric.mean.baseline * 100)}% → ${number(metric.mean.canary * 100)}%`
      : metric.median
        ? `${number(metric.median.baseline)} → ${number(metric.median.canary)}`
        : '–',
    shift(metric),
    effect(metric),
    number(metric.pValue),
    escapeCell(metric.rule),
  ]);
  return table(['Metric', 'Result', 'Samples (baseline / canary)', 'Median (rate: errors)', 'Shift [interval]', 'Effect', 'p', 'Rule'], rows);
}

/** Baseline and canary over time for one metric, at most 30 points each. */
function chart(metric: WindowReport['metrics'][number]): string {
  const thin = (points: Array<{ value: number }>) => {
    const step = Math.max(1, Math.ceil(points.length / 30));
    return points.filter((_, index) => index % step === 0).map((point) => Number(point.value.toPrecision(4)));
  };
  const baseline = thin(metric.baselinePoints);
  const canary = thin(metric.canaryPoints);
  const length = Math.max(baseline.length, canary.length);
  if (length < 2) return '';
  const pad = (values: number[]) => [...values, ...Array.from({ length: length - values.length }, () => values.at(-1) ?? 0)];
  return mermaid(
    [
      'xychart-beta',
      `  title "${mermaidLabel(metric.name)}: baseline (first line) vs canary (second line)"`,
      `  x-axis "sample" 1 --> ${length}`,
      `  line [${pad(baseline).join(', ')}]`,
      `  line [${pad(canary).join(', ')}]`,
    ].join('\n'),
  );
}

export function renderSummary(report: Report, reportPath: string): string {
  const last = report.windows.at(-1) as WindowReport;
  const parts = [
    `### ${VERDICT_MARK[report.verdict]} Canary analysis: ${report.verdict}, score ${report.score}`,
    `**Why:** ${escapeText(report.rule)}${report.stoppedEarly ? ' (stopped early)' : ''}`,
    `${report.provider}, ${report.windows.length} interval${report.windows.length === 1 ? '' : 's'}; last window ${last.start} → ${last.end}; ` +
      `confidence ${report.plan.judge.confidence}, min-samples ${report.plan.judge.minSamples}, thresholds ${report.plan.judge.passThreshold}/${report.plan.judge.marginalThreshold}.`,
  ];
  if (last.metrics.length > 0) parts.push(metricTable(last));
  const deciding = last.metrics.filter((metric) => metric.failed || metric.critical);
  for (const metric of deciding.slice(0, 6)) {
    const drawn = chart(metric);
    if (drawn) parts.push(drawn);
  }
  if (report.windows.length > 1) {
    parts.push(table(['Interval', 'Window end', 'Verdict', 'Score'], report.windows.map((window, index) => [String(index + 1), window.end, window.verdict, String(window.score)])));
  }
  parts.push(`Every number above is in the report (${code(reportPath)}); the verdict can be recomputed from it alone.`);
  return parts.join('\n\n');
}
