import { describe, expect, test } from 'vitest';
import { analyse, recompute, type AnalysisPlan } from '../../../actions/canary-analyze/src/analysis.ts';
import type { MetricDefinition } from '../../../actions/canary-analyze/src/metrics.ts';
import type { Point, Provider, Window } from '../../../actions/canary-analyze/src/providers.ts';
import { InputError } from '../../../shared/errors.ts';

/**
 * The analysis over windows with a provider that answers from a table: what a rate metric's count
 * queries become ({{window}} is the window so far), how the answers are read (rounded, checked), and
 * that the report recomputes to the same verdict from its counts.
 */

const END = new Date('2026-11-22T10:00:00Z');

const errors: MetricDefinition = {
  name: 'errors',
  kind: 'rate',
  errors: 'errors{v="{{variant}}"}[{{window}}]',
  requests: 'requests{v="{{variant}}"}[{{window}}]',
  direction: 'increase',
  allowedIncrease: 0.5,
  allowedDecrease: 0,
  critical: true,
  mustHaveData: true,
  group: 'errors',
  nan: 'remove',
};

function plan(metrics: MetricDefinition[], intervals = 1): AnalysisPlan {
  return {
    metrics,
    baseline: { version: 'v1', selector: '' },
    canary: { version: 'v2', selector: '' },
    rateWindow: '1m',
    stepSeconds: 15,
    warmupMs: 0,
    intervalMs: 600_000,
    intervals,
    endTime: END,
    judge: { confidence: 0.98, minSamples: 30, passThreshold: 75, marginalThreshold: 50 },
  };
}

/** Answers count queries from `totals` (by query text), records every query with its window. */
class TableProvider implements Provider {
  readonly name = 'table';
  readonly asked: Array<{ query: string; window: Window }> = [];
  readonly #totals: (query: string) => number | undefined;
  constructor(totals: (query: string) => number | undefined) {
    this.#totals = totals;
  }
  fetch(): Promise<Point[]> {
    return Promise.resolve([]);
  }
  total(query: string, window: Window): Promise<number | undefined> {
    this.asked.push({ query, window });
    return Promise.resolve(this.#totals(query));
  }
}

describe('rate metrics through the analysis', () => {
  test('each interval counts over the window so far; answers are rounded to whole counts', async () => {
    // Prometheus' increase() extrapolates: 2400.4 requests, 0.3 errors.
    const provider = new TableProvider((query) => (query.startsWith('requests') ? 2400.4 : query.includes('canary') ? 51.6 : 0.3));
    const report = await analyse(provider, plan([errors], 3));
    expect(report.stoppedEarly).toBe(true);
    expect(provider.asked.map((entry) => entry.query).sort()).toEqual(['errors{v="baseline"}[600s]', 'errors{v="canary"}[600s]', 'requests{v="baseline"}[600s]', 'requests{v="canary"}[600s]']);
    expect(provider.asked[0]?.window).toEqual({ start: new Date(END.getTime() - 1_800_000), end: new Date(END.getTime() - 1_200_000), stepSeconds: 15 });
    const judged = report.windows[0]?.metrics[0];
    expect(judged).toMatchObject({ classification: 'High', failed: true, counts: { baseline: { errors: 0, requests: 2400 }, canary: { errors: 52, requests: 2400 } }, baselinePoints: [], canaryPoints: [] });
    expect(recompute(report)).toMatchObject({ verdict: 'fail', score: report.score });
  });

  test('later intervals span more: {{window}} grows with the cumulative window', async () => {
    const provider = new TableProvider((query) => (query.startsWith('requests') ? 1000 : 5));
    const report = await analyse(provider, plan([errors], 3));
    expect(report.windows.map((window) => window.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect([...new Set(provider.asked.map((entry) => /\[(\d+s)\]/.exec(entry.query)?.[1]))]).toEqual(['600s', '1200s', '1800s']);
  });

  test('no answer is no data (inconclusive), and the report keeps it', async () => {
    const report = await analyse(new TableProvider((query) => (query.startsWith('errors{v="baseline"') ? undefined : 100)), plan([errors]));
    expect(report.verdict).toBe('inconclusive');
    expect(report.windows[0]?.metrics[0]?.counts).toEqual({ baseline: { errors: null, requests: 100 }, canary: { errors: 100, requests: 100 } });
    expect(recompute(report)?.verdict).toBe('inconclusive');
  });

  test('a negative count or more errors than requests is the query’s mistake, named', async () => {
    const negative = analyse(new TableProvider((query) => (query.startsWith('requests') ? 100 : -3)), plan([errors]));
    await expect(negative).rejects.toThrow(InputError);
    await expect(negative).rejects.toThrow('metric "errors", field "errors": the baseline count is -3; a count over the window is a number ≥ 0');
    const more = analyse(new TableProvider((query) => (query.startsWith('requests') ? 40 : query.includes('canary') ? 52 : 0)), plan([errors]));
    await expect(more).rejects.toThrow("metric \"errors\", field \"errors\": the canary's 52 errors are more than its 40 requests");
    const infinite = analyse(new TableProvider((query) => (query.startsWith('requests') ? Number.POSITIVE_INFINITY : 0)), plan([errors]));
    await expect(infinite).rejects.toThrow('field "requests": the baseline count is Infinity');
  });
});
