import type { MetricDefinition } from './metrics.ts';
import { hodgesLehmann, mannWhitney } from './stats.ts';

/**
 * The canary judge: pure functions from samples to a verdict, every number kept so a reader can see
 * why, and so the verdict can be recomputed from the saved report alone.
 *
 * Per metric: clean (NaN removed or zeroed, optional outlier removal), then
 * - NoData when either side has fewer than min-samples points (never a pass);
 * - Pass when every value is the same;
 * - else Mann-Whitney U (two-sided, tie-corrected) and the Hodges-Lehmann shift with its interval:
 *   the canary moved up when p < α and the interval lies above 0 (down: below 0), and the move counts
 *   when its effect reaches the allowed amount: the mean ratio for value metrics, the difference in
 *   percentage points for rate metrics (a 0% baseline must not hide 2% canary errors, as a ratio would).
 *   High / Low; a move in the bad direction fails the metric.
 * Score: per group 100 × passing / judged (must-have-data metrics without data count as failing),
 * weighted across groups. Verdict: a failed critical metric → fail; missing must-have data, or half the
 * metrics without data → inconclusive; else pass / marginal / fail by the thresholds.
 */

export interface JudgeConfig {
  /** 1 − α for the interval and the test (Kayenta uses 0.98). */
  confidence: number;
  minSamples: number;
  passThreshold: number;
  marginalThreshold: number;
}

export type Classification = 'Pass' | 'High' | 'Low' | 'NoData';
export type Verdict = 'pass' | 'marginal' | 'fail' | 'inconclusive';

export interface MetricJudgement {
  name: string;
  group: string;
  kind: MetricDefinition['kind'];
  direction: MetricDefinition['direction'];
  critical: boolean;
  mustHaveData: boolean;
  samples: { baseline: number; canary: number };
  removed: { baseline: number; canary: number };
  median?: { baseline: number; canary: number } | undefined;
  mean?: { baseline: number; canary: number } | undefined;
  shift?: { estimate: number; lower: number; upper: number } | undefined;
  pValue?: number | undefined;
  /** value: canary mean / baseline mean (null when the baseline mean is 0); rate: points. */
  effect?: { type: 'ratio' | 'points'; value: number | null } | undefined;
  classification: Classification;
  failed: boolean;
  /** The rule that decided, in words. */
  rule: string;
}

export interface IntervalJudgement {
  metrics: MetricJudgement[];
  score: number;
  verdict: Verdict;
  rule: string;
}

/** The R-7 percentile (NumPy's default, Kayenta's choice) of sorted values. */
export function percentile(sorted: readonly number[], fraction: number): number {
  const position = (sorted.length - 1) * fraction;
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const low = sorted[below] as number;
  return low + ((sorted[above] as number) - low) * (position - below);
}

