import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { hodgesLehmann, mannWhitney, normalCdf, normalQuantile, normalSf } from '../../../actions/canary-analyze/src/stats.ts';

/**
 * The judge's statistics against SciPy (test/fixtures/canary/oracle.py; fixtures committed in
 * oracle.json): every number to 1e-9, relative for large values. One definition differs and is named:
 * with every value identical SciPy answers NaN, the judge p = 1 (no evidence of a difference).
 */

interface OracleCase {
  name: string;
  baseline: number[];
  canary: number[];
  confidence: number;
  u: number;
  pValue: number | null;
  estimate: number;
  lower: number;
  upper: number;
}

const oracle = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/canary/oracle.json'), 'utf8')) as {
  cases: OracleCase[];
  normal: Array<{ x: number; cdf: number; sf: number }>;
  quantiles: Array<{ p: number; x: number }>;
};

const close = (actual: number, expected: number) => Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));

test('the fixtures cover ties, constant series and n from 3 to 200', () => {
  expect(oracle.cases.length).toBeGreaterThanOrEqual(60);
  const sizes = oracle.cases.map((entry) => entry.baseline.length);
  expect(Math.min(...sizes)).toBe(3);
  expect(Math.max(...sizes)).toBe(200);
});

describe.each(oracle.cases.map((entry) => [entry.name, entry] as const))('%s', (_name, entry) => {
  test('U and the two-sided p-value', () => {
    const result = mannWhitney(entry.baseline, entry.canary);
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
});

describe('the normal distribution', () => {
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
