import { InputError } from '../../../shared/errors.ts';
import { parseJson, sendWithRetry, statusLine, type HttpResponse } from '../../../shared/http.ts';

/**
 * Where samples come from. Each provider answers one query over one window with the points of a
 * single series (a query matching several series must aggregate them: sum, avg, histogram_quantile).
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
    throw new InputError('metrics', `metric "${metric}", field "query": ${provider} returned ${series.length} series; aggregate them to one (sum(...), avg(...))`);
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

  async fetch(query: string, window: Window, metric: string): Promise<Point[]> {
    const url = new URL(`${this.#url.pathname.replace(/\/+$/, '')}/api/v1/query_range`, this.#url);
    url.search = new URLSearchParams({
      query,
      start: String(window.start.getTime() / 1000),
      end: String(window.end.getTime() / 1000),
      step: String(window.stepSeconds),
    }).toString();
    const response = await get(url, this.#headers, 'Prometheus');
    const body = parseJson<{ status?: string; errorType?: string; error?: string; data?: { resultType?: string; result?: Array<{ values?: Array<[number, string]> }> } }>(response);
    if (response.status === 400 || response.status === 422 || body?.status === 'error') {
      throw new InputError('metrics', `metric "${metric}": Prometheus refused the query: ${body?.errorType ?? 'error'}: ${body?.error ?? statusLine(response)}`);
    }
    if (response.status === 401 || response.status === 403) throw new ProviderUnavailable(`Prometheus refused the credentials (${statusLine(response)})`);
    if (response.status !== 200 || !body?.data) throw new ProviderUnavailable(`Prometheus answered ${statusLine(response)}`);
    if (body.data.resultType !== 'matrix') throw new InputError('metrics', `metric "${metric}": the query gives a ${body.data.resultType}, not a range of samples`);
    const series = single(body.data.result ?? [], metric, 'Prometheus');
    return (series?.values ?? []).map(([at, value]) => ({ at: at * 1000, value: Number(value) }));
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
}
