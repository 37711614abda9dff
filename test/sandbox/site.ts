import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, SANDBOX, SERVICE, startHaproxy, type Haproxy } from './servers.ts';

/**
 * One deployment site for workflow tests: a "host" with a real HAProxy in front of two colors of the
 * sample service, run as the units app@blue and app@green by the sandbox's systemctl
 * (test/sandbox/bin/systemctl: start does nothing when the unit is already active, as systemctl's
 * does). The host is a self-hosted runner of the runner double: its labels, and the environment its
 * jobs see (systemctl on the PATH, where the units are).
 */

export const SYSTEMCTL_BIN = join(SANDBOX, 'bin');

export interface SiteOptions {
  /** Per-version behaviour of the service (LATENCY_MS, ERROR_RATE, HEALTHY...). */
  versions?: Record<string, Record<string, string>>;
  /** The environment of every version. */
  every?: Record<string, string>;
}

export class Site {
  readonly name: string;
  readonly units: string;
  readonly ports: { blue: number; green: number };
  readonly haproxy: Haproxy;

  private constructor(name: string, units: string, ports: { blue: number; green: number }, haproxy: Haproxy) {
    this.name = name;
    this.units = units;
    this.ports = ports;
    this.haproxy = haproxy;
  }

  static async create(name: string, options: SiteOptions = {}): Promise<Site> {
    const units = mkdtempSync(join(tmpdir(), `site-${name}-`));
    mkdirSync(join(units, 'versions'));
    const ports = { blue: await freePort(), green: await freePort() };
    const shellValue = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
    for (const color of ['blue', 'green'] as const) {
      const env = { NODE: process.execPath, SERVICE, PORT: String(ports[color]), COLOR: color, ...options.every };
      writeFileSync(join(units, `app@${color}.env`), Object.entries(env).map(([key, value]) => `${key}=${shellValue(value)}`).join('\n') + '\n');
    }
    for (const [version, env] of Object.entries(options.versions ?? {})) {
      writeFileSync(join(units, 'versions', `${version}.env`), Object.entries(env).map(([key, value]) => `${key}=${shellValue(value)}`).join('\n') + '\n');
    }
    // Nothing deployed yet: both servers without weight.
    const haproxy = await startHaproxy({ colors: ports, weights: { blue: 0, green: 0 }, runtime: 'tcp' });
    return new Site(name, units, ports, haproxy);
  }

  get url(): string {
    return this.haproxy.url;
  }

  /** The self-hosted runner on this host, for RunnerDouble's `runners`. */
  get runner(): { name: string; labels: string[]; env: Record<string, string> } {
    return { name: `${this.name}-host`, labels: [this.name], env: { SYSTEMCTL_UNITS: this.units, PATH: `${SYSTEMCTL_BIN}:${process.env['PATH'] ?? ''}` } };
  }

  /** The variables the starter workflow reads for an environment (STAGING_*, PRODUCTION_*). */
  vars(prefix: string): Record<string, string> {
    return {
      [`${prefix}_RUNNER`]: this.name,
      [`${prefix}_URL`]: this.url,
      [`${prefix}_HAPROXY_RUNTIME_API`]: this.haproxy.runtime,
      [`${prefix}_HAPROXY_CONFIG`]: this.haproxy.configPath,
    };
  }

  /** What a caller of deploy.yml passes for this site (router, addresses through HAProxy, commands). */
  deployInputs(): Record<string, string> {
    return {
      router: 'haproxy',
      'runs-on': this.name,
      'environment-url': this.url,
      'haproxy-runtime-api': this.haproxy.runtime,
      'haproxy-config': this.haproxy.configPath,
      'start-command': 'systemctl start app@$COLOR',
      'stop-command': 'systemctl stop app@$COLOR',
    };
  }

  /** Which versions answer through HAProxy, by count. */
  async versionsServed(requests = 20): Promise<Record<string, number>> {
    const seen: Record<string, number> = {};
    for (let index = 0; index < requests; index++) {
      let label: string;
      try {
        const text = await (await fetch(this.url)).text();
        label = /(?:hello|error) from (\S+)/.exec(text)?.[1] ?? `other: ${text.trim().slice(0, 30)}`;
      } catch (error) {
        label = `error: ${(error as Error).message}`;
      }
      seen[label] = (seen[label] ?? 0) + 1;
    }
    return seen;
  }

  /** The version a color's unit runs, or undefined when it is not active. */
  async unitVersion(color: 'blue' | 'green'): Promise<string | undefined> {
    const file = join(this.units, `app@${color}.pid`);
    if (!existsSync(file)) return undefined;
    try {
      process.kill(Number(readFileSync(file, 'utf8')), 0);
    } catch {
      return undefined;
    }
    const answer = await fetch(`http://127.0.0.1:${this.ports[color]}/version`).catch(() => undefined);
    return answer?.ok ? ((await answer.json()) as { version: string }).version : undefined;
  }

  async stop(): Promise<void> {
    for (const color of ['blue', 'green'] as const) {
      const file = join(this.units, `app@${color}.pid`);
      if (!existsSync(file)) continue;
      try {
        process.kill(Number(readFileSync(file, 'utf8')), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await this.haproxy.stop();
    rmSync(this.units, { recursive: true, force: true });
  }
}
