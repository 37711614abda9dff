/**
 * The statistics behind the canary judge, with their definitions stated so an independent oracle
 * (SciPy, test/fixtures/canary/oracle.py) can check them to 1e-9:
 *
 * - Mann-Whitney U for the canary sample c against the baseline b: U = Σ [c_i > b_j] + ½ [c_i = b_j],
 *   from average ranks of the pooled sample.
 * - Two-sided p-value: the normal approximation with tie correction and continuity correction,
 *   p = min(1, 2·Φ̄((max(U, n_b·n_c − U) − n_b·n_c/2 − ½) / σ)),
 *   σ² = n_b·n_c/12 · ((N + 1) − Σ(t³ − t) / (N(N − 1))). This is SciPy's
 *   mannwhitneyu(method="asymptotic", use_continuity=True).
 * - Shift: the Hodges-Lehmann estimate, the median of all n_b·n_c differences c_i − b_j.
 * - Interval for the shift at confidence 1 − α: the shifts the same test would not reject,
 *   [d_(k), d_(M−k+1)] over the sorted differences d (M = n_b·n_c), k = ⌈M/2 − z·σ − ½⌉ (at least 1),
 *   z = Φ⁻¹(1 − α/2), σ with the ties of the pooled samples. (R's wilcox.test(exact = FALSE,
 *   conf.int = TRUE) finds its bounds by root-finding on the same statistic, recomputing ties at each
 *   shift, to uniroot's tolerance of 1e-4; the bounds sit on the same steps but are not equal to 1e-9.)
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

export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  return pnormBoth(x)[0];
}

export function normalSf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
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

export interface MannWhitney {
  /** U for the canary. */
  u: number;
  /** The tie-corrected standard deviation of U under no difference; 0 when every value is the same. */
  sigma: number;
  z: number;
  pValue: number;
}

function tieTerm(ties: readonly number[]): number {
  return ties.reduce((sum, t) => sum + (t * t * t - t), 0);
}

function sigmaOf(nb: number, nc: number, ties: readonly number[]): number {
  const n = nb + nc;
  return Math.sqrt(((nb * nc) / 12) * (n + 1 - tieTerm(ties) / (n * (n - 1))));
}

export function mannWhitney(baseline: readonly number[], canary: readonly number[]): MannWhitney {
  const nb = baseline.length;
  const nc = canary.length;
  const { ranks, ties } = rankWithTies([...canary, ...baseline]);
  const rankSum = ranks.slice(0, nc).reduce((sum, rank) => sum + rank, 0);
  const u = rankSum - (nc * (nc + 1)) / 2;
  const sigma = sigmaOf(nb, nc, ties);
  const mean = (nb * nc) / 2;
  const z = sigma === 0 ? 0 : (Math.max(u, nb * nc - u) - mean - 0.5) / sigma;
  const pValue = sigma === 0 ? 1 : Math.min(1, 2 * normalSf(z));
  return { u, sigma, z, pValue };
}

function median(sorted: readonly number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export interface Shift {
  estimate: number;
  lower: number;
  upper: number;
}

/** The Hodges-Lehmann shift (canary − baseline) and its interval at the given confidence. */
export function hodgesLehmann(baseline: readonly number[], canary: readonly number[], confidence: number): Shift {
  const differences = new Float64Array(baseline.length * canary.length);
  let index = 0;
  for (const c of canary) for (const b of baseline) differences[index++] = c - b;
  differences.sort();
  const sorted = Array.from(differences);
  const m = sorted.length;
  const { ties } = rankWithTies([...canary, ...baseline]);
  const sigma = sigmaOf(baseline.length, canary.length, ties);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const k = Math.min(m, Math.max(1, Math.ceil(m / 2 - z * sigma - 0.5)));
  return { estimate: median(sorted), lower: sorted[k - 1] as number, upper: sorted[m - k] as number };
}
