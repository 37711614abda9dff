import { describe, expect, test } from 'vitest';
import { fallbackPrefix, hitKindOf, keyProblem, lookupFor, overallHitKind, platformTag, primaryKey, refreshedKey } from '../../../actions/build-cache/src/keys.ts';

const parts = { prefix: 'build-cache', os: 'linux', arch: 'x64', ecosystem: 'npm' };
const hash = 'a'.repeat(64);

describe('keys', () => {
  test('<prefix>-<os>-<arch>-<ecosystem>[-<salt>]-<hash>; the salt is in the fallback prefix too', () => {
    expect(primaryKey(parts, hash)).toBe(`build-cache-linux-x64-npm-${hash}`);
    expect(fallbackPrefix(parts)).toBe('build-cache-linux-x64-npm-');
    expect(primaryKey({ ...parts, salt: 'node24' }, hash)).toBe(`build-cache-linux-x64-npm-node24-${hash}`);
    expect(fallbackPrefix({ ...parts, salt: 'node24' })).toBe('build-cache-linux-x64-npm-node24-');
  });

  test('the runner\'s OS and architecture, lower-cased; the process\'s when the runner says nothing', () => {
    expect(platformTag('macOS', 'ARM64', { platform: 'linux', arch: 'x64' })).toEqual({ os: 'macos', arch: 'arm64' });
    expect(platformTag(undefined, undefined, { platform: 'win32', arch: 'x64' })).toEqual({ os: 'windows', arch: 'x64' });
  });

  test('the lookup asks for refreshed entries first, then the key, then the fallback prefix', () => {
    const key = primaryKey(parts, hash);
    expect(lookupFor(key, 'build-cache-linux-x64-npm-')).toEqual({ key: `${key}~`, restoreKeys: [key, 'build-cache-linux-x64-npm-'] });
    expect(lookupFor(key, undefined)).toEqual({ key: `${key}~`, restoreKeys: [key] });
  });

  test('exact for the key and its refreshes, partial for anything else found, miss for nothing', () => {
    const key = primaryKey(parts, hash);
    expect(hitKindOf(key, key)).toBe('exact');
    expect(hitKindOf(key, refreshedKey(key, 77, 2))).toBe('exact');
    expect(refreshedKey(key, 77, 2)).toBe(`${key}~77-2`);
    expect(hitKindOf(key, primaryKey(parts, 'b'.repeat(64)))).toBe('partial');
    expect(hitKindOf(key, undefined)).toBe('miss');
  });

  test('one hit kind for many entries', () => {
    expect(overallHitKind(['exact', 'exact'])).toBe('exact');
    expect(overallHitKind(['exact', 'miss'])).toBe('partial');
    expect(overallHitKind(['miss', 'miss'])).toBe('miss');
    expect(overallHitKind(['partial'])).toBe('partial');
    expect(overallHitKind([])).toBe('miss');
  });

  test('the service\'s limits: 512 characters, no commas', () => {
    expect(keyProblem('a'.repeat(512))).toBeUndefined();
    expect(keyProblem('a'.repeat(513))).toBe('it is 513 characters long; the cache service takes at most 512');
    expect(keyProblem('a,b')).toBe('it holds a comma, which the cache service does not accept');
  });
});
