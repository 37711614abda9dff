import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, matchesGlob } from 'node:path';
import type { Deployment, GitHubDouble } from '../github/server.ts';
import type { WorkflowRun as RunRecord } from '../github/actions-runs.ts';
import type { OidcDouble } from '../github/oidc.ts';
import { postIfHolds, RUNS_IF_CONTEXT, type StepResult } from '../../harness/run-action.ts';
import { asString, entry, evaluateToken, ExpressionFailure, literal, schemaContext, truthy, type Scope, type StatusFunctions, type Value } from './expressions.ts';
import { workflowParser, type MappingToken, type TemplateToken } from './parser.ts';
import { describePermissions, parsePermissions, tokenScopes, type PermissionSet } from './permissions.ts';
import { actionEnv, resolveAction, runAction, runScript, type StepProcessContext } from './steps.ts';
import type { JobRecord, Result, StepRecord, TranscriptEvent, WaitRecord } from './transcript.ts';
import { rawSteps, type LoadedWorkflow, type Repository } from './workflows.ts';

/**
 * One job on the runner double: a runner picked by its labels, the environment's protection rules
 * (reviewers through the real pending_deployments operation, wait timer, branch policy) and
 * deployment record, a GITHUB_TOKEN with exactly the job's permissions, an OIDC token service when
 * it may ask for one, the steps in order with `if` read against the job's status, post steps in
 * reverse at the end, and the job's outputs.
 */

/** What a workflow (or a called one) passes to its jobs. */
export interface CallContext {
  workflow: LoadedWorkflow;
  /** "" for the run's own workflow; "production / " inside the workflow job production calls. */
  prefix: string;
  inputs: Record<string, Value>;
  /** The secrets this workflow sees (GITHUB_TOKEN is added per job). */
  secrets: Record<string, string>;
  /** Whether environment secrets reach its jobs that name an environment (top level, or secrets: inherit all the way). */
  environmentSecrets: boolean;
  /** What a job that declares no permissions gets. */
  grant: PermissionSet;
  /** The calling job, for github.job_workflow_ref and transcripts. */
  depth: number;
}

export interface RunnerMachine {
  name: string;
  labels: string[];
  hosted: boolean;
  env: Record<string, string>;
  home: string;
  /** Self-hosted: one job at a time (the queue). */
  busy: Promise<void>;
}

/** What a job needs from the run and the runner double. */
export interface JobServices {
  github: GitHubDouble;
  oidc: OidcDouble;
  record: RunRecord;
  vars: Record<string, string>;
  repositories: (name: string) => Repository | undefined;
  repositoryEnv: string;
  /** The results service's environment for a job's actions, by "<run id>\n<job path>". */
  runtimeEnv: (key: string) => Record<string, string>;
  pickRunner(labels: string[]): RunnerMachine | undefined;
  githubContext(): Record<string, Value>;
  event(event: Omit<TranscriptEvent, 'at'>): void;
  now(): number;
  mask(text: string): string;
  addMask(value: string): void;
  /** Resolves when the run is cancelled. */
  cancelled: Promise<void>;
  isCancelled(): boolean;
  minuteMs: number;
  delays: { termMs: number; killMs: number };
  workRoot: string;
  /**
   * A test's cut: a reason to stop a job before a step (the step that would run this very suite,
   * in ci.yml); the job ends there as if its remaining steps had passed, post steps still run.
   */
  stopAt?: (job: string, step: { run?: string; uses?: string }) => string | undefined;
}

export interface NeedsEntry {
  result: Result;
  outputs: Record<string, string>;
}

/** What the runner double reads from the parser's model of a job (ids, normalized ifs, step names). */
export interface StepModel {
  id: string;
  if?: TemplateToken;
  name?: TemplateToken;
  'continue-on-error'?: boolean | TemplateToken;
}

export interface JobModel {
  id: string;
  if: TemplateToken;
  steps: StepModel[];
}

interface PostStep {
  name: string;
  uses: string;
  run: (stop: Promise<unknown>) => Promise<StepResult>;
  condition: string | undefined;
}

const HOSTED = /^(ubuntu-(latest|\d\d\.\d\d|slim)|ubuntu-\d\d\.\d\d-arm)$/;

export function isHostedLabel(label: string): boolean {
  return HOSTED.test(label);
}

function stringMap(value: Value): Record<string, string> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`expected a mapping, got ${JSON.stringify(value)}`);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asString(item)]));
}

export class JobExecution {
  readonly record: JobRecord;
  readonly #services: JobServices;
  readonly #ctx: CallContext;
  readonly #raw: MappingToken;
  readonly #model: JobModel;
  readonly #needs: Record<string, NeedsEntry>;
  readonly #matrix: Record<string, Value> | undefined;
  readonly #strategy: Record<string, Value>;
  #cancelReason: string | undefined;
  #cancelResolve!: () => void;
  readonly #cancel: Promise<void>;
  /** The job's `if` still holds after the run's cancellation (always()): it goes on as if not cancelled. */
  #keptAlive = false;
  #status: 'success' | 'failure' = 'success';

