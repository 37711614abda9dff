import { request } from 'node:http';
import type { Host } from './host.ts';

/**
 * Health of one color, checked directly (not through the router), so nobody is sent to it before it
 * has proved itself: N consecutive good answers within a timeout. After a switch, a watch window
 * probes it again and reports the first failure at once.
 */

export interface HealthCheck {
  path: string;
  expectStatus: number;
  /** The body must match (when given). */
  bodyPattern?: RegExp | undefined;
  successes: number;
  intervalMs: number;
  timeoutMs: number;
  requestTimeoutMs: number;
}

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

export type Probe = () => Promise<ProbeResult>;

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const MAX_BODY = 64 * 1024;

/** One GET of the health path on host:port as the host sees it (over SSH, through a tunnel). */
export async function httpProbe(host: Host, target: { host: string; port: number }, check: HealthCheck): Promise<ProbeResult> {
  const started = Date.now();
  let socket;
  try {
    socket = await host.connect(target);
  } catch (error) {
    return { ok: false, detail: `cannot connect to ${target.host}:${target.port} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` };
  }
  return new Promise((resolve) => {
    const finish = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    const call = request(
      {
        host: target.host,
        port: target.port,
        path: check.path,
        method: 'GET',
        headers: { connection: 'close', 'user-agent': 'deploy-actions-health' },
        createConnection: () => socket as never,
        timeout: check.requestTimeoutMs,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          if (body.length < MAX_BODY) body += chunk;
        });
        response.on('end', () => {
          const ms = Date.now() - started;
          if (response.statusCode !== check.expectStatus) {
            finish({ ok: false, detail: `HTTP ${response.statusCode} (expected ${check.expectStatus}) in ${ms} ms` });
          } else if (check.bodyPattern && !check.bodyPattern.test(body)) {
            finish({ ok: false, detail: `HTTP ${response.statusCode} but the body does not match ${check.bodyPattern}` });
          } else {
            finish({ ok: true, detail: `HTTP ${response.statusCode} in ${ms} ms` });
          }
        });
        response.on('error', (error) => finish({ ok: false, detail: `response broke off (${error.message})` }));
      },
    );
    call.on('timeout', () => call.destroy(new Error(`no answer within ${check.requestTimeoutMs} ms`)));
    call.on('error', (error) => finish({ ok: false, detail: (error as NodeJS.ErrnoException).code ?? error.message }));
    call.end();
  });
}

export interface GateResult {
  ok: boolean;
  attempts: number;
  elapsedMs: number;
  last: ProbeResult;
}

/** Passes after `successes` consecutive good probes; fails when the timeout runs out first. */
export async function waitHealthy(probe: Probe, check: Pick<HealthCheck, 'successes' | 'intervalMs' | 'timeoutMs'>, clock: Clock = realClock, onAttempt?: (result: ProbeResult, attempt: number) => void): Promise<GateResult> {
  const started = clock.now();
  let consecutive = 0;
  let attempts = 0;
  let last: ProbeResult = { ok: false, detail: 'not probed' };
  for (;;) {
    last = await probe();
    attempts += 1;
    onAttempt?.(last, attempts);
    consecutive = last.ok ? consecutive + 1 : 0;
    const elapsedMs = clock.now() - started;
    if (consecutive >= check.successes) return { ok: true, attempts, elapsedMs, last };
    if (elapsedMs + check.intervalMs > check.timeoutMs) return { ok: false, attempts, elapsedMs, last };
    await clock.sleep(check.intervalMs);
  }
}

/** Probes through a window after a switch; returns at the first failure, which means: switch back now. */
export async function watch(probe: Probe, windowMs: number, intervalMs: number, clock: Clock = realClock): Promise<GateResult> {
  const started = clock.now();
  let attempts = 0;
  let last: ProbeResult = { ok: true, detail: 'no window' };
  while (clock.now() - started < windowMs) {
    last = await probe();
    attempts += 1;
    if (!last.ok) return { ok: false, attempts, elapsedMs: clock.now() - started, last };
    await clock.sleep(Math.min(intervalMs, Math.max(0, windowMs - (clock.now() - started))));
  }
  return { ok: true, attempts, elapsedMs: clock.now() - started, last };
}
