import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import * as glob from '@actions/glob';
import { compareCodeUnits } from './ecosystems.ts';

/**
 * The file system edge of build-cache: one walk of the repository for detection and key files, the
 * hash of the key files, and a fingerprint of cached folders. Parallel (directory reads and file
 * reads overlap, which is where a big monorepo spends its time) and stable (results are sorted by
 * relative path, whatever order the reads finish in).
 */

/** How many reads run at once: enough to keep the disk and the thread pool busy. */
const PARALLEL_READS = 32;
/** Files up to this size are read whole; bigger ones are streamed through the hash. */
const WHOLE_READ_LIMIT = 4 * 1024 * 1024;

/** Runs `work` over `items` with at most `limit` calls in flight, keeping results in item order. */
export async function mapParallel<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export interface WalkOptions {
  /** Whether to leave out a folder (its path relative to the root, '/'-separated, and its name). */
  skipDirectory?: (relativePath: string, name: string) => boolean;
}

/**
 * Every file under `root`, as sorted '/'-separated paths relative to it. Symbolic links are listed
 * but not followed (a link into node_modules must not pull it in). A missing root gives no files.
 */
export async function listFiles(root: string, options: WalkOptions = {}): Promise<string[]> {
  const files: string[] = [];
  let pending: string[] = [''];
  while (pending.length > 0) {
    const level = await mapParallel(pending, PARALLEL_READS, async (relative) => {
      try {
        return { relative, entries: await readdir(relative ? join(root, relative) : root, { withFileTypes: true }) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return { relative, entries: [] };
        throw error;
      }
    });
    pending = [];
    for (const { relative, entries } of level) {
      for (const entry of entries) {
        const path = relative ? `${relative}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (!options.skipDirectory?.(path, entry.name)) pending.push(path);
        } else {
          files.push(path);
        }
      }
    }
  }
  return files.sort(compareCodeUnits);
}

async function sha256OfFile(path: string): Promise<string> {
  const info = await lstat(path);
  if (info.isSymbolicLink()) return createHash('sha256').update(`link:${await readlink(path)}`).digest('hex');
  if (info.size <= WHOLE_READ_LIMIT) {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The hash a key is made of: SHA-256 over each file's relative path and the SHA-256 of its content,
 * in sorted order, then any extra lines (a toolchain version). The path is part of it, so moving a
 * lockfile changes the key; the order is fixed, so the same tree gives the same hash everywhere.
 */
export async function hashKeyFiles(root: string, files: readonly string[], extra: readonly string[] = []): Promise<string> {
  const sorted = [...files].sort(compareCodeUnits);
  const digests = await mapParallel(sorted, PARALLEL_READS, (file) => sha256OfFile(join(root, file)));
  const hash = createHash('sha256');
  sorted.forEach((file, index) => hash.update(`${file}\0${digests[index]}\n`));
  for (const line of extra) hash.update(`extra\0${line}\n`);
  return hash.digest('hex');
}

export interface Fingerprint {
  /** SHA-256 over every file's path, size, mode and modification time: what changes when a tool writes. */
  hash: string;
  files: number;
  bytes: number;
}

/**
 * What is in the cached folders now, cheaply: metadata only, no content reads. Taken after a
 * restore and again before saving, it tells whether the job changed anything (a tool that adds a
 * package writes files; extraction keeps the archived modification times).
 */
export async function fingerprint(paths: readonly string[]): Promise<Fingerprint> {
  const hash = createHash('sha256');
  let files = 0;
  let bytes = 0;
  for (const path of [...paths].sort(compareCodeUnits)) {
    const top = await lstat(path).catch(() => undefined);
    if (!top) continue;
    const listed = top.isDirectory() ? await listFiles(path) : [''];
    const stats = await mapParallel(listed, PARALLEL_READS, async (file) => {
      try {
        return file ? await lstat(join(path, file)) : top;
      } catch {
        return undefined;
      }
    });
    hash.update(`root\0${path}\n`);
    listed.forEach((file, index) => {
      const info = stats[index];
      if (!info) return;
      files += 1;
      bytes += info.size;
      hash.update(`${file}\0${info.size}\0${info.mode}\0${Math.trunc(info.mtimeMs)}\n`);
    });
  }
  return { hash: hash.digest('hex'), files, bytes };
}

const GLOB_CHARACTERS = /[*?[{]/;

/**
 * The cached paths as they are on disk now: `~` is the home folder, relative ones are taken from
 * the workspace (as @actions/cache does), globs expanded with @actions/glob (the library's own matcher).
 */
export async function expandPaths(paths: readonly string[], workspace: string, home = homedir()): Promise<string[]> {
  const absolute = paths.map((path) => (path === '~' || path.startsWith('~/') ? join(home, path.slice(1)) : isAbsolute(path) ? path : resolve(workspace, path)));
  const plain = absolute.filter((path) => !GLOB_CHARACTERS.test(path));
  const patterns = absolute.filter((path) => GLOB_CHARACTERS.test(path));
  if (patterns.length === 0) return plain;
  const globber = await glob.create(patterns.join('\n'), { implicitDescendants: false });
  return [...plain, ...(await globber.glob())];
}