  constructor(services: JobServices, ctx: CallContext, model: JobModel, raw: MappingToken, path: string, needs: Record<string, NeedsEntry>, matrix: Record<string, Value> | undefined, strategy: Record<string, Value>) {
    this.#services = services;
    this.#ctx = ctx;
    this.#model = model;
    this.#raw = raw;
    this.#needs = needs;
    this.#matrix = matrix;
    this.#strategy = strategy;
    this.#cancel = new Promise((resolve) => (this.#cancelResolve = resolve));
    this.record = {
      path,
      id: this.#model.id,
      result: 'success',
      conclusion: 'success',
      outputs: {},
      waits: [],
      permissions: {},
      runsOn: [],
      steps: [],
      startedAt: services.now(),
      durationMs: 0,
      ...(matrix ? { matrix } : {}),
    };
  }

  /** Cancels this job: its timeout, a concurrency group's cancel-in-progress. */
  cancel(reason: string): void {
    this.#cancelReason ??= reason;
    this.#cancelResolve();
  }

  get #jobCancelled(): boolean {
    return this.#cancelReason !== undefined || (this.#services.isCancelled() && !this.#keptAlive);
  }

  #statusFunctions(): StatusFunctions {
    return {
      success: () => this.#status === 'success' && !this.#jobCancelled,
      failure: () => this.#status === 'failure',
      cancelled: () => this.#jobCancelled,
    };
  }

  async run(): Promise<JobRecord> {
    const services = this.#services;
    services.event({ event: 'job-started', job: this.record.path });
    void services.cancelled.then(() => {
      // The run's cancellation: the server re-evaluates the job's if; a job whose if still holds goes on.
      void this.#evaluateJobIf(true).then((still) => {
        if (still) this.#keptAlive = true;
        else this.cancel('the run was cancelled');
      });
    });
    try {
      await this.#execute();
    } catch (error) {
      this.#fail(error instanceof ExpressionFailure || error instanceof Error ? error.message : String(error));
    }
    const cancelled = this.#jobCancelled;
    const failed = this.#status === 'failure';
    const conclusion: Result = cancelled ? 'cancelled' : failed ? 'failure' : 'success';
    this.#reportJob(conclusion);
    const continueOnError = truthy(await this.#evaluate(entry(this.#raw, 'continue-on-error'), false).catch(() => false));
    if (conclusion === 'cancelled' && this.#cancelReason && this.#cancelReason !== 'the run was cancelled') this.record.reason ??= this.#cancelReason;
    this.record.conclusion = conclusion;
    this.record.result = conclusion === 'failure' && continueOnError ? 'success' : conclusion;
    this.record.durationMs = services.now() - this.record.startedAt;
    services.event({ event: 'job-completed', job: this.record.path, detail: this.record.conclusion });
    return this.record;
  }

  /** The job as GitHub's API lists it (GET .../actions/runs/{id}/jobs): name, labels, runner, steps. */
  #reportJob(conclusion: Result): void {
    const github = this.#services.github;
    const job = github.runs.addJob(this.#services.record, this.record.path, this.record.runsOn);
    job.status = 'completed';
    job.conclusion = conclusion;
    job.runnerName = this.record.runner ?? null;
    job.completedAt = github.timestamp();
    job.steps = this.record.steps.map((step, index) => ({ name: step.name, number: index + 1, status: 'completed', conclusion: step.conclusion, startedAt: job.startedAt, completedAt: job.completedAt }));
  }

  async #evaluateJobIf(cancelled: boolean): Promise<boolean> {
    const scope: Scope = {
      contexts: { github: this.#services.githubContext(), needs: this.#needs, vars: this.#services.vars, inputs: this.#ctx.inputs },
      status: { success: () => !cancelled, failure: () => false, cancelled: () => cancelled },
    };
    return truthy(await evaluateToken(this.#model.if, scope, schemaContext('job-if')));
  }

  #fail(reason: string): void {
    this.#status = 'failure';
    this.record.reason ??= reason;
  }

  /** Contexts at job level (runs-on, environment, env, outputs...). */
  #jobScope(extra: Record<string, unknown> = {}): Scope {
    return {
      contexts: {
        github: this.#services.githubContext(),
        needs: this.#needs,
        vars: this.#vars,
        inputs: this.#ctx.inputs,
        strategy: this.#strategy,
        matrix: this.#matrix ?? {},
        secrets: this.#secrets,
        ...extra,
      },
      status: this.#statusFunctions(),
    };
  }

  #vars: Record<string, string> = {};
  #secrets: Record<string, string> = {};

  async #evaluate(token: TemplateToken | undefined, fallback: Value, extra: Record<string, unknown> = {}): Promise<Value> {
    if (token === undefined) return fallback;
    return evaluateToken(token, this.#jobScope(extra));
  }

  async #execute(): Promise<void> {
    const services = this.#services;
    const ctx = this.#ctx;
    this.#vars = { ...services.vars };
    this.#secrets = { ...ctx.secrets };

    // Permissions: the job's own, else its workflow's, else what the caller (or the repository) grants.
    const declared = entry(this.#raw, 'permissions') ?? entry(ctx.workflow.root, 'permissions');
    const permissions = declared ? parsePermissions(await evaluateToken(declared, { contexts: {} })) : ctx.grant;
    this.record.permissions = describePermissions(permissions);

    // runs-on: a label, a list of labels or { group, labels }.
    const runsOnValue = await this.#evaluate(entry(this.#raw, 'runs-on'), null);
    const labels = (Array.isArray(runsOnValue) ? runsOnValue : runsOnValue !== null && typeof runsOnValue === 'object' ? [((runsOnValue as Record<string, Value>)['labels'] ?? [])].flat() : [runsOnValue]).map(asString);
    this.record.runsOn = labels;
    const machine = services.pickRunner(labels);
    if (!machine) {
      this.#fail(`no runner has the labels [${labels.join(', ')}]: on GitHub the job would stay queued (and fail after 24 hours)`);
      return;
    }
    this.record.runner = machine.name;
    // A self-hosted runner takes one job at a time.
    const previous = machine.busy;
    let freeRunner!: () => void;
    machine.busy = new Promise((resolve) => (freeRunner = resolve));
    await previous;
    try {
      await this.#onRunner(machine, permissions);
    } finally {
      freeRunner();
    }
  }

  async #onRunner(machine: RunnerMachine, permissions: PermissionSet): Promise<void> {
    const services = this.#services;
    const ctx = this.#ctx;
    const environment = await this.#environmentGate();
    if (environment === 'stop') return;

    // The job's GITHUB_TOKEN: exactly its permissions, valid until the job ends.
    const token = `ghs_${randomUUID().replace(/-/g, '')}`;
    services.github.grant(token, tokenScopes(permissions), 'github-actions[bot]');
    services.addMask(token);
    this.#secrets['GITHUB_TOKEN'] = token;
    const github: Record<string, Value> = { ...services.githubContext(), token, job: this.#model.id };
    const workspace = machine.hosted ? mkdtempSync(join(services.workRoot, 'hosted-workspace-')) : join(machine.home, 'work', services.repositoryEnv.split('/')[1] ?? 'repo');
    mkdirSync(workspace, { recursive: true });
    const runnerTemp = mkdtempSync(join(services.workRoot, 'runner-temp-'));
    const stepRoot = mkdtempSync(join(services.workRoot, 'steps-'));
    github['workspace'] = workspace;

    let oidcToken: string | undefined;
    const oidcEnv: Record<string, string> = {};
    if (permissions['id-token'] === 'write') {
      const claims = this.#oidcClaims(github, environment?.name);
      Object.assign(oidcEnv, services.oidc.grant(claims));
      oidcToken = oidcEnv['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
      if (oidcToken) services.addMask(oidcToken);
    }

    // Job timeout (default 360 minutes): the job is cancelled.
    const timeoutMinutes = Number(asString(await this.#evaluate(entry(this.#raw, 'timeout-minutes'), 360)));
    const jobTimer = setTimeout(() => this.cancel(`The job has exceeded the maximum execution time of ${timeoutMinutes} minutes.`), timeoutMinutes * services.minuteMs);

    const workflowEnv = stringMap(await evaluateToken(entry(ctx.workflow.root, 'env'), { contexts: { github, secrets: this.#secrets, inputs: ctx.inputs, vars: this.#vars } }));
    const jobEnv = stringMap(await this.#evaluate(entry(this.#raw, 'env'), null, { github }));
    const fileEnv: Record<string, string> = {};
    const pathAdditions: string[] = [];
    const steps: Record<string, { outputs: Record<string, string>; outcome: Result; conclusion: Result }> = {};
    const posts: PostStep[] = [];
    const defaults = entry(entry(this.#raw, 'defaults') ?? entry(ctx.workflow.root, 'defaults'), 'run');

    const eventPath = join(runnerTemp, '_github_workflow', 'event.json');
    mkdirSync(join(runnerTemp, '_github_workflow'), { recursive: true });
    writeFileSync(eventPath, JSON.stringify(github['event'] ?? {}));
    const runnerContext = { name: machine.name, os: 'Linux', arch: 'X64', temp: runnerTemp, tool_cache: join(machine.home, 'toolcache'), debug: '', environment: machine.hosted ? 'github-hosted' : 'self-hosted' };
    const baseEnv = (): Record<string, string> => ({
      PATH: [...pathAdditions, machine.env['PATH'] ?? process.env['PATH'] ?? ''].join(':'),
      HOME: machine.home,
      LANG: 'C.UTF-8',
      ...Object.fromEntries(Object.entries(machine.env).filter(([key]) => key !== 'PATH')),
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTOR: asString(github['actor'] as Value),
      GITHUB_TRIGGERING_ACTOR: asString(github['triggering_actor'] as Value),
      GITHUB_API_URL: services.github.apiUrl,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_GRAPHQL_URL: `${services.github.apiUrl}/graphql`,
      GITHUB_REPOSITORY: asString(github['repository'] as Value),
      GITHUB_REPOSITORY_OWNER: asString(github['repository_owner'] as Value),
      GITHUB_SHA: asString(github['sha'] as Value),
      GITHUB_REF: asString(github['ref'] as Value),
      GITHUB_REF_NAME: asString(github['ref_name'] as Value),
      GITHUB_REF_TYPE: asString(github['ref_type'] as Value),
      GITHUB_RUN_ID: String(services.record.id),
      GITHUB_RUN_NUMBER: String(services.record.runNumber),
      GITHUB_RUN_ATTEMPT: String(services.record.runAttempt),
      GITHUB_WORKFLOW: asString(github['workflow'] as Value),
      GITHUB_WORKFLOW_REF: asString(github['workflow_ref'] as Value),
      GITHUB_WORKFLOW_SHA: asString(github['workflow_sha'] as Value),
      GITHUB_JOB: this.#model.id,
      GITHUB_EVENT_NAME: asString(github['event_name'] as Value),
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_WORKSPACE: workspace,
      GITHUB_RETENTION_DAYS: '90',
      RUNNER_TEMP: runnerTemp,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_NAME: machine.name,
      RUNNER_ENVIRONMENT: runnerContext.environment,
      RUNNER_TOOL_CACHE: runnerContext.tool_cache,
      ...oidcEnv,
    });

    const stepScope = (): Scope => ({
      contexts: {
        github,
        needs: this.#needs,
        vars: this.#vars,
        inputs: ctx.inputs,
        strategy: this.#strategy,
        matrix: this.#matrix ?? {},
        secrets: this.#secrets,
        steps,
        job: { status: this.#jobCancelled ? 'cancelled' : this.#status, container: {}, services: {} },
        runner: runnerContext,
        env: { ...workflowEnv, ...jobEnv, ...fileEnv },
      },
      status: this.#statusFunctions(),
      workspace,
    });

    const rawStepList = rawSteps(this.#raw);
    // "Set up job": the runner fetches every action a step names (except ./ ones, read when their
    // step runs) before the first step; one it cannot get fails the job there.
    for (const raw of rawStepList) {
      const uses = literal(entry(raw, 'uses'));
      if (!uses || uses.startsWith('./')) continue;
      try {
        resolveAction(uses, ctx.workflow.repository, workspace, services.repositories);
      } catch (error) {
        this.#fail(`Set up job: ${(error as Error).message}`);
        clearTimeout(jobTimer);
        services.github.tokens.delete(token);
        return;
      }
    }
    try {
      let cut: string | undefined;
      for (const [index, model] of this.#model.steps.entries()) {
        const raw = rawStepList[index] as MappingToken;
        const name = await this.#stepName(model, raw, stepScope);
        const run = entry(raw, 'run') as (TemplateToken & { source?: string }) | undefined;
        cut ??= services.stopAt?.(this.record.path, { ...(run ? { run: literal(run) ?? run.source ?? '' } : {}), ...(literal(entry(raw, 'uses')) ? { uses: literal(entry(raw, 'uses')) as string } : {}) });
        if (cut) {
          this.record.steps.push({ ...this.#skippedStep(name, run ? 'run' : 'action', literal(entry(raw, 'uses')), services.now(), model.id.startsWith('__') ? undefined : model.id), notices: [`not run: ${cut}`] });
          continue;
        }
        const record = await this.#step(model, raw, name, {
          scope: stepScope,
          env: (stepEnv) => ({ ...baseEnv(), ...workflowEnv, ...jobEnv, ...fileEnv, ...stepEnv }),
          workspace,
          runnerTemp,
          stepRoot,
          defaults,
          github,
          posts,
          onResult: (result) => {
            Object.assign(fileEnv, result.env);
            pathAdditions.unshift(...[...result.path].reverse());
          },
        });
        if (model.id && !model.id.startsWith('__')) steps[model.id] = { outputs: record.outputs, outcome: record.outcome, conclusion: record.conclusion };
      }
      // Post steps: in reverse order, each if its main step ran and its post-if holds now.
      for (const post of posts.reverse()) {
        const scope = stepScope();
        const holds = postIfHolds(post.condition, { ...scope, contexts: Object.fromEntries(RUNS_IF_CONTEXT.filter((name) => !name.includes('(')).map((name) => [name, scope.contexts[name]])) });
        const started = services.now();
        if (!holds) {
          this.record.steps.push(this.#skippedStep(`Post ${post.name}`, 'post', post.uses, started));
          continue;
        }
        services.event({ event: 'step-started', job: this.record.path, step: `Post ${post.name}` });
        const result = await post.run(this.#stopSignal(async () => false));
        const outcome: Result = result.cancelled ? 'cancelled' : result.exitCode === 0 ? 'success' : 'failure';
        if (outcome === 'failure') this.#status = 'failure';
        this.record.steps.push(this.#stepRecord(`Post ${post.name}`, undefined, 'post', post.uses, result, outcome, outcome, started));
        services.event({ event: 'step-completed', job: this.record.path, step: `Post ${post.name}`, detail: outcome });
      }
    } finally {
      clearTimeout(jobTimer);
    }

    // Outputs, then the environment's URL (it may use steps) and the deployment's final status.
    const outputScope = stepScope();
    for (const [name, token] of entriesOf(entry(this.#raw, 'outputs'))) {
      let value: string;
      try {
        value = asString(await evaluateToken(token, outputScope));
      } catch (error) {
        this.#fail(`output ${name}: ${(error as Error).message}`);
        continue;
      }
      if (value === '') continue;
      if (services.mask(value) !== value) {
        this.record.steps.at(-1)?.warnings.push(`Skip output '${name}' since it may contain secret.`);
        continue;
      }
      this.record.outputs[name] = value;
    }
    if (environment) {
      const url = environment.urlToken ? asString(await evaluateToken(environment.urlToken, outputScope).catch(() => '')) : '';
      const shownUrl = services.mask(url) === url ? url : '';
      this.record.environment = { name: environment.name, url: shownUrl, ...(environment.deployment ? { deploymentId: environment.deployment.id } : {}) };
      if (environment.deployment) {
        const state = this.#jobCancelled ? 'error' : this.#status === 'failure' ? 'failure' : 'success';
        this.#deploymentStatus(environment.deployment, state, shownUrl);
      }
    }
    services.github.tokens.delete(token);
    if (oidcToken) services.oidc.revoke(oidcToken);
  }

  /** A step's stop signal: the job's cancellation, unless the step's if still holds then (always()). */
  #stopSignal(stillRuns: () => Promise<boolean>, timeoutMs?: number): Promise<unknown> {
    return new Promise((resolve) => {
      void this.#cancel.then(async () => {
        if (!(await stillRuns().catch(() => false))) resolve('cancelled');
      });
      if (timeoutMs !== undefined) setTimeout(() => resolve('timeout'), timeoutMs).unref();
    });
  }

  async #stepName(model: StepModel, raw: MappingToken, scope: () => Scope): Promise<string> {
    if (model.name) {
      try {
        return asString(await evaluateToken(model.name, scope()));
      } catch {
        // fall through to the default name
      }
    }
    const uses = literal(entry(raw, 'uses'));
    if (uses) return uses.replace(/@[0-9a-f]{40}$/, '');
    const run = entry(raw, 'run') as (TemplateToken & { source?: string }) | undefined;
    return `Run ${(literal(run) ?? run?.source ?? 'script').trim().split('\n')[0]}`;
  }

  #skippedStep(name: string, kind: StepRecord['kind'], uses: string | undefined, startedAt: number, id?: string): StepRecord {
    return { name, ...(id ? { id } : {}), kind, ...(uses ? { uses } : {}), outcome: 'skipped', conclusion: 'skipped', outputs: {}, log: '', summary: '', errors: [], warnings: [], notices: [], startedAt, durationMs: 0 };
  }

  #stepRecord(name: string, id: string | undefined, kind: StepRecord['kind'], uses: string | undefined, result: StepResult, outcome: Result, conclusion: Result, startedAt: number, timedOut = false): StepRecord {
    const mask = (text: string) => this.#services.mask(text);
    return {
      name,
      ...(id ? { id } : {}),
      kind,
      ...(uses ? { uses } : {}),
      outcome,
      conclusion,
      outputs: result.outputs,
      log: mask(result.log),
      summary: mask(result.summary),
      errors: result.errors.map((annotation) => mask(annotation.message)),
      warnings: result.warnings.map((annotation) => mask(annotation.message)),
      notices: result.notices.map((annotation) => mask(annotation.message)),
      startedAt,
      durationMs: this.#services.now() - startedAt,
      ...(result.signals ? { signals: result.signals } : {}),
      ...(timedOut ? { timedOut } : {}),
    };
  }

  async #step(
    model: StepModel,
    raw: MappingToken,
    name: string,
    job: {
      scope: () => Scope;
      env: (stepEnv: Record<string, string>) => Record<string, string>;
      workspace: string;
      runnerTemp: string;
      stepRoot: string;
      defaults: TemplateToken | undefined;
      github: Record<string, Value>;
      posts: PostStep[];
      onResult: (result: StepResult) => void;
    },
  ): Promise<StepRecord> {
    const services = this.#services;
    const id = model.id && !model.id.startsWith('__') ? model.id : undefined;
    const uses = literal(entry(raw, 'uses'));
    const kind: StepRecord['kind'] = uses ? 'action' : 'run';
    const started = services.now();
    for (const unsupported of ['background', 'wait', 'wait-all', 'cancel', 'parallel']) {
      if (entry(raw, unsupported)) throw new Error(`step ${name}: ${unsupported} steps are not modelled by the runner double`);
    }
    const condition = model.if ?? entry(raw, 'if');
    const holds = async (scope: Scope) => truthy(condition ? await evaluateToken(condition, scope, schemaContext('step-if')) : this.#statusFunctions().success());
    let runs: boolean;
    try {
      runs = await holds(job.scope());
    } catch (error) {
      return this.#failedStep(name, id, kind, uses, started, (error as Error).message, await this.#tolerates(model, job.scope));
    }
    if (!runs) {
      const record = this.#skippedStep(name, kind, uses, started, id);
      this.record.steps.push(record);
      services.event({ event: 'step-skipped', job: this.record.path, step: name });
      return record;
    }
    services.event({ event: 'step-started', job: this.record.path, step: name });
    const scope = job.scope();
    let result: StepResult;
    let timedOut = false;
    let given: Record<string, string> | undefined;
    const timeoutMinutes = entry(raw, 'timeout-minutes');
    try {
      const stepEnv = stringMap(await evaluateToken(entry(raw, 'env'), scope));
      const minutes = timeoutMinutes ? Number(asString(await evaluateToken(timeoutMinutes, scope))) : undefined;
      let timerFired = false;
      const stop = this.#stopSignal(() => holds({ ...job.scope(), status: { ...this.#statusFunctions(), cancelled: () => true, success: () => false } }), minutes === undefined ? undefined : minutes * services.minuteMs);
      void stop.then((why) => {
        if (why === 'timeout') timerFired = true;
      });
      const context: StepProcessContext = { env: {}, workspace: job.workspace, runnerTemp: job.runnerTemp, stepDir: mkdtempSync(join(job.stepRoot, 'step-')), stop, delays: services.delays };
      if (uses) {
        const resolved = resolveAction(uses, this.#ctx.workflow.repository, job.workspace, services.repositories);
        given = stringMap(await evaluateToken(entry(raw, 'with'), scope));
        const { env: inputs, warnings } = await actionEnv(resolved.action, given, scope);
        const actionEnvironment = {
          ...job.env(stepEnv),
          ...inputs,
          ...services.runtimeEnv(`${services.record.id}\n${this.record.path}`),
          GITHUB_ACTION: id ?? model.id,
          GITHUB_ACTION_PATH: resolved.action.dir,
          GITHUB_ACTION_REPOSITORY: resolved.repository,
          RUNNER_DOUBLE_REPOSITORIES: services.repositoryEnv,
        };
        result = await runAction(resolved.action, resolved.action.runs.main as string, actionEnvironment, context, 'main');
        result.warnings.unshift(...warnings.map((message) => ({ message, properties: {} })));
        if (resolved.action.runs.post && result.exitCode !== undefined) {
          const state = Object.fromEntries(Object.entries(result.state).map(([key, value]) => [`STATE_${key}`, value]));
          const post = resolved.action.runs.post;
          job.posts.push({
            name,
            uses,
            condition: resolved.action.runs.postIf,
            run: (postStop) => runAction(resolved.action, post, { ...actionEnvironment, ...job.env(stepEnv), ...inputs, ...state }, { ...context, stepDir: mkdtempSync(join(job.stepRoot, 'post-')), stop: postStop }, 'post'),
          });
        }
      } else {
        const script = asString(await evaluateToken(entry(raw, 'run'), scope));
        const shell = literal(entry(raw, 'shell')) ?? literal(entry(job.defaults, 'shell'));
        const directory = entry(raw, 'working-directory') ? asString(await evaluateToken(entry(raw, 'working-directory'), scope)) : literal(entry(job.defaults, 'working-directory'));
        result = await runScript(script, shell, directory, { ...context, env: job.env(stepEnv) });
      }
      timedOut = timerFired;
    } catch (error) {
      return this.#failedStep(name, id, kind, uses, started, (error as Error).message, await this.#tolerates(model, job.scope));
    }
    for (const value of result.masks) services.addMask(value);
    job.onResult(result);
    let outcome: Result = result.exitCode === 0 && !timedOut ? 'success' : result.cancelled && !timedOut ? 'cancelled' : 'failure';
    if (timedOut) result.errors.push({ message: `The action '${name}' has timed out after ${asString(await evaluateToken(timeoutMinutes, scope))} minutes.`, properties: {} });
    else if (outcome === 'failure' && result.errors.length === 0 && !uses) result.errors.push({ message: `Process completed with exit code ${result.exitCode}.`, properties: {} });
    if (result.cancelled && !timedOut) outcome = 'cancelled';
    const tolerated = outcome === 'failure' && (await this.#tolerates(model, job.scope));
    const conclusion: Result = tolerated ? 'success' : outcome;
    if (conclusion === 'failure') this.#status = 'failure';
    const record = this.#stepRecord(name, id, kind, uses, result, outcome, conclusion, started, timedOut);
    if (given) record.inputs = Object.fromEntries(Object.entries(given).map(([key, value]) => [key, services.mask(value)]));
    this.record.steps.push(record);
    services.event({ event: 'step-completed', job: this.record.path, step: name, detail: conclusion });
    return record;
  }

  /** The step's continue-on-error (a boolean or an expression). */
  async #tolerates(model: StepModel, scope: () => Scope): Promise<boolean> {
    const value = model['continue-on-error'];
    if (typeof value === 'boolean') return value;
    return value ? truthy(await evaluateToken(value, scope()).catch(() => false)) : false;
  }

  #failedStep(name: string, id: string | undefined, kind: StepRecord['kind'], uses: string | undefined, started: number, message: string, tolerated = false): StepRecord {
    if (!tolerated) this.#status = 'failure';
    const record: StepRecord = { ...this.#skippedStep(name, kind, uses, started, id), outcome: 'failure', conclusion: tolerated ? 'success' : 'failure', errors: [this.#services.mask(message)] };
    this.record.steps.push(record);
    this.#services.event({ event: 'step-completed', job: this.record.path, step: name, detail: 'failure' });
    return record;
  }

  #oidcClaims(github: Record<string, Value>, environment: string | undefined): Record<string, string> {
    const repository = asString(github['repository'] as Value);
    const ref = asString(github['ref'] as Value);
    return {
      sub: environment ? `repo:${repository}:environment:${environment}` : `repo:${repository}:ref:${ref}`,
      repository,
      repository_owner: asString(github['repository_owner'] as Value),
      ref,
      ref_type: asString(github['ref_type'] as Value),
      sha: asString(github['sha'] as Value),
      actor: asString(github['actor'] as Value),
      triggering_actor: asString(github['triggering_actor'] as Value),
      workflow: asString(github['workflow'] as Value),
      workflow_ref: asString(github['workflow_ref'] as Value),
      workflow_sha: asString(github['workflow_sha'] as Value),
      job_workflow_ref: this.#ctx.workflow.ref,
      job_workflow_sha: this.#ctx.workflow.repository.sha,
      event_name: asString(github['event_name'] as Value),
      run_id: String(this.#services.record.id),
      run_number: String(this.#services.record.runNumber),
      run_attempt: String(this.#services.record.runAttempt),
      runner_environment: this.record.runner && !isHostedLabel(this.record.runsOn[0] ?? '') ? 'self-hosted' : 'github-hosted',
      ...(environment ? { environment } : {}),
    };
  }

  #deploymentStatus(deployment: Deployment, state: string, environmentUrl: string): void {
    const github = this.#services.github;
    github.createStatus(deployment, {
      state,
      description: '',
      environment: deployment.environment,
      environmentUrl,
      logUrl: `${github.repositoryUrl}/actions/runs/${this.#services.record.id}`,
      creator: deployment.creator,
    });
  }

  /**
   * `environment:` — its rules read from the GitHub double: a branch policy, then required
   * reviewers and the wait timer (the job shows waiting; a reviewer decides through
   * POST .../pending_deployments; rejected fails the job; 30 days without a decision fail it too).
   * Once the rules pass, its secrets (when they may reach this job) and variables apply. A job that
   * names an environment gets a deployment record from GitHub unless deployment: false.
   */
  async #environmentGate(): Promise<{ name: string; urlToken: TemplateToken | undefined; deployment: Deployment | undefined } | undefined | 'stop'> {
    const token = entry(this.#raw, 'environment');
    if (!token) return undefined;
    const services = this.#services;
    const { isMapping } = workflowParser;
    const nameToken = isMapping(token) ? entry(token, 'name') : token;
    const name = asString(await this.#evaluate(nameToken, ''));
    if (!name) return undefined;
    const urlToken = isMapping(token) ? entry(token, 'url') : undefined;
    const createDeployment = !(isMapping(token) && literal(entry(token, 'deployment')) === 'false');
    const environment = services.github.runs.environment(name);
    const github = services.githubContext();
    const ref = asString(github['ref'] as Value);
    const shortRef = ref.replace(/^refs\/(heads|tags)\//, '');

    if (environment.branchPolicies) {
      const type = ref.startsWith('refs/tags/') ? 'tag' : 'branch';
      const allowed = environment.branchPolicies.some((policy) => (policy.type ?? 'branch') === type && matchesGlob(shortRef, policy.name));
      if (!allowed) {
        this.#fail(`${type === 'tag' ? 'Tag' : 'Branch'} "${shortRef}" is not allowed to deploy to ${name} due to environment protection rules.`);
        return 'stop';
      }
    }
    const reviewers = environment.protectionRules?.find((rule) => rule.type === 'required_reviewers');
    const timer = environment.protectionRules?.find((rule) => rule.type === 'wait_timer');
    let deployment: Deployment | undefined;
    if (createDeployment) {
      deployment = services.github.seedDeployment({ environment: name, ref: shortRef, sha: asString(github['sha'] as Value), creator: asString(github['triggering_actor'] as Value), task: 'deploy', payload: {} });
      this.#deploymentStatus(deployment, reviewers || timer ? 'waiting' : 'queued', '');
    }
    if (reviewers || timer) {
      const record = services.record;
      const started = services.now();
      services.github.runs.update(record, 'waiting');
      services.event({ event: 'environment-waiting', job: this.record.path, detail: name });
      const waitMinutes = timer?.waitTimer ?? 0;
      const decision = reviewers
        ? services.github.runs.wait(record, {
            environment: name,
            environmentId: environment.id,
            waitTimer: waitMinutes,
            waitTimerStartedAt: waitMinutes > 0 ? services.github.timestamp() : null,
            reviewers: reviewers.reviewers ?? [],
            preventSelfReview: reviewers.preventSelfReview ?? false,
            ...(deployment ? { deployment } : {}),
          })
        : undefined;
      const timerElapsed = new Promise<void>((resolve) => setTimeout(resolve, waitMinutes * services.minuteMs).unref());
      const thirtyDays = new Promise<'timed-out'>((resolve) => laterThan(30 * 24 * 60 * services.minuteMs, () => resolve('timed-out')));
      const outcome = await Promise.race([
        Promise.all([decision, timerElapsed]).then(([review]) => review ?? ('elapsed' as const)),
        thirtyDays,
        this.#cancel.then(() => 'cancelled' as const),
      ]);
      if (decision && typeof outcome === 'string') {
        const pending = record.pending.find((entry) => entry.environment === name);
        if (pending) record.pending.splice(record.pending.indexOf(pending), 1);
      }
      const wait: WaitRecord = {
        environment: name,
        kind: reviewers ? 'reviewers' : 'wait-timer',
        startedAt: started,
        endedAt: services.now(),
        decision: typeof outcome === 'string' ? outcome : outcome.state,
        ...(typeof outcome === 'object' ? { by: outcome.user, comment: outcome.comment } : {}),
      };
      this.record.waits.push(wait);
      if (record.pending.length === 0) services.github.runs.update(record, 'in_progress');
      if (wait.decision === 'approved' || wait.decision === 'elapsed') {
        services.event({ event: 'environment-approved', job: this.record.path, detail: `${name}${wait.by ? ` by ${wait.by}` : ''}` });
      } else {
        services.event({ event: wait.decision === 'timed-out' ? 'environment-timed-out' : 'environment-rejected', job: this.record.path, detail: name });
        if (deployment) this.#deploymentStatus(deployment, wait.decision === 'cancelled' ? 'error' : 'failure', '');
        if (wait.decision === 'cancelled') this.cancel('cancelled while waiting for approval');
        else this.#fail(wait.decision === 'rejected' ? `Deployment to ${name} was rejected by ${wait.by}${wait.comment ? `: ${wait.comment}` : ''}` : `The job waited 30 days for a review of ${name} and failed`);
        this.record.environment = { name, url: '', ...(deployment ? { deploymentId: deployment.id } : {}) };
        return 'stop';
      }
    }
    if (deployment) this.#deploymentStatus(deployment, 'in_progress', '');
    Object.assign(this.#vars, environment.variables ?? {});
    if (this.#ctx.environmentSecrets) Object.assign(this.#secrets, environment.secrets ?? {});
    for (const value of Object.values(this.#secrets)) this.#services.addMask(value);
    return { name, urlToken, deployment };
  }
}

/** setTimeout for delays beyond its 32-bit limit (30 days at GitHub's minute), unref'd. */
function laterThan(ms: number, then: () => void): void {
  const step = Math.min(ms, 2 ** 31 - 1);
  setTimeout(() => (ms > step ? laterThan(ms - step, then) : then()), step).unref();
}

function entriesOf(token: TemplateToken | undefined): Array<[string, TemplateToken]> {
  if (!token || !workflowParser.isMapping(token)) return [];
  const result: Array<[string, TemplateToken]> = [];
  for (const pair of token) if (workflowParser.isString(pair.key)) result.push([pair.key.value, pair.value]);
  return result;
}
