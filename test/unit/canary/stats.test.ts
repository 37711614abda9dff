import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { cleanSamples, judgeMetric } from '../../../actions/canary-analyze/src/judge.ts';
import { hodgesLehmann, mannWhitney, normalCdf, normalQuantile, normalSf, rateDifference, type Counts } from '../../../actions/canary-analyze/src/stats.ts';

/**
 * The judge's statistics against SciPy (test/fixtures/canary/oracle.py; fixtures committed in
 * oracle.json): every number to 1e-9, relative for large values. One definition differs and is named:
 * with every value identical SciPy answers NaN, the judge p = 1 (no evidence of a difference).
 * Mann-Whitney: the method SciPy's "auto" picks (exact without ties when a side has at most 8 values),
 * the interval and its real coverage. Rates: the Miettinen-Nurminen score test, SciPy solving the
 * likelihood numerically where the judge uses the closed form.
 */

interface OracleCase {
  name: string;
  baseline: number[];
  canary: number[];
  confidence: number;
  method: 'exact' | 'asymptotic';
  u: number;
  pValue: number | null;
  estimate: number;
  lower: number;
  upper: number;
  coverage: number;
  coverageMethod: 'exact' | 'normal';
}

interface RateCase {
  name: string;
  baseline: Counts;
  canary: Counts;
  confidence: number;
  allowedIncrease: number;
  allowedDecrease: number;
  estimate: number;
  lower: number;
  upper: number;
  zIncrease: number;
  zDecrease: number;
  pHigh: number;
  pLow: number;
  normal: { pHigh: number; pLow: number };
  exactTail: { pHigh: number; pLow: number };
}

const oracle = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/canary/oracle.json'), 'utf8')) as {
  cases: OracleCase[];
  rates: RateCase[];
  cleaning: Array<{ name: string; values: number[]; factor: number; median: number; mean: number; low: number; high: number; kept: number[] }>;
  normal: Array<{ x: number; cdf: number; sf: number }>;
  quantiles: Array<{ p: number; x: number }>;
};

const close = (actual: number, expected: number) => Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));

test('the fixtures cover ties, constant series, n from 3 to 200, both methods, and rates', () => {
  expect(oracle.cases.length).toBeGreaterThanOrEqual(80);
  expect(oracle.cases.filter((entry) => entry.method === 'exact').length).toBeGreaterThanOrEqual(25);
  expect(new Set(oracle.cases.map((entry) => entry.coverageMethod))).toEqual(new Set(['exact', 'normal']));
  expect(oracle.rates.length).toBeGreaterThanOrEqual(50);
  const sizes = oracle.cases.map((entry) => entry.baseline.length);
  expect(Math.min(...sizes)).toBe(3);
  expect(Math.max(...sizes)).toBe(200);
});

describe.each(oracle.cases.map((entry) => [entry.name, entry] as const))('%s', (_name, entry) => {
  test('U and the two-sided p-value', () => {
    const result = mannWhitney(entry.baseline, entry.canary);
    expect(result.method).toBe(entry.method);
    expect(close(result.u, entry.u), `U ${result.u} vs ${entry.u}`).toBe(true);
    if (entry.pValue === null) expect(result.pValue).toBe(1);
    else expect(close(result.pValue, entry.pValue), `p ${result.pValue} vs ${entry.pValue}`).toBe(true);
  });

  test('the Hodges-Lehmann shift and its interval', () => {
    const shift = hodgesLehmann(entry.baseline, entry.canary, entry.confidence);
    expect(close(shift.estimate, entry.estimate), `estimate ${shift.estimate} vs ${entry.estimate}`).toBe(true);
    expect(close(shift.lower, entry.lower), `lower ${shift.lower} vs ${entry.lower}`).toBe(true);
    expect(close(shift.upper, entry.upper), `upper ${shift.upper} vs ${entry.upper}`).toBe(true);
  });

  test('the real coverage of that interval', () => {
    const shift = hodgesLehmann(entry.baseline, entry.canary, entry.confidence);
    expect(shift.coverageMethod).toBe(entry.coverageMethod);
    expect(close(shift.coverage, entry.coverage), `coverage ${shift.coverage} vs ${entry.coverage}`).toBe(true);
  });
});

