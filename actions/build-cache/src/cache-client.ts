import { AsyncLocalStorage } from 'node:async_hooks';
import * as cache from '@actions/cache';
import { errorMessage } from '../../../shared/errors.ts';

/**
 * The edge to the cache service, through @actions/cache itself. The library reports most failures
 * only as log lines (a warning, then -1 or undefined) and archive sizes only in its log; to name the
 * reason in our own messages and tables, what it writes during one call is captured as well as
 * printed. AsyncLocalStorage keeps the calls of parallel restores apart.
 */

export interface RestoreResult {
  matchedKey?: string;
  /** The compressed archive's size, as the library reported it. */
  archiveBytes?: number;
  /** Warnings and errors the library logged instead of throwing. */
  problems: string[];
}

export interface SaveResult {
  /** The entry's id, or -1 when the library did not save. */
  id: number;
  archiveBytes?: number;
  problems: string[];
  /** The key was taken (another job saved it first, or it exists already). */
  keyTaken: boolean;
}

export interface CacheClient {
  available(): boolean;
  restore(paths: string[], key: string, restoreKeys: string[], lookupOnly: boolean): Promise<RestoreResult>;
  save(paths: string[], key: string): Promise<SaveResult>;
}

const captured = new AsyncLocalStorage<string[]>();
let tapped = false;

/** Copies what is written to stdout during a captured call into that call's list, and still writes it. */
function tapStdout(): void {
  if (tapped) return;
  tapped = true;
  const write = process.stdout.write.bind(process.stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    captured.getStore()?.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
}

async function capture<T>(body: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  tapStdout();
  const lines: string[] = [];
  const value = await captured.run(lines, body);
  return { value, lines: lines.join('').split(/\r?\n/).filter(Boolean) };
}

/** `::warning::text` and `::error::text` lines, decoded as the runner would show them. */
export function problemsIn(lines: readonly string[]): string[] {
  return lines
    .map((line) => /^::(?:warning|error)(?: [^:]*)?::(.*)$/.exec(line)?.[1])
    .filter((message): message is string => message !== undefined)
    .map((message) => message.replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%'));
}

/** "Cache Size: ~12 MB (12582912 B)" after a download, "::debug::File Size: 12582912" before an upload. */
export function archiveBytesIn(lines: readonly string[]): number | undefined {
  for (const line of lines) {
    const match = /Cache Size: ~\d+ MB \((\d+) B\)/.exec(line) ?? /^::debug::File Size: (\d+)$/.exec(line);
    if (match?.[1]) return Number(match[1]);
  }
  return undefined;
}

/**
 * The service's answer when the key is taken (409 Conflict, "cache entry with the same key, version,
 * and scope already exists"), as the library logs it before reporting every refused reservation
 * alike ("another job may be creating this cache"), a refusal for a full disk or a denied write too.
 */
const KEY_TAKEN = /^::debug::Failed to reserve cache: .*\(409\)/;

export const actionsCache: CacheClient = {
  available: () => cache.isFeatureAvailable(),

  async restore(paths, key, restoreKeys, lookupOnly) {
    const { value, lines } = await capture(() => cache.restoreCache(paths, key, restoreKeys, { lookupOnly }));
    return { matchedKey: value, archiveBytes: archiveBytesIn(lines), problems: problemsIn(lines) };
  },

  async save(paths, key) {
    let thrown: string | undefined;
    const { value, lines } = await capture(async () => {
      try {
        return await cache.saveCache(paths, key);
      } catch (error) {
        // Only validation errors are thrown (no path exists, a bad key).
        thrown = errorMessage(error);
        return -1;
      }
    });
    return {
      id: value,
      archiveBytes: archiveBytesIn(lines),
      problems: [...problemsIn(lines), ...(thrown ? [thrown] : [])],
      keyTaken: lines.some((line) => KEY_TAKEN.test(line)),
    };
  },
};
