import { posix, win32 } from 'node:path';

/**
 * What build-cache knows about each package manager: how to tell a repository uses it, which files
 * make its key, where its cache lives on Linux, macOS and Windows (its documented defaults, after the
 * environment variables that move it), and how to ask the tool itself. Pure data and pure functions:
 * the commands run at the edge (locations.ts).
 */

export const ECOSYSTEM_IDS = [
  'npm',
  'pnpm',
  'yarn',
  'yarn-berry',
  'bun',
  'pip',
  'poetry',
  'uv',
  'go',
  'cargo',
  'gradle',
  'maven',
  'bundler',
  'composer',
  'nuget',
] as const;
export type EcosystemId = (typeof ECOSYSTEM_IDS)[number];

export type Platform = 'linux' | 'darwin' | 'win32';

/** The machine a path is worked out for: tests pass other platforms than the one they run on. */
export interface Machine {
  platform: Platform;
  home: string;
  env: Record<string, string | undefined>;
}

/** A question to the tool whose answer is its cache location; `parse` returns undefined when it cannot tell. */
export interface ToolQuery {
  command: string;
  args: string[];
  /** Run in the project's folder (the answer depends on the project's own configuration). */
  inProject?: boolean;
  /** The answer is read whatever the exit code (Maven prints it before failing on an offline build). */
  anyExit?: boolean;
  parse: (stdout: string) => string[] | undefined;
}

export interface Ecosystem {
  id: EcosystemId;
  title: string;
  /** The tool the docs name, and whose version may enter the key. */
  tool: string;
  /** Globs (relative to the working directory) of the files whose content makes the key. */
  keyFiles: string[];
  /** Asked first; the documented default is used when the tool is absent or cannot tell. */
  query?: ToolQuery;
  /** The tool's documented default cache locations, after the environment variables that move them. */
  defaults: (machine: Machine) => string[];
  /** A second location the tool is asked about separately, with its own default (pnpm's metadata cache). */
  also?: { query: ToolQuery; defaults: (machine: Machine) => string[] };
  /**
   * For caches kept inside each project (Cargo's target, Yarn's local cache, Bundler's vendor
   * folder): the folders to cache for one project folder, relative to it.
   */
  projectPaths?: (machine: Machine) => string[];
  /**
   * A command whose output enters the key: what was built is only good for that toolchain
   * (Cargo's target folder, gems with native extensions).
   */
  toolchain?: { command: string; args: string[] };
}

function pathOf(machine: Machine) {
  return machine.platform === 'win32' ? win32 : posix;
}

function env(machine: Machine, name: string): string | undefined {
  const value = machine.env[name];
  return value ? value : undefined;
}

/** %LOCALAPPDATA% on Windows, with its usual value when unset. */
function localAppData(machine: Machine): string {
  return env(machine, 'LOCALAPPDATA') ?? pathOf(machine).join(machine.home, 'AppData', 'Local');
}

/** $XDG_CACHE_HOME, or ~/.cache (the XDG base directory default). */
function xdgCache(machine: Machine): string {
  return env(machine, 'XDG_CACHE_HOME') ?? pathOf(machine).join(machine.home, '.cache');
}

function xdgData(machine: Machine): string {
  return env(machine, 'XDG_DATA_HOME') ?? pathOf(machine).join(machine.home, '.local', 'share');
}

/** ~/Library/Caches on macOS. */
function macCaches(machine: Machine, ...rest: string[]): string {
  return pathOf(machine).join(machine.home, 'Library', 'Caches', ...rest);
}

/** One line of output, trimmed; undefined when empty or when the tool printed something else. */
function singlePath(stdout: string): string[] | undefined {
  const lines = stdout
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  const last = lines.at(-1);
  if (!last || lines.length > 1 || last === 'undefined' || last === 'null') return undefined;
  return [last];
}

/** Lines that are paths, e.g. `go env GOMODCACHE GOCACHE`. */
function eachLine(count: number) {
  return (stdout: string): string[] | undefined => {
    const lines = stdout
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter(Boolean);
    return lines.length === count ? lines : undefined;
  };
}

