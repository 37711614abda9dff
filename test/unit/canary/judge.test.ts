import { describe, expect, test } from 'vitest';
import { cleanSamples, groupWeights, judgeInterval, judgeMetric, type JudgeConfig, type Observations } from '../../../actions/canary-analyze/src/judge.ts';
import { builtInHttpMetrics, fillTemplate, parseMetrics, type MetricDefinition } from '../../../actions/canary-analyze/src/metrics.ts';
import { InputError } from '../../../shared/errors.ts';
import { binomialRatio, logNormal, seeded } from '../../sandbox/history.ts';

const config: JudgeConfig = { confidence: 0.98, minSamples: 30, passThreshold: 75, marginalThreshold: 50 };

function metric(overrides: Partial<MetricDefinition> = {}): MetricDefinition {
  return { name: 'latency', query: 'q', kind: 'value', direction: 'increase', allowedIncrease: 10, allowedDecrease: 0, critical: false, mustHaveData: false, group: 'latency', nan: 'remove', ...overrides };
}

const random = seeded(42);
const latencies = (count: number, median: number) => Array.from({ length: count }, () => logNormal(random, median, 0.2));
/** Errors among requests over `steps` steps of `perStep` requests each, failing with probability p. */
const counted = (steps: number, p: number, perStep = 200, draw = random) => {
  let errors = 0;
  for (let step = 0; step < steps; step++) errors += Math.round(binomialRatio(draw, perStep, p) * perStep);
  return { errors, requests: steps * perStep };
};
const rate = (overrides: Partial<MetricDefinition> = {}) => metric({ name: 'errors', kind: 'rate', query: undefined, errors: 'e', requests: 'r', group: 'errors', allowedIncrease: 0.5, ...overrides });

describe('one metric', () => {
  test('the same distribution passes', () => {
    const result = judgeMetric(metric(), latencies(120, 0.1), latencies(120, 0.1), config);
    expect(result.classification).toBe('Pass');
    expect(result.failed).toBe(false);
    expect(result.rule).toMatch(/no significant difference/);
    // 14,400 pairs: the interval covers 98% (normal approximation), so the rule does not mention it.
    expect(result.shift).toMatchObject({ coverage: expect.closeTo(0.98, 3), coverageMethod: 'normal' });
    expect(result.rule).toMatch(/^p = [\d.e-]+ \(α 0\.02\), shift [^ ]+ \[[^\]]+\]: no significant difference$/);
  });

  test('+30% latency is High and fails an increase-is-bad metric', () => {
    const result = judgeMetric(metric(), latencies(120, 0.1), latencies(120, 0.13), config);
    expect(result.classification).toBe('High');
    expect(result.failed).toBe(true);
    expect(result.effect?.type).toBe('ratio');
    expect(result.effect?.value).toBeGreaterThan(1.2);
    expect(result.shift?.lower).toBeGreaterThan(0);
    expect(result.rule).toMatch(/higher, at least the allowed 10%/);
  });

  test('a significant change smaller than allowed passes, and says so', () => {
    const result = judgeMetric(metric({ allowedIncrease: 50 }), latencies(200, 0.1), latencies(200, 0.13), config);
    expect(result.classification).toBe('Pass');
    expect(result.rule).toMatch(/within the allowed 50%/);
  });

  test('the good direction is not a failure', () => {
    const result = judgeMetric(metric(), latencies(120, 0.13), latencies(120, 0.1), config);
    expect(result.classification).toBe('Low');
    expect(result.failed).toBe(false);
    expect(result.rule).toMatch(/the good direction/);
  });

  test('a 0% baseline does not hide 2% canary errors: rate metrics are judged on counts, in points', () => {
    const result = judgeMetric(rate(), { errors: 0, requests: 12_000 }, counted(60, 0.02), config);
    expect(result.effect).toEqual({ type: 'points', value: expect.closeTo(2, 0) });
    expect(result).toMatchObject({ classification: 'High', failed: true, test: 'score test' });
    expect(result.rule).toMatch(/^0\/12000 \(0%\) → \d+\/12000 \([\d.]+%\): \+[\d.]+ points \[\+[\d.]+, \+[\d.]+\]: higher by more than the allowed \+0\.5 points \(p = .+ < α\/2 0\.01\)$/);
    // As a value metric on per-step ratios the mean ratio is undefined from a 0 baseline: the move still counts.
    const perStep = Array.from({ length: 60 }, () => binomialRatio(random, 200, 0.02));
    const asValue = judgeMetric(metric({ name: 'errors' }), new Array(60).fill(0), perStep, config);
    expect(asValue.effect).toEqual({ type: 'ratio', value: null });
    expect(asValue.classification).toBe('High');
    expect(asValue.rule).toMatch(/, effect ratio undefined \(baseline mean 0\): higher, at least the allowed 10%$/);
  });

  test('a rate metric needs counts, a value metric samples', () => {
    expect(() => judgeMetric(rate(), [0, 0], [0, 1], config)).toThrow(TypeError);
    expect(() => judgeMetric(metric(), { errors: 0, requests: 1 }, [1], config)).toThrow(TypeError);
  });

  test('fewer samples than min-samples is NoData, never a pass', () => {
    const result = judgeMetric(metric({ mustHaveData: true }), latencies(120, 0.1), latencies(12, 0.1), config);
    expect(result.classification).toBe('NoData');
    expect(result.failed).toBe(true);
    expect(result.rule).toBe('12 canary samples, fewer than min-samples 30: no data on a must-have-data metric');
  });

  test('identical constant series pass without a test', () => {
    expect(judgeMetric(metric(), new Array(40).fill(3), new Array(40).fill(3), config).rule).toBe('every value is 3: no difference');
  });
});

