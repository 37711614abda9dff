import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheServiceDouble } from '../doubles/cache-service.ts';
import { writeFiles } from '../harness/files.ts';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { ActionHarness, type StepResult } from '../harness/run-action.ts';
import { startAzurite, type Azurite } from './servers.ts';

/**
 * Where build-cache runs for real: Azurite (the Azure Storage emulator) holding the blobs, the cache
 * service double signing URLs to it, the GitHub double for the REST calls (prune), and jobs that each
 * get a clean runner: a fresh workspace with the repository's files and a fresh HOME, as a new job on
 * a hosted runner has.
 */

export interface Runner {
  workspace: string;
  home: string;
}

export interface JobOptions {
  /** The repository's files (path → content), or a folder to copy. */
  repo: Record<string, string | Buffer> | string;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  ref?: string;
  /** Refs this job may also read caches from (a PR's base branch, the default branch). */
  alsoReads?: string[];
  /** The job's runtime token may read caches but not write them. */
  readOnlyCache?: boolean;
  /** The job's build steps, between the restore and the end of the job. */
  build?: (runner: Runner, main: StepResult) => void | Promise<void>;
  /** A later step fails (so post-if: success() skips the post step). */
  buildFails?: boolean;
  /** A build-cache/save step after the build, with these inputs. */
  saveStep?: Record<string, string>;
  /** Run the post step (true by default, as the runner does). */
  post?: boolean;
  /** Other environment for the runner (PATH with tools, tool configuration). */
  runner?: Partial<Runner>;
}

export interface JobResult extends Runner {
  main: StepResult;
  save?: StepResult;
  post?: StepResult;
}

export class CacheStage {
  readonly harness = new ActionHarness();
  readonly azurite: Azurite;
  readonly github: GitHubDouble;
  readonly service: CacheServiceDouble;
  readonly #dir: string;
  #runId = 1000;

  private constructor(azurite: Azurite, github: GitHubDouble, service: CacheServiceDouble) {
    this.azurite = azurite;
    this.github = github;
    this.service = service;
    this.#dir = mkdtempSync(join(tmpdir(), 'cache-stage-'));
  }

  static async create(): Promise<CacheStage> {
    const azurite = await startAzurite();
    const github = await new GitHubDouble().start();
    const service = await new CacheServiceDouble(azurite, { github }).start();
    return new CacheStage(azurite, github, service);
  }

  /**
   * A clean runner: an empty workspace and home, at the same paths every time, as hosted runners
   * have (/home/runner/work/<repo>/<repo>); the cache version is a hash of the paths.
   */
  get runnerPaths(): Runner {
    return { workspace: join(this.#dir, 'runner', 'work', 'app', 'app'), home: join(this.#dir, 'runner', 'home') };
  }

  newRunner(): Runner {
    const runner = this.runnerPaths;
    rmSync(join(this.#dir, 'runner'), { recursive: true, force: true });
    mkdirSync(runner.workspace, { recursive: true });
    mkdirSync(runner.home, { recursive: true });
    return runner;
  }

  static copyTree(from: string, to: string): void {
    cpSync(from, to, { recursive: true });
  }

  static writeFiles(root: string, files: Record<string, string | Buffer>): void {
    writeFiles(root, files);
  }

  async job(options: JobOptions): Promise<JobResult> {
    const runner = { ...this.newRunner(), ...options.runner };
    if (typeof options.repo === 'string') CacheStage.copyTree(options.repo, runner.workspace);
    else CacheStage.writeFiles(runner.workspace, options.repo);
    const ref = options.ref ?? 'refs/heads/main';
    const token = this.service.issueToken(ref, options.alsoReads ?? (ref === 'refs/heads/main' ? [] : ['refs/heads/main']), { readOnly: options.readOnlyCache });
    const env = { HOME: runner.home, ...this.service.environment(token), ...options.env };
    const github = { apiUrl: this.github.url, token: DEFAULT_TOKEN, ref, runId: String(this.#runId++) };
    let save: StepResult | undefined;
    const { main, post } = await this.harness.run('build-cache', {
      inputs: options.inputs,
      env,
      github,
      workspace: runner.workspace,
      post: options.post ?? true,
      timeoutMs: 300_000,
      beforePost: async (restored) => {
        await options.build?.(runner, restored);
        if (options.saveStep) {
          save = (await this.harness.run('build-cache/save', { inputs: options.saveStep, env: { ...env, ...restored.env }, github, workspace: runner.workspace, timeoutMs: 300_000 })).main;
        }
        return { jobFailed: options.buildFails };
      },
    });
    return { ...runner, main, post, save };
  }

  /** What the doubles found wrong; empty when all went by the book. */
  async stop(): Promise<string[]> {
    const violations = [...this.service.violations, ...this.github.violations];
    await this.service.stop();
    await this.github.stop();
    await this.azurite.stop();
    this.harness.cleanup();
    rmSync(this.#dir, { recursive: true, force: true });
    return violations;
  }
}
