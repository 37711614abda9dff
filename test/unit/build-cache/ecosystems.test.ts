import { describe, expect, test } from 'vitest';
import { ECOSYSTEM_IDS, ECOSYSTEMS, detectProjects, keyFilesOf, yarnBerryCacheFolder, type EcosystemId, type Machine } from '../../../actions/build-cache/src/ecosystems.ts';
import picomatch from 'picomatch';

const linux: Machine = { platform: 'linux', home: '/home/runner', env: {} };
const mac: Machine = { platform: 'darwin', home: '/Users/runner', env: {} };
const windows: Machine = { platform: 'win32', home: 'C:\\Users\\runneradmin', env: { LOCALAPPDATA: 'C:\\Users\\runneradmin\\AppData\\Local' } };

describe('documented default cache locations', () => {
  // From each tool's documentation (and, where the tool is installed here, what it answers on Linux).
  const expected: Record<EcosystemId, [string[], string[], string[]]> = {
    npm: [['/home/runner/.npm'], ['/Users/runner/.npm'], ['C:\\Users\\runneradmin\\AppData\\Local\\npm-cache']],
    pnpm: [['/home/runner/.local/share/pnpm/store'], ['/Users/runner/Library/pnpm/store'], ['C:\\Users\\runneradmin\\AppData\\Local\\pnpm\\store']],
    yarn: [['/home/runner/.cache/yarn/v6'], ['/Users/runner/Library/Caches/Yarn/v6'], ['C:\\Users\\runneradmin\\AppData\\Local\\Yarn\\Cache\\v6']],
    'yarn-berry': [['/home/runner/.yarn/berry/cache'], ['/Users/runner/.yarn/berry/cache'], ['C:\\Users\\runneradmin\\.yarn\\berry\\cache']],
    bun: [['/home/runner/.bun/install/cache'], ['/Users/runner/.bun/install/cache'], ['C:\\Users\\runneradmin\\.bun\\install\\cache']],
    pip: [['/home/runner/.cache/pip'], ['/Users/runner/Library/Caches/pip'], ['C:\\Users\\runneradmin\\AppData\\Local\\pip\\Cache']],
    poetry: [['/home/runner/.cache/pypoetry'], ['/Users/runner/Library/Caches/pypoetry'], ['C:\\Users\\runneradmin\\AppData\\Local\\pypoetry\\Cache']],
    uv: [['/home/runner/.cache/uv'], ['/Users/runner/.cache/uv'], ['C:\\Users\\runneradmin\\AppData\\Local\\uv\\cache']],
    go: [
      ['/home/runner/go/pkg/mod', '/home/runner/.cache/go-build'],
      ['/Users/runner/go/pkg/mod', '/Users/runner/Library/Caches/go-build'],
      ['C:\\Users\\runneradmin\\go\\pkg\\mod', 'C:\\Users\\runneradmin\\AppData\\Local\\go-build'],
    ],
    cargo: [
      ['/home/runner/.cargo/registry/index', '/home/runner/.cargo/registry/cache', '/home/runner/.cargo/git/db'],
      ['/Users/runner/.cargo/registry/index', '/Users/runner/.cargo/registry/cache', '/Users/runner/.cargo/git/db'],
      ['C:\\Users\\runneradmin\\.cargo\\registry\\index', 'C:\\Users\\runneradmin\\.cargo\\registry\\cache', 'C:\\Users\\runneradmin\\.cargo\\git\\db'],
    ],
    gradle: [
      ['/home/runner/.gradle/caches', '/home/runner/.gradle/wrapper'],
      ['/Users/runner/.gradle/caches', '/Users/runner/.gradle/wrapper'],
      ['C:\\Users\\runneradmin\\.gradle\\caches', 'C:\\Users\\runneradmin\\.gradle\\wrapper'],
    ],
    maven: [['/home/runner/.m2/repository'], ['/Users/runner/.m2/repository'], ['C:\\Users\\runneradmin\\.m2\\repository']],
    bundler: [[], [], []],
    composer: [['/home/runner/.cache/composer/files'], ['/Users/runner/Library/Caches/composer/files'], ['C:\\Users\\runneradmin\\AppData\\Local\\Composer\\files']],
    nuget: [['/home/runner/.nuget/packages'], ['/Users/runner/.nuget/packages'], ['C:\\Users\\runneradmin\\.nuget\\packages']],
  };
  test.each(ECOSYSTEM_IDS)('%s on Linux, macOS and Windows', (id) => {
    const [onLinux, onMac, onWindows] = expected[id];
    expect(ECOSYSTEMS[id].defaults(linux)).toEqual(onLinux);
    expect(ECOSYSTEMS[id].defaults(mac)).toEqual(onMac);
    expect(ECOSYSTEMS[id].defaults(windows)).toEqual(onWindows);
  });

  test('pnpm\'s metadata cache beside its store', () => {
    expect(ECOSYSTEMS.pnpm.also?.defaults(linux)).toEqual(['/home/runner/.cache/pnpm']);
    expect(ECOSYSTEMS.pnpm.also?.defaults(mac)).toEqual(['/Users/runner/Library/Caches/pnpm']);
    expect(ECOSYSTEMS.pnpm.also?.defaults(windows)).toEqual(['C:\\Users\\runneradmin\\AppData\\Local\\pnpm-cache']);
  });

  test('the variables that move a cache are honoured', () => {
    const env = (values: Record<string, string>): Machine => ({ ...linux, env: values });
    expect(ECOSYSTEMS.npm.defaults(env({ npm_config_cache: '/c/npm' }))).toEqual(['/c/npm']);
    expect(ECOSYSTEMS.pip.defaults(env({ PIP_CACHE_DIR: '/c/pip' }))).toEqual(['/c/pip']);
    expect(ECOSYSTEMS.pip.defaults(env({ XDG_CACHE_HOME: '/x' }))).toEqual(['/x/pip']);
    expect(ECOSYSTEMS.go.defaults(env({ GOPATH: '/gp:/other', GOCACHE: '/gc' }))).toEqual(['/gp/pkg/mod', '/gc']);
    expect(ECOSYSTEMS.go.defaults(env({ GOMODCACHE: '/mods' }))[0]).toBe('/mods');
    expect(ECOSYSTEMS.cargo.defaults(env({ CARGO_HOME: '/ch' }))).toEqual(['/ch/registry/index', '/ch/registry/cache', '/ch/git/db']);
    expect(ECOSYSTEMS.gradle.defaults(env({ GRADLE_USER_HOME: '/g' }))).toEqual(['/g/caches', '/g/wrapper']);
    expect(ECOSYSTEMS.composer.defaults(env({ COMPOSER_CACHE_DIR: '/cc' }))).toEqual(['/cc/files']);
    expect(ECOSYSTEMS.nuget.defaults(env({ NUGET_PACKAGES: '/n' }))).toEqual(['/n']);
    expect(ECOSYSTEMS.bundler.defaults(env({ BUNDLE_PATH: 'vendor/gems' }))).toEqual(['vendor/gems']);
    expect(ECOSYSTEMS.uv.defaults(env({ UV_CACHE_DIR: '/uv' }))).toEqual(['/uv']);
    expect(ECOSYSTEMS.yarn.defaults(env({ YARN_CACHE_FOLDER: '/y' }))).toEqual(['/y/v6']);
    expect(ECOSYSTEMS.bun.defaults(env({ BUN_INSTALL: '/b' }))).toEqual(['/b/install/cache']);
    expect(ECOSYSTEMS.pnpm.defaults(env({ XDG_DATA_HOME: '/d' }))).toEqual(['/d/pnpm/store']);
  });
});

