import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as glob from '@actions/glob';
import picomatch from 'picomatch';
import { hashKeyFiles, listFiles } from '../../actions/build-cache/src/files.ts';
import { ROOT, type StepResult } from '../harness/run-action.ts';
import { CacheStage } from '../sandbox/cache-stage.ts';

/**
 * build-cache against the toolkit it is built on, in one run:
 *
 * Keys: the key files of a generated monorepo (25,000 files, 100 nested lockfiles of about 300 KB)
 * found and hashed by build-cache's walk and hash, against @actions/glob's hashFiles on the same
 * globs (what `hashFiles()` in a workflow and most actions use), interleaved, medians.
 *
 * Save and restore: a node_modules-like tree of about 200 MB (20,000 files, mostly compressible
 * text as real packages are) through the cache service double and Azurite, the whole action (main
 * and post step, from the bundles) against a plain saveCache/restoreCache call of the same path in
 * a step of its own; wall time and the peak memory of the step's Node process (tar and zstd run as
 * their own processes for both, alike).
 */

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** A deterministic pseudo-random source, so every run builds the same trees. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const WORDS = ['function', 'return', 'const', 'module', 'exports', 'require', 'value', 'options', 'this', 'undefined', 'length', 'prototype', 'object', 'string', 'callback', 'error', 'result', 'index'];

function text(next: () => number, bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  while (size < bytes) {
    const word = WORDS[Math.floor(next() * WORDS.length)] as string;
    const piece = next() < 0.1 ? `${word};\n` : `${word}${Math.floor(next() * 1000)} `;
    parts.push(piece);
    size += piece.length;
  }
  return parts.join('');
}

function write(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** 100 packages of 250 source files, each package with its own lockfile of about 300 KB. */
export function generateMonorepo(root: string): { files: number; lockfiles: number } {
  const next = random(1);
  let files = 0;
  const lockfile = text(next, 300_000);
  for (let pkg = 0; pkg < 100; pkg++) {
    const dir = join(root, 'packages', `pkg-${pkg}`);
    write(join(dir, 'package.json'), JSON.stringify({ name: `pkg-${pkg}`, version: '1.0.0' }));
    write(join(dir, 'package-lock.json'), `${pkg}\n${lockfile}`);
    files += 2;
    for (let file = 0; file < 248; file++) {
      write(join(dir, 'src', `dir-${file % 12}`, `module-${file}.ts`), text(next, 200));
      files += 1;
    }
  }
  return { files, lockfiles: 100 };
}

const KEY_GLOBS = ['**/package-lock.json', '**/npm-shrinkwrap.json'];

async function ourKey(root: string): Promise<{ hash: string; files: number }> {
  const matchers = KEY_GLOBS.map((pattern) => picomatch(pattern, { dot: true }));
  const keyFiles = (await listFiles(root)).filter((file) => matchers.some((matches) => matches(file)));
  return { hash: await hashKeyFiles(root, keyFiles), files: keyFiles.length };
}

/** @actions/glob logs every file it hashes as a debug line; the runner would take them, the bench drops them. */
async function quietly<T>(body: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await body();
  } finally {
    process.stdout.write = write;
  }
}

function toolkitKey(root: string): Promise<string> {
  return quietly(() => glob.hashFiles(KEY_GLOBS.map((pattern) => join(root, pattern)).join('\n'), root));
}

