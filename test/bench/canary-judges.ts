/**
 * Three canary judges on the same simulated series (log-normal latencies, binomial errors per step),
 * each with the same allowed-effect rule (latency may rise 5%, errors 0.5 points):
 * - ours: latency by Mann-Whitney U at α = 0.02 with the Hodges-Lehmann interval above 0, then the
 *   allowed effect; errors by the score test on the counts over the window against +0.5 points
 *   (one-sided at α/2);
 * - Welch's t-test at α = 0.02 two-sided on the per-step values, mean above, then the allowed effect;
 * - an Argo-style threshold: fail when the canary's interval mean exceeds the baseline's by more than
 *   the allowed effect (failureLimit 0).
 * Reported: the false-fail rate over 1,000 A/A runs, and the detection rate for +5%, +10%, +20%, +50%
 * latency and +1 point errors, at 30, 60 and 120 samples (steps) per side; the same with the latency
 * spikes real services have (2% of samples ten times slower); errors at low traffic (20 requests a
 * step). Then, computed exactly rather than simulated, the rate test's false-fail rate when the canary
 * is exactly the allowed points worse (its size), with the normal tail alone and with ours. Plus the
 * time to a verdict for 10 metrics over an hour of 15 s data from a real Prometheus.
 */
import { judgeMetric, type JudgeConfig } from '../../actions/canary-analyze/src/judge.ts';
import type { MetricDefinition } from '../../actions/canary-analyze/src/metrics.ts';
import { normalSf, scoreStatistic, scoreTestP } from '../../actions/canary-analyze/src/stats.ts';
import { binomialRatio, logNormal, seeded } from '../sandbox/history.ts';

const RUNS = Number(process.env['BENCH_CANARY_RUNS'] ?? 1000);
const SIZES = [30, 60, 120];
const ALPHA = 0.02;
const config: JudgeConfig = { confidence: 1 - ALPHA, minSamples: 3, passThreshold: 75, marginalThreshold: 50 };

const latencyMetric: MetricDefinition = { name: 'latency', query: '', kind: 'value', direction: 'increase', allowedIncrease: 5, allowedDecrease: 0, critical: false, mustHaveData: false, group: 'latency', nan: 'remove' };
const errorMetric: MetricDefinition = { ...latencyMetric, query: undefined, errors: 'e', requests: 'r', name: 'errors', kind: 'rate', allowedIncrease: 0.5, group: 'errors' };

/** Per-step values; for a rate metric, the share of `perStep` requests that failed in each step. */
type Judge = (metric: MetricDefinition, baseline: number[], canary: number[], perStep: number) => boolean;

/** Per-step error ratios of `perStep` requests as the counts over the window. */
const countsOf = (ratios: readonly number[], perStep: number) => ({ errors: ratios.reduce((sum, ratio) => sum + Math.round(ratio * perStep), 0), requests: ratios.length * perStep });

