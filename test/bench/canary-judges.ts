/**
 * Three canary judges on the same simulated series (log-normal latencies, binomial error ratios),
 * each with the same allowed-effect rule (latency may rise 5%, errors 0.5 points):
 * - ours: Mann-Whitney U at α = 0.02 with the Hodges-Lehmann interval above 0, then the allowed effect;
 * - Welch's t-test at α = 0.02 two-sided, mean above, then the allowed effect;
 * - an Argo-style threshold: fail when the canary's interval mean exceeds the baseline's by more than
 *   the allowed effect (failureLimit 0).
 * Reported: the false-fail rate over 1,000 A/A runs, and the detection rate for +5%, +10%, +20%, +50%
 * latency and +1 point errors, at 30, 60 and 120 samples per side; and the same with the latency
 * spikes real services have (2% of samples ten times slower). Plus the time to a verdict for 10
 * metrics over an hour of 15 s data from a real Prometheus.
 */
import { judgeMetric, type JudgeConfig } from '../../actions/canary-analyze/src/judge.ts';
import type { MetricDefinition } from '../../actions/canary-analyze/src/metrics.ts';
import { binomialRatio, logNormal, seeded } from '../sandbox/history.ts';

const RUNS = Number(process.env['BENCH_CANARY_RUNS'] ?? 1000);
const SIZES = [30, 60, 120];
const ALPHA = 0.02;
const config: JudgeConfig = { confidence: 1 - ALPHA, minSamples: 3, passThreshold: 75, marginalThreshold: 50 };

const latencyMetric: MetricDefinition = { name: 'latency', query: '', kind: 'value', direction: 'increase', allowedIncrease: 5, allowedDecrease: 0, critical: false, mustHaveData: false, group: 'latency', nan: 'remove' };
const errorMetric: MetricDefinition = { ...latencyMetric, name: 'errors', kind: 'rate', allowedIncrease: 0.5, group: 'errors' };

type Judge = (metric: MetricDefinition, baseline: number[], canary: number[]) => boolean;

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
  'ours (Mann-Whitney + Hodges-Lehmann)': (metric, baseline, canary) => judgeMetric(metric, baseline, canary, config).failed,
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
}

const latency = (factor: number): Case['draw'] => (random, n, canary) => Array.from({ length: n }, () => logNormal(random, canary ? 0.1 * factor : 0.1, 0.3));
/** Real latencies have spikes: 2% of samples (either side) ten times slower. */
const spiky = (factor: number): Case['draw'] => (random, n, canary) =>
  Array.from({ length: n }, () => logNormal(random, canary ? 0.1 * factor : 0.1, 0.3) * (random() < 0.02 ? 10 : 1));
const errorsPlus = (points: number): Case['draw'] => (random, n, canary) => Array.from({ length: n }, () => binomialRatio(random, 400, canary ? 0.01 + points / 100 : 0.01));

const CASES: Case[] = [
  { name: 'A/A latency (false-fail rate)', metric: latencyMetric, draw: latency(1) },
  { name: 'A/A errors (false-fail rate)', metric: errorMetric, draw: errorsPlus(0) },
  { name: '+5% latency', metric: latencyMetric, draw: latency(1.05) },
  { name: '+10% latency', metric: latencyMetric, draw: latency(1.1) },
  { name: '+20% latency', metric: latencyMetric, draw: latency(1.2) },
  { name: '+50% latency', metric: latencyMetric, draw: latency(1.5) },
  { name: '+1 point errors', metric: errorMetric, draw: errorsPlus(1) },
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
        for (const [name, judge] of Object.entries(judges)) if (judge(testCase.metric, baseline, canary)) fails[name] = (fails[name] ?? 0) + 1;
      }
      rows.push([testCase.name, String(size), ...Object.keys(judges).map((name) => `${((100 * (fails[name] ?? 0)) / RUNS).toFixed(1)}%`)]);
    }
  }
  return { header, rows };
}
