import { describe, expect, test } from 'vitest';
import { CacheServiceDouble } from '../../doubles/cache-service.ts';

/** The double's key matching, against GitHub's documented order (docs: "Cache key matching"). */
describe('cache service double: key matching', () => {
  const service = new CacheServiceDouble({ blobUrl: 'http://127.0.0.1:1/devstoreaccount1', account: 'devstoreaccount1', accountKey: Buffer.from('key').toString('base64'), stop: async () => {} });
  const version = 'v'.repeat(64);
  let id = 0;
  const add = (key: string, ref: string, createdAt: string, entryVersion = version) =>
    service.entries.push({ id: ++id, key, ref, version: entryVersion, sizeInBytes: 1, createdAt, lastAccessedAt: createdAt });
  add('npm-aaa', 'refs/heads/main', '2026-01-01T00:00:00Z');
  add('npm-bbb', 'refs/heads/main', '2026-01-02T00:00:00Z');
  add('npm-aaa~7-1', 'refs/heads/main', '2026-01-03T00:00:00Z');
  add('npm-ccc', 'refs/heads/feature', '2026-01-01T00:00:00Z');
  add('npm-ddd', 'refs/heads/main', '2026-01-09T00:00:00Z', 'w'.repeat(64));

  test('the key exactly first, even when a prefix match is newer', () => {
    expect(service.lookup(['refs/heads/main'], 'npm-aaa', [], version)?.key).toBe('npm-aaa');
  });
  test('then the key as a prefix, newest first; then each restore key in order', () => {
    expect(service.lookup(['refs/heads/main'], 'npm-aaa~', ['npm-aaa'], version)?.key).toBe('npm-aaa~7-1');
    expect(service.lookup(['refs/heads/main'], 'npm-zzz', ['npm-b', 'npm-'], version)?.key).toBe('npm-bbb');
    expect(service.lookup(['refs/heads/main'], 'npm-zzz', ['npm-'], version)?.key).toBe('npm-aaa~7-1');
  });
  test('scope by scope: the run\'s branch before the default branch; the version must be equal', () => {
    expect(service.lookup(['refs/heads/feature', 'refs/heads/main'], 'npm-zzz', ['npm-'], version)?.key).toBe('npm-ccc');
    expect(service.lookup(['refs/heads/feature', 'refs/heads/main'], 'npm-bbb', [], version)?.key).toBe('npm-bbb');
    expect(service.lookup(['refs/heads/other'], 'npm-', [], version)).toBeUndefined();
    expect(service.lookup(['refs/heads/main'], 'npm-ddd', [], version)).toBeUndefined();
  });
});