export const ECOSYSTEMS: Record<EcosystemId, Ecosystem> = {
  npm: {
    id: 'npm',
    title: 'npm',
    tool: 'npm',
    keyFiles: ['**/package-lock.json', '**/npm-shrinkwrap.json'],
    // --logs-max=0: npm would otherwise write a debug log into the very cache it is asked about.
    query: { command: 'npm', args: ['config', 'get', 'cache', '--logs-max=0', '--loglevel=silent'], inProject: true, parse: singlePath },
    defaults: (machine) => [
      env(machine, 'npm_config_cache') ??
        env(machine, 'NPM_CONFIG_CACHE') ??
        (machine.platform === 'win32' ? win32.join(localAppData(machine), 'npm-cache') : posix.join(machine.home, '.npm')),
    ],
  },
  pnpm: {
    id: 'pnpm',
    title: 'pnpm',
    tool: 'pnpm',
    keyFiles: ['**/pnpm-lock.yaml'],
    query: { command: 'pnpm', args: ['store', 'path', '--silent'], inProject: true, parse: singlePath },
    defaults: (machine) => {
      const configured = env(machine, 'npm_config_store_dir') ?? env(machine, 'PNPM_STORE_DIR');
      if (configured) return [configured];
      if (machine.platform === 'win32') return [win32.join(localAppData(machine), 'pnpm', 'store')];
      if (machine.platform === 'darwin') return [posix.join(machine.home, 'Library', 'pnpm', 'store')];
      return [posix.join(xdgData(machine), 'pnpm', 'store')];
    },
    // The package metadata pnpm (10+) checks a lockfile against before installing: without it an
    // offline install from the store alone fails.
    also: {
      query: { command: 'pnpm', args: ['config', 'get', 'cache-dir'], inProject: true, parse: singlePath },
      defaults: (machine) => {
        if (machine.platform === 'win32') return [win32.join(localAppData(machine), 'pnpm-cache')];
        if (machine.platform === 'darwin') return [macCaches(machine, 'pnpm')];
        return [posix.join(xdgCache(machine), 'pnpm')];
      },
    },
  },
  yarn: {
    id: 'yarn',
    title: 'Yarn classic (1.x)',
    tool: 'yarn',
    keyFiles: ['**/yarn.lock'],
    query: { command: 'yarn', args: ['cache', 'dir'], inProject: true, parse: singlePath },
    // Yarn 1 keeps its cache in a v6 folder inside YARN_CACHE_FOLDER (as `yarn cache dir` shows).
    defaults: (machine) => {
      const configured = env(machine, 'YARN_CACHE_FOLDER');
      if (configured) return [pathOf(machine).join(configured, 'v6')];
      if (machine.platform === 'win32') return [win32.join(localAppData(machine), 'Yarn', 'Cache', 'v6')];
      if (machine.platform === 'darwin') return [macCaches(machine, 'Yarn', 'v6')];
      return [posix.join(xdgCache(machine), 'yarn', 'v6')];
    },
  },
  'yarn-berry': {
    id: 'yarn-berry',
    title: 'Yarn berry (2+)',
    tool: 'yarn',
    keyFiles: ['**/yarn.lock', '**/.yarnrc.yml'],
    query: { command: 'yarn', args: ['config', 'get', 'cacheFolder'], inProject: true, parse: singlePath },
    // Yarn 4 keeps one global cache unless enableGlobalCache is false (then it is the project's own,
    // found by projectPaths); YARN_GLOBAL_FOLDER moves it.
    defaults: (machine) => {
      const configured = env(machine, 'YARN_CACHE_FOLDER');
      if (configured) return [configured];
      const globalFolder = env(machine, 'YARN_GLOBAL_FOLDER') ?? pathOf(machine).join(machine.home, '.yarn', 'berry');
      return [pathOf(machine).join(globalFolder, 'cache')];
    },
  },
  bun: {
    id: 'bun',
    title: 'Bun',
    tool: 'bun',
    keyFiles: ['**/bun.lock', '**/bun.lockb'],
    query: { command: 'bun', args: ['pm', 'cache'], inProject: true, parse: singlePath },
    defaults: (machine) => {
      const configured = env(machine, 'BUN_INSTALL_CACHE_DIR');
      if (configured) return [configured];
      const install = env(machine, 'BUN_INSTALL') ?? pathOf(machine).join(machine.home, '.bun');
      return [pathOf(machine).join(install, 'install', 'cache')];
    },
  },
  pip: {
    id: 'pip',
    title: 'pip',
    tool: 'pip',
    keyFiles: ['**/requirements*.txt', '**/requirements/*.txt', '**/constraints*.txt', '**/setup.py', '**/setup.cfg', '**/pyproject.toml'],
    query: { command: 'pip', args: ['cache', 'dir'], parse: singlePath },
    defaults: (machine) => {
      const configured = env(machine, 'PIP_CACHE_DIR');
      if (configured) return [configured];
      if (machine.platform === 'win32') return [win32.join(localAppData(machine), 'pip', 'Cache')];
      if (machine.platform === 'darwin') return [macCaches(machine, 'pip')];
      return [posix.join(xdgCache(machine), 'pip')];
    },
  },
  poetry: {
    id: 'poetry',
    title: 'Poetry',
    tool: 'poetry',
    keyFiles: ['**/poetry.lock'],
    query: { command: 'poetry', args: ['config', 'cache-dir'], inProject: true, parse: singlePath },
    defaults: (machine) => {
      const configured = env(machine, 'POETRY_CACHE_DIR');
      if (configured) return [configured];
      if (machine.platform === 'win32') return [win32.join(localAppData(machine), 'pypoetry', 'Cache')];
      if (machine.platform === 'darwin') return [macCaches(machine, 'pypoetry')];
      return [posix.join(xdgCache(machine), 'pypoetry')];
    },
  },
  uv: {
    id: 'uv',
    title: 'uv',
    tool: 'uv',
    keyFiles: ['**/uv.lock'],
    query: { command: 'uv', args: ['cache', 'dir'], inProject: true, parse: singlePath },
    // uv follows the XDG layout on macOS too.
    defaults: (machine) => {
      const configured = env(machine, 'UV_CACHE_DIR');
      if (configured) return [configured];
      if (machine.platform === 'win32') return [win32.join(localAppData(machine), 'uv', 'cache')];
      return [posix.join(xdgCache(machine), 'uv')];
    },
  },
  go: {
    id: 'go',
    title: 'Go modules and build cache',
    tool: 'go',
    keyFiles: ['**/go.mod', '**/go.sum', '**/go.work', '**/go.work.sum'],
    query: { command: 'go', args: ['env', 'GOMODCACHE', 'GOCACHE'], parse: eachLine(2) },
    defaults: (machine) => {
      const path = pathOf(machine);
      const gopath = (env(machine, 'GOPATH') ?? path.join(machine.home, 'go')).split(machine.platform === 'win32' ? ';' : ':')[0] as string;
      const modules = env(machine, 'GOMODCACHE') ?? path.join(gopath, 'pkg', 'mod');
      const build =
        env(machine, 'GOCACHE') ??
        (machine.platform === 'win32'
          ? win32.join(localAppData(machine), 'go-build')
          : machine.platform === 'darwin'
            ? macCaches(machine, 'go-build')
            : posix.join(xdgCache(machine), 'go-build'));
      return [modules, build];
    },
  },
  cargo: {
    id: 'cargo',
    title: 'Cargo (registry, git, target)',
    tool: 'cargo',
    keyFiles: ['**/Cargo.lock', '**/Cargo.toml'],
    // Cargo cannot print CARGO_HOME; what is worth keeping of it is the downloaded registry and git
    // sources, not the installed binaries nor the registry's unpacked copies (cheap to redo).
    defaults: (machine) => {
      const path = pathOf(machine);
      const home = env(machine, 'CARGO_HOME') ?? path.join(machine.home, '.cargo');
      return [path.join(home, 'registry', 'index'), path.join(home, 'registry', 'cache'), path.join(home, 'git', 'db')];
    },
    projectPaths: (machine) => [env(machine, 'CARGO_TARGET_DIR') ?? 'target'],
    toolchain: { command: 'rustc', args: ['--version'] },
  },
  gradle: {
    id: 'gradle',
    title: 'Gradle',
    tool: 'gradle',
    keyFiles: ['**/*.gradle', '**/*.gradle.kts', '**/gradle-wrapper.properties', '**/gradle.lockfile', '**/libs.versions.toml'],
    defaults: (machine) => {
      const path = pathOf(machine);
      const home = env(machine, 'GRADLE_USER_HOME') ?? path.join(machine.home, '.gradle');
      return [path.join(home, 'caches'), path.join(home, 'wrapper')];
    },
  },
  maven: {
    id: 'maven',
    title: 'Maven',
    tool: 'mvn',
    keyFiles: ['**/pom.xml', '**/maven-wrapper.properties'],
    // Maven has no offline command that prints the local repository except its debug log, which
    // names it after settings.xml, .mvn/maven.config and -Dmaven.repo.local have had their say.
    query: {
      command: 'mvn',
      args: ['-B', '-X', '-o', '-N', 'validate'],
      inProject: true,
      anyExit: true,
      parse: (stdout) => {
        const match = /Using local repository at (.+)/.exec(stdout);
        return match?.[1] ? [match[1].trim()] : undefined;
      },
    },
    defaults: (machine) => [pathOf(machine).join(machine.home, '.m2', 'repository')],
  },
  bundler: {
    id: 'bundler',
    title: 'Bundler',
    tool: 'bundle',
    keyFiles: ['**/Gemfile.lock', '**/gems.locked'],
    // Bundler's own answer, after BUNDLE_PATH and the project's and user's configuration. Empty when
    // gems go to the system's gem folder, which is not worth caching (see bundlerPath).
    query: { command: 'ruby', args: ['-rbundler', '-e', 'puts Bundler.settings[:path]'], inProject: true, parse: singlePath },
    defaults: (machine) => (env(machine, 'BUNDLE_PATH') ? [env(machine, 'BUNDLE_PATH') as string] : []),
    projectPaths: () => [BUNDLER_PROJECT_PATH],
    toolchain: { command: 'ruby', args: ['--version'] },
  },
  composer: {
    id: 'composer',
    title: 'Composer',
    tool: 'composer',
    keyFiles: ['**/composer.lock'],
    query: { command: 'composer', args: ['config', '--global', 'cache-files-dir', '--no-interaction'], parse: singlePath },
    defaults: (machine) => {
      const path = pathOf(machine);
      const configured = env(machine, 'COMPOSER_CACHE_DIR');
      if (configured) return [path.join(configured, 'files')];
      if (machine.platform === 'win32') return [win32.join(localAppData(machine), 'Composer', 'files')];
      if (machine.platform === 'darwin') return [macCaches(machine, 'composer', 'files')];
      return [posix.join(xdgCache(machine), 'composer', 'files')];
    },
  },
  nuget: {
    id: 'nuget',
    title: 'NuGet',
    tool: 'dotnet',
    keyFiles: ['**/packages.lock.json', '**/*.csproj', '**/*.fsproj', '**/*.vbproj', '**/Directory.Packages.props', '**/Directory.Build.props', '**/global.json'],
    query: {
      command: 'dotnet',
      args: ['nuget', 'locals', 'global-packages', '--list'],
      parse: (stdout) => {
        const match = /global-packages:\s*(.+)/.exec(stdout);
        return match?.[1] ? [match[1].trim()] : undefined;
      },
    },
    defaults: (machine) => [env(machine, 'NUGET_PACKAGES') ?? pathOf(machine).join(machine.home, '.nuget', 'packages')],
  },
};