export async function benchKeys(runs = 7): Promise<string[][]> {
  const root = mkdtempSync(join(tmpdir(), 'bench-monorepo-'));
  try {
    const generated = generateMonorepo(root);
    // Both must hash the same files: the toolkit's own matcher lists them.
    const theirs = await quietly(async () => (await glob.create(KEY_GLOBS.map((pattern) => join(root, pattern)).join('\n'), { matchDirectories: false })).glob());
    const ours = await ourKey(root);
    if (theirs.length !== ours.files) throw new Error(`the globs selected ${ours.files} files here and ${theirs.length} with @actions/glob`);
    const ourMs: number[] = [];
    const theirMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      let started = performance.now();
      await ourKey(root);
      ourMs.push(performance.now() - started);
      started = performance.now();
      await toolkitKey(root);
      theirMs.push(performance.now() - started);
    }
    return [
      [
        `${generated.files.toLocaleString('en')} files, ${generated.lockfiles} lockfiles of 300 KB`,
        `${median(ourMs).toFixed(0)} ms`,
        `${median(theirMs).toFixed(0)} ms`,
        `${(median(theirMs) / median(ourMs)).toFixed(1)}x faster`,
      ],
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** About 200 MB in 20,000 files: JavaScript-like text, with a few incompressible binaries (native addons, images). */
export function generateNodeModules(root: string): number {
  const next = random(2);
  let bytes = 0;
  for (let pkg = 0; pkg < 400; pkg++) {
    const dir = join(root, 'node_modules', `dep-${pkg}`);
    for (let file = 0; file < 50; file++) {
      const binary = file === 0 && pkg % 10 === 0;
      const size = binary ? 400_000 : 9_000;
      const content = binary ? createHash('sha512').update(String(pkg)).digest().toString('hex').repeat(Math.ceil(size / 128)).slice(0, size) : text(next, size);
      write(join(dir, binary ? 'build/addon.bin' : `lib/file-${file}.js`), content);
      bytes += content.length;
    }
  }
  return bytes;
}

/** A step that calls @actions/cache directly, as an action of a few lines would. */
function plainCacheAction(dir: string): string {
  const library = join(ROOT, 'node_modules', '@actions', 'cache', 'lib', 'cache.js');
  write(join(dir, 'action.yml'), 'name: plain cache\ninputs:\n  mode: { required: true }\n  key: { required: true }\nruns:\n  using: node24\n  main: main.mjs\n');
  write(
    join(dir, 'main.mjs'),
    `import * as cache from ${JSON.stringify(library)};\n` +
      "const key = process.env.INPUT_KEY;\n" +
      "if (process.env.INPUT_MODE === 'save') { const id = await cache.saveCache(['node_modules'], key); if (id === -1) process.exit(2); }\n" +
      "else { const hit = await cache.restoreCache(['node_modules'], key); if (hit !== key) process.exit(3); }\n",
  );
  return dir;
}

/** Peak RSS of a step's Node process, reported by a preload module at exit (NODE_OPTIONS=--import). */
function rssProbe(dir: string): { env: Record<string, string>; read: () => number[] } {
  const report = join(dir, 'rss.txt');
  const probe = join(dir, 'rss-probe.mjs');
  writeFileSync(probe, `import { appendFileSync } from 'node:fs';\nprocess.on('exit', () => appendFileSync(${JSON.stringify(report)}, process.resourceUsage().maxRSS + '\\n'));\n`);
  return {
    env: { NODE_OPTIONS: `--import=${probe}` },
    /** One value per Node process since the last read, in bytes, in the order they exited. */
    read: () => {
      const values = readFileSync(report, 'utf8').trim().split('\n').map((value) => Number(value) * 1024);
      rmSync(report);
      return values;
    },
  };
}

export async function benchSaveRestore(runs = 3): Promise<{ bytes: number; rows: string[][] }> {
  const stage = await CacheStage.create();
  const work = mkdtempSync(join(tmpdir(), 'bench-cache-'));
  const template = join(work, 'template');
  const bytes = generateNodeModules(template);
  write(join(template, 'package-lock.json'), '{"lockfileVersion":3}');
  const plain = plainCacheAction(join(work, 'plain'));
  const rss = rssProbe(work);
  const measures = { actionSave: [] as number[], plainSave: [] as number[], actionRestore: [] as number[], plainRestore: [] as number[] };
  const memory = { actionSave: [] as number[], plainSave: [] as number[], actionRestore: [] as number[], plainRestore: [] as number[] };
  const check = (step: StepResult | undefined, what: string): StepResult => {
    if (!step || step.exitCode !== 0) throw new Error(`${what} failed:\n${step?.log}`);
    return step;
  };
  try {
    for (let run = 0; run < runs; run++) {
      const inputs = { ecosystems: 'none', paths: 'node_modules', 'key-files': 'package-lock.json', prefix: `bench${run}`, summary: 'false' };
      // The whole action: the job that saves (its main step misses, its post step saves), then a
      // clean runner's job that restores (its main step hits, its post step has nothing to do).
      const saved = await stage.job({ repo: template, inputs, env: rss.env });
      check(saved.main, 'restore (miss)');
      measures.actionSave.push(check(saved.post, 'save').durationMs);
      memory.actionSave.push(rss.read().at(-1) as number);
      const restored = await stage.job({ repo: { 'package-lock.json': '{"lockfileVersion":3}' }, inputs, env: rss.env });
      if (restored.main.outputs['hit-kind'] !== 'exact') throw new Error(`the action did not restore:\n${restored.main.log}`);
      measures.actionRestore.push(check(restored.main, 'restore').durationMs);
      memory.actionRestore.push(rss.read()[0] as number);

      // The same path through @actions/cache alone, from the same kind of step.
      const key = `plain-${run}`;
      for (const mode of ['save', 'restore'] as const) {
        const runner = stage.newRunner();
        if (mode === 'save') CacheStage.copyTree(template, runner.workspace);
        const token = stage.service.issueToken('refs/heads/main');
        const { main } = await stage.harness.run(plain, { inputs: { mode, key }, env: { HOME: runner.home, ...stage.service.environment(token), ...rss.env }, workspace: runner.workspace, timeoutMs: 300_000 });
        (mode === 'save' ? measures.plainSave : measures.plainRestore).push(check(main, `plain ${mode}`).durationMs);
        (mode === 'save' ? memory.plainSave : memory.plainRestore).push(rss.read()[0] as number);
      }
    }
  } finally {
    await stage.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const mb = (value: number) => `${(value / 1024 / 1024).toFixed(0)} MB`;
  const row = (what: string, ours: number[], theirs: number[], unit: (value: number) => string) => [what, unit(median(ours)), unit(median(theirs)), `${(median(ours) / median(theirs)).toFixed(2)}x`];
  const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`;
  return {
    bytes,
    rows: [
      row('restore (exact hit): wall time', measures.actionRestore, measures.plainRestore, seconds),
      row('save: wall time', measures.actionSave, measures.plainSave, seconds),
      row('restore: peak memory of the Node process', memory.actionRestore, memory.plainRestore, mb),
      row('save: peak memory of the Node process', memory.actionSave, memory.plainSave, mb),
    ],
  };
}
