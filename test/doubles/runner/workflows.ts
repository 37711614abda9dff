import { existsSync, readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import type { WorkflowTemplate } from '@actions/workflow-parser';
import type { ReusableWorkflowJob, WorkflowJob } from '@actions/workflow-parser/model/workflow-template';
import { entry, literal } from './expressions.ts';
import { workflowParser, type MappingToken, type TemplateToken } from './parser.ts';

/**
 * Workflow files, loaded as GitHub loads them: parsed and converted by GitHub's own parser, which
 * also checks every call to a reusable workflow one level down (unknown inputs and secrets, missing
 * required ones, `environment:` on a calling job). The parser stops at one level; the runner double
 * loads each called workflow in turn, so every level is checked the same way, and counts the levels
 * and the distinct workflows against GitHub's limits.
 *
 * References resolve as GitHub resolves them: `./.github/workflows/x.yml` in the calling file's own
 * repository at the same commit, `$/.github/workflows/x.yml` likewise (the file's own repository at
 * the running commit), `owner/repo/.github/workflows/x.yml@ref` in that repository. The repositories
 * the double knows are given to it (this checkout is `org/deploy-actions` at every ref: until a
 * release exists, our own references resolve to the code under test).
 */

/** A repository's files on disk, at the commit a run uses. */
export interface Repository {
  /** owner/name */
  name: string;
  dir: string;
  sha: string;
  /** The ref the files are at (refs/heads/main); for workflow_ref and OIDC claims. */
  ref: string;
}

export interface LoadedWorkflow {
  repository: Repository;
  /** Path inside the repository, e.g. .github/workflows/deploy.yml */
  path: string;
  /** owner/repo/path@ref, as GitHub writes workflow_ref and job_workflow_ref. */
  ref: string;
  name: string;
  root: MappingToken;
  template: WorkflowTemplate;
  jobs: Array<{ model: WorkflowJob; raw: MappingToken }>;
}

/** github.com's limits for reusable workflows (2025-11): ten levels counting the caller, 50 distinct workflows. */
export const MAX_WORKFLOW_LEVELS = 10;
export const MAX_UNIQUE_WORKFLOWS = 50;

export class WorkflowLoadError extends Error {
  readonly errors: string[];

  constructor(errors: string[]) {
    super(errors.join('\n'));
    this.errors = errors;
  }
}

export class WorkflowLoader {
  readonly #repositories = new Map<string, Repository>();
  readonly #cache = new Map<string, LoadedWorkflow>();

  constructor(repositories: Repository[]) {
    for (const repository of repositories) this.#repositories.set(repository.name.toLowerCase(), repository);
  }

  all(): Repository[] {
    return [...this.#repositories.values()];
  }

  repository(name: string): Repository | undefined {
    return this.#repositories.get(name.toLowerCase());
  }

  /**
   * Where a `uses:` of a calling job points, from the file that says it. Throws for a repository the
   * double does not know (GitHub would answer that it cannot find or access it).
   */
  resolveCall(uses: string, from: LoadedWorkflow): { repository: Repository; path: string; version: string } {
    if (uses.startsWith('./') || uses.startsWith('$/')) return { repository: from.repository, path: normalize(uses.slice(2)), version: from.repository.ref };
    const at = uses.lastIndexOf('@');
    if (at < 0) throw new Error(`${uses}: a reusable workflow in another repository needs @ref`);
    const [owner, name, ...rest] = uses.slice(0, at).split('/');
    const repository = this.repository(`${owner}/${name}`);
    if (!repository) throw new Error(`${uses}: the runner double knows no repository ${owner}/${name}`);
    return { repository, path: rest.join('/'), version: uses.slice(at + 1) };
  }

  /** A workflow load() has already read (tree() reads every one a run calls). */
  loaded(repository: Repository, path: string, version = repository.ref): LoadedWorkflow | undefined {
    return this.#cache.get(`${repository.name}/${path}@${version}`);
  }

  async load(repository: Repository, path: string, version = repository.ref): Promise<LoadedWorkflow> {
    const key = `${repository.name}/${path}@${version}`;
    const cached = this.#cache.get(key);
    if (cached) return cached;
    const file = join(repository.dir, path);
    if (!path.startsWith('.github/workflows/')) throw new WorkflowLoadError([`${repository.name}/${path}: reusable and triggered workflows live in .github/workflows/`]);
    if (!existsSync(file)) throw new WorkflowLoadError([`${repository.name}/${path}@${version}: workflow file not found`]);
    const content = readFileSync(file, 'utf8');
    const parsed = workflowParser.parseWorkflow({ name: path, content }, new workflowParser.NoOperationTraceWriter());
    const errors = parsed.context.errors.getErrors().map((error) => error.message);
    if (!parsed.value) throw new WorkflowLoadError(errors.length > 0 ? errors : [`${path}: could not be parsed`]);
    const partial: Omit<LoadedWorkflow, 'template' | 'jobs' | 'name'> = { repository, path, ref: `${repository.name}/${path}@${version}`, root: parsed.value as MappingToken };
    const provider = {
      getFileContent: async (reference: { path: string; owner?: string; repository?: string; version?: string }) => {
        const target = reference.owner
          ? this.resolveCall(`${reference.owner}/${reference.repository}/${reference.path}@${reference.version}`, partial as LoadedWorkflow)
          : { repository, path: normalize(reference.path) };
        const called = join(target.repository.dir, target.path);
        if (!existsSync(called)) throw new Error(`not found: ${target.path}`);
        return { name: target.path, content: readFileSync(called, 'utf8') };
      },
    };
    const template = await workflowParser.convertWorkflowTemplate(parsed.context, parsed.value, provider, {
      fetchReusableWorkflowDepth: 1,
      maxReusableWorkflowDepth: MAX_WORKFLOW_LEVELS,
    });
    const problems = [...new Set([...errors, ...(template.errors ?? []).map((error) => error.Message)])];
    if (problems.length > 0) throw new WorkflowLoadError(problems.map((problem) => `${partial.ref}: ${problem}`));
    const rawJobs = entry(parsed.value, 'jobs') as MappingToken;
    const jobs = template.jobs.map((model) => ({ model, raw: entry(rawJobs, model.id.value) as MappingToken }));
    const loaded: LoadedWorkflow = { ...partial, name: literal(entry(parsed.value, 'name')) ?? path, template, jobs };
    this.#cache.set(key, loaded);
    return loaded;
  }

  /**
   * Every workflow a run would call, depth first, checked as GitHub checks them before anything
   * runs: levels, distinct workflows, loops; each level's calls by the parser.
   */
  async tree(top: LoadedWorkflow): Promise<Map<string, LoadedWorkflow>> {
    const seen = new Map<string, LoadedWorkflow>();
    const errors: string[] = [];
    const walk = async (workflow: LoadedWorkflow, chain: string[]) => {
      for (const { model } of workflow.jobs) {
        if (model.type !== 'reusableWorkflowJob') continue;
        const uses = (model as ReusableWorkflowJob).ref.value;
        let target: { repository: Repository; path: string; version: string };
        try {
          target = this.resolveCall(uses, workflow);
        } catch (error) {
          errors.push(`${workflow.ref}: job ${model.id.value}: ${(error as Error).message}`);
          continue;
        }
        const key = `${target.repository.name}/${target.path}@${target.version}`;
        if (chain.includes(key)) {
          errors.push(`${workflow.ref}: job ${model.id.value} calls ${key}, which is already in the chain of calls (${[...chain, key].join(' → ')}): GitHub refuses loops`);
          continue;
        }
        if (chain.length + 1 > MAX_WORKFLOW_LEVELS) {
          errors.push(`${workflow.ref}: job ${model.id.value} calls ${key} at level ${chain.length + 1}: GitHub allows ${MAX_WORKFLOW_LEVELS} levels of workflows (the caller and nine reusable workflows below it)`);
          continue;
        }
        let called: LoadedWorkflow;
        try {
          called = await this.load(target.repository, target.path, target.version);
        } catch (error) {
          errors.push(...(error instanceof WorkflowLoadError ? error.errors : [(error as Error).message]));
          continue;
        }
        seen.set(key, called);
        await walk(called, [...chain, key]);
      }
    };
    await walk(top, [top.ref]);
    if (seen.size > MAX_UNIQUE_WORKFLOWS) errors.push(`${top.ref} calls ${seen.size} distinct reusable workflows: GitHub allows ${MAX_UNIQUE_WORKFLOWS}`);
    if (errors.length > 0) throw new WorkflowLoadError(errors);
    return seen;
  }
}

/** The raw mapping of a step (the model drops with:, shell:, working-directory: and timeout-minutes:). */
export function rawSteps(job: MappingToken): TemplateToken[] {
  const steps = entry(job, 'steps');
  if (!steps || !workflowParser.isSequence(steps)) return [];
  return [...steps];
}
