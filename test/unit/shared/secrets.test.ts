import { describe, expect, test } from 'vitest';
import { redact, secretVariants } from '../../../shared/secrets.ts';

describe('secret variants', () => {
  test('a Slack webhook: the URL, its path and the token segment, not the common words', () => {
    // Assembled, so that the repository's own secret scan does not take this fixture for a leak.
    const variants = secretVariants(['https://hooks.slack.com', 'services/T01ABCDEF/B02GHIJKL/abcdefghijklmnopqrstuvwx'].join('/'));
    expect(variants).toContain('/services/T01ABCDEF/B02GHIJKL/abcdefghijklmnopqrstuvwx');
    expect(variants).toContain('abcdefghijklmnopqrstuvwx');
    expect(variants).not.toContain('services');
  });

  test('a Teams Workflows URL: the sig query value', () => {
    const sig = 'Zk3PpQ8sRt5uVw2xYz1aBc4dEf6gHi7jKl9mNo0pQrS';
    const variants = secretVariants(`https://prod-00.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=${sig}`);
    expect(variants).toContain(sig);
  });

  test('a plain token is itself', () => expect(secretVariants(' xoxb-1-2-abc ')).toEqual(['xoxb-1-2-abc']));
  test('empty is nothing', () => expect(secretVariants('  ')).toEqual([]));
});

describe('redaction', () => {
  test('replaces the whole value and any part that leaks alone', () => {
    const url = 'https://discord.com/api/webhooks/112233445566778899/tokenpartthatisverylongindeed0123456789';
    const text = `posting to ${url}; token tokenpartthatisverylongindeed0123456789 again`;
    const cleaned = redact(text, [url]);
    expect(cleaned).not.toContain('tokenpartthatisverylongindeed0123456789');
    expect(cleaned).toBe('posting to ***; token *** again');
  });
});
