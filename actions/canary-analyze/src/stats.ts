/**
 * The statistics behind the canary judge, with their definitions stated so an independent oracle
 * (SciPy, test/fixtures/canary/oracle.py) can check them to 1e-9:
 *
 * - Mann-Whitney U for the canary sample c against the baseline b: U = Σ [c_i > b_j] + ½ [c_i = b_j],
 *   from average ranks of the pooled sample.
 * - Two-sided p-value, by the method SciPy's mannwhitneyu(method="auto") picks:
 *   exact when there are no ties and either side has at most 8 values, p = min(1, 2·P(U ≥ max(U, M − U)))
 *   under the exact null distribution of U (M = n_b·n_c); otherwise the normal approximation with tie
 *   and continuity correction, p = min(1, 2·Φ̄((max(U, M − U) − M/2 − ½) / σ)),
 *   σ² = n_b·n_c/12 · ((N + 1) − Σ(t³ − t) / (N(N − 1))) (method="asymptotic", use_continuity=True).
 * - Shift: the Hodges-Lehmann estimate, the median of all n_b·n_c differences c_i − b_j.
 * - Interval for the shift at confidence 1 − α: the shifts the same test would not reject,
 *   [d_(k), d_(M−k+1)] over the sorted differences d. Exact: the largest k with P(U ≤ k − 1) ≤ α/2
 *   (k = 1 when even P(U = 0) is more: the widest interval there is). Asymptotic:
 *   k = ⌈M/2 − z·σ − ½⌉ (at least 1), z = Φ⁻¹(1 − α/2), σ with the ties of the pooled samples. (R's
 *   wilcox.test(exact = FALSE, conf.int = TRUE) root-finds on the same statistic to 1e-4.)
 * - Coverage: what the interval really covers for continuous data, 1 − 2·P(U ≤ k − 1) — exact where the
 *   test is exact, or without ties when M ≤ 2,500; else the normal approximation
 *   1 − 2·Φ((k − ½ − M/2) / σ). With few samples k is a whole number far from the normal formula's
 *   intent, so a "98%" interval really covers anything from 90% (3 vs 3, the widest there is) to 99%.
 * - Rates (errors among requests per side): the Miettinen-Nurminen score test of
 *   H0: p_c − p_b = δ, z(δ) = (p̂_c − p̂_b − δ) / √((q_c(1 − q_c)/n_c + q_b(1 − q_b)/n_b) · N/(N − 1)),
 *   q the maximum-likelihood ratios under the constraint q_c − q_b = δ (Farrington and Manning's closed
 *   form of the cubic). One-sided p-values against +allowed-increase and −allowed-decrease, each the
 *   larger of z's normal tail and its exact tail (both sides drawn as binomials at those constrained
 *   ratios: the E-test recipe of SciPy's poisson_means_test, for binomials), and the interval
 *   {δ : |z(δ)| ≤ Φ⁻¹(1 − α/2)}.
 */

/** Average ranks (1-based) of the values, and the sizes of the groups of ties. */
export function rankWithTies(values: readonly number[]): { ranks: number[]; ties: number[] } {
  const order = values.map((value, index) => ({ value, index })).sort((a, b) => a.value - b.value);
  const ranks = new Array<number>(values.length);
  const ties: number[] = [];
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && (order[end] as { value: number }).value === (order[start] as { value: number }).value) end++;
    const average = (start + 1 + end) / 2;
    for (let position = start; position < end; position++) ranks[(order[position] as { index: number }).index] = average;
    if (end - start > 1) ties.push(end - start);
    start = end;
  }
  return { ranks, ties };
}

// --- The normal distribution -------------------------------------------------------------------
// Φ by W. J. Cody's rational approximations (as in R's pnorm, ACM TOMS 715), relative error ~1e-16.

const A = [2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582, 18154.981253343561249, 0.065682337918207449113];
const B = [47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956];
const C = [0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979, 597.27027639480026226, 2494.5375852903726711, 6848.1904505362823326, 11602.651437647350124, 9842.7148383839780218, 1.0765576773720192317e-8];
const D = [22.266688044328115691, 235.38790178262499861, 1519.377599407554805, 6485.558298266760755, 18615.571640885098091, 34900.952721145977266, 38912.003286093271411, 19685.429676859990727];
const P = [0.21589853405795699, 0.1274011611602473639, 0.022235277870649807, 0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303];
const Q = [1.28426009614491121, 0.468238212480865118, 0.0659881378689285515, 0.00378239633202758244, 7.29751555083966205e-5];
const SQRT_32 = 5.656854249492380195206754896838;
const ONE_OVER_SQRT_2PI = 0.398942280401432677939946059934;