describe('branches the judge must take (each was a mutation the suite let pass)', () => {
  // Discrete data (0 or 1 per sample): many differences are exactly 0, so the Hodges-Lehmann interval
  // can touch 0 while the tie-corrected test is significant.
  const discrete = (zeros: number, ones: number) => [...new Array(zeros).fill(0), ...new Array(ones).fill(1)];

  test('significant but the interval reaches 0 (tied, discrete data) is not a move, up or down', () => {
    const up = judgeMetric(metric({ name: 'queue' }), discrete(40, 10), discrete(25, 25), config);
    expect(up.pValue).toBeLessThan(0.02);
    expect(up.shift).toMatchObject({ lower: 0, upper: 1 });
    expect(up).toMatchObject({ classification: 'Pass', failed: false });
    expect(up.rule).toMatch(/: significant, but the interval reaches 0$/);
    const down = judgeMetric(metric({ name: 'queue', direction: 'decrease' }), discrete(25, 25), discrete(40, 10), config);
    expect(down.shift).toMatchObject({ lower: -1, upper: 0 });
    expect(down).toMatchObject({ classification: 'Pass', failed: false });
    expect(down.rule).toMatch(/: significant, but the interval reaches 0$/);
  });

  test('direction either fails a metric that went up, and one that went down', () => {
    const up = judgeMetric(metric({ direction: 'either' }), latencies(120, 0.1), latencies(120, 0.13), config);
    expect(up).toMatchObject({ classification: 'High', failed: true });
    expect(up.rule).not.toMatch(/good direction/);
    const down = judgeMetric(metric({ direction: 'either' }), latencies(120, 0.13), latencies(120, 0.1), config);
    expect(down).toMatchObject({ classification: 'Low', failed: true });
  });

  test('a score exactly at the pass threshold passes; exactly at the marginal threshold is marginal', () => {
    let sameCount = 0;
    const same = () => ({ definition: metric({ name: `same-${++sameCount}`, group: 'g' }), baseline: latencies(60, 0.1), canary: latencies(60, 0.1) });
    const slower = { definition: metric({ name: 'slower', group: 'g' }), baseline: latencies(60, 0.1), canary: latencies(60, 0.2) };
    const threeOfFour = judgeInterval([same(), same(), same(), slower], config);
    expect(threeOfFour).toMatchObject({ score: 75, verdict: 'pass', rule: 'score 75 ≥ pass threshold 75' });
    const half = judgeInterval([same(), slower], config);
    expect(half).toMatchObject({ score: 50, verdict: 'marginal' });
  });
});

