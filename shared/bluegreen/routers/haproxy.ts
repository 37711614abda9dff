import { UserError } from '../../errors.ts';
import { describeTarget, type SocketTarget } from '../host.ts';
import { describeSplit, normalize, RouterError, type Color, type Endpoint, type Split } from '../traffic.ts';
import { HostedRouter, lastLines, type HostedOptions } from './hosted.ts';

/**
 * HAProxy: weights through the runtime API (admin socket or TCP), no reload, so no connection is
 * dropped. The config file on disk is rewritten to the same weights (checked with `haproxy -c`
 * first), so a restart keeps the state.
 */

export interface HaproxyOptions extends HostedOptions {
  runtime: SocketTarget;
  backend: string;
  servers: Record<Color, string>;
  /** haproxy.cfg to keep in step with the runtime weights; optional. */
  configPath?: string | undefined;
  binary: string;
}

export interface ServerState {
  name: string;
  address: string;
  port: number;
  /** 0 stopped, 1 starting, 2 running, 3 stopping (HAProxy's srv_op_state). */
  operational: number;
  /** Non-zero when in maintenance (srv_admin_state flags). */
  admin: number;
  weight: number;
}

/** Parses `show servers state <backend>` (format version 1). */
export function parseServersState(text: string, backend: string): ServerState[] {
  const lines = text.split('\n').map((line) => line.trim());
  const header = lines.find((line) => line.startsWith('# be_id'));
  if (!header) throw new Error(`unexpected answer to "show servers state": ${text.slice(0, 200)}`);
  const columns = header.slice(2).split(' ');
  const at = (fields: string[], name: string) => fields[columns.indexOf(name)] ?? '';
  return lines
    .filter((line) => line !== '' && !line.startsWith('#') && line !== '1')
    .map((line) => line.split(' '))
    .filter((fields) => at(fields, 'be_name') === backend)
    .map((fields) => ({
      name: at(fields, 'srv_name'),
      address: at(fields, 'srv_addr'),
      port: Number(at(fields, 'srv_port')),
      operational: Number(at(fields, 'srv_op_state')),
      admin: Number(at(fields, 'srv_admin_state')),
      weight: Number(at(fields, 'srv_uweight')),
    }));
}

const SECTION = /^(global|defaults|frontend|backend|listen|resolvers|peers|userlist|mailers|program|http-errors|ring|cache)\b/;

/**
 * The config with the two servers' weights set in `backend <name>`. Only `weight N` on those two
 * `server` lines changes; everything else is left as the user wrote it.
 */
export function rewriteConfigWeights(config: string, backend: string, servers: Record<Color, string>, weights: Split): string {
  const lines = config.split('\n');
  let inBackend = false;
  let sawBackend = false;
  const seen = new Set<Color>();
  const out = lines.map((line) => {
    if (SECTION.test(line)) {
      inBackend = new RegExp(`^(backend|listen)\\s+${backend.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s|$)`).test(line);
      sawBackend ||= inBackend;
      return line;
    }
    if (!inBackend) return line;
    const match = /^(\s*server\s+)(\S+)(\s.*)?$/.exec(line);
    const color = match ? (Object.keys(servers) as Color[]).find((key) => servers[key] === match[2]) : undefined;
    if (!match || !color) return line;
    seen.add(color);
    const rest = match[3] ?? '';
    const weight = String(Math.round(weights[color]));
    const updated = /\sweight\s+\d+/.test(rest) ? rest.replace(/(\sweight\s+)\d+/, `$1${weight}`) : `${rest} weight ${weight}`;
    return `${match[1]}${match[2]}${updated}`;
  });
  if (!sawBackend) throw new UserError(`input "haproxy-config": no "backend ${backend}" section in the file`);
  for (const color of ['blue', 'green'] as const) {
    if (!seen.has(color)) throw new UserError(`input "haproxy-config": backend ${backend} has no "server ${servers[color]}" line (the ${color} server)`);
  }
  return out.join('\n');
}

export class HaproxyRouter extends HostedRouter {
  readonly kind = 'haproxy';
  readonly #haproxy: HaproxyOptions;

  constructor(options: HaproxyOptions) {
    super(options);
    this.#haproxy = options;
  }

