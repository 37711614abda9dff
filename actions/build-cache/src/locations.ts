import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { which } from '@actions/io';
import { parse as parseYaml } from 'yaml';
import { BUNDLER_PROJECT_PATH, ECOSYSTEMS, yarnBerryCacheFolder, type EcosystemId, type Machine, type Platform } from './ecosystems.ts';

/**
 * Where each ecosystem's cache is on this runner: asked from the tool when it is installed and can
 * tell (so a project's .npmrc, a user's GOMODCACHE or a .yarnrc.yml count), its documented default
 * otherwise. The commands run here, at the edge; what they mean is in ecosystems.ts.
 */

/** A tool's answer: stdout and exit code, or undefined when it is not installed or did not answer in time. */
export type RunTool = (command: string, args: string[], cwd: string) => Promise<{ code: number; stdout: string } | undefined>;

/** Tools answer in well under a second; a JVM (Maven) in about one. */
const TOOL_TIMEOUT_MS = 20_000;

export function thisMachine(env: Record<string, string | undefined> = process.env): Machine {
  return { platform: process.platform as Platform, home: homedir(), env };
}

/** Runs a tool found on PATH, Windows' .cmd shims included, without a shell between us and its arguments. */
export const runTool: RunTool = async (command, args, cwd) => {
  const found = await which(command, false);
  if (!found) return undefined;
  // A .cmd or .bat shim (npm, pnpm, yarn on Windows) only runs through cmd.exe.
  const viaShell = /\.(cmd|bat)$/i.test(found);
  return new Promise((resolveRun) => {
    execFile(
      viaShell ? `"${found}"` : found,
      args,
      { cwd, timeout: TOOL_TIMEOUT_MS, shell: viaShell, windowsHide: true, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1', COREPACK_ENABLE_DOWNLOAD_PROMPT: '0' } },
      (error, stdout) => {
        if (error && typeof error.code !== 'number') return resolveRun(undefined);
        resolveRun({ code: typeof error?.code === 'number' ? error.code : 0, stdout: String(stdout) });
      },
    );
  });
};

export interface Located {
  /** Absolute paths. */
  paths: string[];
  /** How the paths were found, for the log and summary. */
  source: 'asked the tool' | 'documented default';
  /** Variables the action sets for later steps so the tool uses what is cached (Bundler's BUNDLE_PATH). */
  exportVariables: Record<string, string>;
  /** The toolchain's version line, when it enters the key. */
  toolchain?: string;
}

async function ask(id: EcosystemId, cwd: string, run: RunTool, query = ECOSYSTEMS[id].query): Promise<string[] | undefined> {
  if (!query) return undefined;
  const answer = await run(query.command, query.args, cwd);
  if (!answer || (answer.code !== 0 && !query.anyExit)) return undefined;
  return query.parse(answer.stdout)?.map((path) => resolve(cwd, path));
}

function readYaml(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const parsed: unknown = parseYaml(readFileSync(path, 'utf8'));
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
}

function packageManagerOf(projectDir: string): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { packageManager?: unknown };
    return typeof manifest.packageManager === 'string' ? manifest.packageManager : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The cache folders of one ecosystem, given its project folders (absolute, shallowest first). Tools
 * whose answer depends on the project (Yarn berry, Bundler, Cargo's target) are asked per project;
 * the others once, in the first project.
 */
export async function locate(id: EcosystemId, projectDirs: readonly string[], machine: Machine, run: RunTool): Promise<Located> {
  const ecosystem = ECOSYSTEMS[id];
  const first = projectDirs[0] ?? process.cwd();
  const paths: string[] = [];
  const exportVariables: Record<string, string> = {};
  let asked = false;

  if (id === 'yarn-berry') {
    for (const dir of projectDirs) {
      const answer = await ask(id, dir, run);
      if (answer) asked = true;
      paths.push(...(answer ?? [yarnBerryCacheFolder(readYaml(join(dir, '.yarnrc.yml')), packageManagerOf(dir), dir, machine)]));
    }
  } else if (id === 'bundler') {
    // Bundler installs into the system's gem folder unless a path is configured; that folder is
    // shared and often not writable, so like ruby/setup-ruby the action points BUNDLE_PATH at each
    // project's vendor/bundle (a relative BUNDLE_PATH is taken from the Gemfile's folder).
    for (const dir of projectDirs) {
      const answer = await ask(id, dir, run);
      if (answer) asked = true;
      const configured = answer ?? ecosystem.defaults(machine).map((path) => resolve(dir, path));
      if (configured.length > 0) paths.push(...configured);
      else {
        exportVariables['BUNDLE_PATH'] = BUNDLER_PROJECT_PATH;
        paths.push(resolve(dir, BUNDLER_PROJECT_PATH));
      }
    }
  } else {
    const answer = await ask(id, ecosystem.query?.inProject ? first : machine.home, run);
    asked = answer !== undefined;
    paths.push(...(answer ?? ecosystem.defaults(machine)));
    if (ecosystem.also) {
      const more = await ask(id, ecosystem.also.query.inProject ? first : machine.home, run, ecosystem.also.query);
      paths.push(...(more ?? ecosystem.also.defaults(machine)));
    }
    for (const dir of projectDirs) for (const path of ecosystem.projectPaths?.(machine) ?? []) paths.push(resolve(dir, path));
  }

  let toolchain: string | undefined;
  if (ecosystem.toolchain) {
    const answer = await run(ecosystem.toolchain.command, ecosystem.toolchain.args, first);
    toolchain = answer?.code === 0 ? answer.stdout.trim() : undefined;
  }
  return { paths: [...new Set(paths)], source: asked ? 'asked the tool' : 'documented default', exportVariables, toolchain };
}

/**
 * The path as @actions/cache should get it: relative to the workspace when inside it, `~/...` when
 * inside the home folder, absolute otherwise; '/'-separated, which the library expects on every OS.
 * The cache version is a hash of these strings, so paths written this way match between runners
 * whose workspace or home folders differ (a self-hosted runner's user); the library expands `~`.
 */
export function cachePath(path: string, workspace: string, home: string): string {
  const inWorkspace = relative(workspace, path);
  if (!inWorkspace.startsWith('..') && !isAbsolute(inWorkspace)) return (inWorkspace || '.').split(sep).join('/');
  const inHome = relative(home, path);
  if (inHome && !inHome.startsWith('..') && !isAbsolute(inHome)) return `~/${inHome.split(sep).join('/')}`;
  return path.split(sep).join('/');
}
