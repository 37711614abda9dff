import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { Machine } from '../../../actions/build-cache/src/ecosystems.ts';
import { cachePath, locate, type RunTool } from '../../../actions/build-cache/src/locations.ts';

const root = mkdtempSync(join(tmpdir(), 'build-cache-locate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const machine: Machine = { platform: 'linux', home: '/home/runner', env: {} };

/** A runner whose tools answer as given (command + args → stdout); missing ones are not installed. */
function tools(answers: Record<string, string | { code: number; stdout: string }>): RunTool & { calls: string[] } {
  const calls: string[] = [];
  const run = (async (command: string, args: string[], cwd: string) => {
    calls.push(`${cwd}$ ${command} ${args.join(' ')}`);
    const answer = answers[`${command} ${args.join(' ')}`];
    if (answer === undefined) return undefined;
    return typeof answer === 'string' ? { code: 0, stdout: answer } : answer;
  }) as RunTool & { calls: string[] };
  run.calls = calls;
  return run;
}

describe('asking the tool, else the documented default', () => {
  test('the tool\'s answer wins; it is asked once, in the first project', async () => {
    const run = tools({ 'npm config get cache --logs-max=0 --loglevel=silent': '/custom/npm\n' });
    expect(await locate('npm', ['/w/a', '/w/b'], machine, run)).toEqual({ paths: ['/custom/npm'], source: 'asked the tool', exportVariables: {}, toolchain: undefined });
    expect(run.calls).toEqual(['/w/a$ npm config get cache --logs-max=0 --loglevel=silent']);
  });

  test('a missing tool, a failing one or an answer that is not a path gives the default', async () => {
    expect(await locate('pip', ['/w'], machine, tools({}))).toMatchObject({ paths: ['/home/runner/.cache/pip'], source: 'documented default' });
    expect(await locate('pip', ['/w'], machine, tools({ 'pip cache dir': { code: 1, stdout: 'ERROR: pip cache commands can not function since cache is disabled.' } }))).toMatchObject({
      source: 'documented default',
    });
  });

  test('Maven is read whatever its exit code', async () => {
    const run = tools({ 'mvn -B -X -o -N validate': { code: 1, stdout: '[DEBUG] Using local repository at /opt/m2\n[ERROR] offline' } });
    expect((await locate('maven', ['/w'], machine, run)).paths).toEqual(['/opt/m2']);
  });

  test('Cargo: the registry in CARGO_HOME and each workspace\'s target; the toolchain enters the key', async () => {
    const run = tools({ 'rustc --version': 'rustc 1.95.0 (59807616e 2026-04-14)\n' });
    expect(await locate('cargo', ['/w/rust'], machine, run)).toEqual({
      paths: ['/home/runner/.cargo/registry/index', '/home/runner/.cargo/registry/cache', '/home/runner/.cargo/git/db', '/w/rust/target'],
      source: 'documented default',
      exportVariables: {},
      toolchain: 'rustc 1.95.0 (59807616e 2026-04-14)',
    });
  });

  test('Bundler: its configured path per project; none configured points BUNDLE_PATH at vendor/bundle', async () => {
    const configured = tools({ "ruby -rbundler -e puts Bundler.settings[:path]": 'gems\n' });
    expect((await locate('bundler', ['/w/app'], machine, configured)).paths).toEqual(['/w/app/gems']);
    const unset = tools({ "ruby -rbundler -e puts Bundler.settings[:path]": '\n', 'ruby --version': 'ruby 3.1.2p20\n' });
    expect(await locate('bundler', ['/w/app', '/w/tool'], machine, unset)).toEqual({
      paths: ['/w/app/vendor/bundle', '/w/tool/vendor/bundle'],
      source: 'documented default',
      exportVariables: { BUNDLE_PATH: 'vendor/bundle' },
      toolchain: 'ruby 3.1.2p20',
    });
  });

  test('Yarn berry per project, from .yarnrc.yml when Yarn cannot be asked', async () => {
    const local = join(root, 'local');
    mkdirSync(local);
    writeFileSync(join(local, '.yarnrc.yml'), 'enableGlobalCache: false\ncacheFolder: ./deps\n');
    const global = join(root, 'global');
    mkdirSync(global);
    writeFileSync(join(global, 'package.json'), JSON.stringify({ packageManager: 'yarn@4.5.0' }));
    expect((await locate('yarn-berry', [local, global], machine, tools({}))).paths).toEqual([join(local, 'deps'), '/home/runner/.yarn/berry/cache']);
  });
});

describe('paths as given to @actions/cache', () => {
  test('relative inside the workspace, ~ inside home, absolute elsewhere', () => {
    expect(cachePath('/home/runner/work/app/app/.next/cache', '/home/runner/work/app/app', '/home/runner')).toBe('.next/cache');
    expect(cachePath('/home/runner/.npm', '/home/runner/work/app/app', '/home/runner')).toBe('~/.npm');
    expect(cachePath('/opt/cache', '/home/runner/work/app/app', '/home/runner')).toBe('/opt/cache');
    expect(cachePath('/home/runner/work/app/app', '/home/runner/work/app/app', '/home/runner')).toBe('.');
  });
});
