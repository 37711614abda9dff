import { UserError } from '../../errors.ts';
import { describeSplit, RouterError, type Color, type Endpoint, type Split } from '../traffic.ts';
import { HostedRouter, lastLines, type HostedOptions } from './hosted.ts';

/**
 * nginx: an upstream include file the action owns (both colors, weighted; a color without traffic is
 * `down`), checked with `nginx -t` before a graceful reload (old workers finish their requests). When
 * the check or the reload fails, the previous file is put back.
 */

export interface NginxOptions extends HostedOptions {
  upstreamFile: string;
  upstreamName: string;
  binary: string;
  /** -c for nginx -t and -s reload, when nginx does not use its default config. */
  configPath?: string | undefined;
  /** -p, when nginx runs with its own prefix (an unprivileged nginx). */
  prefix?: string | undefined;
  keepalive: number;
}

const MARKER = '# Managed by deploy-actions deploy-bluegreen: rewritten on every traffic change.';

/** The upstream block for a split. nginx weights must be at least 1, so no traffic is `down`. */
export function renderUpstream(name: string, addresses: Record<Color, Endpoint>, split: Split, keepalive: number): string {
  const server = (color: Color) => {
    const { host, port } = addresses[color];
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const weight = Math.round(split[color]);
    return `    server ${address} ${weight > 0 ? `weight=${weight}` : 'down'}; # ${color}`;
  };
  const lines = [MARKER, `upstream ${name} {`, server('blue'), server('green')];
  if (keepalive > 0) lines.push(`    keepalive ${keepalive};`);
  lines.push('}', '');
  return lines.join('\n');
}

/** Reads the split back from a file this router wrote. */
export function parseUpstream(text: string): Split | undefined {
  if (!text.includes(MARKER)) return undefined;
  const weight = (color: Color) => {
    const line = new RegExp(`server\\s+\\S+\\s+(weight=(\\d+)|down);\\s*#\\s*${color}\\b`).exec(text);
    if (!line) return undefined;
    return line[2] === undefined ? 0 : Number(line[2]);
  };
  const blue = weight('blue');
  const green = weight('green');
  return blue === undefined || green === undefined ? undefined : { blue, green };
}

export class NginxRouter extends HostedRouter {
  readonly kind = 'nginx';
  readonly #nginx: NginxOptions;

  constructor(options: NginxOptions) {
    super(options);
    this.#nginx = options;
  }

  #args(...extra: string[]): string[] {
    const args: string[] = [];
    if (this.#nginx.prefix) args.push('-p', this.#nginx.prefix);
    if (this.#nginx.configPath) args.push('-c', this.#nginx.configPath);
    return [...args, ...extra];
  }

  async read(): Promise<Split> {
    const text = await this.host.readFile(this.#nginx.upstreamFile);
    if (text === undefined) return { blue: 0, green: 0 };
    const split = parseUpstream(text);
    if (!split) {
      throw new UserError(`input "nginx-upstream-file": ${this.#nginx.upstreamFile} on ${this.host.label} was not written by deploy-actions; point it at a file of its own that nginx includes`);
    }
    const total = split.blue + split.green;
    return total === 0 ? split : { blue: (split.blue / total) * 100, green: (split.green / total) * 100 };
  }

  async #addresses(): Promise<Record<Color, Endpoint>> {
    return { blue: await this.endpoint('blue'), green: await this.endpoint('green') };
  }

  async #restore(old: string | undefined): Promise<void> {
    if (old === undefined) await this.host.removeFile(this.#nginx.upstreamFile);
    else await this.host.writeFileAtomic(this.#nginx.upstreamFile, old);
  }

  async apply(split: Split, _current: Split): Promise<void> {
    const old = await this.host.readFile(this.#nginx.upstreamFile);
    const before = old === undefined ? undefined : parseUpstream(old);
    await this.host.writeFileAtomic(this.#nginx.upstreamFile, renderUpstream(this.#nginx.upstreamName, await this.#addresses(), split, this.#nginx.keepalive));
    const test = await this.host.exec(this.#nginx.binary, this.#args('-t', '-q'));
    if (test.exitCode !== 0) {
      await this.#restore(old);
      throw new RouterError(`nginx -t refused the new upstream: ${lastLines(test.stderr || test.stdout)}; the previous file is back, nginx was not reloaded`, true);
    }
    const reload = await this.host.exec(this.#nginx.binary, this.#args('-s', 'reload'));
    if (reload.exitCode !== 0) {
      await this.#restore(old);
      const again = await this.host.exec(this.#nginx.binary, this.#args('-s', 'reload'));
      const state = before ? describeSplit(before) : 'the previous state';
      throw new RouterError(
        `nginx -s reload failed: ${lastLines(reload.stderr || reload.stdout)}; the previous file is back${again.exitCode === 0 ? ` and nginx reloaded it (${state})` : ', and reloading it failed too'}`,
        true,
      );
    }
  }
}
