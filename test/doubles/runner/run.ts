import type { ReusableWorkflowJob, WorkflowJob } from '@actions/workflow-parser/model/workflow-template';
import type { WorkflowRun as RunRecord } from '../github/actions-runs.ts';
import type { Admission, ConcurrencyGroups, ConcurrencySetting } from './concurrency.ts';
import { asString, entry, entries, evaluateToken, literal, schemaContext, truthy, type Scope, type Value } from './expressions.ts';
import { JobExecution, type CallContext, type JobModel, type JobServices, type NeedsEntry } from './job.ts';
import { expandMatrix, matrixJobName } from './matrix.ts';
import { workflowParser, type MappingToken, type TemplateToken } from './parser.ts';
import { excess, parsePermissions, type PermissionSet } from './permissions.ts';
import type { JobRecord, Result, RunConclusion, Transcript, TranscriptEvent } from './transcript.ts';
import { WorkflowLoadError, type LoadedWorkflow, type WorkflowLoader } from './workflows.ts';

/**
 * One workflow run on the runner double: the start-up checks GitHub makes before anything runs (every
 * level of reusable calls parsed and checked, the permission chain), the workflow's concurrency
 * group, then the jobs as their `needs` allow, a called workflow's jobs inside its calling job, a
 * matrix's jobs side by side; cancellation through the GitHub double's cancel operation or
 * cancel(); the run's status kept in the GitHub double (GET /repos/{o}/{r}/actions/runs/{id}).
 */

export interface Trigger {
  event: string;
  ref: string;
  sha: string;
  actor: string;
  payload: Record<string, unknown>;
  /** workflow_dispatch inputs (strings, as GitHub sends them). */
  inputs: Record<string, string>;
}

export interface RunEnvironment {
  services: Omit<JobServices, 'record' | 'githubContext' | 'event' | 'now' | 'mask' | 'addMask' | 'cancelled' | 'isCancelled'>;
  loader: WorkflowLoader;
  groups: ConcurrencyGroups;
  secrets: Record<string, string>;
  defaultPermissions: PermissionSet;
}

function aggregate(results: Result[]): Result {
  if (results.length === 0) return 'skipped';
  if (results.includes('failure')) return 'failure';
  if (results.includes('cancelled')) return 'cancelled';
  if (results.every((result) => result === 'skipped')) return 'skipped';
  return 'success';
}

export class WorkflowRun {
  readonly record: RunRecord;
  readonly done: Promise<Transcript>;
  readonly #environment: RunEnvironment;
  readonly #top: LoadedWorkflow;
  /** Why the workflow file itself could not be loaded (the run fails at start-up). */
  readonly #loadErrors: string[];
  readonly #trigger: Trigger;
  readonly #started = performance.now();
  readonly #events: TranscriptEvent[] = [];
  readonly #jobs: JobRecord[] = [];
  readonly #masks = new Set<string>();
  #cancelRequested = false;
  #cancelResolve!: () => void;
  readonly #cancelled: Promise<void>;
  #github: Record<string, Value> = {};

