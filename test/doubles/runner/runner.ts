import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactServiceDouble } from '../artifact-service.ts';
import type { GitHubDouble } from '../github/server.ts';
import { OidcDouble } from '../github/oidc.ts';
import { KILL_DELAYS, ROOT } from '../../harness/run-action.ts';
import { ConcurrencyGroups } from './concurrency.ts';
import { isHostedLabel, type RunnerMachine } from './job.ts';
import { defaultPermissions } from './permissions.ts';
import { WorkflowRun, type Trigger } from './run.ts';
import type { Transcript } from './transcript.ts';
import { WorkflowLoader, WorkflowLoadError, type Repository } from './workflows.ts';

/**
 * The runner double: a local stand-in for GitHub Actions' orchestration, as the GitHub double is one
 * for the REST API. It runs the workflow files of a repository (the GitHub double's `owner/repo`,
 * whose files are a folder the test prepares) against the GitHub double, with this checkout as
 * `org/deploy-actions` at every ref. See docs/runner-double.md for what it models, with sources.
 *
 *   const runner = await RunnerDouble.start({ github, repository: dir, secrets, vars, runners });
 *   const transcript = await runner.run('.github/workflows/deploy.yml');
 *   // or: const run = await runner.trigger(...); ...approve through the API...; await run.done
 */

export interface RunnerOptions {
  github: GitHubDouble;
  /** The folder holding the GitHub double's repository's files (its .github/workflows among them). */
  repository: string;
  /** The commit those files are at (default: the GitHub double's main branch). */
  sha?: string;
  /** Repository (and organisation) secrets. */
  secrets?: Record<string, string>;
  /** Repository (and organisation) variables: the vars context. */
  vars?: Record<string, string>;
  /** Self-hosted runners: a name, its labels (self-hosted is implied) and the machine's environment. */
  runners?: Array<{ name: string; labels: string[]; env?: Record<string, string> }>;
  /** The repository's default GITHUB_TOKEN setting for workflows that declare no permissions. */
  defaultPermissions?: 'restricted' | 'permissive';
  /** The artifact service for upload-artifact (and @actions/artifact in our actions). */
  artifacts?: ArtifactServiceDouble;
  /** Environment a job's actions get to reach the results service (cache and artifacts), by run/job key. */
  runtimeEnv?: (key: string) => Record<string, string>;
  /** How long a minute of timeout-minutes and wait timers lasts here (60 000 ms on GitHub). */
  minuteMs?: number;
  /** SIGINT → SIGTERM → kill delays when a step is cancelled (7.5 s and 2.5 s on GitHub). */
  killDelays?: { termMs: number; killMs: number };
  /** Other repositories the double knows (owner/name → folder), for cross-repository calls. */
  otherRepositories?: Repository[];
  /** A test's cut (see JobServices.stopAt): stop a job before a step that must not run here. */
  stopAt?: (job: string, step: { run?: string; uses?: string }) => string | undefined;
}

export interface TriggerOptions {
  event?: string;
  ref?: string;
  sha?: string;
  actor?: string;
  payload?: Record<string, unknown>;
  inputs?: Record<string, string>;
}

/** This checkout as `org/deploy-actions`: its HEAD commit, or zeros when it is not a git checkout. */
export function selfRepository(): Repository {
  let sha = '0'.repeat(40);
  try {
    sha = execFileSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout (an unpacked archive): the refs still resolve here.
  }
  return { name: 'org/deploy-actions', dir: ROOT, sha, ref: 'refs/heads/main' };
}

export class RunnerDouble {
  readonly options: RunnerOptions;
  readonly oidc: OidcDouble;
  readonly groups = new ConcurrencyGroups();
  readonly loader: WorkflowLoader;
  readonly runs: WorkflowRun[] = [];
  readonly repository: Repository;
  readonly #machines: RunnerMachine[] = [];
  readonly #root: string;

