import * as core from '@actions/core';

const USER_ERROR = Symbol.for('deploy-actions.user-error');

/**
 * A problem the user can fix (a bad input, a missing permission, a refused request).
 * It is reported as one readable line; its stack is noise to the user and is not printed.
 *
 * Branded, not only classed: the Kubernetes and SSH code run from bundles of their own, each with its
 * own copy of this class, and their errors must still read as the user's problem.
 */
export class UserError extends Error {
  override name = 'UserError';
  readonly [USER_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== UserError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[USER_ERROR] === true;
  }
}

/** An input that failed validation: the message names the input, the value and what is accepted. */
export class InputError extends UserError {
  override name = 'InputError';
  readonly input: string;

  constructor(input: string, problem: string) {
    super(`input "${input}": ${problem}`);
    this.input = input;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * The one wrapper every action's entry point goes through. User mistakes fail the step with
 * "<action>: <message>" and no stack; anything else is a bug in this suite, so its stack goes to the
 * debug log (visible with ACTIONS_STEP_DEBUG) and the message says how to report it.
 */
export async function runAction(actionName: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof UserError) {
      core.setFailed(`${actionName}: ${error.message}`);
      return;
    }
    if (error instanceof Error && error.stack) core.debug(error.stack);
    core.setFailed(
      `${actionName}: unexpected error: ${errorMessage(error)} ` +
        '(a bug in deploy-actions; re-run with debug logging for the stack trace and report it)',
    );
  }
}