  /** One connection, one line of `;`-separated commands, one answer per command (each ends with a blank line). */
  async runtime(commands: string[]): Promise<string[]> {
    const target = this.#haproxy.runtime;
    let socket;
    try {
      socket = await this.host.connect(target);
    } catch (error) {
      throw new UserError(`cannot reach HAProxy's runtime API at ${describeTarget(target)} on ${this.host.label}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    const text = await new Promise<string>((resolve, reject) => {
      let answer = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('end', () => resolve(answer));
      socket.on('close', () => resolve(answer));
      socket.on('error', reject);
      socket.end(`${commands.join('; ')}\n`);
    });
    const answers = text.replace(/\n+$/, '').split('\n\n');
    return commands.map((_, index) => (answers[index] ?? '').trim());
  }

  async servers(): Promise<Record<Color, ServerState>> {
    const [answer = ''] = await this.runtime([`show servers state ${this.#haproxy.backend}`]);
    if (/^(Can't find|No such) backend/i.test(answer)) throw new UserError(`input "haproxy-backend": HAProxy has no backend "${this.#haproxy.backend}"`);
    const states = parseServersState(answer, this.#haproxy.backend);
    const pick = (color: Color) => {
      const found = states.find((state) => state.name === this.#haproxy.servers[color]);
      if (!found) throw new UserError(`input "haproxy-${color}-server": backend ${this.#haproxy.backend} has no server "${this.#haproxy.servers[color]}"`);
      return found;
    };
    return { blue: pick('blue'), green: pick('green') };
  }

  async read(): Promise<Split> {
    const servers = await this.servers();
    const routable = (state: ServerState) => (state.admin === 0 ? state.weight : 0);
    return normalize({ blue: routable(servers.blue), green: routable(servers.green) });
  }

  /** Addresses read from HAProxy once per run: health probes would otherwise ask before every probe. */
  readonly #endpoints = new Map<Color, Endpoint>();

  override async endpoint(color: Color): Promise<Endpoint> {
    const given = this.options.addresses[color] ?? this.#endpoints.get(color);
    if (given) return given;
    const state = (await this.servers())[color];
    const endpoint = { host: state.address, port: state.port };
    this.#endpoints.set(color, endpoint);
    return endpoint;
  }

  /** The weights to write: the color gaining traffic is raised before the other is lowered. */
  #commands(split: Split, before: Split): string[] {
    const { backend, servers } = this.#haproxy;
    const order: Color[] = split.blue > before.blue ? ['blue', 'green'] : ['green', 'blue'];
    return order.map((color) => `set weight ${backend}/${servers[color]} ${Math.round(split[color])}`);
  }

  async #writeConfig(split: Split): Promise<string | undefined> {
    const path = this.#haproxy.configPath;
    if (!path) return undefined;
    const old = await this.host.readFile(path);
    if (old === undefined) throw new UserError(`input "haproxy-config": ${path} does not exist on ${this.host.label}`);
    const updated = rewriteConfigWeights(old, this.#haproxy.backend, this.#haproxy.servers, split);
    const candidate = `${path}.deploy-actions-check`;
    await this.host.writeFileAtomic(candidate, updated);
    const check = await this.host.exec(this.#haproxy.binary, ['-c', '-f', candidate]);
    if (check.exitCode !== 0) {
      await this.host.removeFile(candidate);
      throw new RouterError(`haproxy -c refused the updated ${path}: ${lastLines(check.stderr || check.stdout)}; nothing was changed`, true);
    }
    await this.host.writeFileAtomic(path, updated);
    await this.host.removeFile(candidate);
    return old;
  }

  async apply(split: Split, before: Split): Promise<void> {
    const oldConfig = await this.#writeConfig(split);
    const answers = await this.runtime(this.#commands(split, before)).catch((error: unknown) => [String((error as Error).message)]);
    const refused = answers.filter((answer) => answer !== '');
    if (refused.length === 0) return;
    // Put back what was there: runtime weights, then the file.
    const restoredAnswers = await this.runtime(this.#commands(before, split)).catch(() => ['unreachable']);
    if (oldConfig !== undefined && this.#haproxy.configPath) await this.host.writeFileAtomic(this.#haproxy.configPath, oldConfig);
    const restored = restoredAnswers.every((answer) => answer === '');
    throw new RouterError(
      `HAProxy refused the new weights (${refused.join('; ')}); ${restored ? `restored ${describeSplit(before)}` : 'COULD NOT restore the previous weights'}`,
      restored,
    );
  }

  /** HAProxy's own health checks must see the server up before it is given traffic. */
  override async ready(color: Color, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = (await this.servers())[color];
      if (state.admin !== 0) throw new UserError(`HAProxy has server ${state.name} in maintenance (admin state ${state.admin}): enable it first`);
      if (state.operational === 2) return;
      if (Date.now() > deadline) {
        throw new UserError(`HAProxy's own checks have not marked server ${state.name} up within ${Math.round(timeoutMs / 1000)}s (state ${state.operational})`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
