import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NpmRegistryDouble } from '../doubles/npm-registry.ts';
import { StaticFilesDouble } from '../doubles/static-files.ts';
import { ROOT } from '../harness/run-action.ts';
import { CacheStage, type JobResult, type Runner } from '../sandbox/cache-stage.ts';
import { which } from '../sandbox/servers.ts';

/**
 * build-cache with the package managers themselves: the action asks each tool where its cache is,
 * the tool fills it in one job (installing from a local registry double or its own build), and in
 * the next job, on a clean runner with the registry gone, the tool works from what was restored.
 * JavaScript tools come from npm (devDependencies), the others from Debian (npm test installs them).
 */

let stage: CacheStage;
let registry: NpmRegistryDouble;
const scratch = mkdtempSync(join(tmpdir(), 'build-cache-tools-'));
const BIN = join(ROOT, 'node_modules', '.bin');
// Yarn 1 and berry both declare a `yarn` bin, and which one npm links into node_modules/.bin depends on
// install order. A runner's `yarn` is Yarn 1 (berry projects hand over via yarnPath), so it comes first.
const YARN_CLASSIC_BIN = mkdtempSync(join(tmpdir(), 'yarn-classic-'));
symlinkSync(join(ROOT, 'node_modules', 'yarn', 'bin', 'yarn.js'), join(YARN_CLASSIC_BIN, 'yarn'));
const PATH = `${YARN_CLASSIC_BIN}:${BIN}:${process.env['PATH']}`;
const BERRY = join(ROOT, 'node_modules', '@yarnpkg', 'cli-dist', 'bin', 'yarn.js');
/** The environment the current tool's steps get on top of the runner's. */
let toolEnv: Record<string, string> = {};

beforeAll(async () => {
  stage = await CacheStage.create();
  registry = await new NpmRegistryDouble().start();
  registry.publish('left-pad-double', '1.0.0', 'padded');
}, 60_000);
afterAll(async () => {
  await registry.stop();
  expect(await stage.stop()).toEqual([]);
  rmSync(scratch, { recursive: true, force: true });
  rmSync(YARN_CLASSIC_BIN, { recursive: true, force: true });
});

/**
 * Runs a tool as a job step would: in the workspace, with the runner's HOME. Asynchronously: the
 * registry double answers from this process.
 */
function step(runner: Runner, command: string, args: string[], env: Record<string, string> = {}, cwd = runner.workspace): Promise<string> {
  return new Promise((resolveStep, rejectStep) => {
    execFile(command, args, { cwd, env: { PATH, HOME: runner.home, LANG: 'C.UTF-8', CI: 'true', ...toolEnv, ...env }, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) rejectStep(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolveStep(stdout);
    });
  });
}

/** The repository's files after the tool wrote its lockfile, as a developer would commit them. */
async function committed(files: Record<string, string>, lock: (dir: string, runner: Runner) => Promise<void>): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(scratch, 'repo-'));
  const home = mkdtempSync(join(scratch, 'home-'));
  CacheStage.writeFiles(dir, files);
  await lock(dir, { workspace: dir, home });
  const repo: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }).map(String)) {
    if (name.startsWith('node_modules') || name.startsWith('.yarn/') || name === '.yarn' || name === '.pnp.cjs' || name === '.pnp.loader.mjs') continue;
    const path = join(dir, name);
    if (existsSync(path) && !readdirSafe(path)) repo[name] = readFileSync(path, 'utf8');
  }
  return repo;
}

function readdirSafe(path: string): boolean {
  try {
    readdirSync(path);
    return true;
  } catch {
    return false;
  }
}

function caches(result: JobResult): Record<string, { paths: string[]; 'hit-kind': string }> {
  return JSON.parse(result.main.outputs['caches'] ?? '{}');
}

