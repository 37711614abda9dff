import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { actionInputEnv, inputVariable, loadAction, ROOT, runActionScript, runStepProcess, type ActionDefinition, type StepResult } from '../../harness/run-action.ts';
import type { Scope } from './expressions.ts';
import { pinFor } from './pins.ts';
import type { Repository } from './workflows.ts';

/**
 * How a step runs on the runner double: `run:` scripts in the shell GitHub uses, actions from their
 * folders through the harness's own step process (test/harness/run-action.ts), so that a step of a
 * workflow and an action run by an integration test are executed by the same code.
 */

/** Shells as GitHub's workflow syntax documents them (jobs.<job_id>.steps[*].shell). */
export function shellCommand(shell: string | undefined, script: string): { program: string; args: string[] } {
  switch (shell ?? '') {
    case '':
      // Unspecified: bash -e {0} (GitHub: "runs a different command to when bash is specified").
      return { program: 'bash', args: ['-e', script] };
    case 'bash':
      return { program: 'bash', args: ['--noprofile', '--norc', '-eo', 'pipefail', script] };
    case 'sh':
      return { program: 'sh', args: ['-e', script] };
    case 'python':
      return { program: 'python3', args: [script] };
    default: {
      if (!(shell as string).includes('{0}')) throw new Error(`shell: ${shell} is not bash, sh or python, and has no {0} for the script`);
      const [program, ...args] = (shell as string).split(/\s+/).filter(Boolean);
      return { program: program as string, args: args.map((arg) => arg.replace('{0}', script)) };
    }
  }
}

export interface StepProcessContext {
  env: Record<string, string>;
  workspace: string;
  runnerTemp: string;
  stepDir: string;
  /** Resolves when the step must be stopped (the runner's cancellation, the step's timeout). */
  stop: Promise<unknown>;
  delays: { termMs: number; killMs: number };
}

export async function runScript(script: string, shell: string | undefined, workingDirectory: string | undefined, context: StepProcessContext): Promise<StepResult> {
  const file = join(context.runnerTemp, `${randomUUID()}.sh`);
  writeFileSync(file, script);
  const { program, args } = shellCommand(shell, file);
  const cwd = workingDirectory ? resolve(context.workspace, workingDirectory) : context.workspace;
  if (!existsSync(cwd)) throw new Error(`working-directory ${workingDirectory}: no such directory (${cwd})`);
  return runStepProcess(program, args, context.env, { cwd, stepDir: context.stepDir, name: 'run', cancelled: context.stop, delays: context.delays });
}

export interface ResolvedAction {
  action: ActionDefinition;
  /** owner/repo of the action, for GITHUB_ACTION_REPOSITORY. */
  repository: string;
  /** A third-party pin run by its double. */
  double: boolean;
}

/**
 * The folder an action reference names. `$/path`: the referencing file's own repository at the
 * running commit; `./path`: the workspace (a checkout); `org/deploy-actions/path@ref`: this checkout
 * (until a release exists our refs resolve to the code under test); any other `owner/repo@ref`: a pin
 * of pinned-actions.md, run by its double, or refused.
 */
export function resolveAction(uses: string, from: Repository, workspace: string, repositories: (name: string) => Repository | undefined): ResolvedAction {
  if (uses.startsWith('docker://')) throw new Error(`${uses}: container actions are not modelled by the runner double`);
  let dir: string;
  let repository: string;
  let double = false;
  if (uses.startsWith('$/')) {
    dir = join(from.dir, uses.slice(2));
    repository = from.name;
  } else if (uses.startsWith('./')) {
    dir = join(workspace, uses.slice(2));
    repository = from.name;
  } else {
    const at = uses.lastIndexOf('@');
    if (at < 0) throw new Error(`${uses}: an action in another repository needs @ref`);
    const [owner, name, ...path] = uses.slice(0, at).split('/');
    const known = repositories(`${owner}/${name}`);
    repository = `${owner}/${name}`;
    if (known) {
      dir = join(known.dir, ...path);
    } else {
      const found = pinFor(uses);
      if ('refused' in found) throw new Error(found.refused);
      dir = found.pin.double as string;
      double = true;
    }
  }
  if (!existsSync(join(dir, 'action.yml'))) throw new Error(`${uses}: no action.yml at ${isAbsolute(dir) ? dir.replace(`${ROOT}/`, '') : dir}`);
  const action = loadAction(dir);
  if (action.runs.using !== 'node20' && action.runs.using !== 'node24') throw new Error(`${uses}: runs.using ${action.runs.using} is not modelled by the runner double (JavaScript actions only)`);
  if (action.runs.pre) throw new Error(`${uses}: pre steps are not modelled by the runner double`);
  return { action, repository, double };
}

/**
 * The INPUT_* of an action step and the warning GitHub gives for inputs the action does not
 * declare ("Unexpected input(s) ..."): it warns, it does not fail.
 */
export async function actionEnv(action: ActionDefinition, given: Record<string, string>, scope: Scope): Promise<{ env: Record<string, string>; warnings: string[] }> {
  const declared = new Set(action.inputs.map((input) => input.id.toLowerCase()));
  const unexpected = Object.keys(given).filter((name) => !declared.has(name.toLowerCase()));
  const warnings = unexpected.length > 0 ? [`Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${action.inputs.map((input) => input.id).join("', '")}']`] : [];
  const known = Object.fromEntries(Object.entries(given).filter(([name]) => declared.has(name.toLowerCase())));
  return { env: await actionInputEnv(action, known, scope), warnings };
}

export function runAction(action: ActionDefinition, script: string, env: Record<string, string>, context: StepProcessContext, name: string): Promise<StepResult> {
  return runActionScript(action.dir, script, env, { cwd: context.workspace, stepDir: context.stepDir, name, cancelled: context.stop, delays: context.delays });
}

export { inputVariable };
