import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubDouble } from '../doubles/github/server.ts';
import { RunnerDouble, type RunnerOptions } from '../doubles/runner/runner.ts';
import { writeFiles } from './files.ts';

/**
 * A repository for workflow tests: its files in a temporary folder, the GitHub double serving it,
 * and the runner double running its workflows. stop() returns what the GitHub double refused.
 */
export class WorkflowRepo {
  readonly dir: string;
  readonly github: GitHubDouble;
  readonly runner: RunnerDouble;

  private constructor(dir: string, github: GitHubDouble, runner: RunnerDouble) {
    this.dir = dir;
    this.github = github;
    this.runner = runner;
  }

  static async create(files: Record<string, string>, options: Partial<Omit<RunnerOptions, 'github' | 'repository'>> & { owner?: string; repo?: string } = {}): Promise<WorkflowRepo> {
    const dir = mkdtempSync(join(tmpdir(), 'workflow-repo-'));
    writeFiles(dir, files);
    const { owner, repo, ...runnerOptions } = options;
    const github = await new GitHubDouble({ ...(owner ? { owner } : {}), ...(repo ? { repo } : {}) }).start();
    const runner = await RunnerDouble.start({ github, repository: dir, ...runnerOptions });
    return new WorkflowRepo(dir, github, runner);
  }

  async stop(): Promise<string[]> {
    const oidc = this.runner.oidc.violations;
    await this.runner.stop();
    await this.github.stop();
    rmSync(this.dir, { recursive: true, force: true });
    return [...this.github.violations, ...this.github.rejected, ...oidc];
  }
}

/** A job's YAML with one `run:` step per script, for the conformance tests' small workflows. */
export function runJob(scripts: string[], extra = ''): string {
  return `    runs-on: ubuntu-latest\n${extra}    steps:\n${scripts.map((script) => `      - run: ${script}\n`).join('')}`;
}

/**
 * Runs one workflow file once in a fresh repository and hands back the transcript and what the
 * GitHub double refused (its violations and 422s), after stopping everything.
 */
export async function runOnce(
  workflow: string,
  options: Parameters<typeof WorkflowRepo.create>[1] & {
    files?: Record<string, string>;
    trigger?: import('../doubles/runner/runner.ts').TriggerOptions;
    /** Before the run starts (environments, users). */
    setup?: (repo: WorkflowRepo) => void;
    /** While it runs (approvals, cancellation). */
    during?: (repo: WorkflowRepo, run: import('../doubles/runner/run.ts').WorkflowRun) => Promise<void>;
  } = {},
): Promise<{ transcript: import('../doubles/runner/transcript.ts').Transcript; refused: string[]; repo: WorkflowRepo }> {
  const { files = {}, trigger, setup, during, ...rest } = options;
  const repo = await WorkflowRepo.create({ '.github/workflows/test.yml': workflow, ...files }, rest);
  try {
    setup?.(repo);
    const run = await repo.runner.trigger('.github/workflows/test.yml', trigger);
    if (during) await during(repo, run);
    const transcript = await run.done;
    return { transcript, refused: [...repo.github.violations, ...repo.github.rejected, ...repo.runner.oidc.violations], repo };
  } finally {
    await repo.stop();
  }
}