interface JsTool {
  id: 'npm' | 'pnpm' | 'yarn' | 'yarn-berry' | 'bun';
  files: (registryUrl: string) => Record<string, string>;
  lockfile: string;
  install: (runner: Runner, dir?: string) => Promise<unknown>;
  offline: (runner: Runner) => Promise<unknown>;
  /** Where the tool keeps its caches, as its documentation says (the tool is asked, this is the check). */
  expectedPaths: RegExp[];
  /** Configuration through the environment, for the tool and the action alike. */
  env?: (runner: Runner) => Record<string, string>;
}

const manifest = JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: { 'left-pad-double': '1.0.0' } });

const JS_TOOLS: JsTool[] = [
  {
    id: 'npm',
    files: (url) => ({ 'package.json': manifest, '.npmrc': `registry=${url}/\n` }),
    lockfile: 'package-lock.json',
    install: (runner, dir) => step(runner, 'npm', dir ? ['install', '--no-audit', '--no-fund'] : ['ci', '--no-audit', '--no-fund'], {}, dir),
    offline: (runner) => step(runner, 'npm', ['ci', '--offline', '--no-audit', '--no-fund']),
    expectedPaths: [/^~\/\.npm$/],
  },
  {
    id: 'pnpm',
    files: (url) => ({ 'package.json': manifest, '.npmrc': `registry=${url}/\n` }),
    lockfile: 'pnpm-lock.yaml',
    install: (runner, dir) => step(runner, 'pnpm', dir ? ['install'] : ['install', '--frozen-lockfile'], {}, dir),
    offline: (runner) => step(runner, 'pnpm', ['install', '--frozen-lockfile', '--offline']),
    expectedPaths: [/^~\/\.local\/share\/pnpm\/store\/v\d+$/, /^~\/\.cache\/pnpm$/],
  },
  {
    id: 'yarn',
    files: (url) => ({ 'package.json': manifest, '.yarnrc': `registry "${url}/"\n` }),
    lockfile: 'yarn.lock',
    install: (runner, dir) => step(runner, 'yarn', dir ? ['install', '--non-interactive'] : ['install', '--frozen-lockfile', '--non-interactive'], {}, dir),
    offline: (runner) => step(runner, 'yarn', ['install', '--frozen-lockfile', '--offline', '--non-interactive']),
    // Yarn 1 run as root keeps its cache in /usr/local/share/.cache/yarn, outside any runner's
    // home (CI here runs as root); YARN_CACHE_FOLDER moves it, and the action must ask Yarn to see it.
    env: (runner) => ({ YARN_CACHE_FOLDER: join(runner.home, 'yarn-cache') }),
    expectedPaths: [/^~\/yarn-cache\/v6$/],
  },
  {
    id: 'yarn-berry',
    files: (url) => ({
      'package.json': manifest,
      // yarnPath is how berry projects pin their Yarn; the runner's Yarn 1 hands over to it.
      '.yarnrc.yml': `yarnPath: ${BERRY}\nnpmRegistryServer: "${url}"\nunsafeHttpWhitelist: ["127.0.0.1"]\nnodeLinker: node-modules\nenableTelemetry: false\n`,
    }),
    lockfile: 'yarn.lock',
    // CI=true makes berry refuse to write a lockfile; the developer's machine did.
    install: (runner, dir) => step(runner, 'yarn', dir ? ['install'] : ['install', '--immutable'], { YARN_ENABLE_IMMUTABLE_INSTALLS: dir ? 'false' : 'true' }, dir),
    offline: (runner) => step(runner, 'yarn', ['install', '--immutable'], { YARN_ENABLE_NETWORK: '0' }),
    expectedPaths: [/^~\/\.yarn\/berry\/cache$/],
  },
  {
    id: 'bun',
    files: (url) => ({ 'package.json': manifest, 'bunfig.toml': `[install]\nregistry = "${url}/"\n` }),
    lockfile: 'bun.lock',
    install: (runner, dir) => step(runner, 'bun', dir ? ['install'] : ['install', '--frozen-lockfile'], {}, dir),
    offline: (runner) => step(runner, 'bun', ['install', '--frozen-lockfile']),
    expectedPaths: [/^~\/\.bun\/install\/cache$/],
  },
];