describe.each(oracle.rates.map((entry) => [entry.name, entry] as const))('rate: %s', (_name, entry) => {
  const judged = () => rateDifference(entry.baseline, entry.canary, entry.confidence, { increase: entry.allowedIncrease, decrease: entry.allowedDecrease });
  /** Relative for p-values, down to 1e-15 (both sums leave out outcomes rarer than 1e-18 of the likeliest). */
  const relative = (actual: number, expected: number) => Math.abs(actual - expected) <= Math.max(1e-9 * Math.abs(expected), 1e-15);

  test('the difference in points and its score interval', () => {
    const result = judged();
    expect(close(result.estimate, entry.estimate), `estimate ${result.estimate} vs ${entry.estimate}`).toBe(true);
    expect(close(result.lower, entry.lower), `lower ${result.lower} vs ${entry.lower}`).toBe(true);
    expect(close(result.upper, entry.upper), `upper ${result.upper} vs ${entry.upper}`).toBe(true);
  });

  test('the score statistics and one-sided p-values (normal tail, exact tail, the larger) against the allowances', () => {
    const result = judged();
    expect(close(result.zIncrease, entry.zIncrease), `z+ ${result.zIncrease} vs ${entry.zIncrease}`).toBe(true);
    expect(close(result.zDecrease, entry.zDecrease), `z- ${result.zDecrease} vs ${entry.zDecrease}`).toBe(true);
    for (const tail of ['normal', 'exactTail'] as const) {
      expect(relative(result[tail].pHigh, entry[tail].pHigh), `${tail} pHigh ${result[tail].pHigh} vs ${entry[tail].pHigh}`).toBe(true);
      expect(relative(result[tail].pLow, entry[tail].pLow), `${tail} pLow ${result[tail].pLow} vs ${entry[tail].pLow}`).toBe(true);
    }
    expect(relative(result.pHigh, entry.pHigh), `pHigh ${result.pHigh} vs ${entry.pHigh}`).toBe(true);
    expect(relative(result.pLow, entry.pLow), `pLow ${result.pLow} vs ${entry.pLow}`).toBe(true);
  });
});

describe.each(oracle.cleaning.map((entry) => [entry.name, entry] as const))('cleaning: %s', (_name, entry) => {
  test("Kayenta's outlier bounds on NumPy's percentiles keep the same values", () => {
    expect(cleanSamples(entry.values, 'remove', entry.factor)).toEqual({ kept: entry.kept, removed: entry.values.length - entry.kept.length });
  });

  test('the median and mean the judge reports', () => {
    const definition = { name: 'm', query: 'q', kind: 'value' as const, direction: 'increase' as const, allowedIncrease: 0, allowedDecrease: 0, critical: false, mustHaveData: false, group: 'm', nan: 'remove' as const };
    const judged = judgeMetric(definition, entry.values, entry.values.map((value) => value + 1), { confidence: 0.98, minSamples: 3, passThreshold: 75, marginalThreshold: 50 });
    expect(close(judged.median?.baseline as number, entry.median), `median ${judged.median?.baseline} vs ${entry.median}`).toBe(true);
    expect(close(judged.mean?.baseline as number, entry.mean), `mean ${judged.mean?.baseline} vs ${entry.mean}`).toBe(true);
  });
});

describe('the normal distribution', () => {
  test('at the edges: NaN stays NaN, ±∞ and p = 0 or 1 are exact, p outside (0, 1) is NaN', () => {
    expect([normalCdf(Number.NaN), normalSf(Number.NaN)]).toEqual([Number.NaN, Number.NaN]);
    expect([normalCdf(Number.POSITIVE_INFINITY), normalCdf(Number.NEGATIVE_INFINITY)]).toEqual([1, 0]);
    expect([normalSf(Number.POSITIVE_INFINITY), normalSf(Number.NEGATIVE_INFINITY)]).toEqual([0, 1]);
    expect([normalQuantile(0), normalQuantile(1)]).toEqual([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expect([normalQuantile(-0.1), normalQuantile(1.5), normalQuantile(Number.NaN)]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
  });

  test.each(oracle.normal.map((entry) => [entry.x, entry] as const))('Φ and 1 − Φ at %s', (_x, entry) => {
    // Relative accuracy in the far tails, where the values are tiny.
    const relative = (actual: number, expected: number) => expected === 0 ? actual < 1e-300 : Math.abs(actual - expected) <= 1e-13 * Math.abs(expected);
    expect(relative(normalCdf(entry.x), entry.cdf), `cdf ${normalCdf(entry.x)} vs ${entry.cdf}`).toBe(true);
    expect(relative(normalSf(entry.x), entry.sf), `sf ${normalSf(entry.x)} vs ${entry.sf}`).toBe(true);
  });

  test.each(oracle.quantiles.map((entry) => [entry.p, entry] as const))('Φ⁻¹(%s)', (_p, entry) => {
    expect(Math.abs(normalQuantile(entry.p) - entry.x)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(entry.x)));
  });
});