  constructor(environment: RunEnvironment, top: LoadedWorkflow | { path: string; errors: string[] }, trigger: Trigger) {
    this.#environment = environment;
    if ('errors' in top) {
      this.#loadErrors = top.errors;
      this.#top = { path: top.path, name: top.path, ref: top.path, jobs: [] } as unknown as LoadedWorkflow;
    } else {
      this.#loadErrors = [];
      this.#top = top;
    }
    this.#trigger = trigger;
    this.#cancelled = new Promise((resolve) => (this.#cancelResolve = resolve));
    const github = environment.services.github;
    this.record = github.runs.create({ name: this.#top.name, path: this.#top.path, event: trigger.event, headSha: trigger.sha, headBranch: trigger.ref.replace(/^refs\/(heads|tags)\//, ''), actor: trigger.actor });
    this.record.onCancel = () => this.cancel();
    for (const value of Object.values(environment.secrets)) this.#addMask(value);
    this.#event({ event: 'run-queued' });
    this.done = this.#execute();
  }

  /** The run's events so far (a live view, for tests that act while it runs). */
  get events(): readonly TranscriptEvent[] {
    return this.#events;
  }

  /** Cancel the run, as the Cancel button or POST .../actions/runs/{id}/cancel does. */
  cancel(): void {
    if (this.#cancelRequested) return;
    this.#cancelRequested = true;
    this.#event({ event: 'cancel-requested' });
    this.#cancelResolve();
  }

  #now(): number {
    return Math.round(performance.now() - this.#started);
  }

  #event(event: Omit<TranscriptEvent, 'at'>): void {
    this.#events.push({ at: this.#now(), ...event });
  }

  #addMask(value: string): void {
    if (!value) return;
    this.#masks.add(value);
    for (const line of value.split(/\r?\n/)) if (line.trim().length > 0) this.#masks.add(line);
  }

  #mask(text: string): string {
    let masked = text;
    for (const value of [...this.#masks].sort((a, b) => b.length - a.length)) masked = masked.split(value).join('***');
    return masked;
  }

  #services(): JobServices {
    return {
      ...this.#environment.services,
      record: this.record,
      githubContext: () => this.#github,
      event: (event) => this.#event(event),
      now: () => this.#now(),
      mask: (text) => this.#mask(text),
      addMask: (value) => this.#addMask(value),
      cancelled: this.#cancelled,
      isCancelled: () => this.#cancelRequested,
    };
  }

  #githubContext(): Record<string, Value> {
    const trigger = this.#trigger;
    const repository = this.#environment.services.github;
    const name = `${repository.owner}/${repository.repo}`;
    return {
      token: '',
      job: '',
      ref: trigger.ref,
      ref_name: trigger.ref.replace(/^refs\/(heads|tags)\//, ''),
      ref_type: trigger.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      ref_protected: false,
      sha: trigger.sha,
      repository: name,
      repository_owner: repository.owner,
      repositoryUrl: `git://github.com/${name}.git`,
      actor: trigger.actor,
      triggering_actor: trigger.actor,
      event_name: trigger.event,
      event: trigger.payload as Value,
      run_id: String(this.record.id),
      run_number: String(this.record.runNumber),
      run_attempt: String(this.record.runAttempt),
      workflow: this.#top.name,
      workflow_ref: `${name}/${this.#top.path}@${trigger.ref}`,
      workflow_sha: trigger.sha,
      server_url: 'https://github.com',
      api_url: repository.apiUrl,
      graphql_url: `${repository.apiUrl}/graphql`,
      retention_days: '90',
      head_ref: '',
      base_ref: '',
      secret_source: 'Actions',
    };
  }

  async #execute(): Promise<Transcript> {
    const github = this.#environment.services.github;
    this.#github = this.#githubContext();
    const errors: string[] = [];
    let conclusion: RunConclusion;
    try {
      if (this.#loadErrors.length > 0) throw new WorkflowLoadError(this.#loadErrors);
      await this.#environment.loader.tree(this.#top);
      this.#checkPermissions(this.#top, this.#workflowGrant(this.#top, this.#environment.defaultPermissions), [this.#top.ref], errors, true);
      if (errors.length > 0) throw new WorkflowLoadError(errors.splice(0));
    } catch (error) {
      errors.push(...(error instanceof WorkflowLoadError ? error.errors : [(error as Error).message]));
      github.runs.update(this.record, 'completed', 'startup_failure');
      this.#event({ event: 'run-completed', detail: 'startup_failure' });
      return this.#transcript('startup_failure', errors);
    }
    github.runs.update(this.record, 'queued');
    const inputs = this.#dispatchInputs();
    const ctx: CallContext = {
      workflow: this.#top,
      prefix: '',
      inputs,
      secrets: { ...this.#environment.secrets },
      environmentSecrets: true,
      grant: this.#workflowGrant(this.#top, this.#environment.defaultPermissions),
      depth: 1,
    };
    const admission = await this.#concurrency(entry(this.#top.root, 'concurrency'), { github: this.#github, inputs, vars: this.#environment.services.vars }, `run ${this.record.id}`);
    if (admission && !admission.admitted) {
      // An invalid setting fails the run at start-up; otherwise the group cancelled it.
      const ending = admission.invalid ? 'startup_failure' : 'cancelled';
      errors.push(admission.reason);
      github.runs.update(this.record, 'completed', ending);
      this.#event({ event: 'run-completed', detail: ending });
      return this.#transcript(ending, errors);
    }
    github.runs.update(this.record, 'in_progress');
    this.#event({ event: 'run-started' });
    try {
      const results = await this.#runJobs(ctx);
      const values = [...results.values()].map((entry) => entry.result);
      conclusion = this.#cancelRequested ? 'cancelled' : values.includes('failure') ? 'failure' : 'success';
    } finally {
      if (admission?.admitted) admission.release();
    }
    github.runs.update(this.record, 'completed', conclusion);
    this.#event({ event: 'run-completed', detail: conclusion });
    return this.#transcript(conclusion, errors);
  }

  #transcript(conclusion: RunConclusion, errors: string[]): Transcript {
    return {
      runId: this.record.id,
      runNumber: this.record.runNumber,
      workflow: this.#top.name,
      path: this.#top.path,
      event: this.#trigger.event,
      conclusion,
      errors: errors.map((error) => this.#mask(error)),
      jobs: this.#jobs,
      events: this.#events,
      durationMs: this.#now(),
    };
  }

  /** workflow_dispatch inputs, typed by their declarations (GitHub sends them as strings in the event). */
  #dispatchInputs(): Record<string, Value> {
    const declared = entry(entry(entry(this.#top.root, 'on'), 'workflow_dispatch'), 'inputs');
    const result: Record<string, Value> = {};
    for (const [name, spec] of entries(declared)) {
      const given = this.#trigger.inputs[name] ?? literal(entry(spec, 'default')) ?? '';
      const type = literal(entry(spec, 'type')) ?? 'string';
      result[name] = type === 'boolean' ? given === 'true' : type === 'number' ? Number(given) : given;
    }
    return result;
  }

  #workflowGrant(workflow: LoadedWorkflow, fallback: PermissionSet): PermissionSet {
    const declared = entry(workflow.root, 'permissions');
    return declared ? parsePermissions(literalValue(declared)) : fallback;
  }

  /**
   * GitHub's start-up check of the permission chain: every job of a called workflow, skipped or not,
   * may ask for no more than its calling job was granted ("The nested job 'x' is requesting
   * 'packages: write', but is only allowed 'packages: read'").
   */
  #checkPermissions(workflow: LoadedWorkflow, grant: PermissionSet, chain: string[], errors: string[], top: boolean): void {
    for (const { model, raw } of workflow.jobs) {
      const own = entry(raw, 'permissions');
      const requested = own ? parsePermissions(literalValue(own)) : this.#workflowGrant(workflow, grant);
      if (!top) {
        for (const { scope, requested: level, allowed } of excess(requested, grant)) {
          errors.push(`${chain.at(-2) ?? workflow.ref}: Error calling workflow '${workflow.ref}'. The nested job '${model.id.value}' is requesting '${scope}: ${level}', but is only allowed '${scope}: ${allowed}'.`);
        }
      }
      if (model.type === 'reusableWorkflowJob') {
        const target = this.#environment.loader.resolveCall((model as ReusableWorkflowJob).ref.value, workflow);
        const called = this.#environment.loader.loaded(target.repository, target.path, target.version);
        if (called) this.#checkPermissions(called, top ? requested : minimum(requested, grant), [...chain, called.ref], errors, false);
      }
    }
  }

  async #concurrency(token: TemplateToken | undefined, contexts: Record<string, unknown>, label: string, cancel: (reason: string) => void = () => this.cancel()): Promise<Admission | undefined> {
    if (!token) return undefined;
    const value = await evaluateToken(token, { contexts });
    const setting: ConcurrencySetting =
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? { group: asString((value as Record<string, Value>)['group'] ?? ''), cancelInProgress: truthy((value as Record<string, Value>)['cancel-in-progress'] ?? false), queue: asString((value as Record<string, Value>)['queue'] ?? 'single') === 'max' ? 'max' : 'single' }
        : { group: asString(value), cancelInProgress: false, queue: 'single' };
    let waited = false;
    const admission = await this.#environment.groups.acquire(setting, { label, cancel }, this.#cancelled, () => {
      waited = true;
      this.#event({ event: 'concurrency-waiting', detail: setting.group });
    });
    this.#event({ event: admission.admitted ? 'concurrency-acquired' : 'concurrency-cancelled', detail: `${setting.group}${waited ? ' (after waiting)' : ''}` });
    return admission;
  }

  /** A workflow's jobs, each when its needs are done; results by job id. */
  async #runJobs(ctx: CallContext): Promise<Map<string, NeedsEntry>> {
    const results = new Map<string, NeedsEntry>();
    const finished = new Map<string, Promise<NeedsEntry>>();
    const byId = new Map(ctx.workflow.jobs.map((job) => [job.model.id.value, job]));
    const ancestors = (id: string, seen = new Set<string>()): Set<string> => {
      for (const need of byId.get(id)?.model.needs?.map((token) => token.value) ?? []) {
        if (seen.has(need)) continue;
        seen.add(need);
        ancestors(need, seen);
      }
      return seen;
    };
    const start = (id: string): Promise<NeedsEntry> => {
      const existing = finished.get(id);
      if (existing) return existing;
      const job = byId.get(id) as { model: WorkflowJob; raw: MappingToken };
      const promise = (async () => {
        const needIds = job.model.needs?.map((token) => token.value) ?? [];
        await Promise.all(needIds.map(start));
        const needs = Object.fromEntries(needIds.map((need) => [need, results.get(need) as NeedsEntry]));
        const failedAncestor = [...ancestors(id)].some((ancestor) => results.get(ancestor)?.result === 'failure');
        const outcome = await this.#runJob(ctx, job, needs, failedAncestor);
        results.set(id, outcome);
        return outcome;
      })();
      finished.set(id, promise);
      return promise;
    };
    await Promise.all([...byId.keys()].map(start));
    return results;
  }

  async #runJob(ctx: CallContext, job: { model: WorkflowJob; raw: MappingToken }, needs: Record<string, NeedsEntry>, failedAncestor: boolean): Promise<NeedsEntry> {
    const id = job.model.id.value;
    const path = `${ctx.prefix}${id}`;
    const vars = this.#environment.services.vars;
    const ifScope: Scope = {
      contexts: { github: this.#github, needs, vars, inputs: ctx.inputs },
      status: {
        success: () => Object.values(needs).every((need) => need.result === 'success') && !this.#cancelRequested,
        failure: () => failedAncestor,
        cancelled: () => this.#cancelRequested,
      },
    };
    let runs: boolean;
    try {
      runs = truthy(await evaluateToken(job.model.if, ifScope, schemaContext('job-if')));
    } catch (error) {
      return this.#refused(path, id, (error as Error).message);
    }
    if (!runs) {
      const result: Result = this.#cancelRequested ? 'cancelled' : 'skipped';
      this.#jobs.push({ path, id, result, conclusion: result, outputs: {}, waits: [], permissions: {}, runsOn: [], steps: [], startedAt: this.#now(), durationMs: 0, reason: this.#cancelRequested ? 'the run was cancelled before the job started' : `if: ${literalIf(job.model.if)} was false` });
      this.#event({ event: 'job-skipped', job: path, detail: result });
      const listed = this.#environment.services.github.runs.addJob(this.record, path, []);
      Object.assign(listed, { status: 'completed', conclusion: result, completedAt: listed.startedAt });
      return { result, outputs: {} };
    }
    // strategy: matrix, fail-fast, max-parallel.
    let strategy: Record<string, Value> = {};
    let combinations: Array<Record<string, Value> | undefined> = [undefined];
    const strategyToken = entry(job.raw, 'strategy');
    try {
      if (strategyToken) {
        strategy = (await evaluateToken(strategyToken, { contexts: { github: this.#github, needs, vars, inputs: ctx.inputs } })) as Record<string, Value>;
        if (strategy['matrix'] !== undefined) combinations = expandMatrix(strategy['matrix'] as Record<string, Value>);
      }
    } catch (error) {
      return this.#refused(path, id, (error as Error).message);
    }
    const failFast = strategy['fail-fast'] === undefined ? true : truthy(strategy['fail-fast']);
    const maxParallel = Number(strategy['max-parallel'] ?? combinations.length) || combinations.length;
    const instances: Array<Promise<NeedsEntry>> = [];
    const executions: Array<{ cancel: (reason: string) => void }> = [];
    let active = 0;
    const queue: Array<() => void> = [];
    let failedFast = false;
    const outputs: Record<string, string> = {};
    for (const [index, combination] of combinations.entries()) {
      const strategyContext: Record<string, Value> = { 'fail-fast': failFast, 'job-index': index, 'job-total': combinations.length, 'max-parallel': maxParallel };
      const instancePath = combination ? `${ctx.prefix}${matrixJobName(id, combination)}` : path;
      instances.push(
        (async () => {
          if (active >= maxParallel) await new Promise<void>((resolve) => queue.push(resolve));
          active += 1;
          try {
            if (failedFast) {
              this.#jobs.push({ path: instancePath, id, result: 'cancelled', conclusion: 'cancelled', outputs: {}, waits: [], permissions: {}, runsOn: [], steps: [], startedAt: this.#now(), durationMs: 0, reason: 'cancelled by fail-fast: another job of the matrix failed', ...(combination ? { matrix: combination } : {}) });
              return { result: 'cancelled' as Result, outputs: {} };
            }
            const outcome =
              job.model.type === 'reusableWorkflowJob'
                ? await this.#runCall(ctx, job as { model: ReusableWorkflowJob; raw: MappingToken }, instancePath, needs, combination, strategyContext, executions)
                : await this.#runPlainJob(ctx, job, instancePath, needs, combination, strategyContext, executions);
            if (outcome.result === 'failure' && failFast && !failedFast) {
              failedFast = true;
              for (const execution of executions) execution.cancel('cancelled by fail-fast: another job of the matrix failed');
            }
            // Matrix outputs: the last job to finish sets a name; of a called workflow's legs, the
            // last successful one (RWH).
            if (job.model.type !== 'reusableWorkflowJob' || outcome.result === 'success') Object.assign(outputs, outcome.outputs);
            return outcome;
          } finally {
            active -= 1;
            queue.shift()?.();
          }
        })(),
      );
    }
    const outcomes = await Promise.all(instances);
    return { result: aggregate(outcomes.map((outcome) => outcome.result)), outputs };
  }

  #refused(path: string, id: string, reason: string): NeedsEntry {
    this.#jobs.push({ path, id, result: 'failure', conclusion: 'failure', outputs: {}, waits: [], permissions: {}, runsOn: [], steps: [], startedAt: this.#now(), durationMs: 0, reason: this.#mask(reason) });
    this.#event({ event: 'job-completed', job: path, detail: 'failure' });
    return { result: 'failure', outputs: {} };
  }

  async #runPlainJob(
    ctx: CallContext,
    job: { model: WorkflowJob; raw: MappingToken },
    path: string,
    needs: Record<string, NeedsEntry>,
    combination: Record<string, Value> | undefined,
    strategy: Record<string, Value>,
    executions: Array<{ cancel: (reason: string) => void }>,
  ): Promise<NeedsEntry> {
    const model = job.model as WorkflowJob & { steps: Array<{ id: string; if?: TemplateToken; name?: TemplateToken; 'continue-on-error'?: boolean | TemplateToken }> };
    const jobModel: JobModel = { id: model.id.value, if: model.if, steps: model.steps };
    const execution = new JobExecution(this.#services(), ctx, jobModel, job.raw, path, needs, combination, strategy);
    executions.push(execution);
    const admission = await this.#concurrency(
      entry(job.raw, 'concurrency'),
      { github: this.#github, needs, vars: this.#environment.services.vars, inputs: ctx.inputs, strategy, matrix: combination ?? {} },
      path,
      (reason) => execution.cancel(reason),
    );
    if (admission && !admission.admitted) {
      this.#jobs.push({ ...execution.record, result: 'cancelled', conclusion: 'cancelled', reason: admission.reason });
      return { result: 'cancelled', outputs: {} };
    }
    try {
      const record = await execution.run();
      this.#jobs.push(record);
      return { result: record.result, outputs: record.outputs };
    } finally {
      if (admission?.admitted) admission.release();
    }
  }

  /**
   * A job that calls a reusable workflow: its inputs typed as the callee declares them, its
   * secrets (named, or inherit), its permissions as the callee's ceiling, the callee's own
   * concurrency group, then the callee's jobs under "<job> / ", and its outputs from
   * on.workflow_call.outputs with the jobs context.
   */
  async #runCall(
    ctx: CallContext,
    job: { model: ReusableWorkflowJob; raw: MappingToken },
    path: string,
    needs: Record<string, NeedsEntry>,
    combination: Record<string, Value> | undefined,
    strategy: Record<string, Value>,
    _executions: Array<{ cancel: (reason: string) => void }>,
  ): Promise<NeedsEntry> {
    const started = this.#now();
    const loader = this.#environment.loader;
    const target = loader.resolveCall(job.model.ref.value, ctx.workflow);
    const callee = await loader.load(target.repository, target.path, target.version);
    const callScope: Scope = {
      contexts: { github: this.#github, needs, vars: this.#environment.services.vars, inputs: ctx.inputs, strategy, matrix: combination ?? {}, secrets: ctx.secrets },
    };
    const call = entry(entry(callee.root, 'on'), 'workflow_call');
    const record: JobRecord = { path, id: job.model.id.value, result: 'success', conclusion: 'success', outputs: {}, waits: [], permissions: {}, runsOn: [], steps: [], startedAt: started, durationMs: 0, ...(combination ? { matrix: combination } : {}) };
    this.#event({ event: 'job-started', job: path, detail: `calls ${callee.ref}` });
    const inputs: Record<string, Value> = {};
    const secrets: Record<string, string> = {};
    try {
      const given = (await evaluateToken(entry(job.raw, 'with'), callScope)) as Record<string, Value> | null;
      for (const [name, spec] of entries(entry(call, 'inputs'))) {
        const type = literal(entry(spec, 'type')) ?? 'string';
        const key = given ? Object.keys(given).find((candidate) => candidate.toLowerCase() === name.toLowerCase()) : undefined;
        if (key !== undefined) {
          inputs[name] = typedInput(name, type, (given as Record<string, Value>)[key] ?? null);
        } else if (entry(spec, 'default')) {
          inputs[name] = typedInput(name, type, await evaluateToken(entry(spec, 'default'), { contexts: { github: this.#github, inputs: {}, vars: this.#environment.services.vars } }));
        } else {
          inputs[name] = type === 'boolean' ? false : type === 'number' ? 0 : '';
        }
      }
      const inherit = literal(entry(job.raw, 'secrets')) === 'inherit';
      if (inherit) Object.assign(secrets, ctx.secrets);
      else for (const [name, value] of Object.entries(((await evaluateToken(entry(job.raw, 'secrets'), callScope)) ?? {}) as Record<string, Value>)) secrets[name] = asString(value);
      const own = entry(job.raw, 'permissions');
      const grant = own ? parsePermissions(literalValue(own)) : this.#workflowGrant(ctx.workflow, ctx.grant);
      const calleeCtx: CallContext = {
        workflow: callee,
        prefix: `${path} / `,
        inputs,
        secrets,
        environmentSecrets: ctx.environmentSecrets && inherit,
        grant: this.#workflowGrant(callee, grant),
        depth: ctx.depth + 1,
      };
      const admission = await this.#concurrency(entry(callee.root, 'concurrency'), { github: this.#github, inputs, vars: this.#environment.services.vars }, path);
      if (admission && !admission.admitted) {
        record.result = record.conclusion = 'cancelled';
        record.reason = admission.reason;
      } else {
        try {
          const results = await this.#runJobs(calleeCtx);
          record.result = record.conclusion = aggregate([...results.values()].map((entry) => entry.result).map((result) => (result === 'skipped' ? 'success' : result)));
          const jobs = Object.fromEntries([...results.entries()].map(([id, entry]) => [id, { result: entry.result, outputs: entry.outputs }]));
          for (const [name, spec] of entries(entry(call, 'outputs'))) {
            const value = asString(await evaluateToken(entry(spec, 'value'), { contexts: { github: this.#github, inputs, vars: this.#environment.services.vars, jobs, secrets } }));
            if (value !== '') record.outputs[name] = value;
          }
        } finally {
          if (admission?.admitted) admission.release();
        }
      }
    } catch (error) {
      record.result = record.conclusion = 'failure';
      record.reason = this.#mask((error as Error).message);
    }
    if (this.#cancelRequested && record.result === 'success' && [...this.#jobs].some((other) => other.path.startsWith(`${path} / `) && other.result === 'cancelled')) record.result = record.conclusion = 'cancelled';
    record.durationMs = this.#now() - started;
    this.#jobs.push(record);
    this.#event({ event: 'job-completed', job: path, detail: record.result });
    return { result: record.result, outputs: record.outputs };
  }
}

/** A called workflow's input, typed strictly as GitHub types it ("Unexpected value 'false'" for a string to a boolean). */
function typedInput(name: string, type: string, value: Value): Value {
  if (type === 'boolean') {
    if (typeof value !== 'boolean') throw new Error(`The template is not valid. Input ${name}: Unexpected value '${asString(value)}' (a boolean is expected)`);
    return value;
  }
  if (type === 'number') {
    if (typeof value !== 'number') throw new Error(`The template is not valid. Input ${name}: Unexpected value '${asString(value)}' (a number is expected)`);
    return value;
  }
  if (value !== null && typeof value === 'object') throw new Error(`The template is not valid. Input ${name}: a ${Array.isArray(value) ? 'sequence' : 'mapping'} was not expected (a string is expected)`);
  return asString(value);
}

/** permissions: are literal in workflow syntax (no expressions). */
function literalValue(token: TemplateToken): Value {
  const { isMapping, isString } = workflowParser;
  if (isString(token)) return token.value;
  if (isMapping(token)) return Object.fromEntries(entries(token).map(([key, value]) => [key, literal(value) ?? null]));
  return null;
}

function literalIf(token: TemplateToken): string {
  return (token as unknown as { expression?: string }).expression ?? String(literal(token));
}

function minimum(a: PermissionSet, b: PermissionSet): PermissionSet {
  const rank = { none: 0, read: 1, write: 2 } as const;
  return Object.fromEntries(Object.keys({ ...a, ...b }).map((scope) => [scope, rank[a[scope] ?? 'none'] <= rank[b[scope] ?? 'none'] ? (a[scope] ?? 'none') : (b[scope] ?? 'none')]));
}
