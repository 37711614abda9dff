import { Agent, request } from 'node:http';

/**
 * Continuous keep-alive load on a URL, from this process: N connections each sending GETs back to
 * back. It counts what a server-side tool counts (responses, non-2xx, connection errors) and what a
 * browser would show: a GET on a reused keep-alive connection that the server closed is retried once
 * (as browsers and HTTP clients do); only a failed retry is a user-visible failure. Versions served
 * are bucketed in time, to see when traffic moved.
 */

export interface LoadStats {
  requests: number;
  ok: number;
  non2xx: number;
  connectionErrors: number;
  /** Failures left after one retry of an idempotent request: what a user would have seen. */
  userVisibleFailures: number;
  /** Milliseconds since start → version → responses. */
  buckets: Map<number, Map<string, number>>;
  startedAt: number;
  endedAt: number;
}

export interface Load {
  stats: LoadStats;
  stop(): Promise<LoadStats>;
  /** The first moment from `since` after which every answer (until `until`) came from `version`. */
  firstAllFrom(version: string, since: number, until?: number): number | undefined;
}

const BUCKET_MS = 100;

function once(agent: Agent, url: URL): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'GET', timeout: 5000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', reject);
    });
    call.on('timeout', () => call.destroy(new Error('timeout')));
    call.on('error', reject);
    call.end();
  });
}

export function startLoad(target: string, connections = 16): Load {
  const url = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const retryAgent = new Agent({ keepAlive: false });
  const stats: LoadStats = { requests: 0, ok: 0, non2xx: 0, connectionErrors: 0, userVisibleFailures: 0, buckets: new Map(), startedAt: Date.now(), endedAt: 0 };
  let running = true;

  const record = (version: string) => {
    const bucket = Math.floor((Date.now() - stats.startedAt) / BUCKET_MS) * BUCKET_MS;
    const versions = stats.buckets.get(bucket) ?? new Map<string, number>();
    versions.set(version, (versions.get(version) ?? 0) + 1);
    stats.buckets.set(bucket, versions);
  };

  const loop = async () => {
    while (running) {
      stats.requests += 1;
      let answer: { status: number; body: string } | undefined;
      try {
        answer = await once(agent, url);
      } catch {
        stats.connectionErrors += 1;
        try {
          // Browsers retry an idempotent request that failed on a reused connection on a new one.
          answer = await once(retryAgent, url);
        } catch {
          stats.userVisibleFailures += 1;
          record('error');
          continue;
        }
      }
      if (answer.status >= 200 && answer.status < 300) {
        stats.ok += 1;
        record(/hello from (\S+)/.exec(answer.body)?.[1] ?? 'other');
      } else {
        stats.non2xx += 1;
        stats.userVisibleFailures += 1;
        record(`HTTP ${answer.status}`);
      }
    }
  };
  const loops = Array.from({ length: connections }, loop);

  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      retryAgent.destroy();
      stats.endedAt = Date.now();
      return stats;
    },
    firstAllFrom(version, since, until = Number.POSITIVE_INFINITY) {
      const start = Math.floor((since - stats.startedAt) / BUCKET_MS) * BUCKET_MS;
      const end = until - stats.startedAt;
      const buckets = [...stats.buckets.entries()].filter(([at]) => at >= start && at + BUCKET_MS <= end).sort((a, b) => a[0] - b[0]);
      for (let index = 0; index < buckets.length; index++) {
        const rest = buckets.slice(index);
        if (rest.every(([, versions]) => versions.size === 1 && versions.has(version))) return stats.startedAt + (buckets[index]?.[0] ?? 0);
      }
      return undefined;
    },
  };
}

/** Versions served per second, for a printed timeline: "t+3s v1 ██████ v2 ██". */
export function perSecond(stats: LoadStats): Array<{ second: number; versions: Record<string, number> }> {
  const seconds = new Map<number, Record<string, number>>();
  for (const [at, versions] of stats.buckets) {
    const second = Math.floor(at / 1000);
    const entry = seconds.get(second) ?? {};
    for (const [version, count] of versions) entry[version] = (entry[version] ?? 0) + count;
    seconds.set(second, entry);
  }
  return [...seconds.entries()].sort((a, b) => a[0] - b[0]).map(([second, versions]) => ({ second, versions }));
}