/** NaN handling, then (optionally) Kayenta's outlier bounds [min(P1, Q1 − k·IQR), max(P99, Q3 + k·IQR)]. */
export function cleanSamples(values: readonly number[], nan: 'remove' | 'zero', outlierFactor?: number): { kept: number[]; removed: number } {
  const finite = values.flatMap((value) => (Number.isFinite(value) ? [value] : nan === 'zero' ? [0] : []));
  if (outlierFactor === undefined || finite.length < 4) return { kept: finite, removed: values.length - finite.length };
  const sorted = [...finite].sort((a, b) => a - b);
  const q1 = percentile(sorted, 0.25);
  const q3 = percentile(sorted, 0.75);
  const iqr = q3 - q1;
  const low = Math.min(percentile(sorted, 0.01), q1 - outlierFactor * iqr);
  const high = Math.max(percentile(sorted, 0.99), q3 + outlierFactor * iqr);
  const kept = finite.filter((value) => value >= low && value <= high);
  return { kept, removed: values.length - kept.length };
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const medianOf = (values: readonly number[]) => percentile([...values].sort((a, b) => a - b), 0.5);

function format(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  return magnitude >= 1000 || magnitude < 0.001 ? value.toExponential(3) : Number(value.toPrecision(4)).toString();
}

export function judgeMetric(definition: MetricDefinition, baselineRaw: readonly number[], canaryRaw: readonly number[], config: JudgeConfig): MetricJudgement {
  const baseline = cleanSamples(baselineRaw, definition.nan, definition.outliers);
  const canary = cleanSamples(canaryRaw, definition.nan, definition.outliers);
  const base: MetricJudgement = {
    name: definition.name,
    group: definition.group,
    kind: definition.kind,
    direction: definition.direction,
    critical: definition.critical,
    mustHaveData: definition.mustHaveData,
    samples: { baseline: baseline.kept.length, canary: canary.kept.length },
    removed: { baseline: baseline.removed, canary: canary.removed },
    classification: 'NoData',
    failed: false,
    rule: '',
  };
  const b = baseline.kept;
  const c = canary.kept;
  if (b.length < config.minSamples || c.length < config.minSamples) {
    const short = [b.length < config.minSamples ? `${b.length} baseline` : '', c.length < config.minSamples ? `${c.length} canary` : ''].filter(Boolean).join(' and ');
    return {
      ...base,
      failed: definition.mustHaveData,
      rule: `${short} samples, fewer than min-samples ${config.minSamples}: no data${definition.mustHaveData ? ' on a must-have-data metric' : ''}`,
    };
  }
  const judged = {
    ...base,
    median: { baseline: medianOf(b), canary: medianOf(c) },
    mean: { baseline: mean(b), canary: mean(c) },
  };
  if (new Set([...b, ...c]).size === 1) return { ...judged, classification: 'Pass', rule: `every value is ${format(b[0] as number)}: no difference` };

  const test = mannWhitney(b, c);
  const shift = hodgesLehmann(b, c, config.confidence);
  const effect: MetricJudgement['effect'] =
    definition.kind === 'rate'
      ? { type: 'points', value: (judged.mean.canary - judged.mean.baseline) * 100 }
      : { type: 'ratio', value: judged.mean.baseline === 0 ? null : judged.mean.canary / judged.mean.baseline };
  const alpha = 1 - config.confidence;
  const significant = test.pValue < alpha;
  const up = significant && shift.lower > 0;
  const down = significant && shift.upper < 0;
  /** How far the effect went in one direction, in the unit allowed-increase/-decrease use. */
  const size = (direction: 1 | -1): number => {
    if (effect.type === 'points') return direction * (effect.value as number);
    if (effect.value === null) return Number.POSITIVE_INFINITY; // from a zero baseline, any change is unbounded
    return direction * (effect.value - 1) * 100;
  };
  const unit = definition.kind === 'rate' ? ' points' : '%';
  const evidence = `p = ${format(test.pValue)} (α ${format(alpha)}), shift ${format(shift.estimate)} [${format(shift.lower)}, ${format(shift.upper)}]`;
  const effectText = effect.type === 'points' ? `${format(effect.value as number)} points` : effect.value === null ? 'ratio undefined (baseline mean 0)' : `×${format(effect.value)}`;
  let classification: Classification = 'Pass';
  let rule = `${evidence}: no significant difference`;
  if (up) {
    const reached = size(1) >= definition.allowedIncrease;
    classification = reached ? 'High' : 'Pass';
    rule = `${evidence}, effect ${effectText}: higher${reached ? `, at least the allowed ${definition.allowedIncrease}${unit}` : `, within the allowed ${definition.allowedIncrease}${unit}`}`;
  } else if (down) {
    const reached = size(-1) >= definition.allowedDecrease;
    classification = reached ? 'Low' : 'Pass';
    rule = `${evidence}, effect ${effectText}: lower${reached ? `, at least the allowed ${definition.allowedDecrease}${unit}` : `, within the allowed ${definition.allowedDecrease}${unit}`}`;
  } else if (significant) {
    rule = `${evidence}: significant, but the interval reaches 0`;
  }
  const failed = (classification === 'High' && definition.direction !== 'decrease') || (classification === 'Low' && definition.direction !== 'increase');
  if (classification !== 'Pass' && !failed) rule += ' (the good direction for this metric)';
  return { ...judged, shift, pValue: test.pValue, effect, classification, failed, rule };
}

/** Group weights: explicit ones as given, groups without one share what is left of 100 equally. */
export function groupWeights(definitions: readonly MetricDefinition[]): Map<string, number> {
  const groups = new Map<string, number | undefined>();
  for (const definition of definitions) if (!groups.has(definition.group) || definition.weight !== undefined) groups.set(definition.group, definition.weight);
  const explicit = [...groups.values()].filter((weight): weight is number => weight !== undefined);
  const rest = [...groups.values()].filter((weight) => weight === undefined).length;
  const share = rest > 0 ? Math.max(0, 100 - explicit.reduce((sum, weight) => sum + weight, 0)) / rest : 0;
  return new Map([...groups.entries()].map(([group, weight]) => [group, weight ?? share]));
}

export function judgeInterval(series: ReadonlyArray<{ definition: MetricDefinition; baseline: readonly number[]; canary: readonly number[] }>, config: JudgeConfig): IntervalJudgement {
  const metrics = series.map((entry) => judgeMetric(entry.definition, entry.baseline, entry.canary, config));
  const weights = groupWeights(series.map((entry) => entry.definition));
  let weighted = 0;
  let weightTotal = 0;
  for (const [group, weight] of weights) {
    const judged = metrics.filter((metric) => metric.group === group && (metric.classification !== 'NoData' || metric.mustHaveData));
    if (judged.length === 0 || weight <= 0) continue;
    const passing = judged.filter((metric) => !metric.failed).length;
    weighted += weight * ((100 * passing) / judged.length);
    weightTotal += weight;
  }
  const score = weightTotal === 0 ? 0 : Math.round((weighted / weightTotal) * 100) / 100;

  const critical = metrics.find((metric) => metric.critical && metric.failed && metric.classification !== 'NoData');
  const missing = metrics.filter((metric) => metric.classification === 'NoData');
  const missingMust = missing.find((metric) => metric.mustHaveData);
  let verdict: Verdict;
  let rule: string;
  if (critical) {
    verdict = 'fail';
    rule = `critical metric ${critical.name} failed: ${critical.rule}`;
  } else if (missingMust) {
    verdict = 'inconclusive';
    rule = `must-have-data metric ${missingMust.name} has no data (${missingMust.rule})`;
  } else if (missing.length * 2 >= metrics.length) {
    verdict = 'inconclusive';
    rule = `${missing.length} of ${metrics.length} metrics have no data`;
  } else if (score >= config.passThreshold) {
    verdict = 'pass';
    rule = `score ${score} ≥ pass threshold ${config.passThreshold}`;
  } else if (score >= config.marginalThreshold) {
    verdict = 'marginal';
    rule = `score ${score} ≥ marginal threshold ${config.marginalThreshold}, < pass threshold ${config.passThreshold}`;
  } else {
    verdict = 'fail';
    rule = `score ${score} < marginal threshold ${config.marginalThreshold}`;
  }
  return { metrics, score, verdict, rule };
}
