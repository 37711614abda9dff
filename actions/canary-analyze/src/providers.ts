import { InputError } from '../../../shared/errors.ts';
import { parseJson, sendWithRetry, statusLine, type HttpResponse } from '../../../shared/http.ts';

/**
 * Where samples come from. Each provider answers one query over one window with the points of a
 * single series (a query matching several series must aggregate them: sum, avg, histogram_quantile),
 * and a count query with one number for the whole window (undefined: no answer, no series):
 * Prometheus evaluates it once at the window's end (sum(increase(x_total[{{window}}])));
 * Datadog and http-json answer counts per step (Datadog: .as_count()), which add up.
 * A provider that cannot be reached throws ProviderUnavailable, which makes the analysis
 * inconclusive; a query the provider refuses is the user's to fix (InputError naming the metric).
 */

export interface Window {
  start: Date;
  end: Date;
  stepSeconds: number;
}

export interface Point {
  at: number;
  value: number;
}

export interface Provider {
  readonly name: string;
  fetch(query: string, window: Window, metric: string): Promise<Point[]>;
  total(query: string, window: Window, metric: string): Promise<number | undefined>;
}

/** Adds up a series of counts per step; no points is no answer. */
function sum(points: readonly Point[]): number | undefined {
  return points.length === 0 ? undefined : points.reduce((total, point) => total + point.value, 0);
}

export class ProviderUnavailable extends Error {
  override name = 'ProviderUnavailable';
}

const REQUEST_BUDGET_MS = 30_000;

async function get(url: URL, headers: Record<string, string>, provider: string): Promise<HttpResponse> {
  try {
    return await sendWithRetry({ method: 'GET', url, headers: { accept: 'application/json', ...headers } }, { deadline: Date.now() + REQUEST_BUDGET_MS, maxAttempts: 3 });
  } catch (error) {
    throw new ProviderUnavailable(`${provider} did not answer: ${(error as Error).message}`);
  }
}

function single<T>(series: T[], metric: string, provider: string): T | undefined {
  if (series.length > 1) {
    throw new InputError('metrics', `metric "${metric}": ${provider} returned ${series.length} series for one query; aggregate them to one (sum(...), avg(...))`);
  }
  return series[0];
}

export class PrometheusProvider implements Provider {
  readonly name = 'Prometheus';
  readonly #url: URL;
  readonly #headers: Record<string, string>;

  constructor(url: URL, auth: { token?: string | undefined; username?: string | undefined; password?: string | undefined }) {
    this.#url = url;
    this.#headers = auth.token
      ? { authorization: `Bearer ${auth.token}` }
      : auth.username
        ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}` }
        : {};
  }

  async #query(api: 'query' | 'query_range', parameters: Record<string, string>, metric: string): Promise<{ resultType?: string; result?: unknown }> {
    const url = new URL(`${this.#url.pathname.replace(/\/+$/, '')}/api/v1/${api}`, this.#url);
    url.search = new URLSearchParams(parameters).toString();
    const response = await get(url, this.#headers, 'Prometheus');
    const body = parseJson<{ status?: string; errorType?: string; error?: string; data?: { resultType?: string; result?: unknown } }>(response);
    if (response.status === 400 || response.status === 422 || body?.status === 'error') {
      throw new InputError('metrics', `metric "${metric}": Prometheus refused the query: ${body?.errorType ?? 'error'}: ${body?.error ?? statusLine(response)}`);
    }
    if (response.status === 401 || response.status === 403) throw new ProviderUnavailable(`Prometheus refused the credentials (${statusLine(response)})`);
    if (response.status !== 200 || !body?.data) throw new ProviderUnavailable(`Prometheus answered ${statusLine(response)}`);
    return body.data;
  }

  async fetch(query: string, window: Window, metric: string): Promise<Point[]> {
    const data = await this.#query('query_range', { query, start: String(window.start.getTime() / 1000), end: String(window.end.getTime() / 1000), step: String(window.stepSeconds) }, metric);
    if (data.resultType !== 'matrix') throw new InputError('metrics', `metric "${metric}": the query gives a ${data.resultType}, not a range of samples`);
    const series = single((data.result ?? []) as Array<{ values?: Array<[number, string]> }>, metric, 'Prometheus');
    return (series?.values ?? []).map(([at, value]) => ({ at: at * 1000, value: Number(value) }));
  }

  /** One instant query at the window's end: the count over the window is the query's business ({{window}}). */
  async total(query: string, window: Window, metric: string): Promise<number | undefined> {
    const data = await this.#query('query', { query, time: String(window.end.getTime() / 1000) }, metric);
    let value: string | undefined;
    if (data.resultType === 'scalar') value = (data.result as [number, string] | undefined)?.[1];
    else if (data.resultType === 'vector') value = single((data.result ?? []) as Array<{ value?: [number, string] }>, metric, 'Prometheus')?.value?.[1];
    else throw new InputError('metrics', `metric "${metric}": a count query gives a ${data.resultType}; expected one number, e.g. sum(increase(x_total[{{window}}]))`);
    const count = value === undefined ? Number.NaN : Number(value);
    return Number.isNaN(count) ? undefined : count;
  }
}

export class DatadogProvider implements Provider {
  readonly name = 'Datadog';
  readonly #url: URL;
  readonly #headers: Record<string, string>;

