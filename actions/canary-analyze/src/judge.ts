import type { MetricDefinition } from './metrics.ts';
import { hodgesLehmann, mannWhitney, rateDifference, type Counts } from './stats.ts';

/**
 * The canary judge: pure functions from samples to a verdict, every number kept so a reader can see
 * why, and so the verdict can be recomputed from the saved report alone.
 *
 * Value metrics (a series of samples per side): clean (NaN removed or zeroed, optional outlier
 * removal), then
 * - NoData when either side has fewer than min-samples points (never a pass);
 * - Pass when every value is the same;
 * - else Mann-Whitney U (two-sided; exact where SciPy's is, else tie-corrected) and the Hodges-Lehmann
 *   shift with its interval and the interval's real coverage: the canary moved up when p < α and the
 *   interval lies above 0 (down: below 0), and the move counts when the mean ratio reaches the allowed
 *   percent.
 * Rate metrics (errors and requests per side over the window, whole counts): NoData below min-samples
 * requests on either side or when a count query gave nothing; else the score test of the difference of
 * the two error ratios against the allowed points, one-sided at α/2 each way: High when the canary is
 * higher by more than allowed-increase points, Low when lower by more than allowed-decrease (per-step
 * ratios of sparse errors are mostly 0, and their shift interval [0, 0] hid 2% canary errors).
 * High / Low; a move in the bad direction fails the metric.
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
  /** value: the means; rate: the error ratios (errors / requests). */
  mean?: { baseline: number; canary: number } | undefined;
  /** rate: what the count queries answered (null: no answer). */
  counts?: { baseline: RateObservation; canary: RateObservation } | undefined;
  /**
   * value: the Hodges-Lehmann shift, its interval and the interval's real coverage (1 − 2·P(U ≤ k − 1),
   * exact or by the normal approximation); rate: the difference in points and its score interval.
   */
  shift?: { estimate: number; lower: number; upper: number; coverage?: number | undefined; coverageMethod?: 'exact' | 'normal' | undefined } | undefined;
  /** value: two-sided; rate: one-sided, of the move the classification names (else the nearer one). */
  pValue?: number | undefined;
  /** How pValue was computed. */
  test?: 'Mann-Whitney exact' | 'Mann-Whitney normal approximation' | 'score test' | undefined;
  /** value: canary mean / baseline mean (null when the baseline mean is 0); rate: points. */
  effect?: { type: 'ratio' | 'points'; value: number | null } | undefined;
  classification: Classification;
  failed: boolean;
  /** The rule that decided, in words. */
  rule: string;
}

/** A rate metric's counts on one side over the window; null where the query gave no answer. */
export interface RateObservation {
  errors: number | null;
  requests: number | null;
}

/** A value metric's samples, or a rate metric's counts. */
export type Observations = readonly number[] | RateObservation;

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

function judgementOf(definition: MetricDefinition, samples: MetricJudgement['samples'], removed: MetricJudgement['removed']): MetricJudgement {
  return {
    name: definition.name,
    group: definition.group,
    kind: definition.kind,
    direction: definition.direction,
    critical: definition.critical,
    mustHaveData: definition.mustHaveData,
    samples,
    removed,
    classification: 'NoData',
    failed: false,
    rule: '',
  };
}

/** A move in the bad direction fails; `either` makes both bad. */
function failedBy(classification: Classification, direction: MetricDefinition['direction']): boolean {
  return (classification === 'High' && direction !== 'decrease') || (classification === 'Low' && direction !== 'increase');
}

/** Judges one metric: samples for a value metric, counts for a rate metric. */
export function judgeMetric(definition: MetricDefinition, baseline: Observations, canary: Observations, config: JudgeConfig): MetricJudgement {
  const isCounts = (observations: Observations): observations is RateObservation => !Array.isArray(observations);
  if (definition.kind === 'rate') {
    if (!isCounts(baseline) || !isCounts(canary)) throw new TypeError(`rate metric ${definition.name} is judged on counts, not samples`);
    return judgeRate(definition, baseline, canary, config);
  }
  if (isCounts(baseline) || isCounts(canary)) throw new TypeError(`value metric ${definition.name} is judged on samples, not counts`);
  return judgeValue(definition, baseline, canary, config);
}