describe('JavaScript package managers, from a local registry, then without it', () => {
  test.each(JS_TOOLS)('$id', async (tool) => {
    // The action asks the same `yarn` the steps run, so it gets the same PATH.
    const env = { PATH, ...tool.env?.(stage.runnerPaths) };
    toolEnv = env;
    const repo = await committed(tool.files(registry.url), async (dir, runner) => void (await tool.install(runner, dir)));
    expect(Object.keys(repo)).toContain(tool.lockfile);
    const inputs = { prefix: `tools-${tool.id}` };

    const first = await stage.job({ repo, inputs, env, build: async (runner) => void (await tool.install(runner)) });
    expect(first.main.exitCode, first.main.log).toBe(0);
    expect(Object.keys(caches(first))).toEqual([tool.id]);
    expect(caches(first)[tool.id]?.paths).toEqual(tool.expectedPaths.map((path) => expect.stringMatching(path)));
    expect(first.main.summary).toContain('asked the tool');
    expect(first.post?.log).toMatch(new RegExp(`${tool.id}: saved`));

    const before = registry.requests.length;
    registry.down = true;
    try {
      const second = await stage.job({
        repo,
        inputs,
        env,
        build: async (runner) => {
          await tool.offline(runner);
          expect(readFileSync(join(runner.workspace, 'node_modules', 'left-pad-double', 'index.js'), 'utf8')).toContain('padded');
        },
      });
      expect(second.main.outputs['hit-kind'], second.main.log).toBe('exact');
      expect(second.post?.exitCode, second.post?.log).toBe(0);
    } finally {
      registry.down = false;
    }
    expect(registry.requests.slice(before).filter((request) => request.status === 200)).toEqual([]);
  });
});

/** Where a Debian tool keeps its caches, and how it fills them in one job and works from them in the next. */
interface ToolScenario {
  id: string;
  /** The program that must be installed (npm test installs it from Debian). */
  program: string;
  repo: () => Promise<{ first: Record<string, string | Buffer>; second?: Record<string, string | Buffer> }>;
  env?: (runner: Runner) => Record<string, string>;
  expectedPaths: RegExp[];
  fill: (runner: Runner, exported: Record<string, string>) => Promise<unknown>;
  use: (runner: Runner, exported: Record<string, string>) => Promise<unknown>;
  before?: () => void;
  after?: () => void;
}

/** A file tree built by a short Python script (zip archives: Go module zips, wheels, Composer dists). */
async function python(script: string, cwd: string): Promise<string> {
  return step({ workspace: cwd, home: cwd }, 'python3', ['-c', script], {}, cwd);
}

const pipIndex = new StaticFilesDouble();
const composerRepository = new StaticFilesDouble();

function wheelScript(out: string): string {
  return `
import zipfile, hashlib, base64
files = {'greet/__init__.py': b'def hello():\\n    return "hello from a wheel"\\n',
         'greet-1.0.0.dist-info/METADATA': b'Metadata-Version: 2.1\\nName: greet\\nVersion: 1.0.0\\n',
         'greet-1.0.0.dist-info/WHEEL': b'Wheel-Version: 1.0\\nGenerator: deploy-actions\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n'}
record = ''.join(f"{n},sha256={base64.urlsafe_b64encode(hashlib.sha256(c).digest()).rstrip(b'=').decode()},{len(c)}\\n" for n, c in files.items())
with zipfile.ZipFile(${JSON.stringify(out)}, 'w') as z:
    for n, c in files.items(): z.writestr(n, c)
    z.writestr('greet-1.0.0.dist-info/RECORD', record + 'greet-1.0.0.dist-info/RECORD,,\\n')
`;
}

