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

describe('cleaning', () => {
  test('NaN removed or zeroed', () => {
    expect(cleanSamples([1, Number.NaN, 2], 'remove')).toEqual({ kept: [1, 2], removed: 1 });
    expect(cleanSamples([1, Number.NaN, 2], 'zero')).toEqual({ kept: [1, 0, 2], removed: 0 });
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
  });

  test('groups without a weight share what is left', () => {
    const weights = groupWeights([metric({ group: 'a', weight: 50 }), metric({ group: 'b' }), metric({ group: 'c' })]);
    expect(Object.fromEntries(weights)).toEqual({ a: 50, b: 25, c: 25 });
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