/** Returns [Φ(x), 1 − Φ(x)], each computed directly (no cancellation in the tails). */
function pnormBoth(x: number): [number, number] {
  const y = Math.abs(x);
  let lower: number;
  let upper: number;
  if (y <= 0.67448975) {
    let numerator = 0;
    let denominator = 0;
    if (y > 1.1102230246251565e-16) {
      const xsq = x * x;
      numerator = (A[4] as number) * xsq;
      denominator = xsq;
      for (let i = 0; i < 3; i++) {
        numerator = (numerator + (A[i] as number)) * xsq;
        denominator = (denominator + (B[i] as number)) * xsq;
      }
    }
    const temp = (x * (numerator + (A[3] as number))) / (denominator + (B[3] as number));
    return [0.5 + temp, 0.5 - temp];
  }
  if (y <= SQRT_32) {
    let numerator = (C[8] as number) * y;
    let denominator = y;
    for (let i = 0; i < 7; i++) {
      numerator = (numerator + (C[i] as number)) * y;
      denominator = (denominator + (D[i] as number)) * y;
    }
    const temp = (numerator + (C[7] as number)) / (denominator + (D[7] as number));
    const xsq = Math.trunc(y * 16) / 16;
    const del = (y - xsq) * (y + xsq);
    upper = Math.exp(-xsq * xsq * 0.5) * Math.exp(-del * 0.5) * temp;
    lower = 1 - upper;
  } else {
    const xsq = 1 / (x * x);
    let numerator = (P[5] as number) * xsq;
    let denominator = xsq;
    for (let i = 0; i < 4; i++) {
      numerator = (numerator + (P[i] as number)) * xsq;
      denominator = (denominator + (Q[i] as number)) * xsq;
    }
    let temp = (xsq * (numerator + (P[4] as number))) / (denominator + (Q[4] as number));
    temp = (ONE_OVER_SQRT_2PI - temp) / y;
    const xr = Math.trunc(x * 16) / 16;
    const del = (x - xr) * (x + xr);
    upper = Math.exp(-xr * xr * 0.5) * Math.exp(-del * 0.5) * temp;
    lower = 1 - upper;
  }
  return x > 0 ? [lower, upper] : [upper, lower];
}

// NaN needs no case of its own: every comparison in pnormBoth is false and the result is NaN.
export function normalCdf(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  return pnormBoth(x)[0];
}

export function normalSf(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return 0;
  if (x === Number.NEGATIVE_INFINITY) return 1;
  return pnormBoth(x)[1];
}

/** Φ⁻¹(p) by Wichura's algorithm AS 241 (PPND16), relative error ~1e-16. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    return Number.NaN;
  }
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r +
          3.387132872796366608)) /
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1)
    );
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let value: number;
  if (r <= 5) {
    r -= 1.6;
    value =
      (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r +
        1.42343711074968357734) /
      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    value =
      (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r +
        6.6579046435011037772) /
      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -value : value;
}

// --- Mann-Whitney and Hodges-Lehmann ------------------------------------------------------------

/** Either side at most this many values, and no ties: the exact distribution (SciPy's rule). */
export const EXACT_MAX_SIDE = 8;
/** Without ties, the interval's coverage is exact up to this many differences (beyond, normal is close). */
export const EXACT_COVERAGE_MAX_PAIRS = 2500;

/**
 * P(U ≤ u) for u = 0..upTo under no difference, without ties: the coefficients of the Gaussian
 * binomial Π_{j=1..m} (1 − q^{n+j}) / (1 − q^j) (m the smaller side), each step scaled by j/(n+j) so
 * the terms stay probabilities. Division by (1 − q^j) is a running sum, multiplication by
 * (1 − q^{n+j}) a shifted difference; both only look down, so the tail up to upTo is all it computes.
 */