  private constructor(options: RunnerOptions, oidc: OidcDouble) {
    this.options = options;
    this.oidc = oidc;
    this.#root = mkdtempSync(join(tmpdir(), 'runner-double-'));
    const github = options.github;
    this.repository = { name: `${github.owner}/${github.repo}`, dir: options.repository, sha: options.sha ?? github.resolveRef('main') ?? 'a'.repeat(40), ref: 'refs/heads/main' };
    const self = selfRepository();
    const repositories = this.repository.name.toLowerCase() === self.name ? [{ ...self, dir: options.repository }] : [this.repository, self];
    this.loader = new WorkflowLoader([...repositories, ...(options.otherRepositories ?? [])]);
    for (const runner of options.runners ?? []) {
      const home = join(this.#root, 'runners', runner.name);
      mkdirSync(home, { recursive: true });
      this.#machines.push({ name: runner.name, labels: ['self-hosted', 'linux', 'x64', ...runner.labels].map((label) => label.toLowerCase()), hosted: false, env: runner.env ?? {}, home, busy: Promise.resolve() });
    }
  }

  static async start(options: RunnerOptions): Promise<RunnerDouble> {
    const oidc = await new OidcDouble().start();
    return new RunnerDouble(options, oidc);
  }

  /** A hosted runner for ubuntu-* labels (a fresh machine per job); else a self-hosted one that has every label. */
  pickRunner(labels: string[]): RunnerMachine | undefined {
    const wanted = labels.map((label) => label.toLowerCase());
    if (wanted.length === 1 && isHostedLabel(wanted[0] as string)) {
      const home = mkdtempSync(join(this.#root, 'hosted-'));
      return { name: `GitHub Actions ${this.runs.length}`, labels: wanted, hosted: true, env: {}, home, busy: Promise.resolve() };
    }
    return this.#machines.find((machine) => wanted.every((label) => machine.labels.includes(label)));
  }

  /** Starts a run of one of the repository's workflows (as a push or a dispatch would) and returns at once. */
  async trigger(path: string, options: TriggerOptions = {}): Promise<WorkflowRun> {
    const top = await this.loader.load(this.repository, path).catch((error: Error) => ({ path, errors: error instanceof WorkflowLoadError ? error.errors : [error.message] }));
    const trigger: Trigger = {
      event: options.event ?? 'push',
      ref: options.ref ?? this.repository.ref,
      sha: options.sha ?? this.repository.sha,
      actor: options.actor ?? 'octocat',
      payload: options.payload ?? {},
      inputs: options.inputs ?? {},
    };
    const repositoryEnv = JSON.stringify(Object.fromEntries(this.loader.all().map((repository) => [repository.name.toLowerCase(), { dir: repository.dir, sha: repository.sha, ref: repository.ref }])));
    const run = new WorkflowRun(
      {
        services: {
          github: this.options.github,
          oidc: this.oidc,
          vars: this.options.vars ?? {},
          repositories: (name) => this.loader.repository(name),
          repositoryEnv,
          runtimeEnv: this.options.runtimeEnv ?? ((key) => this.options.artifacts?.environment(...(key.split('\n') as [string, string])) ?? {}),
          pickRunner: (labels) => this.pickRunner(labels),
          minuteMs: this.options.minuteMs ?? 60_000,
          delays: this.options.killDelays ?? KILL_DELAYS,
          workRoot: this.#root,
          ...(this.options.stopAt ? { stopAt: this.options.stopAt } : {}),
        },
        loader: this.loader,
        groups: this.groups,
        secrets: this.options.secrets ?? {},
        defaultPermissions: defaultPermissions(this.options.defaultPermissions),
      },
      top,
      trigger,
    );
    this.runs.push(run);
    return run;
  }

  /** Runs a workflow to its end. */
  async run(path: string, options: TriggerOptions = {}): Promise<Transcript> {
    return (await this.trigger(path, options)).done;
  }

  async stop(): Promise<void> {
    for (const run of this.runs) run.cancel();
    await Promise.allSettled(this.runs.map((run) => run.done));
    await this.oidc.stop();
    rmSync(this.#root, { recursive: true, force: true });
  }
}