/**
 * Yarn berry's cache of one project without asking Yarn: the project's own cacheFolder (default
 * .yarn/cache) when enableGlobalCache is false, the global cache otherwise. enableGlobalCache
 * defaults to true from Yarn 4 on and to false before; the version comes from yarnPath
 * (.yarn/releases/yarn-3.6.4.cjs) or package.json's packageManager (yarn@3.6.4).
 */
export function yarnBerryCacheFolder(yarnrc: Record<string, unknown>, packageManager: string | undefined, projectDir: string, machine: Machine): string {
  const path = pathOf(machine);
  const version = /yarn-(\d+)\./.exec(String(yarnrc['yarnPath'] ?? ''))?.[1] ?? /^yarn@(\d+)\./.exec(packageManager ?? '')?.[1];
  const globalByDefault = version === undefined || Number(version) >= 4;
  const enableGlobal = typeof yarnrc['enableGlobalCache'] === 'boolean' ? yarnrc['enableGlobalCache'] : globalByDefault;
  if (enableGlobal) return ECOSYSTEMS['yarn-berry'].defaults(machine)[0] as string;
  return path.resolve(projectDir, typeof yarnrc['cacheFolder'] === 'string' ? yarnrc['cacheFolder'] : '.yarn/cache');
}

/** Where Bundler is pointed (BUNDLE_PATH) when nothing configured a path, as ruby/setup-ruby does. */
export const BUNDLER_PROJECT_PATH = 'vendor/bundle';