async function publishWheel(): Promise<void> {
  if (pipIndex.files.size > 0) return;
  const dir = mkdtempSync(join(scratch, 'wheel-'));
  await python(wheelScript(join(dir, 'greet-1.0.0-py3-none-any.whl')), dir);
  const wheel = readFileSync(join(dir, 'greet-1.0.0-py3-none-any.whl'));
  const sha = createHash('sha256').update(wheel).digest('hex');
  // As PyPI serves them: files cacheable for a year (pip keeps them in its HTTP cache).
  pipIndex.put('/greet-1.0.0-py3-none-any.whl', wheel, { 'content-type': 'application/octet-stream', 'cache-control': 'max-age=365000000, immutable, public' });
  pipIndex.put('/simple/greet/', `<!DOCTYPE html><html><body><a href="/greet-1.0.0-py3-none-any.whl#sha256=${sha}">greet-1.0.0-py3-none-any.whl</a></body></html>`, {
    'content-type': 'text/html',
    'cache-control': 'max-age=600, public',
  });
}

/** pip behind pyenv finds its Python through PYENV_ROOT, which a fresh HOME would otherwise hide. */
function pyenvRoot(): Record<string, string> {
  const pip = which('pip') ?? '';
  return pip.includes('/shims/') ? { PYENV_ROOT: dirname(dirname(pip)) } : {};
}

/** rustup's cargo and rustc find their toolchains through RUSTUP_HOME, which a fresh HOME would otherwise hide. */
function rustupHome(): Record<string, string> {
  const cargo = which('cargo') ?? '';
  return cargo.includes('/.cargo/bin/') ? { RUSTUP_HOME: join(dirname(dirname(dirname(cargo))), '.rustup') } : {};
}