export function mannWhitneyExactCdf(nb: number, nc: number, upTo: number): Float64Array {
  const m = Math.min(nb, nc);
  const n = Math.max(nb, nc);
  const length = Math.max(0, Math.min(upTo, m * n)) + 1;
  const pmf = new Float64Array(length);
  const series = new Float64Array(length);
  pmf[0] = 1;
  for (let j = 1; j <= m; j++) {
    for (let u = 0; u < length; u++) series[u] = (pmf[u] as number) + (u >= j ? (series[u - j] as number) : 0);
    const scale = j / (n + j);
    for (let u = 0; u < length; u++) pmf[u] = ((series[u] as number) - (u >= n + j ? (series[u - n - j] as number) : 0)) * scale;
  }
  for (let u = 1; u < length; u++) pmf[u] = (pmf[u] as number) + (pmf[u - 1] as number);
  return pmf;
}

export interface MannWhitney {
  /** U for the canary. */
  u: number;
  /** The tie-corrected standard deviation of U under no difference; 0 when every value is the same. */
  sigma: number;
  pValue: number;
  /** How the p-value was computed (SciPy's rule): exact without ties when a side has at most 8 values. */
  method: 'exact' | 'asymptotic';
}

function tieTerm(ties: readonly number[]): number {
  return ties.reduce((sum, t) => sum + (t * t * t - t), 0);
}

function sigmaOf(nb: number, nc: number, ties: readonly number[]): number {
  const n = nb + nc;
  return Math.sqrt(((nb * nc) / 12) * (n + 1 - tieTerm(ties) / (n * (n - 1))));
}

const exactApplies = (nb: number, nc: number, ties: readonly number[]) => ties.length === 0 && Math.min(nb, nc) <= EXACT_MAX_SIDE;

export function mannWhitney(baseline: readonly number[], canary: readonly number[]): MannWhitney {
  const nb = baseline.length;
  const nc = canary.length;
  const { ranks, ties } = rankWithTies([...canary, ...baseline]);
  const rankSum = ranks.slice(0, nc).reduce((sum, rank) => sum + rank, 0);
  const u = rankSum - (nc * (nc + 1)) / 2;
  const sigma = sigmaOf(nb, nc, ties);
  if (exactApplies(nb, nc, ties)) {
    // P(U ≥ max) = P(U ≤ min) by symmetry; without ties U is a whole number.
    const lower = Math.min(u, nb * nc - u);
    return { u, sigma, pValue: Math.min(1, 2 * (mannWhitneyExactCdf(nb, nc, lower)[lower] as number)), method: 'exact' };
  }
  // Every value the same: U = M/2 and σ = 0, so z = −½/0 = −∞ and p = 1.
  const z = (Math.max(u, nb * nc - u) - (nb * nc) / 2 - 0.5) / sigma;
  return { u, sigma, pValue: Math.min(1, 2 * normalSf(z)), method: 'asymptotic' };
}