describe('what tools answer is parsed', () => {
  test('one path per line, nothing else', () => {
    expect(ECOSYSTEMS.npm.query?.parse('/home/u/.npm\n')).toEqual(['/home/u/.npm']);
    expect(ECOSYSTEMS.npm.query?.parse('')).toBeUndefined();
    expect(ECOSYSTEMS['yarn-berry'].query?.parse('undefined\n')).toBeUndefined();
    expect(ECOSYSTEMS.pip.query?.parse('WARNING: something\n/x\n')).toBeUndefined();
    expect(ECOSYSTEMS.go.query?.parse('/home/u/go/pkg/mod\n/home/u/.cache/go-build\n')).toEqual(['/home/u/go/pkg/mod', '/home/u/.cache/go-build']);
    expect(ECOSYSTEMS.go.query?.parse('/only/one\n')).toBeUndefined();
  });
  test('dotnet and Maven print the path inside other text', () => {
    expect(ECOSYSTEMS.nuget.query?.parse('global-packages: /home/u/.nuget/packages/\n')).toEqual(['/home/u/.nuget/packages/']);
    expect(ECOSYSTEMS.maven.query?.parse('[DEBUG] Reading global settings\n[DEBUG] Using local repository at /home/u/.m2/repository\n[ERROR] ...')).toEqual(['/home/u/.m2/repository']);
  });
});

