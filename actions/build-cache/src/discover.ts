import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import picomatch from 'picomatch';
import { InputError, UserError } from '../../../shared/errors.ts';
import { ECOSYSTEMS, SKIPPED_DIRECTORIES, detectProjects, keyFilesOf, type EcosystemId, type Machine, type Project } from './ecosystems.ts';
import { hashKeyFiles, listFiles, mapParallel } from './files.ts';
import type { BuildCacheConfig } from './inputs.ts';
import { fallbackPrefix, keyProblem, lookupFor, primaryKey, type KeyParts } from './keys.ts';
import { cachePath, locate, type RunTool } from './locations.ts';
import type { PlannedEntry } from './plan.ts';

/**
 * From the repository to the entries to restore: one walk of the working directory finds the
 * projects and the key files, the tools say where their caches are, the key files' content makes
 * the keys. Each ecosystem is an entry of its own, so a changed requirements.txt does not throw
 * away the npm cache.
 */

export interface Discovery {
  entries: PlannedEntry[];
  /** Variables for later steps (Bundler's BUNDLE_PATH). */
  exportVariables: Record<string, string>;
  warnings: string[];
  filesWalked: number;
}

export const CUSTOM_ENTRY = 'custom';

/** The first bytes of a file (enough for a lockfile's header), or '' when unreadable. */
function header(path: string): string {
  try {
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(512);
      const read = readSync(fd, buffer, 0, buffer.length, 0);
      return buffer.subarray(0, read).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** A glob matcher over '/'-separated relative paths; dot files match like any other. */
function matcherOf(patterns: readonly string[]): (file: string) => boolean {
  const compiled = patterns.map((pattern) => picomatch(pattern, { dot: true }));
  return (file) => compiled.some((matches) => matches(file));
}

/** Whether a user's glob names a folder that the walk skips by default (vendor/**, node_modules/x/*.json). */
function namesFolder(patterns: readonly string[], name: string): boolean {
  return patterns.some((pattern) => pattern.split('/').includes(name));
}

function expandHome(path: string, home: string): string {
  return path === '~' || path.startsWith('~/') ? join(home, path.slice(1)) : path;
}

export async function discover(
  config: BuildCacheConfig,
  context: { workspace: string; machine: Machine; platform: { os: string; arch: string } },
  runTool: RunTool,
): Promise<Discovery> {
  const root = resolve(context.workspace, config.workingDirectory);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new InputError('working-directory', `${JSON.stringify(config.workingDirectory)} is not a folder of the workspace (${root})`);
  }
  const warnings: string[] = [];
  const files = await listFiles(root, {
    skipDirectory: (_path, name) => SKIPPED_DIRECTORIES.includes(name) && !namesFolder(config.keyFiles, name),
  });
  const projects = detectProjects(files, (file) => header(join(root, file)));

  let selected: EcosystemId[];
  if (config.ecosystems === 'auto') {
    selected = [...new Set(projects.map((project) => project.ecosystem))];
  } else {
    selected = config.ecosystems;
    for (const id of selected) {
      if (!projects.some((project) => project.ecosystem === id)) {
        warnings.push(`${id} is listed in ecosystems but no ${id} project was found under ${config.workingDirectory}: its key is made from no files, and only refresh will update it`);
      }
    }
  }

  const keyParts = (ecosystem: string): KeyParts => ({ prefix: config.prefix, os: context.platform.os, arch: context.platform.arch, ecosystem, salt: config.salt });
  const entryOf = (id: string, title: string, absolutePaths: string[], keyFiles: string[], hash: string, pathSource: string): PlannedEntry => {
    const parts = keyParts(id);
    const primary = primaryKey(parts, hash);
    const problem = keyProblem(primary);
    if (problem) throw new UserError(`the ${id} cache key cannot be used: ${problem} (shorten prefix or salt)`);
    const lookup = lookupFor(primary, config.partialRestore ? fallbackPrefix(parts) : undefined);
    return {
      id,
      title,
      paths: absolutePaths.map((path) => cachePath(path, context.workspace, context.machine.home)),
      keyFiles,
      pathSource,
      primaryKey: primary,
      keyPrefix: fallbackPrefix(parts),
      lookupKey: lookup.key,
      restoreKeys: lookup.restoreKeys,
      hitKind: 'miss',
    };
  };

  const exportVariables: Record<string, string> = {};
  const entries = await mapParallel(selected, 8, async (id) => {
    const own: Project[] = projects.filter((project) => project.ecosystem === id);
    const projectDirs = (own.length > 0 ? own : [{ ecosystem: id, dir: '.' }]).map((project) => resolve(root, project.dir));
    const located = await locate(id, projectDirs, context.machine, runTool);
    Object.assign(exportVariables, located.exportVariables);
    const keyFiles = keyFilesOf(id, files, projects, matcherOf(ECOSYSTEMS[id].keyFiles));
    const hash = await hashKeyFiles(root, keyFiles, located.toolchain ? [located.toolchain] : []);
    return entryOf(id, ECOSYSTEMS[id].title, located.paths, keyFiles, hash, located.source);
  });

  if (config.paths.length > 0) {
    const home = context.machine.home || homedir();
    const keyFiles = files.filter(matcherOf(config.keyFiles));
    if (keyFiles.length === 0) warnings.push(`key-files matched no file under ${config.workingDirectory}: the custom entry's key is made from no files`);
    const hash = await hashKeyFiles(root, keyFiles);
    const absolute = config.paths.map((path) => resolve(root, expandHome(path, home)));
    entries.push(entryOf(CUSTOM_ENTRY, 'Custom paths', absolute, keyFiles, hash, 'paths input'));
  }

  if (entries.length === 0) warnings.push(`no ecosystem was detected under ${config.workingDirectory} (looked for ${Object.keys(ECOSYSTEMS).join(', ')}): nothing to cache`);
  return { entries, exportVariables, warnings, filesWalked: files.length };
}
