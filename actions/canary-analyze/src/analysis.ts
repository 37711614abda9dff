import { realClock, type Clock } from '../../../shared/bluegreen/health.ts';
import { formatDuration } from '../../../shared/inputs.ts';
import { judgeInterval, type IntervalJudgement, type JudgeConfig, type MetricJudgement, type Verdict } from './judge.ts';
import { fillTemplate, type MetricDefinition } from './metrics.ts';
import { ProviderUnavailable, type Point, type Provider } from './providers.ts';

/**
 * The analysis over time: after a warmup, intervals of cumulative windows (the k-th judges everything
 * from the start to k intervals in), stopping early on a failed critical metric or a score at or below
 * marginal. The final verdict is the last interval's. The report keeps every sample and every number,
 * so the verdict can be recomputed from it alone (recompute()).
 */

export interface Variant {
  version: string;
  selector: string;
}

export interface AnalysisPlan {
  metrics: MetricDefinition[];
  baseline: Variant;
  canary: Variant;
  /** What {{interval}} becomes in queries: the rate window, e.g. 1m. */
  rateWindow: string;
  stepSeconds: number;
  warmupMs: number;
  intervalMs: number;
  intervals: number;
  /** Judge a window that has already passed (ending then) instead of waiting for one. */
  endTime?: Date | undefined;
  judge: JudgeConfig;
}

export interface WindowReport {
  start: string;
  end: string;
  verdict: Verdict;
  score: number;
  rule: string;
  metrics: Array<MetricJudgement & { baselinePoints: Point[]; canaryPoints: Point[] }>;
}

export interface Report {
  schema: 1;
  provider: string;
  verdict: Verdict;
  score: number;
  rule: string;
  stoppedEarly: boolean;
  plan: Omit<AnalysisPlan, 'endTime'> & { endTime?: string | undefined };
  windows: WindowReport[];
}

export interface AnalysisHooks {
  clock?: Clock;
  log?: (line: string) => void;
}

async function samples(provider: Provider, plan: AnalysisPlan, metric: MetricDefinition, start: Date, end: Date): Promise<{ baseline: Point[]; canary: Point[] }> {
  const fetchVariant = (variant: 'baseline' | 'canary') =>
    provider.fetch(
      fillTemplate(metric.query, { variant, version: plan[variant].version, selector: plan[variant].selector, interval: plan.rateWindow }, metric.name, 'metrics'),
      { start, end, stepSeconds: plan.stepSeconds },
      metric.name,
    );
  const [baseline, canary] = await Promise.all([fetchVariant('baseline'), fetchVariant('canary')]);
  return { baseline, canary };
}

export async function analyse(provider: Provider, plan: AnalysisPlan, hooks: AnalysisHooks = {}): Promise<Report> {
  const clock = hooks.clock ?? realClock;
  const log = hooks.log ?? (() => undefined);
  const live = plan.endTime === undefined;
  const analysisStart = live ? clock.now() + plan.warmupMs : (plan.endTime as Date).getTime() - plan.intervals * plan.intervalMs;
  if (live && plan.warmupMs > 0) {
    log(`warming up for ${formatDuration(plan.warmupMs)}`);
    await clock.sleep(plan.warmupMs);
  }
  const windows: WindowReport[] = [];
  let stoppedEarly = false;
  for (let index = 1; index <= plan.intervals; index++) {
    const end = analysisStart + index * plan.intervalMs;
    if (live && clock.now() < end) await clock.sleep(end - clock.now());
    const window = { start: new Date(analysisStart), end: new Date(end) };
    let judged: IntervalJudgement;
    const points: Array<{ baseline: Point[]; canary: Point[] }> = [];
    try {
      for (const metric of plan.metrics) points.push(await samples(provider, plan, metric, window.start, window.end));
      judged = judgeInterval(
        plan.metrics.map((definition, position) => ({
          definition,
          baseline: (points[position] as { baseline: Point[] }).baseline.map((point) => point.value),
          canary: (points[position] as { canary: Point[] }).canary.map((point) => point.value),
        })),
        plan.judge,
      );
    } catch (error) {
      if (!(error instanceof ProviderUnavailable)) throw error;
      windows.push({ start: window.start.toISOString(), end: window.end.toISOString(), verdict: 'inconclusive', score: 0, rule: `${provider.name} unavailable: ${error.message}`, metrics: [] });
      log(`interval ${index}/${plan.intervals}: inconclusive (${error.message})`);
      continue;
    }
    windows.push({
      start: window.start.toISOString(),
      end: window.end.toISOString(),
      verdict: judged.verdict,
      score: judged.score,
      rule: judged.rule,
      metrics: judged.metrics.map((metric, position) => ({ ...metric, baselinePoints: points[position]?.baseline ?? [], canaryPoints: points[position]?.canary ?? [] })),
    });
    log(`interval ${index}/${plan.intervals} (${formatDuration(end - analysisStart)} of data): ${judged.verdict}, score ${judged.score} (${judged.rule})`);
    const criticalFailure = judged.metrics.some((metric) => metric.critical && metric.failed && metric.classification !== 'NoData');
    if (index < plan.intervals && (criticalFailure || (judged.verdict !== 'inconclusive' && judged.score <= plan.judge.marginalThreshold))) {
      stoppedEarly = true;
      log(`stopping early: ${criticalFailure ? 'a critical metric failed' : `score ${judged.score} at or below marginal ${plan.judge.marginalThreshold}`}`);
      break;
    }
  }
  const last = windows.at(-1) as WindowReport;
  return {
    schema: 1,
    provider: provider.name,
    verdict: last.verdict,
    score: last.score,
    rule: last.rule,
    stoppedEarly,
    plan: { ...plan, endTime: plan.endTime?.toISOString() },
    windows,
  };
}

/** The final window's verdict, computed again from the samples and plan saved in a report. */
export function recompute(report: Report): IntervalJudgement | undefined {
  const last = report.windows.at(-1);
  if (!last || last.metrics.length === 0) return undefined;
  return judgeInterval(
    report.plan.metrics.map((definition) => {
      const saved = last.metrics.find((metric) => metric.name === definition.name);
      return { definition, baseline: saved?.baselinePoints.map((point) => point.value) ?? [], canary: saved?.canaryPoints.map((point) => point.value) ?? [] };
    }),
    report.plan.judge,
  );
}