const SCENARIOS: ToolScenario[] = [
  {
    id: 'go',
    program: 'go',
    // A module proxy in a folder (GOPROXY=file://), laid out as proxy.golang.org serves modules.
    repo: async () => {
      const proxy = join(scratch, 'goproxy');
      const versions = join(proxy, 'example.com', 'greet', '@v');
      mkdirSync(versions, { recursive: true });
      const source = mkdtempSync(join(scratch, 'greet-'));
      CacheStage.writeFiles(source, { 'go.mod': 'module example.com/greet\n\ngo 1.19\n', 'greet.go': 'package greet\n\nfunc Hello() string { return "hello from the proxy" }\n' });
      await python(
        `import zipfile\nwith zipfile.ZipFile(${JSON.stringify(join(versions, 'v1.0.0.zip'))}, 'w') as z:\n    z.write('go.mod', 'example.com/greet@v1.0.0/go.mod')\n    z.write('greet.go', 'example.com/greet@v1.0.0/greet.go')\n`,
        source,
      );
      CacheStage.writeFiles(versions, { list: 'v1.0.0\n', 'v1.0.0.mod': 'module example.com/greet\n\ngo 1.19\n', 'v1.0.0.info': '{"Version":"v1.0.0","Time":"2025-01-01T00:00:00Z"}\n' });
      const app = {
        'go.mod': 'module example.com/app\n\ngo 1.19\n\nrequire example.com/greet v1.0.0\n',
        'main.go': 'package main\n\nimport (\n\t"fmt"\n\n\t"example.com/greet"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n',
      };
      const dir = mkdtempSync(join(scratch, 'goapp-'));
      CacheStage.writeFiles(dir, app);
      await step({ workspace: dir, home: dir }, 'go', ['mod', 'tidy'], { GOPROXY: `file://${proxy}`, GOSUMDB: 'off', GOFLAGS: '-mod=mod' });
      return { first: { ...app, 'go.sum': readFileSync(join(dir, 'go.sum'), 'utf8') } };
    },
    env: () => ({ GOSUMDB: 'off', GOTOOLCHAIN: 'local' }),
    expectedPaths: [/^~\/go\/pkg\/mod$/, /^~\/\.cache\/go-build$/],
    fill: (runner) => step(runner, 'go', ['build', '-o', 'app', '.'], { GOPROXY: `file://${join(scratch, 'goproxy')}` }),
    use: async (runner) => expect(await step(runner, 'go', ['run', '.'], { GOPROXY: 'off' })).toBe('hello from the proxy\n'),
  },
  {
    id: 'cargo',
    program: 'cargo',
    repo: async () => {
      const crate = { 'Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n', 'src/main.rs': 'fn main() { println!("hello from cargo"); }\n' };
      const dir = mkdtempSync(join(scratch, 'crate-'));
      CacheStage.writeFiles(dir, crate);
      await step({ workspace: dir, home: dir }, 'cargo', ['generate-lockfile', '--offline'], rustupHome());
      return { first: { ...crate, 'Cargo.lock': readFileSync(join(dir, 'Cargo.lock'), 'utf8') } };
    },
    env: () => rustupHome(),
    expectedPaths: [/^~\/\.cargo\/registry\/index$/, /^~\/\.cargo\/registry\/cache$/, /^~\/\.cargo\/git\/db$/, /^target$/],
    fill: (runner) => step(runner, 'cargo', ['build', '--offline']),
    // The restored build is there before cargo runs again.
    use: async (runner) => expect(await step(runner, join(runner.workspace, 'target', 'debug', 'app'), [])).toBe('hello from cargo\n'),
  },
  {
    id: 'gradle',
    program: 'gradle',
    repo: async () => ({ first: { 'build.gradle': 'task hello { doLast { println "hello from gradle" } }\n', 'settings.gradle': "rootProject.name = 'app'\n" } }),
    // Gradle takes its home from Java's user.home (the passwd entry), not HOME; on a hosted runner
    // they are the same folder, here GRADLE_USER_HOME says it for Gradle and the action alike.
    env: (runner) => ({ GRADLE_USER_HOME: join(runner.home, '.gradle') }),
    expectedPaths: [/^~\/\.gradle\/caches$/, /^~\/\.gradle\/wrapper$/],
    fill: (runner) => step(runner, 'gradle', ['--offline', '--no-daemon', '-q', 'hello']),
    use: async (runner) => {
      expect(readdirSync(join(runner.home, '.gradle', 'caches'))).toContain('modules-2');
      expect(await step(runner, 'gradle', ['--offline', '--no-daemon', '-q', 'hello'])).toContain('hello from gradle');
    },
  },
  {
    id: 'maven',
    program: 'mvn',
    repo: async () => ({
      first: {
        'pom.xml': '<project><modelVersion>4.0.0</modelVersion><groupId>com.example</groupId><artifactId>app</artifactId><version>1</version></project>\n',
        // Maven reads its options from the project's .mvn folder; the action must ask Maven to see them.
        '.mvn/maven.config': `-Dmaven.repo.local=${join(stage.runnerPaths.home, 'm2-repository')}\n`,
      },
    }),
    expectedPaths: [/^~\/m2-repository$/],
    // Offline Maven resolves nothing it has not got; what a build would download is put in place.
    fill: async (runner) => CacheStage.writeFiles(join(runner.home, 'm2-repository', 'com', 'example', 'lib', '1.0'), { 'lib-1.0.jar': 'jar', 'lib-1.0.pom': '<project/>' }),
    use: async (runner) => expect(existsSync(join(runner.home, 'm2-repository', 'com', 'example', 'lib', '1.0', 'lib-1.0.jar'))).toBe(true),
  },
  {
    id: 'bundler',
    program: 'bundle',
    repo: async () => {
      const gemDir = mkdtempSync(join(scratch, 'gem-'));
      CacheStage.writeFiles(gemDir, {
        'greet.gemspec': 'Gem::Specification.new do |s|\n  s.name = "greet"; s.version = "1.0.0"; s.summary = "greet"; s.authors = ["deploy-actions"]; s.files = ["lib/greet.rb"]; s.license = "MIT"\nend\n',
        'lib/greet.rb': 'module Greet; def self.hello = "hello from a gem"; end\n',
      });
      await step({ workspace: gemDir, home: gemDir }, 'gem', ['build', 'greet.gemspec']);
      const gem = readFileSync(join(gemDir, 'greet-1.0.0.gem'));
      const dir = mkdtempSync(join(scratch, 'bundle-'));
      const gemfile = 'source "https://rubygems.org"\ngem "greet"\n';
      CacheStage.writeFiles(dir, { Gemfile: gemfile, 'vendor/cache/greet-1.0.0.gem': gem });
      await step({ workspace: dir, home: dir }, 'bundle', ['install', '--local'], { BUNDLE_PATH: join(dir, 'installed') });
      const committedFiles = { Gemfile: gemfile, 'Gemfile.lock': readFileSync(join(dir, 'Gemfile.lock'), 'utf8') };
      // The first job installs from vendored gems; the second has none to install from.
      return { first: { ...committedFiles, 'vendor/cache/greet-1.0.0.gem': gem }, second: committedFiles };
    },
    expectedPaths: [/^vendor\/bundle$/],
    fill: (runner, exported) => step(runner, 'bundle', ['install', '--local'], exported),
    use: async (runner, exported) => {
      await step(runner, 'bundle', ['install', '--local'], exported);
      expect(await step(runner, 'bundle', ['exec', 'ruby', '-e', 'require "greet"; puts Greet.hello'], exported)).toBe('hello from a gem\n');
    },
  },
  {
    id: 'composer',
    program: 'composer',
    repo: async () => {
      const source = mkdtempSync(join(scratch, 'composer-pkg-'));
      CacheStage.writeFiles(source, {
        'composer.json': '{"name":"acme/greet","version":"1.0.0","autoload":{"psr-4":{"Acme\\\\Greet\\\\":"src/"}}}',
        'src/Hello.php': '<?php namespace Acme\\Greet; class Hello { public static function text() { return "hello from composer"; } }\n',
      });
      await python(`import zipfile\nwith zipfile.ZipFile('greet.zip', 'w') as z:\n    z.write('composer.json')\n    z.write('src/Hello.php')\n`, source);
      const zip = readFileSync(join(source, 'greet.zip'));
      composerRepository.put('/greet-1.0.0.zip', zip, { 'content-type': 'application/zip' });
      const dist = { type: 'zip', url: `${composerRepository.url}/greet-1.0.0.zip`, shasum: createHash('sha1').update(zip).digest('hex') };
      composerRepository.put('/packages.json', JSON.stringify({ packages: { 'acme/greet': { '1.0.0': { name: 'acme/greet', version: '1.0.0', type: 'library', dist, autoload: { 'psr-4': { 'Acme\\Greet\\': 'src/' } } } } } }), {
        'content-type': 'application/json',
      });
      const manifest = JSON.stringify({
        name: 'acme/app',
        require: { 'acme/greet': '1.0.0' },
        repositories: [{ 'packagist.org': false }, { type: 'composer', url: composerRepository.url }],
        config: { 'secure-http': false },
      });
      const dir = mkdtempSync(join(scratch, 'composer-app-'));
      CacheStage.writeFiles(dir, { 'composer.json': manifest });
      await step({ workspace: dir, home: dir }, 'composer', ['update', '--no-install', '--no-interaction']);
      return { first: { 'composer.json': manifest, 'composer.lock': readFileSync(join(dir, 'composer.lock'), 'utf8') } };
    },
    expectedPaths: [/^~\/\.cache\/composer\/files$/],
    fill: (runner) => step(runner, 'composer', ['install', '--no-interaction']),
    before: () => (composerRepository.down = true),
    after: () => (composerRepository.down = false),
    use: async (runner) => {
      await step(runner, 'composer', ['install', '--no-interaction']);
      expect(await step(runner, 'php', ['-r', 'require "vendor/autoload.php"; echo \\Acme\\Greet\\Hello::text();'])).toBe('hello from composer');
    },
  },
  {
    id: 'pip',
    program: 'pip',
    repo: async () => {
      await publishWheel();
      return { first: { 'requirements.txt': 'greet==1.0.0\n' } };
    },
    env: () => pyenvRoot(),
    expectedPaths: [/^~\/\.cache\/pip$/],
    // pip keeps downloads in its HTTP cache only from hosts it trusts (HTTPS, or --trusted-host).
    fill: (runner) => step(runner, 'pip', ['download', '--trusted-host', '127.0.0.1', '--index-url', `${pipIndex.url}/simple/`, '-r', 'requirements.txt', '-d', join(runner.home, 'downloads')]),
    // pip always asks the index again, so an offline install is not the proof here: pip's own
    // account of its cache is.
    use: async (runner) => expect(await step(runner, 'pip', ['cache', 'info'])).toMatch(/Number of HTTP files: [1-9]/),
  },
  {
    id: 'poetry',
    program: 'poetry',
    repo: async () => {
      await publishWheel();
      const manifest = `[tool.poetry]\nname = "app"\nversion = "1.0.0"\ndescription = ""\nauthors = ["deploy-actions"]\n\n[tool.poetry.dependencies]\npython = "^3.8"\ngreet = "1.0.0"\n\n[[tool.poetry.source]]\nname = "local"\nurl = "${pipIndex.url}/simple/"\ndefault = true\n`;
      const dir = mkdtempSync(join(scratch, 'poetry-'));
      CacheStage.writeFiles(dir, { 'pyproject.toml': manifest });
      await step({ workspace: dir, home: dir }, 'poetry', ['lock', '--no-interaction'], pyenvRoot());
      return { first: { 'pyproject.toml': manifest, 'poetry.lock': readFileSync(join(dir, 'poetry.lock'), 'utf8') } };
    },
    env: () => pyenvRoot(),
    expectedPaths: [/^~\/\.cache\/pypoetry$/],
    fill: (runner) => step(runner, 'poetry', ['install', '--no-root', '--no-interaction']),
    before: () => (pipIndex.down = true),
    after: () => (pipIndex.down = false),
    // The virtualenv poetry made (in its cache folder) comes back with greet installed in it.
    use: async (runner) => expect(await step(runner, 'poetry', ['run', 'python', '-c', 'import greet; print(greet.hello())'])).toBe('hello from a wheel\n'),
  },
];

