import { HttpClient } from '@actions/http-client';
import { fetch, type RequestInit } from 'undici';
import { errorMessage } from './errors.ts';

/**
 * HTTP for talking to services other than GitHub's REST API (which goes through Octokit):
 * retries with backoff on network errors, 408, 429 and 5xx, honouring Retry-After, inside one
 * deadline that bounds the total time. Messages never contain the URL: for webhooks the URL is the
 * credential.
 */

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string | URL;
  headers?: Record<string, string>;
  body?: string;
}

export interface HeaderReader {
  get(name: string): string | null;
}

export interface HttpResponse {
  status: number;
  headers: HeaderReader;
  text: string;
}

export interface RetryPolicy {
  /** Epoch milliseconds after which no attempt starts and none is waited for. */
  deadline: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface RetryNotice {
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  reason: string;
}

export interface HttpHooks {
  onRetry?: (notice: RetryNotice) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Retries exhausted, time budget spent, or no response at all. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  readonly response: HttpResponse | undefined;

  constructor(message: string, response?: HttpResponse) {
    super(message);
    this.response = response;
  }
}

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/**
 * Milliseconds to wait as the server asked: Retry-After in seconds or as an HTTP date, else a JSON
 * body's `retry_after` in seconds (Discord sends a fractional one there).
 */
export function retryAfterMs(headers: HeaderReader, body: string, now: number): number | undefined {
  const header = headers.get('retry-after');
  if (header !== null) {
    if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.ceil(Number(header) * 1000);
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  try {
    const parsed = JSON.parse(body) as { retry_after?: unknown };
    if (typeof parsed.retry_after === 'number' && parsed.retry_after >= 0) return Math.ceil(parsed.retry_after * 1000);
  } catch {
    // Not JSON: no hint in the body.
  }
  return undefined;
}

/** Exponential backoff with jitter: half fixed, half random, capped. */
export function backoffMs(attempt: number, baseDelayMs: number, maxDelayMs: number, random = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export function statusLine(response: HttpResponse): string {
  const snippet = response.text.replace(/\s+/g, ' ').trim().slice(0, 200);
  return snippet ? `HTTP ${response.status}: ${snippet}` : `HTTP ${response.status}`;
}

const proxyClient = new HttpClient('deploy-actions');

async function sendOnce(request: HttpRequest, timeoutMs: number): Promise<HttpResponse> {
  const url = String(request.url);
  // Self-hosted runners behind a proxy set https_proxy/no_proxy: route through it as the toolkit does.
  const dispatcher = proxyClient.getAgentDispatcher(url);
  const init: RequestInit = {
    method: request.method,
    headers: { 'user-agent': 'deploy-actions', ...request.headers },
    signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
    redirect: 'error',
  };
  if (request.body !== undefined) init.body = request.body;
  if (dispatcher) init.dispatcher = dispatcher;
  const response = await fetch(url, init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no response in time';
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? errorMessage(error);
}

/**
 * Sends a request, retrying transient failures until it succeeds, gets a final answer, or the
 * deadline leaves no room. Returns the final response whatever its status (a 4xx is the caller's to
 * interpret); throws DeliveryError when no final answer came.
 */
export async function sendWithRetry(request: HttpRequest, policy: RetryPolicy, hooks: HttpHooks = {}): Promise<HttpResponse> {
  const now = hooks.now ?? Date.now;
  const sleep = hooks.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { deadline, maxAttempts = 5, baseDelayMs = 500, maxDelayMs = 10_000 } = policy;

  for (let attempt = 1; ; attempt++) {
    let response: HttpResponse | undefined;
    let reason: string;
    try {
      response = await sendOnce(request, deadline - now());
      if (!isRetryableStatus(response.status)) return response;
      reason = statusLine(response);
    } catch (error) {
      reason = describeNetworkError(error);
    }
    const asked = response ? retryAfterMs(response.headers, response.text, now()) : undefined;
    const delayMs = asked ?? backoffMs(attempt, baseDelayMs, maxDelayMs);
    if (attempt >= maxAttempts) {
      throw new DeliveryError(`${reason} (gave up after ${attempt} attempts)`, response);
    }
    if (now() + delayMs >= deadline) {
      const wait = asked === undefined ? '' : ` the server asked to wait ${Math.ceil(asked / 1000)}s, which`;
      throw new DeliveryError(`${reason} (gave up after ${attempt} attempts:${wait || ' the next retry'} would pass the time budget)`, response);
    }
    hooks.onRetry?.({ attempt, maxAttempts, delayMs, reason });
    await sleep(delayMs);
  }
}

/** Parses a JSON response body, or undefined when it is not JSON. */
export function parseJson<T>(response: HttpResponse): T | undefined {
  try {
    return JSON.parse(response.text) as T;
  } catch {
    return undefined;
  }
}