function median(sorted: readonly number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export interface Shift {
  estimate: number;
  lower: number;
  upper: number;
  /** What the interval really covers (its confidence asked for is only what k aimed at). */
  coverage: number;
  coverageMethod: 'exact' | 'normal';
}

/** The Hodges-Lehmann shift (canary − baseline), its interval at the given confidence, and its real coverage. */
export function hodgesLehmann(baseline: readonly number[], canary: readonly number[], confidence: number): Shift {
  const nb = baseline.length;
  const nc = canary.length;
  const differences = new Float64Array(nb * nc);
  let index = 0;
  for (const c of canary) for (const b of baseline) differences[index++] = c - b;
  differences.sort();
  const sorted = Array.from(differences);
  const m = sorted.length;
  const { ties } = rankWithTies([...canary, ...baseline]);
  const sigma = sigmaOf(nb, nc, ties);
  const alpha = 1 - confidence;
  const exact = exactApplies(nb, nc, ties);
  let k: number;
  let cdf: Float64Array | undefined;
  if (exact) {
    // P(U ≤ k − 1) ≤ α/2 < ½ keeps k − 1 below M/2.
    cdf = mannWhitneyExactCdf(nb, nc, Math.floor(m / 2));
    k = 1;
    while (k <= m && (cdf[k] as number) <= alpha / 2) k++;
  } else {
    const z = normalQuantile(1 - alpha / 2);
    k = Math.min(m, Math.max(1, Math.ceil(m / 2 - z * sigma - 0.5)));
    if (ties.length === 0 && m <= EXACT_COVERAGE_MAX_PAIRS) cdf = mannWhitneyExactCdf(nb, nc, k - 1);
  }
  const coverage = cdf ? 1 - 2 * (cdf[k - 1] as number) : sigma > 0 ? 1 - 2 * normalCdf((k - 0.5 - m / 2) / sigma) : 1;
  return { estimate: median(sorted), lower: sorted[k - 1] as number, upper: sorted[m - k] as number, coverage, coverageMethod: cdf ? 'exact' : 'normal' };
}

// --- Rates: the Miettinen-Nurminen score test for a difference of proportions --------------------

/** Errors among requests on one side over the window (whole counts, errors ≤ requests). */
export interface Counts {
  errors: number;
  requests: number;
}

/**
 * The maximum-likelihood ratios (q_b, q_c) of two binomials under q_c − q_b = δ: Farrington and
 * Manning's (1990) closed form of the likelihood equation's cubic, the trigonometric root in [0, 1].
 */
export function constrainedRatios(baseline: Counts, canary: Counts, delta: number): { baseline: number; canary: number } {
  if (delta === 0) {
    // No difference: the pooled ratio, exactly (the cubic's root would be off in the last bits).
    const pooled = (baseline.errors + canary.errors) / (baseline.requests + canary.requests);
    return { baseline: pooled, canary: pooled };
  }
  const theta = baseline.requests / canary.requests;
  const pc = canary.errors / canary.requests;
  const pb = baseline.errors / baseline.requests;
  const a = 1 + theta;
  const b = -(1 + theta + pc + theta * pb + delta * (theta + 2));
  const c = delta * delta + delta * (2 * pc + theta + 1) + pc + theta * pb;
  const d = -pc * delta * (1 + delta);
  const v = (b * b * b) / (27 * a * a * a) - (b * c) / (6 * a * a) + d / (2 * a);
  const radicand = (b * b) / (9 * a * a) - c / (3 * a);
  const u = Math.sign(v) * Math.sqrt(Math.max(0, radicand));
  // A double root (u = 0, or |v/u³| rounding past 1) is the same point: clamp to the real range.
  const cosine = u === 0 ? -1 : Math.max(-1, Math.min(1, v / (u * u * u)));
  const w = (Math.PI + Math.acos(cosine)) / 3;
  const canaryRatio = Math.min(1, Math.max(0, 2 * u * Math.cos(w) - b / (3 * a), delta));
  const baselineRatio = Math.min(1, Math.max(0, canaryRatio - delta));
  return { baseline: baselineRatio, canary: Math.min(1, baselineRatio + delta) };
}

/** The Miettinen-Nurminen score statistic for H0: p_c − p_b = δ (0 when the difference is exactly δ). */
export function scoreStatistic(baseline: Counts, canary: Counts, delta: number): number {
  const difference = canary.errors / canary.requests - baseline.errors / baseline.requests - delta;
  if (difference === 0) return 0;
  const q = constrainedRatios(baseline, canary, delta);
  const total = baseline.requests + canary.requests;
  const variance = ((q.canary * (1 - q.canary)) / canary.requests + (q.baseline * (1 - q.baseline)) / baseline.requests) * (total / (total - 1));
  // A variance of 0 (only at δ = ±1) makes z ±∞, as it should.
  return difference / Math.sqrt(variance);
}

/**
 * A binomial's probabilities where they matter: from the mode outward by the ratio of neighbours,
 * until a term is below 1e-18 of the mode's, then normalised. values[i] = P(X = lo + i). (p is 0..1.)
 */
export function binomialMass(n: number, p: number): { lo: number; values: Float64Array } {
  // p = 0: odds 0, mode 0, the first step up is 0; p = 1: odds ∞, mode n, the first step down is 0.
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const odds = p / (1 - p);
  const above: number[] = [];
  const below: number[] = [];
  for (let k = mode, term = 1; k < n; k++) {
    term *= ((n - k) / (k + 1)) * odds;
    if (term < 1e-18) break;
    above.push(term);
  }
  for (let k = mode, term = 1; k > 0; k--) {
    term *= k / (n - k + 1) / odds;
    if (term < 1e-18) break;
    below.push(term);
  }
  const values = Float64Array.from([...below.reverse(), 1, ...above]);
  const total = values.reduce((sum, value) => sum + value, 0);
  for (let index = 0; index < values.length; index++) values[index] = (values[index] as number) / total;
  return { lo: mode - below.length, values };
}

/**
 * The p-value of the score statistic the E-test way (Krishnamoorthy and Thomson's recipe, which
 * SciPy's poisson_means_test follows for Poisson counts), here for two binomials: the probability,
 * with both sides drawn at the maximum-likelihood ratios under H0 (Δ = δ), of a z at least as extreme
 * as the observed one: "greater" P(Z ≥ z_obs) for H0 Δ ≤ δ, "less" P(Z ≤ z_obs) for H0 Δ ≥ δ.
 * For a fixed baseline count z grows with the canary's, so each row's region is found by bisection.
 * Its size stays near α at the small counts where the normal approximation of z is too liberal.
 */
export function scoreTestP(baseline: Counts, canary: Counts, delta: number, side: 'greater' | 'less'): number {
  const observed = scoreStatistic(baseline, canary, delta);
  const q = constrainedRatios(baseline, canary, delta);
  const rows = binomialMass(baseline.requests, q.baseline);
  const columns = binomialMass(canary.requests, q.canary);
  // tail[j] = P(X_c ≥ columns.lo + j)
  const tail = new Float64Array(columns.values.length + 1);
  for (let j = columns.values.length - 1; j >= 0; j--) tail[j] = (tail[j + 1] as number) + (columns.values[j] as number);
  // z of the observed outcome, recomputed for another outcome, can differ in the last bits.
  const slack = 1e-10 * Math.max(1, Math.abs(observed));
  let p = 0;
  for (let i = 0; i < rows.values.length; i++) {
    const errors = rows.lo + i;
    const z = (j: number) => scoreStatistic({ errors, requests: baseline.requests }, { errors: columns.lo + j, requests: canary.requests }, delta);
    // The first column whose z is past the observed one (greater: ≥ z_obs; less: > z_obs).
    let low = 0;
    let high = columns.values.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (side === 'greater' ? z(middle) >= observed - slack : z(middle) > observed + slack) high = middle;
      else low = middle + 1;
    }
    p += (rows.values[i] as number) * (side === 'greater' ? (tail[low] as number) : 1 - (tail[low] as number));
  }
  return Math.min(1, Math.max(0, p));
}

