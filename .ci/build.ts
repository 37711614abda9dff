/**
 * npm run build: type-check everything with tsc (emitting JS into node_modules/.cache), then bundle
 * each action entry with ncc into dist/<bundle>/. ncc gets plain JS because its TypeScript loader
 * cannot drive the TypeScript we use; tsc stays the one type checker.
 *
 *   node .ci/build.ts            build every bundle
 *   node .ci/build.ts notify     build the bundles of one action
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '..');
const TSC_OUT = join(ROOT, 'node_modules/.cache/deploy-actions/tsc');
/**
 * Left out of bundles: ssh2 probes for this optional native module inside a try and runs without it.
 * Bundles stay pure JavaScript, whatever an npm that ignores allowScripts may have compiled.
 */
const EXTERNALS = ['cpu-features'];
/**
 * Assets ncc copies that nothing of ours can reach: ssh2's helper for Windows' Pageant agent (we
 * authenticate with the key given, never an agent).
 */
const UNUSED_ASSETS = ['pagent.exe'];
const NATIVE = /\.(node|exe|dll|so|dylib)$/;

export interface Bundle {
  /** dist/<name>/index.js */
  name: string;
  /** The TypeScript entry, relative to the repository root. */
  entry: string;
  /** Minified: only the shared libraries, whose size (not their readability) is what matters. */
  minify?: boolean;
}

/**
 * Code that several bundles share, loaded only when a run needs it (shared/library.ts): one copy in
 * the repository instead of one per bundle. SSH and Kubernetes serve deploy-bluegreen and rollback
 * (the Kubernetes client is about 19 MB unminified, 5.7 MB minified); cache is @actions/cache with
 * the Azure Storage SDK (about 4 MB) for build-cache's main, post and save bundles.
 */
export const LIBRARIES: Bundle[] = [
  { name: 'ssh', entry: 'shared/bluegreen/ssh.ts', minify: true },
  { name: 'kubernetes', entry: 'shared/bluegreen/routers/kubernetes.ts', minify: true },
  { name: 'cache', entry: 'actions/build-cache/src/cache-client.ts', minify: true },
  { name: 'artifact', entry: 'actions/scan/src/artifact-client.ts', minify: true },
];

/**
 * Bundles follow action.yml. `runs.main: ../../dist/<name>/index.js` of actions/<action>/action.yml
 * is built from actions/<action>/src/index.ts, its `runs.post` from src/post.ts. A sub-action such as
 * actions/<action>/<sub>/action.yml is built from actions/<action>/src/<sub>.ts (and <sub>-post.ts).
 */
export function actionFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== 'src') walk(join(dir, entry.name));
      else if (entry.name === 'action.yml') found.push(join(dir, entry.name));
    }
  };
  walk(join(ROOT, 'actions'));
  return found.sort();
}

export function bundlesOf(actionFile: string): Bundle[] {
  const action = parse(readFileSync(actionFile, 'utf8')) as { runs?: { main?: string; post?: string } };
  const actionDir = dirname(actionFile);
  const [actionName, ...subPath] = relative(join(ROOT, 'actions'), actionDir).split(sep);
  const bundles: Bundle[] = [];
  for (const key of ['main', 'post'] as const) {
    const target = action.runs?.[key];
    if (!target) continue;
    const match = /^([a-z0-9-]+)\/index\.js$/.exec(relative(join(ROOT, 'dist'), resolve(actionDir, target)).split(sep).join('/'));
    if (!match?.[1]) throw new Error(`${relative(ROOT, actionFile)}: runs.${key} must point at dist/<name>/index.js, not ${target}`);
    const stem = subPath.length === 0 ? (key === 'main' ? 'index' : 'post') : `${subPath.join('-')}${key === 'post' ? '-post' : ''}`;
    const entry = `actions/${actionName}/src/${stem}.ts`;
    if (!existsSync(join(ROOT, entry))) throw new Error(`${relative(ROOT, actionFile)}: runs.${key} needs ${entry}`);
    bundles.push({ name: match[1], entry });
  }
  return bundles;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

export function build(only?: string): Bundle[] {
  rmSync(TSC_OUT, { recursive: true, force: true });
  run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', TSC_OUT]);
  const bundles = [...actionFiles().flatMap(bundlesOf), ...LIBRARIES].filter((bundle) => !only || bundle.name === only || bundle.name.startsWith(`${only}-`));
  if (bundles.length === 0) throw new Error(`no bundle matches ${only}`);
  for (const bundle of bundles) {
    const out = join(ROOT, 'dist', bundle.name);
    rmSync(out, { recursive: true, force: true });
    const compiled = join(TSC_OUT, bundle.entry.replace(/\.ts$/, '.js'));
    // No source maps and no minification: reviewable, reproducible output that the dist check can diff.
    const externals = EXTERNALS.flatMap((name) => ['-e', name]);
    const minify = bundle.minify ? ['-m'] : [];
    run(process.execPath, [join(ROOT, 'node_modules/@vercel/ncc/dist/ncc/cli.js'), 'build', compiled, '-o', out, '--license', 'licenses.txt', '-q', ...minify, ...externals]);
    for (const asset of UNUSED_ASSETS) rmSync(join(out, asset), { force: true });
    const native = readdirSync(out, { recursive: true }).map(String).filter((file) => NATIVE.test(file));
    if (native.length > 0) throw new Error(`dist/${bundle.name} holds native addons (${native.join(', ')}): bundles must be pure JavaScript`);
    const chunks = readdirSync(out).filter((file) => file.endsWith('.js') && file !== 'index.js');
    console.log(`built dist/${bundle.name}/index.js from ${bundle.entry}${chunks.length > 0 ? ` (+ lazy chunks ${chunks.join(', ')})` : ''}`);
  }
  return bundles;
}

if (import.meta.main) build(process.argv[2]);
