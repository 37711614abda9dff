import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError, UserError } from '../errors.ts';
import type { Inputs } from '../inputs.ts';
import { isGood, type DeploymentRecords } from '../deployments.ts';
import { loadLibrary } from '../library.ts';
import type { HealthCheck } from './health.ts';
import type { KubernetesOptions } from './routers/kubernetes.ts';
import { LocalHost, parseSocketTarget, type Host, type SocketTarget } from './host.ts';
import { CommandRouter } from './routers/command.ts';
import { HaproxyRouter } from './routers/haproxy.ts';
import { NginxRouter } from './routers/nginx.ts';
import { splitFor, type Color, type Endpoint, type Router, type Split } from './traffic.ts';

/**
 * The inputs deploy-bluegreen and rollback share (the router, the colors, the health gate, SSH, the
 * record options), parsed once and validated before anything changes.
 */

export const ROUTERS = ['haproxy', 'nginx', 'kubernetes', 'command'] as const;
export type RouterKind = (typeof ROUTERS)[number];

/** Inputs holding credentials in either action. */
export const BLUEGREEN_SECRET_INPUTS = ['github-token', 'ssh-private-key', 'kubeconfig'] as const;

export interface SshSpec {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  knownHosts: string;
}

export interface CommonConfig {
  environment: string;
  router: RouterKind;
  addresses: Partial<Record<Color, Endpoint>>;
  startCommand?: string | undefined;
  stopCommand?: string | undefined;
  smokeCommand?: string | undefined;
  health: HealthCheck;
  watchWindowMs: number;
  drainMs: number;
  haproxy?: { runtime: SocketTarget; backend: string; servers: Record<Color, string>; configPath?: string | undefined; binary: string };
  nginx?: { upstreamFile: string; upstreamName: string; configPath?: string | undefined; prefix?: string | undefined; binary: string; keepalive: number };
  command?: { routeCommand: string; stateCommand?: string | undefined };
  kubernetes?: Omit<KubernetesOptions, 'environment'>;
  ssh?: SshSpec | undefined;
  githubToken: string;
  environmentUrl?: string | undefined;
  productionEnvironment?: boolean | undefined;
  transientEnvironment: boolean;
  lockTimeoutMs: number;
  requiredContexts?: string[] | undefined;
}

function address(inputs: Inputs, name: string): Endpoint | undefined {
  const value = inputs.string(name);
  if (value === undefined) return undefined;
  const target = parseSocketTarget(value);
  if (!target || 'path' in target) return inputs.fail(name, value, 'host:port, such as 127.0.0.1:8081 (as the router host sees it)');
  return target;
}

function pattern(inputs: Inputs, name: string): RegExp | undefined {
  const value = inputs.string(name);
  if (value === undefined) return undefined;
  try {
    return new RegExp(value);
  } catch (error) {
    return inputs.fail(name, value, `a regular expression (${(error as Error).message})`);
  }
}

