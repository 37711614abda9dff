import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

/**
 * Real servers for tests and the demo, each on 127.0.0.1 with free ports, in its own temporary
 * folder, stopped by stop(): HAProxy and nginx from Debian, and the sandbox service.
 */

export const SANDBOX = resolve(import.meta.dirname);
export const SERVICE = join(SANDBOX, 'service.ts');

/**
 * A free port for a server of ours, below the kernel's ephemeral range (32768-60999 on Linux): ports
 * in that range are also handed to outgoing connections, and with thousands of client connections in
 * the tests one could take a port between our choosing it and the server binding it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolvePort) => {
      const server = createServer();
      server.unref();
      server.once('error', () => resolvePort(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolvePort(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port between 20000 and 32000');
}

export function which(program: string): string | undefined {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/sbin', '/usr/local/bin', ...(process.env['PATH'] ?? '').split(':')]) {
    const path = join(dir, program);
    if (existsSync(path)) return path;
  }
  return undefined;
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
}

async function portOpen(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolveOpen) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveOpen(true);
    });
    socket.once('error', () => resolveOpen(false));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    child.once('exit', () => resolveStop());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

export interface Colors {
  blue: number;
  green: number;
}

/**
 * Shell commands that start and stop the sandbox service the way a user's start-command would:
 * started in the background with its output in a file, stopped through its pid file. `versions`
 * gives some versions their own behaviour (LATENCY_MS, ERROR_RATE, HEALTHY, UNHEALTHY_AFTER_MS).
 */
export function serviceCommands(dir: string, versions: Record<string, Record<string, string>> = {}, every: Record<string, string> = {}): { start: string; stop: string } {
  const defaults = Object.entries(every).map(([key, value]) => `export ${key}='${value}'; `).join('');
  const cases = Object.entries(versions)
    .map(([version, env]) => `${version}) export ${Object.entries(env).map(([key, value]) => `${key}='${value}'`).join(' ')};;`)
    .join(' ');
  return {
    start:
      defaults +
      `${cases ? `case "$VERSION" in ${cases} esac; ` : ''}` +
      // Replace whatever still runs on this color (an older version kept for the way back), as
      // `systemctl restart app@$COLOR` would; then wait for it to let go of the port.
      `if [ -f "${dir}/$COLOR.pid" ]; then old=$(cat "${dir}/$COLOR.pid"); rm -f "${dir}/$COLOR.pid"; kill "$old" 2>/dev/null; ` +
      `for i in $(seq 1 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.05; done; fi; ` +
      `PIDFILE="${dir}/$COLOR.pid" "${process.execPath}" "${SERVICE}" > "${dir}/$COLOR-$VERSION.log" 2>&1 & ` +
      // Wait for the pid file so a quick health check does not race the listener.
      `for i in $(seq 1 100); do [ -s "${dir}/$COLOR.pid" ] && exit 0; sleep 0.05; done; echo "service did not start" >&2; exit 1`,
    stop: `if [ -f "${dir}/$COLOR.pid" ]; then kill $(cat "${dir}/$COLOR.pid") 2>/dev/null; rm -f "${dir}/$COLOR.pid"; fi; exit 0`,
  };
}

export interface RunningService {
  port: number;
  stop(): Promise<void>;
}

export async function startService(port: number, env: Record<string, string>): Promise<RunningService> {
  const child = spawn(process.execPath, [SERVICE], { env: { ...process.env, PORT: String(port), ...env }, stdio: 'ignore' });
  await waitFor(() => portOpen(port), `the service on ${port}`);
  return { port, stop: () => stopChild(child) };
}