  constructor(url: URL, apiKey: string, applicationKey: string) {
    this.#url = url;
    this.#headers = { 'dd-api-key': apiKey, 'dd-application-key': applicationKey };
  }

  async fetch(query: string, window: Window, metric: string): Promise<Point[]> {
    const url = new URL(`${this.#url.pathname.replace(/\/+$/, '')}/api/v1/query`, this.#url);
    url.search = new URLSearchParams({ from: String(Math.floor(window.start.getTime() / 1000)), to: String(Math.ceil(window.end.getTime() / 1000)), query }).toString();
    const response = await get(url, this.#headers, 'Datadog');
    const body = parseJson<{ status?: string; error?: string; errors?: string[]; series?: Array<{ pointlist?: Array<[number, number | null]> }> }>(response);
    if (response.status === 400 || body?.status === 'error') {
      throw new InputError('metrics', `metric "${metric}": Datadog refused the query: ${body?.error ?? body?.errors?.join('; ') ?? statusLine(response)}`);
    }
    if (response.status === 403) throw new ProviderUnavailable(`Datadog refused the API or application key (${statusLine(response)})`);
    if (response.status !== 200 || !body) throw new ProviderUnavailable(`Datadog answered ${statusLine(response)}`);
    const series = single(body.series ?? [], metric, 'Datadog');
    return (series?.pointlist ?? []).flatMap(([at, value]) => (value === null ? [] : [{ at, value }]));
  }

  /** The counts per rollup interval of an .as_count() query, added up. */
  async total(query: string, window: Window, metric: string): Promise<number | undefined> {
    return sum(await this.fetch(query, window, metric));
  }
}

/**
 * A small path into JSON: dots for keys, [n] for an index, [*] to take every element.
 * "data.series[0].values[*]" or "samples[*].latency".
 */
export function selectPath(document: unknown, path: string): unknown[] {
  const steps = path.match(/[^.[\]]+|\[\*\]|\[\d+\]/g) ?? [];
  let current: unknown[] = [document];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const node of current) {
      if (step === '[*]') {
        if (Array.isArray(node)) next.push(...node);
      } else if (/^\[\d+\]$/.test(step)) {
        if (Array.isArray(node)) next.push(node[Number(step.slice(1, -1))]);
      } else if (node !== null && typeof node === 'object') {
        next.push((node as Record<string, unknown>)[step]);
      }
    }
    current = next.filter((node) => node !== undefined);
  }
  return current.length === 1 && Array.isArray(current[0]) ? (current[0] as unknown[]) : current;
}

export class HttpJsonProvider implements Provider {
  readonly name = 'http-json';
  readonly #path: string;
  readonly #headers: Record<string, string>;

  /** The URL is the query (templated per variant); start, end and step are added as parameters. */
  constructor(path: string, token: string | undefined) {
    this.#path = path;
    this.#headers = token ? { authorization: `Bearer ${token}` } : {};
  }

  async fetch(query: string, window: Window, metric: string): Promise<Point[]> {
    let url: URL;
    try {
      url = new URL(query);
    } catch {
      throw new InputError('metrics', `metric "${metric}", field "query": ${JSON.stringify(query)} is not a URL; with provider http-json the query is the URL to get`);
    }
    url.searchParams.set('start', window.start.toISOString());
    url.searchParams.set('end', window.end.toISOString());
    url.searchParams.set('step', String(window.stepSeconds));
    const response = await get(url, this.#headers, 'the http-json endpoint');
    if (response.status !== 200) throw new ProviderUnavailable(`the http-json endpoint answered ${statusLine(response)}`);
    const document = parseJson<unknown>(response);
    if (document === undefined) throw new ProviderUnavailable('the http-json endpoint did not answer JSON');
    return selectPath(document, this.#path).flatMap((entry, index) => {
      // A number, a numeric string, or a [timestamp, value] pair.
      const value = Array.isArray(entry) ? Number(entry[1]) : Number(entry);
      const at = Array.isArray(entry) ? Number(entry[0]) * (Number(entry[0]) < 1e12 ? 1000 : 1) : window.start.getTime() + index * window.stepSeconds * 1000;
      return entry === null || Number.isNaN(value) ? [] : [{ at, value }];
    });
  }

  /** The endpoint's counts (per step, or one for the window), added up. */
  async total(query: string, window: Window, metric: string): Promise<number | undefined> {
    return sum(await this.fetch(query, window, metric));
  }
}
