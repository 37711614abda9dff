import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { backoffMs, DeliveryError, retryAfterMs, sendWithRetry, type RetryNotice } from '../../../shared/http.ts';
import { HttpDouble } from '../../doubles/http-double.ts';

let server: HttpDouble;
beforeEach(async () => {
  server = await new HttpDouble(() => ({ status: 200, body: { ok: true } })).start();
});
afterEach(() => server.stop());

const post = () => ({ method: 'POST' as const, url: `${server.url}/hook`, body: '{}' });

describe('retry hints', () => {
  const headers = (value?: string) => ({ get: (name: string) => (name === 'retry-after' && value !== undefined ? value : null) });

  test('Retry-After in seconds, as a date, or Discord-style in the body', () => {
    expect(retryAfterMs(headers('2'), '', 0)).toBe(2000);
    expect(retryAfterMs(headers(new Date(60_000).toUTCString()), '', 0)).toBe(60_000);
    expect(retryAfterMs(headers(), '{"retry_after": 0.35}', 0)).toBe(350);
    expect(retryAfterMs(headers(), 'not json', 0)).toBeUndefined();
  });

  test('backoff grows and is capped', () => {
    expect(backoffMs(1, 500, 10_000, () => 0)).toBe(250);
    expect(backoffMs(3, 500, 10_000, () => 1)).toBe(2000);
    expect(backoffMs(20, 500, 10_000, () => 1)).toBe(10_000);
  });
});

describe('sendWithRetry against a real server', () => {
  test('retries 503 and 502, then returns the success', async () => {
    server.fault({ times: 1, reply: { status: 503, text: 'busy' } });
    server.fault({ times: 1, reply: { status: 502, text: 'bad gateway' } });
    const notices: RetryNotice[] = [];
    const response = await sendWithRetry(post(), { deadline: Date.now() + 20_000, baseDelayMs: 20 }, { onRetry: (notice) => notices.push(notice) });
    expect(response.status).toBe(200);
    expect(server.requests).toHaveLength(3);
    expect(notices.map((notice) => notice.reason)).toEqual(['HTTP 503: busy', 'HTTP 502: bad gateway']);
  });

  test('honours Retry-After on 429', async () => {
    server.fault({ times: 1, reply: { status: 429, headers: { 'retry-after': '1' }, text: 'slow down' } });
    const notices: RetryNotice[] = [];
    const response = await sendWithRetry(post(), { deadline: Date.now() + 20_000, baseDelayMs: 20 }, { onRetry: (notice) => notices.push(notice) });
    expect(response.status).toBe(200);
    expect(notices[0]?.delayMs).toBe(1000);
  });

  test('a 4xx is a final answer, not retried', async () => {
    server.fault({ times: 5, reply: { status: 404, text: 'no such hook' } });
    const response = await sendWithRetry(post(), { deadline: Date.now() + 20_000 });
    expect(response.status).toBe(404);
    expect(server.requests).toHaveLength(1);
  });

  test('a dropped connection is retried', async () => {
    server.fault({ times: 1, destroy: true });
    const response = await sendWithRetry(post(), { deadline: Date.now() + 20_000, baseDelayMs: 20 });
    expect(response.status).toBe(200);
    expect(server.requests).toHaveLength(2);
  });

  test('a Retry-After beyond the budget gives up at once and says why', async () => {
    server.fault({ times: 1, reply: { status: 429, headers: { 'retry-after': '120' }, text: 'later' } });
    const error = await sendWithRetry(post(), { deadline: Date.now() + 5000 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as Error).message).toBe('HTTP 429: later (gave up after 1 attempts: the server asked to wait 120s, which would pass the time budget)');
    expect(server.requests).toHaveLength(1);
  });

  test('a slow server is cut off at the deadline', async () => {
    // The server would answer 200 after 3s; only the deadline can turn that into this error.
    server.fault({ times: 5, delayMs: 3000 });
    const error = await sendWithRetry(post(), { deadline: Date.now() + 800, baseDelayMs: 50 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as Error).message).toContain('no response in time');
  });

  test('attempts are capped', async () => {
    server.fault({ times: 10, reply: { status: 500, text: 'boom' } });
    const error = await sendWithRetry(post(), { deadline: Date.now() + 20_000, maxAttempts: 3, baseDelayMs: 10 }).catch((caught: unknown) => caught);
    expect((error as Error).message).toBe('HTTP 500: boom (gave up after 3 attempts)');
    expect(server.requests).toHaveLength(3);
  });
});
