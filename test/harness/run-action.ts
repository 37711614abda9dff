import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';

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

/** The runner evaluates `${{ github.x }}` in input defaults; these are the ones our action.yml files use. */
function evaluateDefault(value: string, github: GitHubContext): string {
  return value.replace(/\$\{\{\s*github\.([a-z_]+)\s*\}\}/g, (_all, key: string) => {
    const known: Record<string, string> = {
      token: github.token,
      api_url: github.apiUrl,
      server_url: github.serverUrl,
      repository: github.repository,
      sha: github.sha,
      ref: github.ref,
      run_id: github.runId,
      actor: github.actor,
      workflow: github.workflow,
      job: github.job,
    };
    const result = known[key];
    if (result === undefined) throw new Error(`harness: unsupported default expression github.${key}`);
    return result;
  });
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

export function evaluatePostIf(condition: string | undefined, mainSucceeded: boolean): boolean {
  const expression = (condition ?? 'always()').replace(/^\$\{\{\s*|\s*\}\}$/g, '').trim();
  if (expression === 'always()') return true;
  if (expression === 'success()') return mainSucceeded;
  if (expression === 'failure()') return !mainSucceeded;
  if (expression === 'cancelled()') return false;
  throw new Error(`harness: unsupported post-if ${condition}`);
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

    const inputEnv: Record<string, string> = {};
    for (const [name, spec] of Object.entries(yaml.inputs ?? {})) {
      if (spec.default !== undefined) inputEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = evaluateDefault(String(spec.default), github);
    }
    for (const [name, value] of Object.entries(options.inputs ?? {})) {
      if (!(name in (yaml.inputs ?? {}))) throw new Error(`harness: ${action} has no input named ${name}`);
      inputEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    }

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

    const main = await this.#step(yaml.dir, yaml.runs.main, { ...baseEnv, ...inputEnv, ...options.env }, stepDir, 'main', options.timeoutMs);
    const rest = await options.beforePost?.(main);
    if (!options.post || !yaml.runs.post) return { main };
    if (!evaluatePostIf(yaml.runs['post-if'], main.exitCode === 0 && !rest?.jobFailed)) return { main };
    const stateEnv = Object.fromEntries(Object.entries(main.state).map(([name, value]) => [`STATE_${name}`, value]));
    const post = await this.#step(yaml.dir, yaml.runs.post, { ...baseEnv, ...inputEnv, ...options.env, ...stateEnv }, stepDir, 'post', options.timeoutMs);
    return { main, post };
  }

  async #step(actionDir: string, script: string, env: Record<string, string>, stepDir: string, name: string, timeoutMs = 120_000): Promise<StepResult> {
    const files: Record<string, string> = {};
    for (const command of ['OUTPUT', 'STATE', 'ENV', 'PATH', 'STEP_SUMMARY']) {
      files[command] = join(stepDir, `${name}-${command.toLowerCase()}-${randomUUID()}`);
      writeFileSync(files[command] as string, '');
    }
    const entry = resolve(actionDir, script);
    if (!existsSync(entry)) throw new Error(`harness: ${entry} does not exist (run npm run build)`);
    const started = performance.now();
    const child = spawn(process.execPath, [entry], {
      cwd: env['GITHUB_WORKSPACE'] ?? dirname(entry),
      env: {
        ...env,
        GITHUB_OUTPUT: files['OUTPUT'] as string,
        GITHUB_STATE: files['STATE'] as string,
        GITHUB_ENV: files['ENV'] as string,
        GITHUB_PATH: files['PATH'] as string,
        GITHUB_STEP_SUMMARY: files['STEP_SUMMARY'] as string,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const exitCode = await new Promise<number>((resolveExit) => child.on('close', (code, signal) => resolveExit(code ?? (signal ? 128 : 1))));
    clearTimeout(timer);
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
    };
  }
}