/** Regularized incomplete beta I_x(a, b) by its continued fraction (Lentz), for Student's t. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logGamma = (z: number): number => {
    const g = [676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7];
    if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - logGamma(1 - z);
    let sum = 0.9999999999998099;
    const shifted = z - 1;
    g.forEach((coefficient, index) => (sum += coefficient / (shifted + index + 1)));
    const t = shifted + 7.5;
    return 0.5 * Math.log(2 * Math.PI) + (shifted + 0.5) * Math.log(t) - t + Math.log(sum);
  };
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < 1e-300 ? 1e-300 : d);
  let f = d;
  for (let m = 1; m <= 300; m++) {
    for (const numerator of [(m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)), -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1))]) {
      d = 1 + numerator * d;
      d = 1 / (Math.abs(d) < 1e-300 ? 1e-300 : d);
      c = 1 + numerator / c;
      if (Math.abs(c) < 1e-300) c = 1e-300;
      f *= c * d;
    }
  }
  return (front * f) / a;
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const variance = (values: readonly number[]) => {
  const average = mean(values);
  return values.reduce((sum, value) => sum + (value - average) ** 2, 0) / (values.length - 1);
};

const exceedsAllowed = (metric: MetricDefinition, baseline: number[], canary: number[]) =>
  metric.kind === 'rate' ? (mean(canary) - mean(baseline)) * 100 > metric.allowedIncrease : mean(canary) > mean(baseline) * (1 + metric.allowedIncrease / 100);

const judges: Record<string, Judge> = {
  'ours (Mann-Whitney + Hodges-Lehmann; errors: score test on counts)': (metric, baseline, canary, perStep) =>
    metric.kind === 'rate' ? judgeMetric(metric, countsOf(baseline, perStep), countsOf(canary, perStep), config).failed : judgeMetric(metric, baseline, canary, config).failed,
  "Welch's t-test": (metric, baseline, canary) => {
    const vb = variance(baseline) / baseline.length;
    const vc = variance(canary) / canary.length;
    if (vb + vc === 0) return false;
    const t = (mean(canary) - mean(baseline)) / Math.sqrt(vb + vc);
    const df = (vb + vc) ** 2 / (vb ** 2 / (baseline.length - 1) + vc ** 2 / (canary.length - 1));
    const p = incompleteBeta(df / (df + t * t), df / 2, 0.5);
    return t > 0 && p < ALPHA && exceedsAllowed(metric, baseline, canary);
  },
  'Argo-style threshold': exceedsAllowed,
};

interface Case {
  name: string;
  metric: MetricDefinition;
  draw: (random: () => number, n: number, canary: boolean) => number[];
  /** Requests per step of a rate metric. */
  perStep?: number;
}

const latency = (factor: number): Case['draw'] => (random, n, canary) => Array.from({ length: n }, () => logNormal(random, canary ? 0.1 * factor : 0.1, 0.3));
/** Real latencies have spikes: 2% of samples (either side) ten times slower. */
const spiky = (factor: number): Case['draw'] => (random, n, canary) =>
  Array.from({ length: n }, () => logNormal(random, canary ? 0.1 * factor : 0.1, 0.3) * (random() < 0.02 ? 10 : 1));
const errors = (perStep: number, baseline: number, canary: number): Case['draw'] => (random, n, isCanary) => Array.from({ length: n }, () => binomialRatio(random, perStep, isCanary ? canary : baseline));
const errorsPlus = (points: number) => errors(400, 0.01, 0.01 + points / 100);

const CASES: Case[] = [
  { name: 'A/A latency (false-fail rate)', metric: latencyMetric, draw: latency(1) },
  { name: 'A/A errors (false-fail rate)', metric: errorMetric, draw: errorsPlus(0), perStep: 400 },
  { name: '+5% latency', metric: latencyMetric, draw: latency(1.05) },
  { name: '+10% latency', metric: latencyMetric, draw: latency(1.1) },
  { name: '+20% latency', metric: latencyMetric, draw: latency(1.2) },
  { name: '+50% latency', metric: latencyMetric, draw: latency(1.5) },
  { name: '+0.5 points errors (exactly the allowance)', metric: errorMetric, draw: errorsPlus(0.5), perStep: 400 },
  { name: '+1 point errors', metric: errorMetric, draw: errorsPlus(1), perStep: 400 },
  { name: 'A/A errors at 20 requests a step (false-fail rate)', metric: errorMetric, draw: errors(20, 0.01, 0.01), perStep: 20 },
  { name: '0% to 2% errors at 20 requests a step', metric: errorMetric, draw: errors(20, 0, 0.02), perStep: 20 },
  { name: '+1 point errors at 20 requests a step', metric: errorMetric, draw: errors(20, 0.01, 0.02), perStep: 20 },
  { name: 'A/A latency with 2% spikes (false-fail rate)', metric: latencyMetric, draw: spiky(1) },
  { name: '+20% latency with 2% spikes', metric: latencyMetric, draw: spiky(1.2) },
];

