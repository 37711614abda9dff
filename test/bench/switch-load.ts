/**
 * The blue-green switch under continuous keep-alive load, per router: deploy v2 and roll it back
 * instantly while clients hammer the router. Two passes per router:
 *  1. our keep-alive client (16 connections): responses, non-2xx, connection errors, failures a
 *     browser-like client would see (one retry of an idempotent GET on a reused connection the server
 *     closed), how long clients saw a mix of versions during the switch, and how long the instant
 *     rollback took to put every answer back on v1 (from the moment the rollback step started);
 *  2. wrk (Debian), the usual tool: its raw socket errors and non-2xx, no retries.
 * And the GitHub REST calls the deploy made (the record model's budget is 15).
 */
import { spawn } from 'node:child_process';
import { switchScenario } from '../sandbox/scenario.ts';
import { startSshd, which, type Sshd } from '../sandbox/servers.ts';
import { Stage } from '../sandbox/stage.ts';

export interface WrkResult {
  requests: number;
  non2xx: number;
  socketErrors: number;
  perSecond: number;
}

export function parseWrk(output: string): WrkResult {
  const requests = Number(/(\d+) requests in/.exec(output)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const socketErrors = socket ? socket.slice(1).reduce((sum, value) => sum + Number(value), 0) : 0;
  return { requests, non2xx, socketErrors, perSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? Number.NaN) };
}

function startWrk(url: string): { stop(): Promise<WrkResult> } {
  const child = spawn('wrk', ['-t2', '-c32', '-d300s', url], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', () => resolve(parseWrk(output)));
        child.kill('SIGINT');
      }),
  };
}

type Variant = { name: string; router: 'haproxy' | 'nginx'; ssh: boolean };
export const VARIANTS: Variant[] = [
  { name: 'haproxy', router: 'haproxy', ssh: false },
  { name: 'nginx', router: 'nginx', ssh: false },
  { name: 'haproxy over SSH', router: 'haproxy', ssh: true },
  { name: 'nginx over SSH', router: 'nginx', ssh: true },
];

async function stageFor(variant: Variant, sshd: Sshd | undefined): Promise<Stage> {
  const stage = await Stage.create(variant.router, {}, { runtime: variant.ssh ? 'unix' : 'tcp' });
  if (variant.ssh && sshd) {
    stage.sshInputs = { 'ssh-host': sshd.host, 'ssh-port': String(sshd.port), 'ssh-user': sshd.user, 'ssh-private-key': sshd.privateKey, 'ssh-known-hosts': sshd.knownHosts };
  }
  return stage;
}

export async function benchSwitchUnderLoad(variants = VARIANTS): Promise<string[][]> {
  const rows: string[][] = [];
  const needsSsh = variants.some((variant) => variant.ssh);
  const sshd = needsSsh ? await startSshd() : undefined;
  try {
    for (const variant of variants) {
      // Pass 1: our browser-like client.
      let stage = await stageFor(variant, sshd);
      const browserLike = await switchScenario(stage).finally(() => stage.stop());
      // Pass 2: wrk from Debian, raw errors (no retries).
      let wrk: WrkResult | undefined;
      if (which('wrk')) {
        stage = await stageFor(variant, sshd);
        let running: { stop(): Promise<WrkResult> } | undefined;
        await switchScenario(stage, { connections: 0, after: async (step) => {
          if (step === 'v1') running = startWrk(stage.url);
        } }).finally(async () => {
          wrk = await running?.stop();
          await stage.stop();
        });
      }
      const { stats } = browserLike;
      const seconds = (stats.endedAt - stats.startedAt) / 1000;
      rows.push([
        variant.name,
        `${stats.requests} (${Math.round(stats.requests / seconds)}/s)`,
        String(stats.non2xx),
        String(stats.connectionErrors),
        String(stats.userVisibleFailures),
        wrk ? `${wrk.requests} (${Math.round(wrk.perSecond)}/s)` : 'wrk not installed',
        wrk ? String(wrk.non2xx) : '',
        wrk ? String(wrk.socketErrors) : '',
        browserLike.switchMs === undefined ? '?' : `≤ ${browserLike.switchMs + 100} ms`,
        browserLike.rollbackMs === undefined ? '?' : `${browserLike.rollbackMs} ms`,
        String(browserLike.deployApiCalls),
      ]);
    }
  } finally {
    await sshd?.stop();
  }
  return rows;
}

export const SWITCH_HEADER = [
  'router',
  'requests (browser-like client)',
  'non-2xx',
  'connection errors (raw)',
  'failures a browser would see',
  'requests (wrk)',
  'wrk non-2xx',
  'wrk socket errors',
  'mixed versions during the switch',
  'instant rollback: step start → all v1',
  'GitHub calls per deploy',
];
