import { UserError } from '../../errors.ts';
import { httpProbe, type HealthCheck, type ProbeResult } from '../health.ts';
import type { CommandResult, Host } from '../host.ts';
import type { Color, Endpoint, Router, Split } from '../traffic.ts';

/**
 * What HAProxy, nginx and command routers share: the colors run on a host, started and stopped by
 * the user's commands (COLOR, PORT, ADDRESS, VERSION, ARTIFACT, ENVIRONMENT in their environment),
 * and probed directly at their addresses as the host sees them.
 */
export interface HostedOptions {
  host: Host;
  environment: string;
  /** host:port of each color as seen from the host; a router may know them itself (HAProxy). */
  addresses: Partial<Record<Color, Endpoint>>;
  startCommand?: string | undefined;
  stopCommand?: string | undefined;
}

export abstract class HostedRouter implements Router {
  abstract readonly kind: string;
  protected readonly host: Host;
  protected readonly options: HostedOptions;
  /** What was started in this run, so a stop can say which version it stops. */
  readonly #versions = new Map<Color, string>();

  constructor(options: HostedOptions) {
    this.host = options.host;
    this.options = options;
  }

  abstract read(): Promise<Split>;
  abstract apply(split: Split, current: Split): Promise<void>;

  async endpoint(color: Color): Promise<Endpoint> {
    const address = this.options.addresses[color];
    if (!address) throw new UserError(`input "${color}-address": is required for the ${this.kind} router`);
    return address;
  }

  protected async commandEnv(color: Color, extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const address = await this.endpoint(color);
    return {
      COLOR: color,
      PORT: String(address.port),
      ADDRESS: `${address.host}:${address.port}`,
      ENVIRONMENT: this.options.environment,
      VERSION: this.#versions.get(color) ?? '',
      ...extra,
    };
  }

  async start(color: Color, version: string, artifact: string | undefined): Promise<void> {
    if (!this.options.startCommand) throw new UserError(`input "start-command": is required to start a new version with the ${this.kind} router`);
    this.#versions.set(color, version);
    const result = await this.host.shell(this.options.startCommand, await this.commandEnv(color, { VERSION: version, ARTIFACT: artifact ?? '' }));
    if (result.exitCode !== 0) {
      throw new UserError(`start-command for ${color} exited with ${result.exitCode} on ${this.host.label}: ${lastLines(result.stderr || result.stdout)}`);
    }
  }

  async stop(color: Color): Promise<boolean> {
    if (!this.options.stopCommand) return false;
    const result = await this.host.shell(this.options.stopCommand, await this.commandEnv(color));
    if (result.exitCode !== 0) {
      throw new UserError(`stop-command for ${color} exited with ${result.exitCode} on ${this.host.label}: ${lastLines(result.stderr || result.stdout)}`);
    }
    return true;
  }

  async smoke(color: Color, version: string, command: string): Promise<CommandResult> {
    return this.host.shell(command, await this.commandEnv(color, { VERSION: version }));
  }

  async ready(_color: Color, _timeoutMs: number): Promise<void> {}

  async probe(color: Color, check: HealthCheck): Promise<ProbeResult> {
    return httpProbe(this.host, await this.endpoint(color), check);
  }

  async close(): Promise<void> {
    await this.host.close();
  }
}

/** The end of a command's output, for an error message. */
export function lastLines(text: string, lines = 5): string {
  const kept = text.trim().split('\n').slice(-lines).join(' | ');
  return kept === '' ? '(no output)' : kept.slice(0, 600);
}
