import { realClock, type Clock } from '../../../shared/bluegreen/health.ts';
import { InputError } from '../../../shared/errors.ts';
import { formatDuration } from '../../../shared/inputs.ts';
import { judgeInterval, type IntervalJudgement, type JudgeConfig, type MetricJudgement, type Observations, type RateObservation, type Verdict } from './judge.ts';
import { fillTemplate, type MetricDefinition } from './metrics.ts';
import { ProviderUnavailable, type Point, type Provider } from './providers.ts';

/**
 * The analysis over time: after a warmup, intervals of cumulative windows (the k-th judges everything
 * from the start to k intervals in), stopping early on a failed critical metric or a score at or below
 * marginal. The final verdict is the last interval's. The report keeps every sample (rate metrics:
 * every count) and every number, so the verdict can be recomputed from it alone (recompute()).
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

interface Fetched {
  observations: { baseline: Observations; canary: Observations };
  /** The samples of a value metric (rate metrics keep their counts in the judgement). */
  points: { baseline: Point[]; canary: Point[] };
}

/** A count over the window from a provider, checked: a whole number ≥ 0 (Prometheus' increase() extrapolates, so it is rounded). */
function count(value: number | undefined, metric: string, field: 'errors' | 'requests', variant: string): number | null {
  if (value === undefined) return null;
  const rounded = Math.round(value);
  if (!Number.isFinite(value) || rounded < 0) {
    throw new InputError('metrics', `metric "${metric}", field "${field}": the ${variant} count is ${value}; a count over the window is a number ≥ 0 (a counter's increase(), not delta() or rate())`);
  }
  return rounded;
}

async function fetchMetric(provider: Provider, plan: AnalysisPlan, metric: MetricDefinition, start: Date, end: Date): Promise<Fetched> {
  const window = { start, end, stepSeconds: plan.stepSeconds };
  const fill = (query: string, variant: 'baseline' | 'canary', field: string) =>
    fillTemplate(
      query,
      { variant, version: plan[variant].version, selector: plan[variant].selector, interval: plan.rateWindow, window: `${Math.round((end.getTime() - start.getTime()) / 1000)}s` },
      metric.name,
      'metrics',
      field,
    );
  if (metric.kind === 'rate') {
    const counts = async (variant: 'baseline' | 'canary'): Promise<RateObservation> => {
      const [errors, requests] = (await Promise.all(
        (['errors', 'requests'] as const).map(async (field) => count(await provider.total(fill(metric[field] as string, variant, field), window, metric.name), metric.name, field, variant)),
      )) as [number | null, number | null];
      if (errors !== null && requests !== null && errors > requests) {
        throw new InputError('metrics', `metric "${metric.name}", field "errors": the ${variant}'s ${errors} errors are more than its ${requests} requests; the errors query must count a subset of what the requests query counts`);
      }
      return { errors, requests };
    };
    const [baseline, canary] = await Promise.all([counts('baseline'), counts('canary')]);
    return { observations: { baseline, canary }, points: { baseline: [], canary: [] } };
  }
  const [baseline, canary] = await Promise.all((['baseline', 'canary'] as const).map((variant) => provider.fetch(fill(metric.query as string, variant, 'query'), window, metric.name)));
  const points = { baseline: baseline as Point[], canary: canary as Point[] };
  return { observations: { baseline: points.baseline.map((point) => point.value), canary: points.canary.map((point) => point.value) }, points };
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
    const fetched: Fetched[] = [];
    try {
      for (const metric of plan.metrics) fetched.push(await fetchMetric(provider, plan, metric, window.start, window.end));
      judged = judgeInterval(
        plan.metrics.map((definition, position) => ({ definition, ...(fetched[position] as Fetched).observations })),
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
      metrics: judged.metrics.map((metric, position) => ({ ...metric, baselinePoints: fetched[position]?.points.baseline ?? [], canaryPoints: fetched[position]?.points.canary ?? [] })),
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

/** The final window's verdict, computed again from the samples (rate metrics: the counts) and plan saved in a report. */
export function recompute(report: Report): IntervalJudgement | undefined {
  const last = report.windows.at(-1);
  if (!last || last.metrics.length === 0) return undefined;
  const none: RateObservation = { errors: null, requests: null };
  return judgeInterval(
    report.plan.metrics.map((definition) => {
      const saved = last.metrics.find((metric) => metric.name === definition.name);
      if (definition.kind === 'rate') return { definition, baseline: saved?.counts?.baseline ?? none, canary: saved?.counts?.canary ?? none };
      return { definition, baseline: saved?.baselinePoints.map((point) => point.value) ?? [], canary: saved?.canaryPoints.map((point) => point.value) ?? [] };
    }),
    report.plan.judge,
  );
}