describe('rate metrics on counts', () => {
  test('at low traffic (20 requests a 15 s step, 30 minutes) a 0% baseline and a 2% canary fail', () => {
    // The same draws as the per-step ratios the old judge passed ("shift 0 [0, 0]"), now added up.
    const draw = seeded(2026);
    const baseline = counted(120, 0, 20, draw);
    const canary = counted(120, 0.02, 20, draw);
    expect(baseline).toEqual({ errors: 0, requests: 2400 });
    const result = judgeMetric(rate({ critical: true }), baseline, canary, config);
    expect(result).toMatchObject({ classification: 'High', failed: true, samples: { baseline: 2400, canary: 2400 }, counts: { baseline, canary } });
    expect(result.shift?.lower).toBeGreaterThan(0.5);
    expect(result.pValue).toBeLessThan(0.01);
  });

  test('and in five minutes (400 requests a side) too; a healthy canary at that traffic passes', () => {
    expect(judgeMetric(rate(), { errors: 0, requests: 400 }, { errors: 8, requests: 400 }, config)).toMatchObject({ classification: 'High', failed: true });
    const healthy = judgeMetric(rate(), { errors: 2, requests: 400 }, { errors: 3, requests: 400 }, config);
    expect(healthy).toMatchObject({ classification: 'Pass', failed: false });
    expect(healthy.rule).toMatch(/: within the allowed \+0\.5 \/ -0 points \(p = [\d.e-]+ and [\d.e-]+, not below α\/2 0\.01\)$/);
  });

  test('the allowed points are honoured: +0.3 points on a busy service is within 0.5, and fails with 0.1 allowed', () => {
    const baseline = { errors: 1000, requests: 100_000 };
    const canary = { errors: 1300, requests: 100_000 };
    expect(judgeMetric(rate(), baseline, canary, config)).toMatchObject({ classification: 'Pass', effect: { type: 'points', value: expect.closeTo(0.3, 9) } });
    expect(judgeMetric(rate({ allowedIncrease: 0.1 }), baseline, canary, config)).toMatchObject({ classification: 'High', failed: true });
  });

  test('a success ratio that fell (direction decrease) by more than allowed fails; one that rose is the good direction', () => {
    const down = judgeMetric(rate({ name: 'success', direction: 'decrease', allowedIncrease: 0, allowedDecrease: 0.3 }), { errors: 9900, requests: 10_000 }, { errors: 9780, requests: 10_000 }, config);
    expect(down).toMatchObject({ classification: 'Low', failed: true });
    expect(down.rule).toMatch(/: lower by more than the allowed -0\.3 points \(p = .+ < α\/2 0\.01\)$/);
    const up = judgeMetric(rate({ name: 'success', direction: 'decrease', allowedIncrease: 0 }), { errors: 9780, requests: 10_000 }, { errors: 9900, requests: 10_000 }, config);
    expect(up).toMatchObject({ classification: 'High', failed: false });
    expect(up.rule).toMatch(/\(the good direction for this metric\)$/);
  });

  test('direction either fails a rate that went up and one that went down', () => {
    const either = rate({ direction: 'either', allowedDecrease: 0.5 });
    expect(judgeMetric(either, { errors: 20, requests: 2000 }, { errors: 80, requests: 2000 }, config)).toMatchObject({ classification: 'High', failed: true });
    expect(judgeMetric(either, { errors: 80, requests: 2000 }, { errors: 20, requests: 2000 }, config)).toMatchObject({ classification: 'Low', failed: true });
  });

  test('too few requests, or a count query without an answer, is NoData, never a pass', () => {
    const few = judgeMetric(rate({ mustHaveData: true }), { errors: 0, requests: 2400 }, { errors: 1, requests: 12 }, config);
    expect(few).toMatchObject({ classification: 'NoData', failed: true, rule: '12 canary requests, fewer than min-samples 30: no data on a must-have-data metric' });
    const silent = judgeMetric(rate(), { errors: null, requests: 2400 }, { errors: 3, requests: null }, config);
    expect(silent).toMatchObject({ classification: 'NoData', failed: false });
    expect(silent.rule).toBe('no answer for the baseline errors and canary requests count (where no errors at all means no series, end the errors query with `or vector(0)`): no data');
  });
});