export interface Haproxy {
  url: string;
  configPath: string;
  runtime: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startHaproxy(options: { colors: Colors; runtime?: 'tcp' | 'unix'; weights?: Colors; check?: boolean }): Promise<Haproxy> {
  const binary = which('haproxy');
  if (!binary) throw new Error('haproxy is not installed (Debian package haproxy; .ci/run installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-haproxy-'));
  const frontend = await freePort();
  const runtime = options.runtime === 'unix' ? join(dir, 'admin.sock') : `127.0.0.1:${await freePort()}`;
  const weights = options.weights ?? { blue: 100, green: 0 };
  const check = options.check === false ? '' : ' check inter 300ms rise 2 fall 2';
  const configPath = join(dir, 'haproxy.cfg');
  writeFileSync(
    configPath,
    [
      'global',
      `  stats socket ${options.runtime === 'unix' ? runtime : `ipv4@${runtime}`} mode 600 level admin`,
      `  pidfile ${dir}/haproxy.pid`,
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  option http-keep-alive',
      '  retries 2',
      '  option redispatch',
      'frontend web',
      `  bind 127.0.0.1:${frontend}`,
      '  default_backend app',
      'backend app',
      '  balance roundrobin',
      `  server blue 127.0.0.1:${options.colors.blue} weight ${weights.blue}${check}`,
      `  server green 127.0.0.1:${options.colors.green} weight ${weights.green}${check}`,
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-f', configPath, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitFor(() => child.exitCode === null && portOpen(frontend), `haproxy (${stderr})`);
  return {
    url: `http://127.0.0.1:${frontend}`,
    configPath,
    runtime,
    dir,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Nginx {
  url: string;
  prefix: string;
  configPath: string;
  upstreamFile: string;
  stop(): Promise<void>;
}

/**
 * nginx as an ordinary user would run it for a test: its own prefix, a free port, a config that
 * includes the upstream file the action owns. The file is written here once (all on blue) because
 * nginx refuses to start on an include that does not exist.
 */
export async function startNginx(options: { colors: Colors; initial?: 'blue' | 'none' }): Promise<Nginx> {
  const binary = which('nginx');
  if (!binary) throw new Error('nginx is not installed (Debian package nginx-light; .ci/run installs it)');
  const prefix = mkdtempSync(join(tmpdir(), 'sandbox-nginx-'));
  chmodSync(prefix, 0o755);
  for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(prefix, temp));
    chmodSync(join(prefix, temp), 0o777);
  }
  const port = await freePort();
  const upstreamFile = join(prefix, 'upstream.conf');
  const initial = options.initial ?? 'blue';
  writeFileSync(
    upstreamFile,
    [
      '# Managed by deploy-actions deploy-bluegreen: rewritten on every traffic change.',
      'upstream app {',
      `    server 127.0.0.1:${options.colors.blue} ${initial === 'blue' ? 'weight=100' : 'down'}; # blue`,
      `    server 127.0.0.1:${options.colors.green} down; # green`,
      '    keepalive 16;',
      '}',
      '',
    ].join('\n'),
  );
  const configPath = join(prefix, 'nginx.conf');
  writeFileSync(
    configPath,
    [
      // Workers of a root master would run as nobody; one worker keeps test logs simple.
      'worker_processes 1;',
      `pid ${prefix}/nginx.pid;`,
      `error_log ${prefix}/error.log warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${prefix}/client_body;`,
      `  proxy_temp_path ${prefix}/proxy;`,
      `  fastcgi_temp_path ${prefix}/fastcgi;`,
      `  uwsgi_temp_path ${prefix}/uwsgi;`,
      `  scgi_temp_path ${prefix}/scgi;`,
      `  include ${upstreamFile};`,
      '  server {',
      `    listen 127.0.0.1:${port};`,
      '    location / {',
      '      proxy_pass http://app;',
      '      proxy_http_version 1.1;',
      '      proxy_set_header Connection "";',
      '      proxy_next_upstream error timeout http_502;',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const test = spawnSync(binary, ['-p', prefix, '-c', configPath, '-t', '-q'], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t failed: ${test.stderr}`);
  const child = spawn(binary, ['-p', prefix, '-c', configPath, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitFor(() => child.exitCode === null && portOpen(port), `nginx on ${port}`);
  return {
    url: `http://127.0.0.1:${port}`,
    prefix,
    configPath,
    upstreamFile,
    stop: async () => {
      await stopChild(child);
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

export function readPid(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export interface Sshd {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  /** The known_hosts line for this server, as ssh-keyscan would print it. */
  knownHosts: string;
  dir: string;
  /** Drops every open connection (the listener stays up): what a network blip does. */
  dropConnections(): void;
  stop(): Promise<void>;
}

/**
 * A real OpenSSH server (Debian openssh-server) on a free loopback port with its own config, host
 * key and authorized key: key auth only, SFTP, TCP and unix-socket forwarding allowed.
 */
export async function startSshd(): Promise<Sshd> {
  const binary = which('sshd');
  const keygen = which('ssh-keygen');
  if (!binary || !keygen) throw new Error('sshd is not installed (Debian package openssh-server; .ci/run installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-sshd-'));
  const { userInfo } = await import('node:os');
  const user = userInfo().username;
  for (const name of ['host_ed25519', 'client_ed25519']) {
    const made = spawnSync(keygen, ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, name)], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`ssh-keygen failed: ${made.stderr}`);
  }
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_ed25519.pub')));
  chmodSync(join(dir, 'authorized_keys'), 0o600);
  // Debian's sshd insists on its privilege separation directory.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding yes',
      'AllowStreamLocalForwarding yes',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitFor(() => child.exitCode === null && portOpen(port), `sshd on ${port} (${stderr})`);
  const hostKey = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  return {
    host: '127.0.0.1',
    port,
    user,
    privateKey: readFileSync(join(dir, 'client_ed25519'), 'utf8'),
    knownHosts: `[127.0.0.1]:${port} ${hostKey}`,
    dir,
    dropConnections: () => {
      // Each connection is served by its own child of the listener; killing them drops the sessions.
      spawnSync('pkill', ['-KILL', '-P', String(child.pid)]);
    },
    stop: async () => {
      spawnSync('pkill', ['-KILL', '-P', String(child.pid)]);
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Prometheus {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Prometheus from Debian on a free loopback port: scraping `targets` (job → host:port list) every
 * `scrapeSeconds`, and, when `openMetrics` is given, with that history backfilled first through
 * `promtool tsdb create-blocks-from openmetrics` (samples must lie in the past).
 */
export async function startPrometheus(options: { targets?: Record<string, string[]>; scrapeSeconds?: number; openMetrics?: string } = {}): Promise<Prometheus> {
  const binary = which('prometheus');
  const promtool = which('promtool');
  if (!binary || !promtool) throw new Error('prometheus is not installed (Debian package prometheus; npm test installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-prometheus-'));
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  if (options.openMetrics) {
    writeFileSync(join(dir, 'history.om'), options.openMetrics);
    const made = spawnSync(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'history.om'), dataDir], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`promtool could not backfill: ${made.stderr || made.stdout}`);
  }
  const scrape = `${options.scrapeSeconds ?? 1}s`;
  const config = {
    global: { scrape_interval: scrape, evaluation_interval: scrape },
    scrape_configs: Object.entries(options.targets ?? {}).map(([job, targets]) => ({ job_name: job, scrape_interval: scrape, static_configs: [{ targets }] })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const child = spawn(binary, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=30d', '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
    try {
      return (await fetch(`${url}/-/ready`)).status === 200;
    } catch {
      return false;
    }
  }, 'prometheus to be ready', 30_000);
  return {
    url,
    dataDir,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Azurite {
  /** The blob endpoint of the emulator's account, e.g. http://127.0.0.1:PORT/devstoreaccount1. */
  blobUrl: string;
  account: string;
  /** The emulator's published well-known account key (not a secret: every Azurite has it). */
  accountKey: string;
  stop(): Promise<void>;
}

/**
 * Azurite, Microsoft's Azure Storage emulator (npm azurite), as the blob store behind the cache
 * service double's signed URLs. Telemetry off (the network is closed), API version checks off (the
 * Azure SDK in @actions/cache may be newer than the emulator), blobs in a temporary folder.
 */
export async function startAzurite(): Promise<Azurite> {
  const binary = join(SANDBOX, '../../node_modules/.bin/azurite-blob');
  if (!existsSync(binary)) throw new Error('azurite is not installed (npm devDependency azurite; run npm ci)');
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-azurite-'));
  const port = await freePort();
  const child = spawn(binary, ['--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', dir, '--silent', '--disableTelemetry', '--skipApiVersionCheck', '--loose'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`azurite exited: ${stderr}`);
    return portOpen(port);
  }, 'azurite to listen', 30_000);
  return {
    blobUrl: `http://127.0.0.1:${port}/devstoreaccount1`,
    account: 'devstoreaccount1',
    accountKey: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Pushgateway {
  url: string;
  /** host:port, for a Prometheus scrape target. */
  address: string;
  stop(): Promise<void>;
}

/** Prometheus' Pushgateway from Debian (prometheus-pushgateway) on a free loopback port, in memory. */
export async function startPushgateway(): Promise<Pushgateway> {
  const binary = which('prometheus-pushgateway');
  if (!binary) throw new Error('prometheus-pushgateway is not installed (Debian package prometheus-pushgateway; npm test installs it)');
  const port = await freePort();
  const child = spawn(binary, [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`prometheus-pushgateway exited: ${stderr}`);
    try {
      return (await fetch(`${url}/-/ready`)).status === 200;
    } catch {
      return false;
    }
  }, 'the pushgateway to be ready', 30_000);
  return { url, address: `127.0.0.1:${port}`, stop: () => stopChild(child) };
}