describe('tools from Debian: each asked where its cache is, filling it, then working from what was restored', () => {
  beforeAll(async () => {
    await pipIndex.start();
    await composerRepository.start();
  });
  afterAll(async () => {
    await pipIndex.stop();
    await composerRepository.stop();
  });

  test.each(SCENARIOS)('$id', async (scenario) => {
    expect(which(scenario.program), `${scenario.program} is not installed (npm test installs it from Debian)`).toBeDefined();
    const env = scenario.env?.(stage.runnerPaths) ?? {};
    toolEnv = env;
    const { first: repo, second = repo } = await scenario.repo();
    const inputs = { prefix: `tools-${scenario.id}`, ecosystems: scenario.id };

    const filled = await stage.job({ repo, inputs, env, build: async (runner, main) => void (await scenario.fill(runner, main.env)) });
    expect(filled.main.exitCode, filled.main.log).toBe(0);
    expect(caches(filled)[scenario.id]?.paths).toEqual(scenario.expectedPaths.map((path) => expect.stringMatching(path)));
    expect(filled.post?.log, filled.post?.log).toMatch(new RegExp(`${scenario.id}: saved`));

    scenario.before?.();
    try {
      const used = await stage.job({ repo: second, inputs, env, build: async (runner, main) => void (await scenario.use(runner, main.env)) });
      expect(used.main.outputs['hit-kind'], used.main.log).toBe('exact');
    } finally {
      scenario.after?.();
    }
  });
});