export interface RateDifference {
  /** p_c − p_b, in percentage points, and its score interval {δ : |z(δ)| ≤ Φ⁻¹(1 − α/2)}. */
  estimate: number;
  lower: number;
  upper: number;
  /** z against +allowed-increase and −allowed-decrease. */
  zIncrease: number;
  zDecrease: number;
  /**
   * One-sided p-values of H0 Δ ≤ +increase (small: the canary is higher by more than allowed) and of
   * H0 Δ ≥ −decrease (small: lower by more than allowed): each the larger of the normal tail of z and
   * the exact tail (scoreTestP), so that a move is called only when both agree — the interval then
   * always lies past the allowance too, and the false-fail rate stays at α/2 at small counts.
   */
  pHigh: number;
  pLow: number;
  normal: { pHigh: number; pLow: number };
  exactTail: { pHigh: number; pLow: number };
}

/** The δ in [low, high] where the decreasing z(δ) crosses target, by bisection to the last bit. */
function crossing(baseline: Counts, canary: Counts, target: number, low: number, high: number): number {
  for (let step = 0; step < 200; step++) {
    const middle = (low + high) / 2;
    if (middle <= low || middle >= high) break;
    if (scoreStatistic(baseline, canary, middle) > target) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/**
 * The canary's error ratio against the baseline's, in points, judged against the allowed difference:
 * allowed.increase and allowed.decrease are points, as a rate metric's allowed-increase/-decrease are.
 */
export function rateDifference(baseline: Counts, canary: Counts, confidence: number, allowed: { increase: number; decrease: number }): RateDifference {
  const estimate = canary.errors / canary.requests - baseline.errors / baseline.requests;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const lower = estimate <= -1 ? -1 : crossing(baseline, canary, z, -1, estimate);
  const upper = estimate >= 1 ? 1 : crossing(baseline, canary, -z, estimate, 1);
  const increase = allowed.increase / 100;
  const decrease = -allowed.decrease / 100;
  const zIncrease = scoreStatistic(baseline, canary, increase);
  const zDecrease = scoreStatistic(baseline, canary, decrease);
  const normal = { pHigh: normalSf(zIncrease), pLow: normalCdf(zDecrease) };
  const exactTail = { pHigh: scoreTestP(baseline, canary, increase, 'greater'), pLow: scoreTestP(baseline, canary, decrease, 'less') };
  return {
    estimate: estimate * 100,
    lower: lower * 100,
    upper: upper * 100,
    zIncrease,
    zDecrease,
    pHigh: Math.max(normal.pHigh, exactTail.pHigh),
    pLow: Math.max(normal.pLow, exactTail.pLow),
    normal,
    exactTail,
  };
}
