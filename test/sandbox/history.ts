/**
 * Synthetic metric history in OpenMetrics text, for promtool to backfill into a real Prometheus:
 * long series without waiting for them. Drawn from a seeded generator, so a test sees the same data
 * on every run.
 */

/** mulberry32: a small, well-mixed 32-bit generator. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal draw (Box-Muller). */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function logNormal(random: () => number, median: number, sigma: number): number {
  return median * Math.exp(sigma * gaussian(random));
}

/** The share of `trials` that fail with probability p (a binomial draw, as a ratio). */
export function binomialRatio(random: () => number, trials: number, p: number): number {
  let failures = 0;
  for (let index = 0; index < trials; index++) if (random() < p) failures += 1;
  return failures / trials;
}

export interface SyntheticSeries {
  metric: string;
  labels: Record<string, string>;
  /** The value at sample index i. */
  value: (index: number) => number;
}

/** One gauge family per metric name, samples every `stepSeconds` over `minutes` ending at `end`. */
export function openMetrics(series: readonly SyntheticSeries[], end: Date, minutes: number, stepSeconds: number): string {
  const count = Math.floor((minutes * 60) / stepSeconds) + 1;
  const startSeconds = Math.floor(end.getTime() / 1000) - (count - 1) * stepSeconds;
  const families = new Map<string, SyntheticSeries[]>();
  for (const entry of series) families.set(entry.metric, [...(families.get(entry.metric) ?? []), entry]);
  const lines: string[] = [];
  for (const [metric, members] of families) {
    lines.push(`# TYPE ${metric} gauge`);
    for (const member of members) {
      const labels = Object.entries(member.labels).map(([key, value]) => `${key}="${value}"`).join(',');
      for (let index = 0; index < count; index++) lines.push(`${metric}{${labels}} ${member.value(index)} ${startSeconds + index * stepSeconds}`);
    }
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}
