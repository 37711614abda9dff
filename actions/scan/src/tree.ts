import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { git } from './git.ts';

/** Folders never worth scanning in a plain directory walk (in a Git checkout, .gitignore decides). */
const SKIPPED = new Set(['.git', 'node_modules', '.venv', 'venv', '__pycache__', '.tox', 'target', 'vendor', '.gradle', '.terraform']);
/** Files above this size are reported as skipped: lockfiles and source stay far below it. */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

export interface TextFile {
  /** Relative, forward slashes. */
  path: string;
  text: string;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

/** The files of a checkout: what Git tracks plus untracked files it does not ignore; a plain walk outside Git. */
export async function listFiles(root: string): Promise<string[]> {
  try {
    const stdout = await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
    return [...new Set(stdout.split('\0').filter(Boolean))].sort();
  } catch {
    // Not a Git checkout (or no git): walk the folder.
  }
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    await Promise.all(
      entries.map(async (entry) => {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (!SKIPPED.has(entry.name)) await walk(full);
        } else if (entry.isFile()) files.push(relative(root, full).split(sep).join('/'));
      }),
    );
  };
  await walk(root);
  return files.sort();
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a file as text. Binary files (a NUL byte early on) are skipped silently, as every scanner does;
 * text that is not valid UTF-8 is skipped and reported, so a scan never crashes on, or quietly
 * misses, a file in another encoding.
 */
export function decodeText(bytes: Uint8Array): { text: string } | { binary: true } | { undecodable: string } {
  const head = bytes.subarray(0, 8000);
  if (head.includes(0)) {
    // UTF-16 with a byte-order mark is text with NULs.
    if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
      return { text: new TextDecoder(bytes[0] === 0xff ? 'utf-16le' : 'utf-16be').decode(bytes) };
    }
    return { binary: true };
  }
  try {
    return { text: decoder.decode(bytes) };
  } catch {
    return { undecodable: 'not valid UTF-8 (and no UTF-16 byte-order mark)' };
  }
}

export async function readText(root: string, path: string): Promise<TextFile | SkippedFile | undefined> {
  const full = join(root, path);
  const info = await stat(full).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  if (info.size > MAX_FILE_BYTES) return { path, reason: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MB` };
  const bytes = await readFile(full).catch((error: NodeJS.ErrnoException) => ({ error: error.code ?? 'unreadable' }));
  if ('error' in bytes) return { path, reason: `cannot be read (${bytes.error})` };
  const decoded = decodeText(bytes);
  if ('binary' in decoded) return undefined;
  if ('undecodable' in decoded) return { path, reason: decoded.undecodable };
  return { path, text: decoded.text };
}