export function benchJudges(): { header: string[]; rows: string[][] } {
  const header = ['series', 'samples per side', ...Object.keys(judges)];
  const rows: string[][] = [];
  for (const testCase of CASES) {
    for (const size of SIZES) {
      const fails = Object.fromEntries(Object.keys(judges).map((name) => [name, 0]));
      // The same draws for every judge.
      const random = seeded(size * 7919 + testCase.name.length);
      for (let run = 0; run < RUNS; run++) {
        const baseline = testCase.draw(random, size, false);
        const canary = testCase.draw(random, size, true);
        for (const [name, judge] of Object.entries(judges)) if (judge(testCase.metric, baseline, canary, testCase.perStep ?? 1)) fails[name] = (fails[name] ?? 0) + 1;
      }
      rows.push([testCase.name, String(size), ...Object.keys(judges).map((name) => `${((100 * (fails[name] ?? 0)) / RUNS).toFixed(1)}%`)]);
    }
  }
  return { header, rows };
}

/** Binomial(n, p) probabilities, all of them (n is small here). */
function binomialPmf(n: number, p: number): Float64Array {
  const pmf = new Float64Array(n + 1);
  if (p === 0) {
    pmf[0] = 1;
    return pmf;
  }
  let logChoose = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logChoose += Math.log((n - k + 1) / k);
    pmf[k] = Math.exp(logChoose + k * Math.log(p) + (n - k) * Math.log1p(-p));
  }
  return pmf;
}

/**
 * The rate test's size, exactly: with n requests a side, the baseline at p and the canary at p + δ
 * (exactly the allowance), the probability that "higher by more than allowed" is called at α/2 = 1%,
 * summed over every outcome. For each baseline count the canary counts that reject are the top ones
 * (the p-values fall as the canary's errors grow), found by bisection.
 */
export function benchRateSize(): { header: string[]; rows: string[][] } {
  const level = ALPHA / 2;
  const baselines = [0, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05];
  const rows: string[][] = [];
  for (const points of [0, 0.5, 1]) {
    const delta = points / 100;
    for (const n of [20, 100, 400, 1000, 3000]) {
      const worst = { normal: 0, normalAt: 0, ours: 0, oursAt: 0 };
      for (const p of baselines) {
        if (p + delta === 0) continue;
        const fb = binomialPmf(n, p);
        const fc = binomialPmf(n, p + delta);
        const tail = new Float64Array(n + 2);
        for (let xc = n; xc >= 0; xc--) tail[xc] = (tail[xc + 1] as number) + (fc[xc] as number);
        const size = { normal: 0, ours: 0 };
        for (let xb = 0; xb <= n; xb++) {
          if ((fb[xb] as number) < 1e-13) continue;
          const baseline = { errors: xb, requests: n };
          const normal = (xc: number) => normalSf(scoreStatistic(baseline, { errors: xc, requests: n }, delta));
          const rejects = {
            normal: (xc: number) => normal(xc) < level,
            ours: (xc: number) => normal(xc) < level && scoreTestP(baseline, { errors: xc, requests: n }, delta, 'greater') < level,
          };
          for (const name of ['normal', 'ours'] as const) {
            let low = 0;
            let high = n + 1;
            while (low < high) {
              const middle = (low + high) >> 1;
              if (rejects[name](middle)) high = middle;
              else low = middle + 1;
            }
            size[name] += (fb[xb] as number) * (tail[low] as number);
          }
        }
        if (size.normal > worst.normal) Object.assign(worst, { normal: size.normal, normalAt: p });
        if (size.ours > worst.ours) Object.assign(worst, { ours: size.ours, oursAt: p });
      }
      const cell = (value: number, at: number) => `${(100 * value).toFixed(2)}% (baseline ${Number((100 * at).toPrecision(2))}%)`;
      rows.push([`+${points}`, String(n), cell(worst.normal, worst.normalAt), cell(worst.ours, worst.oursAt)]);
    }
  }
  return { header: ['allowed points', 'requests per side', 'score test, normal tail (worst)', 'ours: normal and exact tail (worst)'], rows };
}