/** A known_hosts line: [host] keytype base64-key. */
export const KNOWN_HOSTS_LINE = /^\S+\s+(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\s+[A-Za-z0-9+/]+=*(\s.*)?$/;

function parseSsh(inputs: Inputs): SshSpec | undefined {
  const host = inputs.string('ssh-host');
  if (!host) {
    for (const name of ['ssh-user', 'ssh-private-key', 'ssh-known-hosts']) {
      if (inputs.isSet(name)) throw new InputError(name, 'is set but ssh-host is not: give ssh-host to work on a remote host');
    }
    return undefined;
  }
  const user = inputs.required('ssh-user');
  const privateKey = inputs.required('ssh-private-key');
  if (!/-----BEGIN (OPENSSH|RSA|EC) PRIVATE KEY-----/.test(privateKey)) {
    inputs.fail('ssh-private-key', privateKey, 'a private key in OpenSSH or PEM format (-----BEGIN OPENSSH PRIVATE KEY-----)');
  }
  const knownHosts = inputs.string('ssh-known-hosts');
  if (!knownHosts) {
    throw new InputError('ssh-known-hosts', 'is required with ssh-host: the host key is always checked (get the line with ssh-keyscan, verify it out of band)');
  }
  const lines = knownHosts.split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  for (const line of lines) {
    if (!KNOWN_HOSTS_LINE.test(line)) inputs.fail('ssh-known-hosts', line, 'known_hosts lines: "<host> <key type> <base64 key>", as ssh-keyscan prints them');
  }
  return { host, port: inputs.integer('ssh-port', { fallback: 22, min: 1, max: 65_535 }) as number, user, privateKey, knownHosts: lines.join('\n') };
}

export function readCommonConfig(inputs: Inputs, needs: { startCommand: boolean }): CommonConfig {
  const router = inputs.choice('router', ROUTERS);
  const health: HealthCheck = {
    path: inputs.string('health-path') ?? '/healthz',
    expectStatus: inputs.integer('health-status', { fallback: 200, min: 100, max: 599 }) as number,
    bodyPattern: pattern(inputs, 'health-body'),
    successes: inputs.integer('health-successes', { fallback: 3, min: 1, max: 100 }) as number,
    intervalMs: inputs.duration('health-interval', '1s', { min: 100, max: 60_000 }),
    timeoutMs: inputs.duration('health-timeout', '60s', { min: 1000, max: 60 * 60_000 }),
    requestTimeoutMs: inputs.duration('health-request-timeout', '2s', { min: 100, max: 60_000 }),
  };
  if (!health.path.startsWith('/')) inputs.fail('health-path', health.path, 'a path starting with /');
  const config: CommonConfig = {
    environment: inputs.required('environment'),
    router,
    addresses: { blue: address(inputs, 'blue-address'), green: address(inputs, 'green-address') },
    startCommand: inputs.string('start-command'),
    stopCommand: inputs.string('stop-command'),
    smokeCommand: inputs.string('smoke-command'),
    health,
    watchWindowMs: inputs.duration('post-switch-window', '10s', { min: 0, max: 60 * 60_000 }),
    drainMs: inputs.duration('drain-time', '5s', { min: 0, max: 60 * 60_000 }),
    ssh: parseSsh(inputs),
    githubToken: inputs.required('github-token'),
    environmentUrl: inputs.urlAsWritten('environment-url'),
    transientEnvironment: inputs.boolean('transient-environment', false),
    lockTimeoutMs: inputs.duration('lock-timeout', '30m', { min: 60_000, max: 24 * 3_600_000 }),
  };
  if (inputs.isSet('production-environment')) config.productionEnvironment = inputs.boolean('production-environment', false);
  if (inputs.isSet('required-contexts')) config.requiredContexts = inputs.list('required-contexts');

  const hosted = router !== 'kubernetes';
  if (hosted && needs.startCommand && !config.startCommand) {
    throw new InputError('start-command', `is required with router ${router}: it starts the new version on the idle color (COLOR, PORT, VERSION in its environment)`);
  }
  if (router === 'haproxy') {
    const runtimeText = inputs.required('haproxy-runtime-api');
    const runtime = parseSocketTarget(runtimeText) ?? inputs.fail('haproxy-runtime-api', runtimeText, 'the admin socket path (/run/haproxy/admin.sock) or host:port of a stats socket with level admin');
    config.haproxy = {
      runtime,
      backend: inputs.string('haproxy-backend') ?? 'app',
      servers: { blue: inputs.string('haproxy-blue-server') ?? 'blue', green: inputs.string('haproxy-green-server') ?? 'green' },
      configPath: inputs.string('haproxy-config'),
      binary: inputs.string('haproxy-binary') ?? 'haproxy',
    };
  }
  if (router === 'nginx' || router === 'command') {
    for (const color of ['blue', 'green'] as const) {
      if (!config.addresses[color]) throw new InputError(`${color}-address`, `is required with router ${router}: host:port where ${color} listens, as the router host sees it`);
    }
  }
  if (router === 'nginx') {
    config.nginx = {
      upstreamFile: inputs.required('nginx-upstream-file'),
      upstreamName: inputs.string('nginx-upstream-name') ?? 'app',
      configPath: inputs.string('nginx-config'),
      prefix: inputs.string('nginx-prefix'),
      binary: inputs.string('nginx-binary') ?? 'nginx',
      keepalive: inputs.integer('nginx-keepalive', { fallback: 16, min: 0, max: 10_000 }) as number,
    };
    if (!/^[\w-]+$/.test(config.nginx.upstreamName)) inputs.fail('nginx-upstream-name', config.nginx.upstreamName, 'an nginx upstream name (letters, digits, - and _)');
  }
  if (router === 'command') {
    config.command = { routeCommand: inputs.required('route-command'), stateCommand: inputs.string('state-command') };
  }
  if (router === 'kubernetes') {
    const dns = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
    const name = (input: string, required: boolean) => {
      const value = required ? inputs.required(input) : inputs.string(input);
      if (value !== undefined && (!dns.test(value) || value.length > 63)) inputs.fail(input, value, 'a Kubernetes name (lower-case letters, digits and -, at most 63)');
      return value;
    };
    config.kubernetes = {
      kubeconfig: inputs.required('kubeconfig'),
      namespace: name('kubernetes-namespace', false),
      manifests: inputs.required('kubernetes-manifests'),
      name: name('kubernetes-name', true) as string,
      container: inputs.string('kubernetes-container'),
      service: name('kubernetes-service', true) as string,
      previewService: name('kubernetes-preview-service', false),
      httpRoute: name('kubernetes-http-route', false),
      previewUrl: inputs.urlAsWritten('kubernetes-preview-url'),
      rolloutTimeoutMs: inputs.duration('kubernetes-rollout-timeout', '10m', { min: 5000, max: 6 * 3_600_000 }),
    };
  }
  return config;
}

const CANARY_DESCRIPTION = /^canary: .* on (blue|green) takes (\d+(?:\.\d+)?)%$/;

/**
 * The split our records say is in force, for a command router without state-command: the newest
 * blue-green deployment's color at 100% once it succeeded, or its canary share while in progress.
 */
export async function recordedSplit(records: DeploymentRecords, environment: string): Promise<Split> {
  for (const deployment of await records.list(environment, 1, 10)) {
    const color = deployment.payload?.color as Color | undefined;
    if (!color || deployment.payload?.strategy !== 'bluegreen') continue;
    const statuses = await records.statuses(deployment.id);
    const latest = statuses[0];
    if (latest?.state === 'in_progress') {
      const canary = statuses.map((status) => CANARY_DESCRIPTION.exec(status.description)).find(Boolean);
      const previous = deployment.payload?.previousColor as Color | undefined;
      if (canary && previous) return splitFor(canary[1] as Color, Number(canary[2]));
      continue;
    }
    if (isGood(statuses)) return splitFor(color, 100);
  }
  return { blue: 0, green: 0 };
}

export async function openHost(ssh: SshSpec | undefined): Promise<Host> {
  if (!ssh) return new LocalHost();
  // ssh2's Emscripten-built poly1305 reads __dirname (only to name a script folder: its wasm is
  // inlined); ES modules have none, so it is defined before the SSH code runs.
  const scope = globalThis as { __dirname?: string };
  scope.__dirname ??= dirname(fileURLToPath(import.meta.url));
  const { SshHost } = await loadLibrary<typeof import('./ssh.ts')>('ssh', './ssh.ts', import.meta.url);
  return SshHost.connect(ssh);
}

export async function createRouter(config: CommonConfig, records: DeploymentRecords): Promise<Router> {
  if (config.router === 'kubernetes') {
    const { KubernetesRouter } = await loadLibrary<typeof import('./routers/kubernetes.ts')>('kubernetes', './routers/kubernetes.ts', import.meta.url);
    return new KubernetesRouter({ ...(config.kubernetes as NonNullable<CommonConfig['kubernetes']>), environment: config.environment });
  }
  const host = await openHost(config.ssh);
  const hosted = { host, environment: config.environment, addresses: config.addresses, startCommand: config.startCommand, stopCommand: config.stopCommand };
  switch (config.router) {
    case 'haproxy':
      return new HaproxyRouter({ ...hosted, ...(config.haproxy as NonNullable<CommonConfig['haproxy']>) });
    case 'nginx':
      return new NginxRouter({ ...hosted, ...(config.nginx as NonNullable<CommonConfig['nginx']>) });
    case 'command':
      return new CommandRouter({ ...hosted, ...(config.command as NonNullable<CommonConfig['command']>), recordedSplit: () => recordedSplit(records, config.environment) });
    default:
      throw new UserError(`router ${config.router} is not available`);
  }
}
