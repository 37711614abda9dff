import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ActionHarness, actionInputEnv, evaluatePostIf, loadAction, parseFileCommand, parseWorkflowCommands } from '../harness/run-action.ts';

/** The harness reads what @actions/core writes; these are the runner's formats. */

describe('file commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV)', () => {
  test('heredoc blocks, multi-line values, legacy name=value', () => {
    const text = 'a<<ghadelimiter_1\nline one\nline two\nghadelimiter_1\nb<<EOF\n\nEOF\nc=plain=value\n';
    expect(parseFileCommand(text)).toEqual({ a: 'line one\nline two', b: '', c: 'plain=value' });
  });

  test('an unclosed block is an error, not a silent value', () => {
    expect(() => parseFileCommand('a<<X\nvalue\n')).toThrow(/no closing delimiter/);
  });
});

describe('workflow commands on stdout', () => {
  test('annotations with escaped data and properties, masks, debug', () => {
    const stdout = [
      '::error file=a%2Cb.ts,line=3,title=Bad%3A input::first%0Asecond 100%25',
      '::warning::careful',
      '::notice title=FYI::note',
      '::debug::detail',
      '::add-mask::s3cr3t',
      'plain line',
    ].join('\n');
    const found = parseWorkflowCommands(stdout);
    expect(found.errors).toEqual([{ message: 'first\nsecond 100%', properties: { file: 'a,b.ts', line: '3', title: 'Bad: input' } }]);
    expect(found.warnings).toEqual([{ message: 'careful', properties: {} }]);
    expect(found.notices).toEqual([{ message: 'note', properties: { title: 'FYI' } }]);
    expect(found.debug).toEqual(['detail']);
    expect(found.masks).toEqual(['s3cr3t']);
  });
});

describe('post-if, as the runner evaluates it', () => {
  test.each([
    [undefined, true, true],
    [undefined, false, true],
    ['always()', false, true],
    ['success()', true, true],
    ['success()', false, false],
    ['${{ failure() }}', false, true],
    ['failure()', true, false],
  ])('%s after a main step that succeeded=%s → %s', (condition, succeeded, runs) => {
    expect(evaluatePostIf(condition, succeeded)).toBe(runs);
  });
});

describe('expressions in action.yml are GitHub’s own, not regexes', () => {
  test('post-if without a status function reads success() && (...), as the runner reads it', () => {
    expect(evaluatePostIf("'x' == 'x'", true)).toBe(true);
    expect(evaluatePostIf("'x' == 'x'", false)).toBe(false);
    expect(evaluatePostIf('always() && 1 == 2', false)).toBe(false);
  });

  test('an input default with operators and functions is evaluated with the step’s github context', async () => {
    const action = loadAction(join(import.meta.dirname, '../doubles/runner/actions/setup-node'));
    const env = await actionInputEnv(action, {}, { contexts: { github: { server_url: 'https://github.com', token: 'ghs_x' } } });
    expect(env['INPUT_TOKEN']).toBe('ghs_x');
    const ghes = await actionInputEnv(action, {}, { contexts: { github: { server_url: 'https://ghes.example.com', token: 'ghs_x' } } });
    expect(ghes['INPUT_TOKEN']).toBe('');
  });
});

describe('the post step, through a fixture action', () => {
  const fixture = join(import.meta.dirname, '../harness/fixtures/post-probe');

  test('runs after a successful main step with the state main saved', async () => {
    const harness = new ActionHarness();
    try {
      const { main, post } = await harness.run(fixture, { post: true });
      expect(main.outputs['input-seen']).toBe('false');
      expect(main.state).toEqual({ started: 'yes' });
      expect(post?.summary).toBe('post saw STATE_started=yes\n');
    } finally {
      harness.cleanup();
    }
  });

  test('is skipped when post-if: success() and main failed', async () => {
    const harness = new ActionHarness();
    try {
      const { main, post } = await harness.run(fixture, { post: true, inputs: { fail: 'true' } });
      expect(main.exitCode).toBe(1);
      expect(post).toBeUndefined();
    } finally {
      harness.cleanup();
    }
  });
});