function judgeValue(definition: MetricDefinition, baselineRaw: readonly number[], canaryRaw: readonly number[], config: JudgeConfig): MetricJudgement {
  const baseline = cleanSamples(baselineRaw, definition.nan, definition.outliers);
  const canary = cleanSamples(canaryRaw, definition.nan, definition.outliers);
  const base = judgementOf(definition, { baseline: baseline.kept.length, canary: canary.kept.length }, { baseline: baseline.removed, canary: canary.removed });
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
  const effect: MetricJudgement['effect'] = { type: 'ratio', value: judged.mean.baseline === 0 ? null : judged.mean.canary / judged.mean.baseline };
  const alpha = 1 - config.confidence;
  const significant = test.pValue < alpha;
  const up = significant && shift.lower > 0;
  const down = significant && shift.upper < 0;
  /** How far the mean moved in one direction, in percent (from a zero baseline any change is unbounded). */
  const size = (direction: 1 | -1): number => (effect.value === null ? Number.POSITIVE_INFINITY : direction * (effect.value - 1) * 100);
  // The interval's real coverage, named when the whole number k makes it differ from the confidence asked.
  const covers = Math.abs(shift.coverage - config.confidence) >= 0.0005 ? `, covering ${format(shift.coverage * 100)}% (${shift.coverageMethod === 'exact' ? 'exact' : 'normal approximation'}), not ${format(config.confidence * 100)}%` : '';
  const evidence = `p = ${format(test.pValue)} (${test.method === 'exact' ? 'exact, ' : ''}α ${format(alpha)}), shift ${format(shift.estimate)} [${format(shift.lower)}, ${format(shift.upper)}]${covers}`;
  const effectText = effect.value === null ? 'ratio undefined (baseline mean 0)' : `×${format(effect.value)}`;
  let classification: Classification = 'Pass';
  let rule = `${evidence}: no significant difference`;
  if (up) {
    const reached = size(1) >= definition.allowedIncrease;
    classification = reached ? 'High' : 'Pass';
    rule = `${evidence}, effect ${effectText}: higher${reached ? `, at least the allowed ${definition.allowedIncrease}%` : `, within the allowed ${definition.allowedIncrease}%`}`;
  } else if (down) {
    const reached = size(-1) >= definition.allowedDecrease;
    classification = reached ? 'Low' : 'Pass';
    rule = `${evidence}, effect ${effectText}: lower${reached ? `, at least the allowed ${definition.allowedDecrease}%` : `, within the allowed ${definition.allowedDecrease}%`}`;
  } else if (significant) {
    rule = `${evidence}: significant, but the interval reaches 0`;
  }
  const failed = failedBy(classification, definition.direction);
  if (classification !== 'Pass' && !failed) rule += ' (the good direction for this metric)';
  return {
    ...judged,
    shift: { estimate: shift.estimate, lower: shift.lower, upper: shift.upper, coverage: shift.coverage, coverageMethod: shift.coverageMethod },
    pValue: test.pValue,
    test: test.method === 'exact' ? 'Mann-Whitney exact' : 'Mann-Whitney normal approximation',
    effect,
    classification,
    failed,
    rule,
  };
}

const percent = (counts: Counts) => `${counts.errors}/${counts.requests} (${format((100 * counts.errors) / counts.requests)}%)`;
const signed = (value: number) => `${value > 0 ? '+' : ''}${format(value)}`;

/**
 * A rate metric on counts: the score test of the canary's error ratio minus the baseline's against the
 * allowed points, each way one-sided at α/2 (so the two-sided interval shown at the confidence asked
 * lies past the allowance whenever a move is called).
 */
function judgeRate(definition: MetricDefinition, baseline: RateObservation, canary: RateObservation, config: JudgeConfig): MetricJudgement {
  const base = { ...judgementOf(definition, { baseline: baseline.requests ?? 0, canary: canary.requests ?? 0 }, { baseline: 0, canary: 0 }), counts: { baseline, canary } };
  const unanswered = (['baseline', 'canary'] as const).flatMap((side) => (['errors', 'requests'] as const).filter((count) => (side === 'baseline' ? baseline : canary)[count] === null).map((count) => `${side} ${count}`));
  if (unanswered.length > 0) {
    const hint = unanswered.some((entry) => entry.endsWith('errors')) ? ' (where no errors at all means no series, end the errors query with `or vector(0)`)' : '';
    return { ...base, failed: definition.mustHaveData, rule: `no answer for the ${unanswered.join(' and ')} count${hint}: no data${definition.mustHaveData ? ' on a must-have-data metric' : ''}` };
  }
  const b = baseline as Counts;
  const c = canary as Counts;
  if (b.requests < config.minSamples || c.requests < config.minSamples) {
    const short = [b.requests < config.minSamples ? `${b.requests} baseline` : '', c.requests < config.minSamples ? `${c.requests} canary` : ''].filter(Boolean).join(' and ');
    return { ...base, failed: definition.mustHaveData, rule: `${short} requests, fewer than min-samples ${config.minSamples}: no data${definition.mustHaveData ? ' on a must-have-data metric' : ''}` };
  }
  const test = rateDifference(b, c, config.confidence, { increase: definition.allowedIncrease, decrease: definition.allowedDecrease });
  const level = (1 - config.confidence) / 2;
  const classification: Classification = test.pHigh < level ? 'High' : test.pLow < level ? 'Low' : 'Pass';
  const evidence = `${percent(b)} → ${percent(c)}: ${signed(test.estimate)} points [${signed(test.lower)}, ${signed(test.upper)}]`;
  const allowedUp = `+${format(definition.allowedIncrease)}`;
  const allowedDown = `-${format(definition.allowedDecrease)}`;
  let rule: string;
  if (classification === 'High') rule = `${evidence}: higher by more than the allowed ${allowedUp} points (p = ${format(test.pHigh)} < α/2 ${format(level)})`;
  else if (classification === 'Low') rule = `${evidence}: lower by more than the allowed ${allowedDown} points (p = ${format(test.pLow)} < α/2 ${format(level)})`;
  else rule = `${evidence}: within the allowed ${allowedUp} / ${allowedDown} points (p = ${format(test.pHigh)} and ${format(test.pLow)}, not below α/2 ${format(level)})`;
  const failed = failedBy(classification, definition.direction);
  if (classification !== 'Pass' && !failed) rule += ' (the good direction for this metric)';
  return {
    ...base,
    mean: { baseline: b.errors / b.requests, canary: c.errors / c.requests },
    shift: { estimate: test.estimate, lower: test.lower, upper: test.upper },
    // The p-value of the move called (High: pHigh, Low: pLow, which is then the smaller), else the nearer one.
    pValue: Math.min(test.pHigh, test.pLow),
    test: 'score test',
    effect: { type: 'points', value: test.estimate },
    classification,
    failed,
    rule,
  };
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

export function judgeInterval(series: ReadonlyArray<{ definition: MetricDefinition; baseline: Observations; canary: Observations }>, config: JudgeConfig): IntervalJudgement {
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
