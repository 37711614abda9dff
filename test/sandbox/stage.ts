import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { ActionHarness, type StepResult } from '../harness/run-action.ts';
import { freePort, serviceCommands, startHaproxy, startNginx, type Haproxy, type Nginx } from './servers.ts';

/**
 * A stage for blue-green runs (tests, the demo, the benchmark): the GitHub double, a real router
 * (HAProxy or nginx from Debian) or the command router, two free ports for the colors, and the sample
 * service started and stopped by the action's own start-command and stop-command.
 */

export const FAST_HEALTH = {
  'health-interval': '200ms',
  'health-successes': '2',
  'health-timeout': '10s',
  'post-switch-window': '1s',
  'drain-time': '500ms',
};

export class Stage {
  readonly github: GitHubDouble;
  readonly harness = new ActionHarness();
  readonly dir: string;
  readonly ports: { blue: number; green: number };
  readonly commands: { start: string; stop: string };
  haproxy?: Haproxy;
  nginx?: Nginx;
  routerInputs: Record<string, string> = {};
  /** ssh-host and friends: the router's commands, files and sockets reached over SSH. */
  sshInputs: Record<string, string> = {};

  private constructor(github: GitHubDouble, ports: { blue: number; green: number }, versions: Record<string, Record<string, string>>, every: Record<string, string>) {
    this.github = github;
    this.ports = ports;
    this.dir = mkdtempSync(join(tmpdir(), 'stage-'));
    this.commands = serviceCommands(this.dir, versions, every);
  }

  /** `versions` gives some versions their own behaviour; `every` is the environment of all of them. */
  static async create(router: 'haproxy' | 'nginx' | 'command', versions: Record<string, Record<string, string>> = {}, options: { runtime?: 'tcp' | 'unix' } = {}, every: Record<string, string> = {}): Promise<Stage> {
    const github = await new GitHubDouble().start();
    const stage = new Stage(github, { blue: await freePort(), green: await freePort() }, versions, every);
    const addresses = { 'blue-address': `127.0.0.1:${stage.ports.blue}`, 'green-address': `127.0.0.1:${stage.ports.green}` };
    if (router === 'haproxy') {
      // Nothing deployed yet: both servers without weight.
      stage.haproxy = await startHaproxy({ colors: stage.ports, weights: { blue: 0, green: 0 }, runtime: options.runtime ?? 'tcp' });
      stage.routerInputs = { router: 'haproxy', 'haproxy-runtime-api': stage.haproxy.runtime, 'haproxy-config': stage.haproxy.configPath };
    } else if (router === 'nginx') {
      stage.nginx = await startNginx({ colors: stage.ports, initial: 'none' });
      stage.routerInputs = {
        router: 'nginx',
        ...addresses,
        'nginx-upstream-file': stage.nginx.upstreamFile,
        'nginx-config': stage.nginx.configPath,
        'nginx-prefix': stage.nginx.prefix,
      };
    } else {
      const state = join(stage.dir, 'route');
      stage.routerInputs = {
        router: 'command',
        ...addresses,
        'route-command': `echo "blue=$BLUE_WEIGHT green=$GREEN_WEIGHT" > "${state}"`,
        'state-command': `cat "${state}" 2>/dev/null || echo "blue=0 green=0"`,
      };
    }
    return stage;
  }

  get url(): string {
    return (this.haproxy?.url ?? this.nginx?.url) as string;
  }

  /** Runs the action as the runner would, with this stage's router, commands and a fast health gate. */
  async run(action: 'deploy-bluegreen' | 'rollback', inputs: Record<string, string>, options: { runId?: string; sha?: string } = {}): Promise<StepResult> {
    const { main } = await this.harness.run(action, {
      inputs: {
        environment: 'production',
        ...this.routerInputs,
        ...this.sshInputs,
        'start-command': this.commands.start,
        'stop-command': this.commands.stop,
        ...FAST_HEALTH,
        ...inputs,
      },
      github: { apiUrl: this.github.apiUrl, token: DEFAULT_TOKEN, runId: options.runId ?? '4242', ...(options.sha ? { sha: options.sha } : {}) },
    });
    return main;
  }

  /** notify, against this stage's GitHub double (its own inputs only: notify has no router). */
  async notify(inputs: Record<string, string>, options: { runId?: string } = {}): Promise<StepResult> {
    const { main } = await this.harness.run('notify', {
      inputs: { environment: 'production', ...inputs },
      github: { apiUrl: this.github.apiUrl, token: DEFAULT_TOKEN, runId: options.runId ?? '4242' },
    });
    return main;
  }

  /** Which versions answer through the router, by count. */
  async versionsServed(requests = 30): Promise<Record<string, number>> {
    const seen: Record<string, number> = {};
    for (let index = 0; index < requests; index++) {
      let label: string;
      try {
        const text = await (await fetch(this.url)).text();
        label = /hello from (\S+)/.exec(text)?.[1] ?? `other: ${text.trim().slice(0, 30)}`;
      } catch (error) {
        label = `error: ${(error as Error).message}`;
      }
      seen[label] = (seen[label] ?? 0) + 1;
    }
    return seen;
  }

  /** Whether a color's service process is running (its pid file exists and the process answers). */
  running(color: 'blue' | 'green'): boolean {
    const file = join(this.dir, `${color}.pid`);
    if (!existsSync(file)) return false;
    try {
      process.kill(Number(readFileSync(file, 'utf8')), 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Deployments of an environment with their status histories, oldest first. */
  records(environment = 'production'): Array<{ id: number; version: unknown; color: unknown; previousColor: unknown; rollbackOf: unknown; states: string[]; descriptions: string[] }> {
    return this.github.deployments
      .filter((deployment) => deployment.environment === environment)
      .map((deployment) => {
        const payload = deployment.payload as Record<string, unknown>;
        return {
          id: deployment.id,
          version: payload['version'],
          color: payload['color'],
          previousColor: payload['previousColor'],
          rollbackOf: payload['rollbackOf'],
          states: deployment.statuses.map((status) => status.state),
          descriptions: deployment.statuses.map((status) => status.description),
        };
      });
  }

  async stop(): Promise<string[]> {
    for (const color of ['blue', 'green'] as const) {
      const file = join(this.dir, `${color}.pid`);
      if (existsSync(file)) {
        try {
          process.kill(Number(readFileSync(file, 'utf8')), 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    await Promise.all([this.haproxy?.stop(), this.nginx?.stop(), this.github.stop()]);
    this.harness.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
    return [...this.github.violations, ...this.github.rejected];
  }
}
