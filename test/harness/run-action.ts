import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { asString, evaluateExpressionSync, evaluateToken, type Scope } from '../doubles/runner/expressions.ts';
import { actionParser, ifCondition, workflowParser } from '../doubles/runner/parser.ts';

/**
 * Runs an action's bundle in a child process the way the GitHub runner does: inputs (with
 * action.yml defaults filled in) as INPUT_* variables, the file commands (GITHUB_OUTPUT, _STATE,
 * _ENV, _PATH, _STEP_SUMMARY) as fresh files, an event payload at GITHUB_EVENT_PATH, the usual
 * GITHUB_* and RUNNER_* variables, and the post step (if any) with STATE_* from the main step.
 */

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Annotation {
  message: string;
  properties: Record<string, string>;
}

export interface StepResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  env: Record<string, string>;
  path: string[];
  summary: string;
  errors: Annotation[];
  warnings: Annotation[];
  notices: Annotation[];
  debug: string[];
  masks: string[];
  /** stdout and stderr without the ::add-mask:: lines: what a log would show before masking. */
  log: string;
  durationMs: number;
  /** Set when the runner cancelled the step, with the signals it sent in order. */
  cancelled?: boolean;
  signals?: string[];
}

export interface RunOptions {
  /** Input values by their action.yml names. */
  inputs?: Record<string, string>;
  /** Extra environment, over the defaults below. */
  env?: Record<string, string>;
  event?: { name: string; payload: Record<string, unknown> };
  github?: Partial<GitHubContext>;
  /** Main step only, or main then post (as the runner does when runs.post exists). */
  post?: boolean;
  /**
   * The job's other steps, run between the main step and the post step (the runner runs post steps
   * when the job ends). Returning { jobFailed: true } says one of them failed, for post-if.
   */
  beforePost?: (main: StepResult) => Promise<{ jobFailed?: boolean } | void>;
  /** A folder to use as GITHUB_WORKSPACE (a checkout the test prepared), instead of a fresh empty one. */
  workspace?: string;
  timeoutMs?: number;
}

export interface GitHubContext {
  token: string;
  apiUrl: string;
  serverUrl: string;
  repository: string;
  sha: string;
  ref: string;
  runId: string;
  runAttempt: string;
  actor: string;
  workflow: string;
  job: string;
}

interface ActionYaml {
  inputs?: Record<string, { default?: string; required?: boolean }>;
  runs: { using: string; main: string; post?: string; 'post-if'?: string };
}

/** An action under actions/, or a path to any folder holding an action.yml (test fixtures). */
export function readActionYaml(action: string): ActionYaml & { dir: string } {
  const dir = action.startsWith('/') ? action : join(ROOT, 'actions', action);
  const parsed = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as ActionYaml;
  return { ...parsed, dir };
}

/** An action.yml as GitHub's action parser reads it (input defaults keep their expressions). */
export interface ActionDefinition {
  dir: string;
  inputs: Array<{ id: string; required: boolean; default: import('../doubles/runner/parser.ts').TemplateToken | undefined }>;
  runs: { using: string; main?: string; pre?: string; post?: string; postIf?: string; steps?: unknown };
}

/** An action folder's action.yml through @actions/workflow-parser's action parser; its errors are thrown. */
export function loadAction(dir: string): ActionDefinition {
  const content = readFileSync(join(dir, 'action.yml'), 'utf8');
  const parsed = actionParser.parseAction({ name: join(dir, 'action.yml'), content }, new workflowParser.NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((error) => error.message);
  if (!parsed.value || errors.length > 0) throw new Error(`${dir}/action.yml: ${errors.join('; ') || 'could not be parsed'}`);
  const template = actionParser.convertActionTemplate(parsed.context, parsed.value);
  const runs = template.runs as ActionDefinition['runs'];
  return { dir, inputs: (template.inputs ?? []).map((input) => ({ id: input.id, required: input.required ?? false, default: input.default })), runs };
}

/** INPUT_<NAME> as the runner names it: upper-cased, spaces to underscores, hyphens kept. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * The INPUT_* variables of an action step: the given values, and for the others the action.yml
 * default evaluated where the runner evaluates it (github, strategy, matrix, job, runner, env).
 */
export async function actionInputEnv(action: ActionDefinition, given: Record<string, string>, scope: Scope): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const input of action.inputs) {
    if (input.id in given) continue;
    if (input.default !== undefined) env[inputVariable(input.id)] = asString(await evaluateToken(input.default, scope));
  }
  for (const [name, value] of Object.entries(given)) env[inputVariable(name)] = value;
  return env;
}

