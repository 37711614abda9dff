import { describe, expect, test } from 'vitest';
import { archiveBytesIn, problemsIn } from '../../../actions/build-cache/src/cache-client.ts';
import { formatBytes, sizeWarning } from '../../../actions/build-cache/src/summary.ts';

describe('what @actions/cache logs', () => {
  test('warnings and errors, decoded', () => {
    expect(problemsIn(['Cache Size: ~0 MB (706 B)', '::warning::Failed to save: a%0Ab', '::error file=x::Failed to restore: 500', '::debug::x'])).toEqual(['Failed to save: a\nb', 'Failed to restore: 500']);
  });
  test('the archive size, after a download or before an upload', () => {
    expect(archiveBytesIn(['Received 1 of 1', 'Cache Size: ~12 MB (12582912 B)'])).toBe(12582912);
    expect(archiveBytesIn(['::debug::File Size: 714'])).toBe(714);
    expect(archiveBytesIn(['nothing'])).toBeUndefined();
  });
});

describe('sizes', () => {
  test('readable', () => {
    expect(formatBytes(706)).toBe('706 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(200 * 1024 * 1024)).toBe('200 MB');
    expect(formatBytes(undefined)).toBe('—');
  });
  test('a warning from 80% of the 10 GB a repository gets', () => {
    expect(sizeWarning([4 * 1024 ** 3, 3 * 1024 ** 3])).toBeUndefined();
    expect(sizeWarning([5 * 1024 ** 3, 3.5 * 1024 ** 3, undefined])).toMatch(/^these cache entries take 8\.5 GB, near GitHub's 10\.0 GB per repository/);
  });
});
