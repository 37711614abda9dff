import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { InputError, runAction, UserError } from '../../../shared/errors.ts';

/** The one wrapper: user mistakes read as one line, bugs keep their stack for debug output. */
describe('runAction', () => {
  let written: string;
  beforeEach(() => {
    written = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = 0;
  });

  test('a user error fails the step with "<action>: message", no stack', async () => {
    await runAction('notify', async () => {
      throw new InputError('timeout', '"x" is not accepted; expected a duration');
    });
    expect(process.exitCode).toBe(1);
    expect(written).toBe('::error::notify: input "timeout": "x" is not accepted; expected a duration\n');
  });

  test('a bug says so, and its stack goes to debug output only', async () => {
    await runAction('notify', async () => {
      throw new TypeError('cannot read properties of undefined');
    });
    expect(process.exitCode).toBe(1);
    const lines = written.trim().split('\n');
    expect(lines.filter((line) => line.startsWith('::debug::'))).toHaveLength(1);
    expect(lines.find((line) => line.startsWith('::debug::'))).toMatch(/TypeError: cannot read properties of undefined%0A\s+at /);
    expect(lines.at(-1)).toMatch(/^::error::notify: unexpected error: cannot read properties of undefined \(a bug in deploy-actions; re-run with debug logging/);
  });

  test('success leaves the exit code alone', async () => {
    await runAction('notify', async () => undefined);
    expect(process.exitCode ?? 0).toBe(0);
    expect(written).toBe('');
    expect(new UserError('x')).toBeInstanceOf(Error);
  });
});

describe('errors from the separately bundled SSH and Kubernetes code', () => {
  test('a UserError made by another copy of the class is still the user’s problem', () => {
    // What dist/kubernetes/ throws: its own UserError class, the same brand.
    const fromAnotherBundle = Object.assign(new Error('Kubernetes: 403 forbidden'), { [Symbol.for('deploy-actions.user-error')]: true });
    expect(fromAnotherBundle instanceof UserError).toBe(true);
    expect(new Error('bug') instanceof UserError).toBe(false);
    // Subclasses keep ordinary instanceof.
    expect(new UserError('x') instanceof InputError).toBe(false);
    expect(new InputError('a', 'b') instanceof UserError).toBe(true);
  });
});