const actionSchema = JSON.parse(readFileSync(join(ROOT, 'node_modules/@actions/workflow-parser/dist/action-v1.0.min.json'), 'utf8')) as { definitions: Record<string, { context?: string[] }> };
/** The contexts GitHub's action schema allows in pre-if and post-if. */
export const RUNS_IF_CONTEXT: readonly string[] = actionSchema.definitions['runs-if']?.context ?? [];

/**
 * Whether a post step runs: post-if (default always()) evaluated by GitHub's expression engine, a
 * condition without a status function read as success() && (condition), as the runner reads it; the
 * status functions read the job's status.
 */
export function postIfHolds(condition: string | undefined, scope: Scope): boolean {
  const written = (condition ?? 'always()').trim();
  const bare = written.startsWith('${{') && written.endsWith('}}') ? written.slice(3, -2).trim() : written;
  const expression = ifCondition.ensureStatusFunction(bare || 'success()', undefined);
  return Boolean(truthyValue(evaluateExpressionSync(expression, RUNS_IF_CONTEXT, scope)));
}

function truthyValue(value: unknown): boolean {
  return !(value === null || value === false || value === 0 || value === '' || (typeof value === 'number' && Number.isNaN(value)));
}

/** Parses a file-command file: `name<<DELIMITER\nvalue\nDELIMITER` blocks, or legacy `name=value` lines. */
export function parseFileCommand(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      index++;
      while (index < lines.length && lines[index] !== delimiter) value.push(lines[index++] as string);
      if (index >= lines.length) throw new Error(`file command: no closing delimiter for ${name}`);
      result[name] = value.join('\n');
      continue;
    }
    const equals = line.indexOf('=');
    if (equals > 0) result[line.slice(0, equals)] = line.slice(equals + 1);
  }
  return result;
}

function unescapeData(text: string): string {
  return text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function unescapeProperty(text: string): string {
  return unescapeData(text).replace(/%3A/g, ':').replace(/%2C/g, ',');
}

/** Parses `::command key=value,key=value::message` lines from a step's stdout. */
export function parseWorkflowCommands(stdout: string): Pick<StepResult, 'errors' | 'warnings' | 'notices' | 'debug' | 'masks'> {
  const found: Pick<StepResult, 'errors' | 'warnings' | 'notices' | 'debug' | 'masks'> = { errors: [], warnings: [], notices: [], debug: [], masks: [] };
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) continue;
    const [, command, rawProperties = '', data = ''] = match as unknown as [string, string, string | undefined, string];
    const properties: Record<string, string> = {};
    for (const pair of rawProperties.split(',').filter(Boolean)) {
      const equals = pair.indexOf('=');
      if (equals > 0) properties[pair.slice(0, equals)] = unescapeProperty(pair.slice(equals + 1));
    }
    const message = unescapeData(data);
    if (command === 'error') found.errors.push({ message, properties });
    else if (command === 'warning') found.warnings.push({ message, properties });
    else if (command === 'notice') found.notices.push({ message, properties });
    else if (command === 'debug') found.debug.push(message);
    else if (command === 'add-mask') found.masks.push(message);
  }
  return found;
}

/** post-if after a main step that succeeded or not (the harness's job has no other steps). */
export function evaluatePostIf(condition: string | undefined, mainSucceeded: boolean): boolean {
  return postIfHolds(condition, { contexts: {}, status: { success: () => mainSucceeded, failure: () => !mainSucceeded, cancelled: () => false } });
}

/** How the runner stops a step it cancels: SIGINT, then SIGTERM 7.5 s later, then kill the process tree 2.5 s after that. */
export const KILL_DELAYS = { termMs: 7500, killMs: 2500 };

