import { InputError } from '../../../shared/errors.ts';

/**
 * Metric definitions: what to query and how to judge it. Given inline (input `metrics`) or in a file
 * (`metrics-file`), or, with only label selectors, the built-in set for HTTP services.
 */

export const KINDS = ['rate', 'value'] as const;
export const DIRECTIONS = ['increase', 'decrease', 'either'] as const;

export interface MetricDefinition {
  name: string;
  /**
   * value metrics: the query of the samples (one series per side). Templated: {{variant}}, {{version}},
   * {{selector}}, {{interval}}, {{window}}.
   */
  query?: string | undefined;
  /**
   * rate metrics: the queries of two counts per side over the whole window, errors among requests
   * (Prometheus: an instant query such as sum(increase(x_total[{{window}}])); Datadog and http-json:
   * counts per step, added up).
   */
  errors?: string | undefined;
  requests?: string | undefined;
  /** rate: errors among requests (effect in percentage points); value: anything else (effect as a mean ratio). */
  kind: (typeof KINDS)[number];
  /** Which change is bad. */
  direction: (typeof DIRECTIONS)[number];
  /** How much worse is tolerated: percent for value metrics, points for rate metrics. */
  allowedIncrease: number;
  allowedDecrease: number;
  critical: boolean;
  mustHaveData: boolean;
  group: string;
  /** The group's weight in the score, percent (groups without one share what is left). */
  weight?: number | undefined;
  nan: 'remove' | 'zero';
  /** Drop outliers outside the Kayenta bounds with this IQR factor; omitted keeps every point. */
  outliers?: number | undefined;
}

const FIELDS: Record<string, string> = {
  name: 'a name',
  query: 'the query of a value metric\'s samples (with {{variant}}, {{version}}, {{selector}}, {{interval}} or {{window}})',
  errors: 'the query counting a rate metric\'s errors over the window (Prometheus: sum(increase(...[{{window}}])))',
  requests: 'the query counting a rate metric\'s requests over the window (Prometheus: sum(increase(...[{{window}}])))',
  kind: 'rate or value',
  direction: 'increase, decrease or either (the change that is bad)',
  'allowed-increase': 'a number ≥ 0 (percent for value, points for rate)',
  'allowed-decrease': 'a number ≥ 0 (percent for value, points for rate)',
  critical: 'true or false',
  'must-have-data': 'true or false',
  group: 'a group name',
  weight: 'the group weight, a percent from 0 to 100',
  nan: 'remove or zero',
  outliers: 'an IQR factor > 0 (Kayenta uses 3)',
};

function field(input: string, metric: string, name: string, problem: string): InputError {
  return new InputError(input, `metric "${metric}", field "${name}": ${problem}; expected ${FIELDS[name] ?? 'a known field'}`);
}