/**
 * Folders never walked for key files unless a pattern names them: installed dependencies carry
 * lockfiles and manifests of their own (a composer package's composer.lock, a gem's Gemfile.lock)
 * that are not the project's.
 */
export const SKIPPED_DIRECTORIES = ['.git', 'node_modules', 'vendor', '.venv', 'venv', '__pypackages__', '.tox', 'target', '.gradle', '.yarn', 'bower_components'];

/** Files that mark a project folder, by ecosystem: the lockfile, or the manifest of a project without one. */
const MARKERS: Record<EcosystemId, RegExp> = {
  npm: /^(package-lock|npm-shrinkwrap)\.json$/,
  pnpm: /^pnpm-lock\.yaml$/,
  yarn: /^yarn\.lock$/,
  'yarn-berry': /^yarn\.lock$/,
  bun: /^bun\.lockb?$/,
  pip: /^(requirements.*\.txt|constraints.*\.txt|setup\.py|setup\.cfg|pyproject\.toml)$/,
  poetry: /^poetry\.lock$/,
  uv: /^uv\.lock$/,
  go: /^go\.mod$/,
  cargo: /^Cargo\.(lock|toml)$/,
  gradle: /^(build|settings)\.gradle(\.kts)?$|^gradlew$/,
  maven: /^pom\.xml$/,
  bundler: /^(Gemfile|Gemfile\.lock|gems\.rb|gems\.locked)$/,
  composer: /^composer\.(json|lock)$/,
  nuget: /^(packages\.lock\.json|.+\.(csproj|fsproj|vbproj)|Directory\.Packages\.props)$/,
};