export interface StepProcessOptions {
  cwd: string;
  /** Where the file-command files go. */
  stepDir: string;
  name: string;
  /** Hard limit: the process tree is killed (the harness's safety net). */
  timeoutMs?: number;
  /** Resolves when the runner cancels the step: then SIGINT, SIGTERM, kill, as `delays` says. */
  cancelled?: Promise<unknown>;
  delays?: { termMs: number; killMs: number };
  /** Each chunk of output as it arrives (for live logs). */
  onOutput?: (chunk: string) => void;
}

/**
 * One step's process as the runner runs it: fresh GITHUB_OUTPUT, _STATE, _ENV, _PATH and
 * _STEP_SUMMARY files, its own process group, stdout and stderr collected, the file commands and
 * workflow commands read back when it ends.
 */
export async function runStepProcess(program: string, args: string[], env: Record<string, string>, options: StepProcessOptions): Promise<StepResult> {
  const files: Record<string, string> = {};
  for (const command of ['OUTPUT', 'STATE', 'ENV', 'PATH', 'STEP_SUMMARY']) {
    files[command] = join(options.stepDir, `${options.name}-${command.toLowerCase()}-${randomUUID()}`);
    writeFileSync(files[command] as string, '');
  }
  const started = performance.now();
  const child = spawn(program, args, {
    cwd: options.cwd,
    env: {
      ...env,
      GITHUB_OUTPUT: files['OUTPUT'] as string,
      GITHUB_STATE: files['STATE'] as string,
      GITHUB_ENV: files['ENV'] as string,
      GITHUB_PATH: files['PATH'] as string,
      GITHUB_STEP_SUMMARY: files['STEP_SUMMARY'] as string,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    options.onOutput?.(chunk.toString('utf8'));
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    options.onOutput?.(chunk.toString('utf8'));
  });
  const signals: string[] = [];
  let closed = false;
  const signalGroup = (signal: NodeJS.Signals, group: boolean) => {
    // The process itself gets SIGINT and SIGTERM while it runs; the final kill goes to its whole
    // process group even when the process is gone (what it started may still hold its output).
    if (child.pid === undefined || closed || (!group && (child.exitCode !== null || child.signalCode !== null))) return;
    signals.push(signal);
    try {
      process.kill(group ? -child.pid : child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const timers: NodeJS.Timeout[] = [];
  let cancelled = false;
  const exited = new Promise<number>((resolveExit) => {
    child.on('error', () => resolveExit(127));
    child.on('close', (code, signal) => {
      closed = true;
      resolveExit(code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 2) : 1));
    });
  });
  if (options.timeoutMs !== undefined) timers.push(setTimeout(() => signalGroup('SIGKILL', true), options.timeoutMs));
  void options.cancelled?.then(() => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    cancelled = true;
    const delays = options.delays ?? KILL_DELAYS;
    signalGroup('SIGINT', false);
    timers.push(setTimeout(() => signalGroup('SIGTERM', false), delays.termMs));
    timers.push(setTimeout(() => signalGroup('SIGKILL', true), delays.termMs + delays.killMs));
  });
  const exitCode = await exited;
  for (const timer of timers) clearTimeout(timer);
  const durationMs = performance.now() - started;
  const read = (command: string) => readFileSync(files[command] as string, 'utf8');
  const commands = parseWorkflowCommands(stdout);
  const log = `${stdout}\n${stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  return {
    exitCode,
    stdout,
    stderr,
    outputs: parseFileCommand(read('OUTPUT')),
    state: parseFileCommand(read('STATE')),
    env: parseFileCommand(read('ENV')),
    path: read('PATH').split('\n').filter(Boolean),
    summary: read('STEP_SUMMARY'),
    ...commands,
    log,
    durationMs,
    ...(cancelled ? { cancelled, signals } : {}),
  };
}

/** A JavaScript action's main, pre or post script, with the Node that runs these tests (Node 24). */
export function runActionScript(actionDir: string, script: string, env: Record<string, string>, options: Omit<StepProcessOptions, 'cwd'> & { cwd?: string }): Promise<StepResult> {
  const entry = resolve(actionDir, script);
  if (!existsSync(entry)) throw new Error(`harness: ${entry} does not exist (run npm run build)`);
  return runStepProcess(process.execPath, [entry], env, { ...options, cwd: options.cwd ?? env['GITHUB_WORKSPACE'] ?? dirname(entry) });
}

export class ActionHarness {
  readonly workDir: string;

  constructor() {
    this.workDir = mkdtempSync(join(tmpdir(), 'deploy-actions-run-'));
  }

  cleanup(): void {
    rmSync(this.workDir, { recursive: true, force: true });
  }

  async run(action: string, options: RunOptions = {}): Promise<{ main: StepResult; post?: StepResult }> {
    const yaml = readActionYaml(action);
    const github: GitHubContext = {
      token: 'ghs_harnessDefaultToken',
      apiUrl: 'http://127.0.0.1:9',
      serverUrl: 'https://github.com',
      repository: 'acme/app',
      sha: 'a'.repeat(40),
      ref: 'refs/heads/main',
      runId: '4242',
      runAttempt: '1',
      actor: 'octocat',
      workflow: 'deploy',
      job: 'deploy',
      ...options.github,
    };
    const stepDir = mkdtempSync(join(this.workDir, 'step-'));
    const workspace = options.workspace ?? join(stepDir, 'workspace');
    const runnerTemp = join(stepDir, 'runner-temp');
    mkdirSync(workspace, { recursive: true });
    mkdirSync(runnerTemp);
    const eventPath = join(stepDir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(options.event?.payload ?? {}));

    for (const name of Object.keys(options.inputs ?? {})) {
      if (!(name in (yaml.inputs ?? {}))) throw new Error(`harness: ${action} has no input named ${name}`);
    }
    const githubContext = {
      token: github.token,
      api_url: github.apiUrl,
      server_url: github.serverUrl,
      graphql_url: `${github.apiUrl}/graphql`,
      repository: github.repository,
      repository_owner: github.repository.split('/')[0],
      sha: github.sha,
      ref: github.ref,
      run_id: github.runId,
      run_attempt: github.runAttempt,
      actor: github.actor,
      workflow: github.workflow,
      job: github.job,
      event_name: options.event?.name ?? 'push',
      event: options.event?.payload ?? {},
    };
    const inputEnv = await actionInputEnv(loadAction(yaml.dir), options.inputs ?? {}, { contexts: { github: githubContext } });

    const baseEnv: Record<string, string> = {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? stepDir,
      LANG: 'C.UTF-8',
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTION: action.split('/').filter(Boolean).join('-'),
      GITHUB_ACTOR: github.actor,
      GITHUB_TRIGGERING_ACTOR: github.actor,
      GITHUB_API_URL: github.apiUrl,
      GITHUB_SERVER_URL: github.serverUrl,
      GITHUB_GRAPHQL_URL: `${github.apiUrl}/graphql`,
      GITHUB_REPOSITORY: github.repository,
      GITHUB_REPOSITORY_OWNER: github.repository.split('/')[0] as string,
      GITHUB_SHA: github.sha,
      GITHUB_REF: github.ref,
      GITHUB_REF_NAME: github.ref.replace(/^refs\/(heads|tags)\//, ''),
      GITHUB_RUN_ID: github.runId,
      GITHUB_RUN_NUMBER: '7',
      GITHUB_RUN_ATTEMPT: github.runAttempt,
      GITHUB_WORKFLOW: github.workflow,
      GITHUB_JOB: github.job,
      GITHUB_EVENT_NAME: options.event?.name ?? 'push',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: runnerTemp,
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: 'X64',
      RUNNER_NAME: 'harness',
      RUNNER_DEBUG: '1',
    };

    const step = (script: string, env: Record<string, string>, name: string) => runActionScript(yaml.dir, script, env, { stepDir, name, timeoutMs: options.timeoutMs ?? 120_000 });
    const main = await step(yaml.runs.main, { ...baseEnv, ...inputEnv, ...options.env }, 'main');
    const rest = await options.beforePost?.(main);
    if (!options.post || !yaml.runs.post) return { main };
    if (!evaluatePostIf(yaml.runs['post-if'], main.exitCode === 0 && !rest?.jobFailed)) return { main };
    const stateEnv = Object.fromEntries(Object.entries(main.state).map(([name, value]) => [`STATE_${name}`, value]));
    const post = await step(yaml.runs.post, { ...baseEnv, ...inputEnv, ...options.env, ...stateEnv }, 'post');
    return { main, post };
  }
}