/** Validates parsed YAML (a list of metrics, or a mapping of name to metric). */
export function parseMetrics(raw: unknown, input: string): MetricDefinition[] {
  const entries: Array<[string | undefined, unknown]> = Array.isArray(raw)
    ? raw.map((entry) => [undefined, entry])
    : raw !== null && typeof raw === 'object'
      ? Object.entries(raw as Record<string, unknown>).map(([name, entry]) => [name, entry])
      : [];
  if (entries.length === 0) throw new InputError(input, 'must be a list (or mapping) of metrics, each with at least a name and a query');
  const metrics: MetricDefinition[] = [];
  const weights = new Map<string, number>();
  entries.forEach(([key, entry], index) => {
    const label = key ?? `#${index + 1}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new InputError(input, `metric ${label} must be a mapping of fields`);
    const fields = entry as Record<string, unknown>;
    for (const name of Object.keys(fields)) if (!(name in FIELDS)) throw field(input, String(fields['name'] ?? label), name, 'is not a metric field');
    const name = String(fields['name'] ?? key ?? '');
    if (!name) throw new InputError(input, `metric ${label}: field "name" is missing`);
    const text = (fieldName: string) => {
      const value = fields[fieldName];
      return value === undefined ? undefined : typeof value === 'string' ? value : undefined;
    };
    const number = (fieldName: string, fallback: number | undefined, min = 0, max = Number.POSITIVE_INFINITY) => {
      const value = fields[fieldName];
      if (value === undefined) return fallback;
      if (typeof value !== 'number' || !(value >= min && value <= max)) throw field(input, name, fieldName, `${JSON.stringify(value)} is not accepted`);
      return value;
    };
    const flag = (fieldName: string, fallback: boolean) => {
      const value = fields[fieldName];
      if (value === undefined) return fallback;
      if (typeof value !== 'boolean') throw field(input, name, fieldName, `${JSON.stringify(value)} is not accepted`);
      return value;
    };
    const choice = <T extends string>(fieldName: string, options: readonly T[], fallback: T): T => {
      const value = fields[fieldName];
      if (value === undefined) return fallback;
      if (typeof value !== 'string' || !options.includes(value as T)) throw field(input, name, fieldName, `${JSON.stringify(value)} is not accepted`);
      return value as T;
    };
    if (metrics.some((metric) => metric.name === name)) throw field(input, name, 'name', 'is used by two metrics');
    // Count queries make a rate metric unless the kind says otherwise.
    const kind = choice('kind', KINDS, fields['errors'] !== undefined || fields['requests'] !== undefined ? 'rate' : 'value');
    const queryOf = (fieldName: string) => {
      const value = text(fieldName);
      if (!value || value.trim() === '') throw field(input, name, fieldName, fields[fieldName] === undefined ? 'is missing' : `${JSON.stringify(fields[fieldName])} is not a query`);
      return value;
    };
    let query: string | undefined;
    let errors: string | undefined;
    let requests: string | undefined;
    if (kind === 'rate') {
      if (fields['query'] !== undefined) {
        throw field(input, name, 'query', 'a rate metric is judged on counts, not on a series of ratios (mostly-zero ratios at low traffic hide errors); give errors and requests, each a count over {{window}}, instead');
      }
      errors = queryOf('errors');
      requests = queryOf('requests');
    } else {
      for (const countField of ['errors', 'requests']) if (fields[countField] !== undefined) throw field(input, name, countField, 'is for kind rate only (this metric is a value metric)');
      query = queryOf('query');
    }
    const group = text('group') ?? name;
    const weight = number('weight', undefined, 0, 100);
    if (weight !== undefined) {
      const earlier = weights.get(group);
      if (earlier !== undefined && earlier !== weight) throw field(input, name, 'weight', `group "${group}" already has weight ${earlier}`);
      weights.set(group, weight);
    }
    const outliers = number('outliers', undefined, Number.MIN_VALUE);
    metrics.push({
      name,
      query,
      errors,
      requests,
      kind,
      direction: choice('direction', DIRECTIONS, 'increase'),
      allowedIncrease: number('allowed-increase', 0) as number,
      allowedDecrease: number('allowed-decrease', 0) as number,
      critical: flag('critical', false),
      mustHaveData: flag('must-have-data', false),
      group,
      weight,
      nan: choice('nan', ['remove', 'zero'] as const, 'remove'),
      outliers,
    });
  });
  const total = [...weights.values()].reduce((sum, weight) => sum + weight, 0);
  if (total > 100) throw new InputError(input, `group weights add up to ${total}%; they may add up to 100% at most`);
  return metrics;
}

/**
 * The built-in set for an HTTP service exporting http_requests_total{code} and the
 * http_request_duration_seconds histogram, plus the standard process metrics, when only label
 * selectors are given. Error ratio is critical and must have data: no traffic is no verdict.
 */
export function builtInHttpMetrics(): MetricDefinition[] {
  const base = { nan: 'remove' as const, allowedDecrease: 0, weight: undefined, outliers: undefined };
  return [
    {
      ...base,
      name: 'error-ratio',
      kind: 'rate',
      direction: 'increase',
      allowedIncrease: 0.5,
      critical: true,
      mustHaveData: true,
      group: 'errors',
      weight: 40,
      // Judged on the counts over the window. No 5xx at all is no error series at all: `or vector(0)`
      // makes that 0 errors (no traffic stays no data).
      errors: 'sum(increase(http_requests_total{ {{selector}}, code=~"5.." }[{{window}}])) or vector(0)',
      requests: 'sum(increase(http_requests_total{ {{selector}} }[{{window}}]))',
    },
    ...([0.5, 0.95] as const).map((quantile, index) => ({
      ...base,
      name: `latency-p${Math.round(quantile * 100)}`,
      kind: 'value' as const,
      direction: 'increase' as const,
      allowedIncrease: 10,
      critical: false,
      mustHaveData: true,
      group: 'latency',
      // The group's weight is stated once, on its first metric.
      weight: index === 0 ? 40 : undefined,
      query: `histogram_quantile(${quantile}, sum by (le) (rate(http_request_duration_seconds_bucket{ {{selector}} }[{{interval}}])))`,
    })),
    {
      ...base,
      name: 'cpu',
      kind: 'value',
      direction: 'increase',
      allowedIncrease: 25,
      critical: false,
      mustHaveData: false,
      group: 'resources',
      weight: 20,
      query: 'sum(rate(process_cpu_seconds_total{ {{selector}} }[{{interval}}]))',
    },
    {
      ...base,
      name: 'memory',
      kind: 'value',
      direction: 'increase',
      allowedIncrease: 25,
      critical: false,
      mustHaveData: false,
      group: 'resources',
      query: 'sum(process_resident_memory_bytes{ {{selector}} })',
    },
  ];
}

export interface TemplateValues {
  variant: 'baseline' | 'canary';
  version: string;
  selector: string;
  /** The rate window (input rate-window), e.g. 1m. */
  interval: string;
  /** The whole analysis window so far, in seconds, e.g. 1800s: what a count over the window spans. */
  window: string;
}

/** The queries a metric runs, by field. */
export function queriesOf(definition: MetricDefinition): Array<['query' | 'errors' | 'requests', string]> {
  return (['query', 'errors', 'requests'] as const).flatMap((name) => (definition[name] === undefined ? [] : [[name, definition[name]] as ['query' | 'errors' | 'requests', string]]));
}

/** Fills {{variant}}, {{version}}, {{selector}}, {{interval}} and {{window}}; an unknown placeholder is an error. */
export function fillTemplate(query: string, values: TemplateValues, metric: string, input: string, fieldName = 'query'): string {
  return query.replace(/\{\{\s*([\w-]+)\s*\}\}/g, (_all, key: string) => {
    const value = (values as unknown as Record<string, string>)[key];
    if (value === undefined) {
      throw new InputError(input, `metric "${metric}", field "${fieldName}": {{${key}}} is not a placeholder; expected {{variant}}, {{version}}, {{selector}}, {{interval}} or {{window}}`);
    }
    return value;
  });
}