/** One project folder of one ecosystem, relative to the working directory ('.' for the root). */
export interface Project {
  ecosystem: EcosystemId;
  dir: string;
}

function dirOf(file: string): string {
  const slash = file.lastIndexOf('/');
  return slash < 0 ? '.' : file.slice(0, slash);
}

function baseOf(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

/**
 * The projects a repository holds, from its file list (relative, '/'-separated) and, for yarn.lock,
 * the first bytes of each (Yarn 1 writes "yarn lockfile v1" in its header, berry does not).
 * Python folders go to Poetry or uv when they hold that lockfile, to pip otherwise. A Cargo
 * workspace is one project: member crates below a Cargo folder are not projects of their own.
 */
export function detectProjects(files: readonly string[], yarnLockHeader: (file: string) => string): Project[] {
  const byDir = new Map<string, Set<string>>();
  for (const file of files) {
    const dir = dirOf(file);
    let names = byDir.get(dir);
    if (!names) byDir.set(dir, (names = new Set()));
    names.add(baseOf(file));
  }
  const projects: Project[] = [];
  for (const [dir, names] of [...byDir].sort(([a], [b]) => compareCodeUnits(a, b))) {
    for (const id of ECOSYSTEM_IDS) {
      if (![...names].some((name) => MARKERS[id].test(name))) continue;
      if (id === 'yarn' || id === 'yarn-berry') {
        const classic = /yarn lockfile v1/.test(yarnLockHeader(dir === '.' ? 'yarn.lock' : `${dir}/yarn.lock`));
        if ((id === 'yarn') !== classic) continue;
      }
      if (id === 'pip' && (names.has('poetry.lock') || names.has('uv.lock'))) continue;
      if (id === 'cargo' && projects.some((project) => project.ecosystem === 'cargo' && isBelow(dir, project.dir))) continue;
      projects.push({ ecosystem: id, dir });
    }
  }
  return projects;
}

/** Whether `dir` is inside `ancestor` (both relative, '.' the root). */
function isBelow(dir: string, ancestor: string): boolean {
  return ancestor === '.' || dir.startsWith(`${ancestor}/`);
}

/**
 * The key files of an ecosystem among the repository's files: those its globs match whose nearest
 * project folder (the file's own folder or the closest one above it that holds a project of any
 * ecosystem) is one of this ecosystem's. So a pyproject.toml beside poetry.lock keys Poetry, not the
 * pip project at the root, while gradle/wrapper/gradle-wrapper.properties keys the Gradle build above it.
 */
export function keyFilesOf(id: EcosystemId, files: readonly string[], projects: readonly Project[], matches: (file: string) => boolean): string[] {
  const allDirs = new Set(projects.map((project) => project.dir));
  const ownDirs = new Set(projects.filter((project) => project.ecosystem === id).map((project) => project.dir));
  const nearestProject = (file: string): string | undefined => {
    let dir = dirOf(file);
    for (;;) {
      if (allDirs.has(dir)) return dir;
      if (dir === '.') return undefined;
      dir = dirOf(dir);
    }
  };
  return files
    .filter((file) => {
      if (!matches(file)) return false;
      const nearest = nearestProject(file);
      return nearest !== undefined && ownDirs.has(nearest);
    })
    .sort(compareCodeUnits);
}

/** Sorting by UTF-16 code units: the same order on every machine and locale. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