describe('Yarn berry without asking Yarn', () => {
  test('global cache from Yarn 4 on, the project cache before, as .yarnrc.yml says otherwise', () => {
    expect(yarnBerryCacheFolder({}, 'yarn@4.5.0', '/w', linux)).toBe('/home/runner/.yarn/berry/cache');
    expect(yarnBerryCacheFolder({}, 'yarn@3.6.4', '/w', linux)).toBe('/w/.yarn/cache');
    expect(yarnBerryCacheFolder({ yarnPath: '.yarn/releases/yarn-3.6.4.cjs' }, undefined, '/w', linux)).toBe('/w/.yarn/cache');
    expect(yarnBerryCacheFolder({ enableGlobalCache: false, cacheFolder: 'deps' }, 'yarn@4.1.0', '/w', linux)).toBe('/w/deps');
    expect(yarnBerryCacheFolder({ enableGlobalCache: true }, 'yarn@3.6.4', '/w', linux)).toBe('/home/runner/.yarn/berry/cache');
  });
});

describe('projects and key files', () => {
  const files = [
    'package-lock.json',
    'package.json',
    'apps/web/pnpm-lock.yaml',
    'apps/legacy/yarn.lock',
    'apps/modern/yarn.lock',
    'requirements.txt',
    'requirements/dev.txt',
    'services/api/pyproject.toml',
    'services/api/poetry.lock',
    'services/ml/uv.lock',
    'services/ml/pyproject.toml',
    'tools/go.mod',
    'tools/go.sum',
    'rust/Cargo.toml',
    'rust/Cargo.lock',
    'rust/crates/core/Cargo.toml',
    'java/build.gradle.kts',
    'java/settings.gradle.kts',
    'java/gradle/wrapper/gradle-wrapper.properties',
    'java/gradle/libs.versions.toml',
    'java/app/build.gradle.kts',
    'mvn/pom.xml',
    'ruby/Gemfile',
    'ruby/Gemfile.lock',
    'php/composer.json',
    'php/composer.lock',
    'dotnet/App.csproj',
    'dotnet/packages.lock.json',
    'bun/bun.lock',
    'docs/readme.md',
  ];
  const headers: Record<string, string> = {
    'apps/legacy/yarn.lock': '# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n',
    'apps/modern/yarn.lock': '# This file is generated by running "yarn install" inside your project.\n\n__metadata:\n  version: 8\n',
  };
  const projects = detectProjects(files, (file) => headers[file] ?? '');

  test('each ecosystem is found in its folders; Yarn 1 and berry told apart by the lockfile header', () => {
    const byEcosystem = (id: EcosystemId) => projects.filter((project) => project.ecosystem === id).map((project) => project.dir);
    expect(byEcosystem('npm')).toEqual(['.']);
    expect(byEcosystem('pnpm')).toEqual(['apps/web']);
    expect(byEcosystem('yarn')).toEqual(['apps/legacy']);
    expect(byEcosystem('yarn-berry')).toEqual(['apps/modern']);
    expect(byEcosystem('pip')).toEqual(['.']);
    expect(byEcosystem('poetry')).toEqual(['services/api']);
    expect(byEcosystem('uv')).toEqual(['services/ml']);
    expect(byEcosystem('go')).toEqual(['tools']);
    expect(byEcosystem('cargo')).toEqual(['rust']);
    expect(byEcosystem('gradle')).toEqual(['java', 'java/app']);
    expect(byEcosystem('maven')).toEqual(['mvn']);
    expect(byEcosystem('bundler')).toEqual(['ruby']);
    expect(byEcosystem('composer')).toEqual(['php']);
    expect(byEcosystem('nuget')).toEqual(['dotnet']);
    expect(byEcosystem('bun')).toEqual(['bun']);
  });

  const keyFiles = (id: EcosystemId) => {
    const matchers = ECOSYSTEMS[id].keyFiles.map((glob) => picomatch(glob, { dot: true }));
    return keyFilesOf(id, files, projects, (file) => matchers.some((matches) => matches(file)));
  };

  test('key files belong to the project folder nearest to them', () => {
    expect(keyFiles('pip')).toEqual(['requirements.txt', 'requirements/dev.txt']);
    expect(keyFiles('poetry')).toEqual(['services/api/poetry.lock']);
    expect(keyFiles('uv')).toEqual(['services/ml/uv.lock']);
    expect(keyFiles('gradle')).toEqual(['java/app/build.gradle.kts', 'java/build.gradle.kts', 'java/gradle/libs.versions.toml', 'java/gradle/wrapper/gradle-wrapper.properties', 'java/settings.gradle.kts']);
    expect(keyFiles('cargo')).toEqual(['rust/Cargo.lock', 'rust/Cargo.toml', 'rust/crates/core/Cargo.toml']);
    expect(keyFiles('yarn')).toEqual(['apps/legacy/yarn.lock']);
    expect(keyFiles('yarn-berry')).toEqual(['apps/modern/yarn.lock']);
    expect(keyFiles('npm')).toEqual(['package-lock.json']);
    expect(keyFiles('nuget')).toEqual(['dotnet/App.csproj', 'dotnet/packages.lock.json']);
  });
});