describe('every number and word the judge reports', () => {
  const small: JudgeConfig = { ...config, minSamples: 3 };

  test('value metrics: the exact test and the coverage it names, the rule word for word', () => {
    const result = judgeMetric(metric(), [1.1, 2.3, 3.2, 4.5, 5.1], [6.2, 7.1, 8.3, 9.4, 10.5], small);
    expect(result).toMatchObject({
      classification: 'High',
      failed: true,
      test: 'Mann-Whitney exact',
      pValue: expect.closeTo(2 / 252, 15),
      samples: { baseline: 5, canary: 5 },
      removed: { baseline: 0, canary: 0 },
      median: { baseline: 3.2, canary: 8.3 },
      mean: { baseline: expect.closeTo(3.24, 12), canary: expect.closeTo(8.3, 12) },
      shift: { estimate: 5.1, coverage: expect.closeTo(1 - 4 / 252, 15), coverageMethod: 'exact' },
      effect: { type: 'ratio', value: expect.closeTo(8.3 / 3.24, 12) },
    });
    expect(result.rule).toBe('p = 0.007937 (exact, α 0.02), shift 5.1 [1.7, 8.3], covering 98.41% (exact), not 98%, effect ×2.562: higher, at least the allowed 10%');
    // Large and small numbers in exponent form; NaN removed and counted.
    expect(judgeMetric(metric(), [12000, 13000, 12500, 12800, 13200, 13100], [15000, 16000, 15500, 15800, 16200, 16100], small).rule).toBe(
      'p = 0.002165 (exact, α 0.02), shift 3.000e+3 [2.200e+3, 3.800e+3], covering 98.48% (exact), not 98%, effect ×1.235: higher, at least the allowed 10%',
    );
    // Exactly 1000 is already written as an exponent.
    expect(judgeMetric(metric(), [0, 10, 20, 30, 40], [1000, 1010, 1020, 1030, 1040], small).rule).toMatch(/^p = 0\.007937 \(exact, α 0\.02\), shift 1\.000e\+3 \[/);
    expect(judgeMetric(metric(), [0.0001, 0.0002, 0.00015, 0.00012], [0.0003, 0.0004, 0.00035, 0.00032], small).rule).toBe(
      'p = 0.02857 (exact, α 0.02), shift 2.000e-4 [1.000e-4, 3.000e-4], covering 97.14% (exact), not 98%: no significant difference',
    );
    const gaps = judgeMetric(metric(), [1, 2, Number.NaN, 3, 4], [2, 3, 4, Number.NaN, Number.NaN, 5], small);
    expect(gaps).toMatchObject({ samples: { baseline: 4, canary: 4 }, removed: { baseline: 1, canary: 2 }, median: { baseline: 2.5, canary: 3.5 }, mean: { baseline: 2.5, canary: 3.5 }, test: 'Mann-Whitney normal approximation' });
    expect(gaps.rule).toBe('p = 0.3778 (α 0.02), shift 1 [-2, 4], covering 97.25% (normal approximation), not 98%: no significant difference');
  });

  test('the allowed percent is reached at exactly the allowed effect, up and down', () => {
    // Exact in binary: 32 values 100 + i/8, the canary ×1.25 or ×0.75 of each.
    const baseline = Array.from({ length: 32 }, (_, index) => 100 + index / 8);
    const up = judgeMetric(metric({ allowedIncrease: 25 }), baseline, baseline.map((value) => value * 1.25), config);
    expect(up).toMatchObject({ classification: 'High', failed: true, effect: { value: 1.25 } });
    expect(up.rule).toBe('p = 6.511e-12 (α 0.02), shift 25.48 [24.63, 26.34], covering 98.09% (exact), not 98%, effect ×1.25: higher, at least the allowed 25%');
    const down = judgeMetric(metric({ allowedDecrease: 25 }), baseline, baseline.map((value) => value * 0.75), config);
    expect(down).toMatchObject({ classification: 'Low', failed: false });
    expect(down.rule).toBe('p = 6.511e-12 (α 0.02), shift -25.48 [-26.16, -24.81], covering 98.09% (exact), not 98%, effect ×0.75: lower, at least the allowed 25% (the good direction for this metric)');
    const within = judgeMetric(metric({ allowedDecrease: 30 }), baseline, baseline.map((value) => value * 0.75), config);
    expect(within).toMatchObject({ classification: 'Pass', failed: false });
    expect(within.rule).toMatch(/: lower, within the allowed 30%$/);
  });

  test('rate metrics: the rule word for word, the p-value of the move named, the ratios', () => {
    const high = judgeMetric(rate(), { errors: 0, requests: 2400 }, { errors: 43, requests: 2400 }, config);
    expect(high).toMatchObject({ pValue: expect.closeTo(1.2144117e-8, 14), mean: { baseline: 0, canary: 43 / 2400 }, shift: { estimate: expect.closeTo(43 / 24, 12) } });
    expect(high.rule).toBe('0/2400 (0%) → 43/2400 (1.792%): +1.792 points [+1.262, +2.539]: higher by more than the allowed +0.5 points (p = 1.214e-8 < α/2 0.01)');
    const low = judgeMetric(rate({ direction: 'either', allowedDecrease: 0.5 }), { errors: 80, requests: 2000 }, { errors: 20, requests: 2000 }, config);
    expect(low).toMatchObject({ classification: 'Low', failed: true, pValue: expect.closeTo(1.019064766e-7, 15), mean: { baseline: 0.04, canary: 0.01 } });
    expect(low.rule).toBe('80/2000 (4%) → 20/2000 (1%): -3 points [-4.233, -1.905]: lower by more than the allowed -0.5 points (p = 1.019e-7 < α/2 0.01)');
    const pass = judgeMetric(rate(), { errors: 24, requests: 2400 }, { errors: 20, requests: 2400 }, config);
    // Neither move called: the nearer p-value.
    expect(pass).toMatchObject({ classification: 'Pass', pValue: expect.closeTo(0.2767072, 6) });
    expect(pass.rule).toBe('24/2400 (1%) → 20/2400 (0.8333%): -0.1667 points [-0.8519, +0.5013]: within the allowed +0.5 / -0 points (p = 0.9911 and 0.2767, not below α/2 0.01)');
    const none = judgeMetric(rate(), { errors: 0, requests: 2400 }, { errors: 0, requests: 2400 }, config);
    expect(none).toMatchObject({ classification: 'Pass', removed: { baseline: 0, canary: 0 }, samples: { baseline: 2400, canary: 2400 } });
    expect(none.rule).toBe('0/2400 (0%) → 0/2400 (0%): 0 points [-0.225, +0.225]: within the allowed +0.5 / -0 points (p = 1 and 1, not below α/2 0.01)');
  });

  test('min-samples is a floor: exactly that many is judged, one fewer is NoData, either side or both', () => {
    const exactly = judgeMetric(metric(), latencies(30, 0.1), latencies(30, 0.1), config);
    expect(exactly.classification).not.toBe('NoData');
    expect(judgeMetric(metric(), latencies(29, 0.1), latencies(30, 0.1), config).rule).toBe('29 baseline samples, fewer than min-samples 30: no data');
    expect(judgeMetric(metric(), latencies(29, 0.1), latencies(12, 0.1), config).rule).toBe('29 baseline and 12 canary samples, fewer than min-samples 30: no data');
    expect(judgeMetric(rate(), { errors: 0, requests: 30 }, { errors: 0, requests: 30 }, config).classification).toBe('Pass');
    expect(judgeMetric(rate(), { errors: 0, requests: 30 }, { errors: 0, requests: 29 }, config).rule).toBe('29 canary requests, fewer than min-samples 30: no data');
    expect(judgeMetric(rate({ mustHaveData: true }), { errors: 0, requests: 29 }, { errors: 0, requests: 2 }, config)).toMatchObject({
      classification: 'NoData',
      failed: true,
      rule: '29 baseline and 2 canary requests, fewer than min-samples 30: no data on a must-have-data metric',
    });
    expect(judgeMetric(rate(), { errors: 1, requests: 2400 }, { errors: 2, requests: null }, config).rule).toBe('no answer for the canary requests count: no data');
    expect(judgeMetric(rate(), { errors: 0, requests: 29 }, { errors: 0, requests: 30 }, config).rule).toBe('29 baseline requests, fewer than min-samples 30: no data');
    expect(judgeMetric(metric(), latencies(30, 0.1), latencies(12, 0.1), config).rule).toBe('12 canary samples, fewer than min-samples 30: no data');
    expect(judgeMetric(rate({ mustHaveData: true }), { errors: null, requests: null }, { errors: 0, requests: 100 }, config)).toMatchObject({
      failed: true,
      rule: 'no answer for the baseline errors and baseline requests count (where no errors at all means no series, end the errors query with `or vector(0)`): no data on a must-have-data metric',
    });
  });

  test('a constant series passes and does not fail; counts and samples are not interchangeable', () => {
    expect(judgeMetric(metric({ mustHaveData: true }), new Array(40).fill(3), new Array(40).fill(3), config)).toMatchObject({ classification: 'Pass', failed: false });
    expect(() => judgeMetric(rate(), { errors: 0, requests: 100 }, [1, 2], config)).toThrow('rate metric errors is judged on counts, not samples');
    expect(() => judgeMetric(metric(), [1, 2], { errors: 0, requests: 100 }, config)).toThrow('value metric latency is judged on samples, not counts');
  });
});

describe('cleaning', () => {
  test('NaN removed or zeroed', () => {
    expect(cleanSamples([1, Number.NaN, 2], 'remove')).toEqual({ kept: [1, 2], removed: 1 });
    expect(cleanSamples([1, Number.NaN, 2], 'zero')).toEqual({ kept: [1, 0, 2], removed: 0 });
  });

  test('fewer than 4 values are kept whole, whatever the factor', () => {
    expect(cleanSamples([1, 2, 100], 'remove', 0.01)).toEqual({ kept: [1, 2, 100], removed: 0 });
    expect(cleanSamples([1, Number.NaN, 2, 100], 'remove', 0.01)).toEqual({ kept: [1, 2, 100], removed: 1 });
  });

  test('outliers outside Kayenta’s bounds are dropped', () => {
    const values = [...Array.from({ length: 99 }, (_, index) => 10 + (index % 5)), 1000];
    const { kept, removed } = cleanSamples(values, 'remove', 3);
    expect(removed).toBe(1);
    expect(kept).not.toContain(1000);
  });
});

describe('the verdict', () => {
  const series = (definition: MetricDefinition, baseline: Observations, canary: Observations) => ({ definition, baseline, canary });

  test('pass, with the score over weighted groups', () => {
    const result = judgeInterval(
      [series(metric({ group: 'latency', weight: 60 }), latencies(100, 0.1), latencies(100, 0.1)), series(metric({ name: 'cpu', group: 'resources' }), latencies(100, 1), latencies(100, 1))],
      config,
    );
    expect(result).toMatchObject({ verdict: 'pass', score: 100 });
  });

  test('marginal: one group of 40% fails', () => {
    const result = judgeInterval(
      [
        series(metric({ name: 'p95', group: 'latency', weight: 40 }), latencies(100, 0.1), latencies(100, 0.15)),
        series(rate({ weight: 40 }), counted(100, 0.01), counted(100, 0.01)),
        series(metric({ name: 'cpu', group: 'resources', weight: 20 }), latencies(100, 1), latencies(100, 1)),
      ],
      config,
    );
    expect(result).toMatchObject({ verdict: 'marginal', score: 60 });
  });

  test('a failed critical metric fails the run whatever the score', () => {
    const result = judgeInterval(
      [
        series(rate({ critical: true, weight: 10 }), { errors: 0, requests: 12_000 }, counted(60, 0.02)),
        series(metric({ name: 'p50', group: 'latency', weight: 90 }), latencies(60, 0.1), latencies(60, 0.1)),
      ],
      config,
    );
    expect(result.verdict).toBe('fail');
    expect(result.score).toBe(90);
    expect(result.rule).toMatch(/^critical metric errors failed: /);
  });

  test('a must-have-data metric without data makes it inconclusive', () => {
    const result = judgeInterval([series(metric({ mustHaveData: true }), latencies(60, 0.1), []), series(metric({ name: 'cpu', group: 'cpu' }), latencies(60, 1), latencies(60, 1))], config);
    expect(result.verdict).toBe('inconclusive');
    expect(result.rule).toMatch(/^must-have-data metric latency has no data/);
  });

  test('half the metrics without data makes it inconclusive', () => {
    const result = judgeInterval([series(metric(), latencies(60, 0.1), latencies(60, 0.1)), series(metric({ name: 'cpu', group: 'cpu' }), [], [])], config);
    expect(result.verdict).toBe('inconclusive');
    expect(result.rule).toBe('1 of 2 metrics have no data');
    // The group without data is left out of the score; with no data at all the score is 0.
    expect(result.score).toBe(100);
    expect(judgeInterval([series(metric(), [], []), series(metric({ name: 'cpu', group: 'cpu' }), [], [])], config)).toMatchObject({ score: 0, verdict: 'inconclusive' });
  });

  test('a metric without data (not must-have) is left out of its group, not counted as passing', () => {
    const result = judgeInterval(
      [series(metric({ name: 'slow', group: 'g' }), latencies(60, 0.1), latencies(60, 0.3)), series(metric({ name: 'quiet', group: 'g' }), latencies(60, 0.1), []), series(metric({ name: 'fine', group: 'h' }), latencies(60, 0.1), latencies(60, 0.1))],
      config,
    );
    expect(result.score).toBe(50);
  });

  test('groups without a weight share what is left', () => {
    const weights = groupWeights([metric({ group: 'a', weight: 50 }), metric({ group: 'b' }), metric({ group: 'c' })]);
    expect(Object.fromEntries(weights)).toEqual({ a: 50, b: 25, c: 25 });
    // A group's weight may sit on any of its metrics; one without a weight does not undo it.
    expect(Object.fromEntries(groupWeights([metric({ group: 'a' }), metric({ group: 'a', weight: 60 }), metric({ group: 'a' }), metric({ group: 'b' })]))).toEqual({ a: 60, b: 40 });
  });

  test('a group of weight 0 does not count; a critical metric without data is inconclusive, not a critical failure', () => {
    const muted = judgeInterval(
      [series(metric({ name: 'slow', group: 'muted', weight: 0 }), latencies(60, 0.1), latencies(60, 0.3)), series(metric({ name: 'fine', group: 'kept' }), latencies(60, 0.1), latencies(60, 0.1))],
      config,
    );
    expect(muted).toMatchObject({ score: 100, verdict: 'pass' });
    const silent = judgeInterval([series(metric({ critical: true, mustHaveData: true }), latencies(60, 0.1), []), series(metric({ name: 'cpu', group: 'cpu' }), latencies(60, 1), latencies(60, 1))], config);
    expect(silent).toMatchObject({ verdict: 'inconclusive', score: 50 });
    expect(silent.rule).toMatch(/^must-have-data metric latency has no data/);
  });

  test('below the marginal threshold is fail, with the scores in the rule', () => {
    const slower = (name: string) => series(metric({ name, group: name }), latencies(60, 0.1), latencies(60, 0.3));
    expect(judgeInterval([slower('a'), slower('b'), slower('c')], config)).toMatchObject({ score: 0, verdict: 'fail', rule: 'score 0 < marginal threshold 50' });
    const same = series(metric({ name: 'same', group: 'same' }), latencies(60, 0.1), latencies(60, 0.1));
    expect(judgeInterval([same, slower('a'), slower('b')], config)).toMatchObject({ score: 33.33, verdict: 'fail' });
    expect(judgeInterval([same, slower('a')], config)).toMatchObject({ score: 50, verdict: 'marginal', rule: 'score 50 ≥ marginal threshold 50, < pass threshold 75' });
  });
});

describe('metric definitions', () => {
  const errorOf = (raw: unknown) => {
    try {
      parseMetrics(raw, 'metrics');
    } catch (error) {
      return (error as InputError).message;
    }
    return 'no error';
  };

  test('an invalid definition names the metric and the field', () => {
    expect(errorOf([{ name: 'p95', query: 'q', kind: 'ratio' }])).toBe('input "metrics": metric "p95", field "kind": "ratio" is not accepted; expected rate or value');
    expect(errorOf([{ name: 'p95', query: 'q', 'allowed-increase': -5 }])).toMatch(/metric "p95", field "allowed-increase": -5 is not accepted/);
    expect(errorOf([{ name: 'p95', query: 'q', treshold: 1 }])).toMatch(/metric "p95", field "treshold": is not a metric field/);
    expect(errorOf([{ name: 'p95' }])).toMatch(/metric "p95", field "query": is missing/);
    expect(errorOf([{ name: 'a', query: 'q', group: 'g', weight: 70 }, { name: 'b', query: 'q', group: 'h', weight: 40 }])).toMatch(/group weights add up to 110%/);
    expect(errorOf('nope')).toMatch(/must be a list/);
  });

  test('a rate metric is two count queries; a ratio query or counts on a value metric are refused', () => {
    const [parsed] = parseMetrics([{ name: 'errors', errors: 'sum(increase(e[{{window}}]))', requests: 'sum(increase(r[{{window}}]))', 'allowed-increase': 0.5 }], 'metrics');
    expect(parsed).toMatchObject({ kind: 'rate', query: undefined, errors: 'sum(increase(e[{{window}}]))', requests: 'sum(increase(r[{{window}}]))', allowedIncrease: 0.5 });
    expect(errorOf([{ name: 'errors', kind: 'rate', query: 'ratio' }])).toBe(
      'input "metrics": metric "errors", field "query": a rate metric is judged on counts, not on a series of ratios (mostly-zero ratios at low traffic hide errors); give errors and requests, each a count over {{window}}, instead; expected the query of a value metric\'s samples (with {{variant}}, {{version}}, {{selector}}, {{interval}} or {{window}})',
    );
    expect(errorOf([{ name: 'errors', kind: 'rate', errors: 'e' }])).toMatch(/^input "metrics": metric "errors", field "requests": is missing; expected the query counting a rate metric's requests over the window/);
    expect(errorOf([{ name: 'errors', errors: '', requests: 'r' }])).toMatch(/metric "errors", field "errors": "" is not a query/);
    expect(errorOf([{ name: 'p95', kind: 'value', query: 'q', errors: 'e' }])).toMatch(/metric "p95", field "errors": is for kind rate only \(this metric is a value metric\)/);
  });

  test('a mapping of name to metric works too', () => {
    expect(parseMetrics({ p95: { query: 'q', kind: 'value' } }, 'metrics').map((entry) => entry.name)).toEqual(['p95']);
  });

  test('templates fill every placeholder and refuse unknown ones', () => {
    const values = { variant: 'canary' as const, version: 'v2', selector: 'job="canary"', interval: '1m', window: '1800s' };
    expect(fillTemplate('rate(x{ {{selector}}, v="{{version}}" }[{{interval}}]) {{ variant }} [{{window}}]', values, 'm', 'metrics')).toBe('rate(x{ job="canary", v="v2" }[1m]) canary [1800s]');
    expect(() => fillTemplate('x{ {{color}} }', values, 'm', 'metrics')).toThrow('metric "m", field "query": {{color}} is not a placeholder; expected {{variant}}, {{version}}, {{selector}}, {{interval}} or {{window}}');
    expect(() => fillTemplate('x[{{span}}]', values, 'm', 'metrics', 'errors')).toThrow('metric "m", field "errors": {{span}} is not a placeholder');
  });

  test('the built-in HTTP set: error ratio critical and must-have-data, on counts over the window, weights within 100', () => {
    const metrics = builtInHttpMetrics();
    expect(metrics.map((entry) => entry.name)).toEqual(['error-ratio', 'latency-p50', 'latency-p95', 'cpu', 'memory']);
    expect(metrics[0]).toMatchObject({ kind: 'rate', critical: true, mustHaveData: true });
    expect(metrics[0]?.query).toBeUndefined();
    expect(metrics[0]?.errors).toMatch(/^sum\(increase\(http_requests_total\{ \{\{selector\}\}, code=~"5\.\." \}\[\{\{window\}\}\]\)\) or vector\(0\)$/);
    expect(metrics[0]?.requests).toBe('sum(increase(http_requests_total{ {{selector}} }[{{window}}]))');
    expect([...groupWeights(metrics).values()].reduce((sum, weight) => sum + weight, 0)).toBe(100);
  });
});
