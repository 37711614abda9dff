import { code, escapeCell, table } from '../../../shared/markdown.ts';
import type { HitKind } from './keys.ts';
import type { PlannedEntry } from './plan.ts';
import type { PruneOutcome } from './prune.ts';

/** GitHub keeps 10 GB of caches per repository by default and evicts the least recently used beyond it. */
export const REPOSITORY_CACHE_LIMIT_BYTES = 10 * 1024 ** 3;
/** Warn from this share of the limit on: one run's entries taking most of it evict everything else. */
export const SIZE_WARNING_SHARE = 0.8;

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return '—';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '—';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const HIT_LABEL: Record<HitKind, string> = { exact: '✅ exact', partial: '🟡 partial', miss: '❌ miss' };

/** A warning when the archives of this run come near GitHub's per-repository cache limit. */
export function sizeWarning(archiveBytes: ReadonlyArray<number | undefined>): string | undefined {
  const total = archiveBytes.reduce<number>((sum, bytes) => sum + (bytes ?? 0), 0);
  if (total < REPOSITORY_CACHE_LIMIT_BYTES * SIZE_WARNING_SHARE) return undefined;
  return (
    `these cache entries take ${formatBytes(total)}, near GitHub's ${formatBytes(REPOSITORY_CACHE_LIMIT_BYTES)} per repository: ` +
    'beyond it the least recently used entries are evicted, these among them. Cache less (custom paths, fewer ecosystems) or prune old entries.'
  );
}

export function renderRestoreSummary(entries: readonly PlannedEntry[], notes: readonly string[]): string {
  const rows = entries.map((entry) => [
    escapeCell(entry.title),
    HIT_LABEL[entry.hitKind],
    code(entry.primaryKey),
    entry.matchedKey && entry.matchedKey !== entry.primaryKey ? code(entry.matchedKey) : entry.matchedKey ? 'the key' : '—',
    formatBytes(entry.archiveBytes),
    formatMs(entry.restoreMs),
    escapeCell(`${entry.paths.join('\n')}\n(${entry.pathSource}; ${entry.keyFiles.length} key file${entry.keyFiles.length === 1 ? '' : 's'})`),
  ]);
  const lines = ['### build-cache: restore', '', table(['Cache', 'Hit', 'Key', 'Restored from', 'Archive', 'Time', 'Paths'], rows)];
  if (notes.length > 0) lines.push('', ...notes.map((note) => `> ${escapeCell(note)}`));
  return `${lines.join('\n')}\n`;
}

export function renderSaveSummary(entries: readonly PlannedEntry[], pruned: readonly PruneOutcome[], notes: readonly string[]): string {
  const label = { saved: '💾 saved', skipped: '⏭️ skipped', failed: '⚠️ failed' } as const;
  const rows = entries.map((entry) => [
    escapeCell(entry.title),
    entry.save ? label[entry.save.outcome] : '—',
    entry.save?.key ? code(entry.save.key) : '—',
    formatBytes(entry.save?.archiveBytes),
    formatMs(entry.save?.ms),
    escapeCell(entry.save?.reason ?? ''),
  ]);
  const lines = ['### build-cache: save', '', table(['Cache', 'Outcome', 'Key', 'Archive', 'Time', 'Why'], rows)];
  for (const outcome of pruned) {
    lines.push('', outcome.problem ? `Pruning ${outcome.entry}: ${escapeCell(outcome.problem)}` : `Pruned ${outcome.deleted.length} older ${outcome.entry} entr${outcome.deleted.length === 1 ? 'y' : 'ies'}${outcome.deleted.length ? `: ${outcome.deleted.map(code).join(', ')}` : ''}`);
  }
  if (notes.length > 0) lines.push('', ...notes.map((note) => `> ${escapeCell(note)}`));
  return `${lines.join('\n')}\n`;
}
