import { describe, expect, test } from 'vitest';
import { InputError } from '../../../shared/errors.ts';
import { formatDuration, Inputs, inputsFromRecord, parseDuration, splitList } from '../../../shared/inputs.ts';

const inputs = (values: Record<string, string>, secret: string[] = []) => new Inputs(inputsFromRecord(values), { secret });

function errorOf(action: () => unknown): InputError {
  try {
    action();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('durations', () => {
  test.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5s', 1500],
    ['90', 90_000],
    ['2d', 172_800_000],
    ['1m30s', 90_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  test.each(['', 'soon', '5 minutes', '-5s', '5x', 's', '1h 30m', '5mm'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  test('formats back', () => {
    expect([250, 1000, 1500, 60_000, 90_000, 3_600_000, 5_430_000, 86_400_000].map(formatDuration)).toEqual(['250ms', '1s', '1.5s', '1m', '1m30s', '1h', '1h30m30s', '1d']);
  });

  test('the error names the input, the value and what is accepted', () => {
    const error = errorOf(() => inputs({ timeout: '5 minutes' }).duration('timeout', '60s'));
    expect(error.input).toBe('timeout');
    expect(error.message).toContain('"5 minutes"');
    expect(error.message).toContain('30s');
  });

  test('bounds are enforced and stated', () => {
    const error = errorOf(() => inputs({ timeout: '20m' }).duration('timeout', '60s', { min: 1000, max: 900_000 }));
    expect(error.message).toMatch(/between 1s and 15m/);
    expect(inputs({}).duration('timeout', '60s')).toBe(60_000);
  });
});

describe('booleans reject unknown words', () => {
  test.each([
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['on', true],
    ['1', true],
    ['false', false],
    ['No', false],
    ['off', false],
    ['0', false],
  ])('%s', (word, value) => expect(inputs({ flag: word }).boolean('flag', !value)).toBe(value));

  test.each(['ture', 'y', 'enabled', '2'])('%s is refused', (word) => {
    const error = errorOf(() => inputs({ flag: word }).boolean('flag', false));
    expect(error.message).toMatch(/^input "flag": "[^"]+" is not accepted; expected a boolean: one of true, yes, on, 1, false, no, off, 0$/);
  });

  test('absent is the fallback', () => expect(inputs({}).boolean('flag', true)).toBe(true));
});

describe('percentages, integers, enums, lists', () => {
  test.each([
    ['10', 10],
    ['12.5%', 12.5],
    ['0', 0],
    ['100 %', 100],
  ])('percent %s', (text, value) => expect(inputs({ p: text }).percent('p', 100)).toBe(value));

  test.each(['101', '-1', 'ten', '5%%', '1e2'])('percent %s is refused', (text) => {
    expect(errorOf(() => inputs({ p: text }).percent('p', 100)).message).toContain('a percentage from 0 to 100');
  });

  test('integers within bounds', () => {
    expect(inputs({ n: '42' }).integer('n', { min: 1 })).toBe(42);
    expect(inputs({}).integer('n', { fallback: 3 })).toBe(3);
    expect(errorOf(() => inputs({ n: '0' }).integer('n', { min: 1 })).message).toContain('a whole number from 1');
    expect(errorOf(() => inputs({ n: '4.2' }).integer('n')).message).toContain('"4.2"');
  });

  test('choice is case-insensitive and lists the options', () => {
    expect(inputs({ mode: 'Instant' }).choice('mode', ['instant', 'redeploy'])).toBe('instant');
    expect(errorOf(() => inputs({ mode: 'fast' }).choice('mode', ['instant', 'redeploy'])).message).toBe(
      'input "mode": "fast" is not accepted; expected one of instant, redeploy',
    );
    expect(errorOf(() => inputs({}).choice('mode', ['instant', 'redeploy'])).message).toContain('is required');
  });

  test('lists split on commas and newlines', () => {
    expect(splitList(' a, b\nc,,\n d ')).toEqual(['a', 'b', 'c', 'd']);
    expect(inputs({ c: 'slack, summary\nslack' }).choices('c', ['summary', 'slack'])).toEqual(['slack', 'summary']);
    expect(errorOf(() => inputs({ c: 'slack, email' }).choices('c', ['summary', 'slack'])).message).toContain('"email"');
  });
});

describe('structured blocks', () => {
  test('YAML and JSON both parse', () => {
    expect(inputs({ m: 'a: 1\nb: [x, y]' }).yaml('m')).toEqual({ a: 1, b: ['x', 'y'] });
    expect(inputs({ m: '{"a": 1}' }).yaml('m')).toEqual({ a: 1 });
  });

  test('errors carry line and column', () => {
    const error = errorOf(() => inputs({ m: 'a: 1\nb: [x, y\nc: 2' }).yaml('m'));
    expect(error.message).toMatch(/input "m": is not valid YAML or JSON at line \d+, column \d+/);
  });

  test('duplicate keys are refused', () => {
    expect(errorOf(() => inputs({ m: 'a: 1\na: 2' }).yaml('m')).message).toContain('line 2');
  });
});

describe('URLs', () => {
  test.each(['https://hooks.example.com/x', 'http://127.0.0.1:8080/x', 'http://localhost/x', 'http://[::1]:9/x'])('%s is accepted', (url) => {
    expect(inputs({ u: url }).url('u')?.href).toBeTruthy();
  });

  test.each(['http://example.com/x', 'ftp://127.0.0.1/', 'not a url', '/relative'])('%s is refused', (url) => {
    expect(errorOf(() => inputs({ u: url }).url('u')).message).toContain('an https:// URL');
  });
});

describe('secrets', () => {
  test('a secret value never appears in an error', () => {
    const secret = 'http://internal.example.com/hook/abcdefghijklmnopqrstuvwxyz';
    const error = errorOf(() => inputs({ hook: secret }, ['hook']).url('hook'));
    expect(error.message).not.toContain('abcdefghijklmnop');
    expect(error.message).toContain('hidden');
  });

  test('maskSecrets registers the value and its token-like parts', () => {
    const masked: string[] = [];
    inputs({ hook: 'https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX', other: 'public' }, ['hook']).maskSecrets((value) => masked.push(value));
    expect(masked).toContain('https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX');
    expect(masked).toContain('XXXXXXXXXXXXXXXXXXXXXXXX');
    expect(masked).not.toContain('public');
  });
});
