import { describe, expect, test } from 'vitest';
import { decideSave, planPaths, type PlannedEntry } from '../../../actions/build-cache/src/plan.ts';
import { choosePrunable } from '../../../actions/build-cache/src/prune.ts';

const entry = (over: Partial<PlannedEntry> = {}): PlannedEntry => ({
  id: 'npm',
  title: 'npm',
  paths: ['~/.npm'],
  keyFiles: ['package-lock.json'],
  pathSource: 'asked the tool',
  primaryKey: 'bc-linux-x64-npm-abc',
  keyPrefix: 'bc-linux-x64-npm-',
  lookupKey: 'bc-linux-x64-npm-abc~',
  restoreKeys: ['bc-linux-x64-npm-abc', 'bc-linux-x64-npm-'],
  hitKind: 'miss',
  ...over,
});
const plan = { refresh: false, runId: '99', runAttempt: '1' };
const content = { hash: 'h1', files: 3 };

describe('what the save does', () => {
  test('a miss and a partial hit are saved under the key', () => {
    expect(decideSave(entry(), plan, content)).toEqual({ save: true, key: 'bc-linux-x64-npm-abc', why: 'cache miss' });
    expect(decideSave(entry({ hitKind: 'partial', matchedKey: 'bc-linux-x64-npm-old' }), plan, content)).toEqual({
      save: true,
      key: 'bc-linux-x64-npm-abc',
      why: 'partial hit on bc-linux-x64-npm-old: saved under the new key',
    });
  });

  test('an exact hit is not saved again, unless refresh is on and the content changed', () => {
    const exact = entry({ hitKind: 'exact', matchedKey: 'bc-linux-x64-npm-abc', restoredFingerprint: 'h1' });
    expect(decideSave(exact, plan, content)).toMatchObject({ save: false, reason: expect.stringContaining('exact hit on bc-linux-x64-npm-abc') });
    expect(decideSave(exact, { ...plan, refresh: true }, content)).toMatchObject({ save: false, reason: expect.stringContaining('nothing changed since it was restored') });
    expect(decideSave(exact, { ...plan, refresh: true }, { hash: 'h2', files: 4 })).toEqual({ save: true, key: 'bc-linux-x64-npm-abc~99-1', why: 'refresh: the content changed since the exact hit was restored' });
  });

  test('nothing at the paths, or saved already by an earlier step, is not saved', () => {
    expect(decideSave(entry(), plan, undefined)).toEqual({ save: false, reason: 'nothing to save: ~/.npm is empty or missing' });
    expect(decideSave(entry(), plan, { hash: 'e', files: 0 })).toMatchObject({ save: false });
    const saved = entry({ save: { outcome: 'saved', key: 'bc-linux-x64-npm-abc', reason: 'cache miss', ms: 5, by: 'save' } });
    expect(decideSave(saved, plan, content)).toEqual({ save: false, reason: 'already saved under bc-linux-x64-npm-abc by the build-cache/save step' });
    const failed = entry({ save: { outcome: 'failed', key: 'bc-linux-x64-npm-abc', reason: 'x', ms: 5, by: 'save' } });
    expect(decideSave(failed, plan, content)).toMatchObject({ save: true });
  });

  test('plan files listed in BUILD_CACHE_PLANS', () => {
    expect(planPaths('/t/a.json:/t/b.json', ':')).toEqual(['/t/a.json', '/t/b.json']);
    expect(planPaths(undefined, ':')).toEqual([]);
    expect(planPaths('C:\\t\\a.json;C:\\t\\b.json', ';')).toEqual(['C:\\t\\a.json', 'C:\\t\\b.json']);
  });
});

describe('what prune deletes', () => {
  const listed = [
    { id: 1, key: 'bc-linux-x64-npm-aaa', ref: 'refs/heads/main', created_at: '2026-11-01T00:00:00Z' },
    { id: 2, key: 'bc-linux-x64-npm-bbb', ref: 'refs/heads/main', created_at: '2026-11-02T00:00:00Z' },
    { id: 3, key: 'bc-linux-x64-npm-ccc', ref: 'refs/heads/main', created_at: '2026-11-03T00:00:00Z' },
    { id: 4, key: 'bc-linux-x64-npm-ddd', ref: 'refs/heads/other', created_at: '2026-11-04T00:00:00Z' },
    { id: 5, key: 'bc-linux-x64-npmx-eee', ref: 'refs/heads/main', created_at: '2026-11-05T00:00:00Z' },
    { id: 6, key: 'bc-linux-x64-pip-fff', ref: 'refs/heads/main', created_at: '2026-11-06T00:00:00Z' },
  ];
  test('the same prefix and ref beyond the newest N, never a protected key', () => {
    expect(choosePrunable(listed, 'bc-linux-x64-npm-', 'refs/heads/main', 1, new Set()).map((cache) => cache.id)).toEqual([2, 1]);
    expect(choosePrunable(listed, 'bc-linux-x64-npm-', 'refs/heads/main', 2, new Set()).map((cache) => cache.id)).toEqual([1]);
    expect(choosePrunable(listed, 'bc-linux-x64-npm-', 'refs/heads/main', 1, new Set(['bc-linux-x64-npm-aaa'])).map((cache) => cache.id)).toEqual([2]);
    expect(choosePrunable(listed, 'bc-linux-x64-npm-', 'refs/heads/other', 1, new Set())).toEqual([]);
  });
});
