import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CacheStage, type Runner } from '../sandbox/cache-stage.ts';

/**
 * build-cache through its three bundles (main, post, save sub-action) and the real @actions/cache,
 * against the cache service double with blobs in Azurite and the GitHub double for pruning. Each job
 * is a clean runner: what a job finds is only what the cache service gave back.
 */

let stage: CacheStage;
beforeAll(async () => {
  stage = await CacheStage.create();
}, 60_000);
afterAll(async () => {
  expect(await stage.stop()).toEqual([]);
});

const LOCK_V1 = JSON.stringify({ name: 'app', lockfileVersion: 3, packages: { 'node_modules/left-pad': { version: '1.3.0' } } });
const LOCK_V2 = JSON.stringify({ name: 'app', lockfileVersion: 3, packages: { 'node_modules/left-pad': { version: '1.3.1' } } });

/** What an `npm ci` would leave in the npm cache: one file per package version. */
function npmInstalls(...versions: string[]) {
  return (runner: Runner) => CacheStage.writeFiles(join(runner.home, '.npm', '_cacache'), Object.fromEntries(versions.map((version) => [`left-pad-${version}.tgz`, `tarball ${version}`])));
}

function npmCacheHolds(runner: Runner, version: string): boolean {
  return existsSync(join(runner.home, '.npm', '_cacache', `left-pad-${version}.tgz`));
}

function caches(result: { outputs: Record<string, string> }): Record<string, { key: string; 'hit-kind': string; 'restored-key': string | null; 'archive-bytes': number | null }> {
  return JSON.parse(result.outputs['caches'] ?? '{}');
}

/** Each test gets its own key prefix, so entries of one never match another's. */
let prefixes = 0;
function prefix(): string {
  return `t${++prefixes}`;
}

describe('restore and save', () => {
  test('a miss is saved after the job; the next job gets an exact hit and does not save again', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix() };
    const first = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('1.3.0') });
    expect(first.main.exitCode, first.main.log).toBe(0);
    expect(first.main.outputs).toMatchObject({ 'cache-hit': 'false', 'hit-kind': 'miss', 'restored-key': '' });
    const key = first.main.outputs['primary-key'] as string;
    expect(key).toMatch(new RegExp(`^${inputs.prefix}-linux-x64-npm-[0-9a-f]{64}$`));
    expect(first.post?.exitCode, first.post?.log).toBe(0);
    expect(stage.service.entries.map((entry) => entry.key)).toContain(key);
    expect(first.post?.summary).toMatch(/\| npm \| 💾 saved \| `[^`]+` \| \d+ B \| \d+ ms \| cache miss \|/);

    const second = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs });
    expect(second.main.exitCode, second.main.log).toBe(0);
    expect(second.main.outputs).toMatchObject({ 'cache-hit': 'true', 'hit-kind': 'exact', 'primary-key': key, 'restored-key': key });
    expect(npmCacheHolds(second, '1.3.0')).toBe(true);
    expect(caches(second.main)['npm']).toMatchObject({ key, 'hit-kind': 'exact', 'restored-key': key });
    expect(caches(second.main)['npm']?.['archive-bytes']).toBeGreaterThan(0);
    expect(second.main.summary).toContain('| npm | ✅ exact |');
    expect(second.post?.log).toContain(`npm: not saved: exact hit on ${key}`);
    expect(stage.service.entries.filter((entry) => entry.key.startsWith(inputs.prefix))).toHaveLength(1);
  });

  test('a changed lockfile restores the newest entry by prefix (partial) and saves under the new key', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix() };
    const first = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('1.3.0') });
    const oldKey = first.main.outputs['primary-key'];
    const second = await stage.job({ repo: { 'package-lock.json': LOCK_V2 }, inputs, build: npmInstalls('1.3.1') });
    expect(second.main.outputs).toMatchObject({ 'cache-hit': 'false', 'hit-kind': 'partial', 'restored-key': oldKey });
    const newKey = second.main.outputs['primary-key'] as string;
    expect(newKey).not.toBe(oldKey);
    expect(npmCacheHolds(second, '1.3.0')).toBe(true);
    expect(second.post?.log).toContain(`npm: saving ~/.npm under ${newKey} (partial hit on ${oldKey}: saved under the new key)`);

    const third = await stage.job({ repo: { 'package-lock.json': LOCK_V2 }, inputs });
    expect(third.main.outputs).toMatchObject({ 'hit-kind': 'exact', 'restored-key': newKey });
    expect(npmCacheHolds(third, '1.3.0') && npmCacheHolds(third, '1.3.1')).toBe(true);
  });

  test('partial-restore: false does not fall back to another lockfile\'s entry', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix() };
    await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('1.3.0') });
    const second = await stage.job({ repo: { 'package-lock.json': LOCK_V2 }, inputs: { ...inputs, 'partial-restore': 'false' }, post: false });
    expect(second.main.outputs['hit-kind']).toBe('miss');
    expect(npmCacheHolds(second, '1.3.0')).toBe(false);
  });

  test('two ecosystems are two entries: a changed requirements.txt leaves the npm entry an exact hit', async () => {
    const inputs = { prefix: prefix() };
    const repo = { 'package-lock.json': LOCK_V1, 'requirements.txt': 'requests==2.31.0\n' };
    const pipInstalls = (runner: Runner) => CacheStage.writeFiles(join(runner.home, '.cache', 'pip'), { 'http-v2/requests.whl': 'wheel' });
    const first = await stage.job({ repo, inputs, build: (runner) => (npmInstalls('1.3.0')(runner), pipInstalls(runner)) });
    expect(Object.keys(caches(first.main)).sort()).toEqual(['npm', 'pip']);
    expect(first.main.outputs['primary-key']?.split('\n')).toHaveLength(2);

    const second = await stage.job({ repo: { ...repo, 'requirements.txt': 'requests==2.32.0\n' }, inputs });
    expect(second.main.exitCode, second.main.log).toBe(0);
    expect(caches(second.main)['npm']?.['hit-kind']).toBe('exact');
    expect(caches(second.main)['pip']?.['hit-kind']).toBe('partial');
    expect(second.main.outputs).toMatchObject({ 'cache-hit': 'false', 'hit-kind': 'partial' });
    expect(existsSync(join(second.home, '.cache', 'pip', 'http-v2', 'requests.whl'))).toBe(true);
    expect(second.post?.log).toMatch(/npm: not saved: exact hit/);
    expect(second.post?.log).toMatch(/pip: saving ~\/\.cache\/pip under .*-pip-[0-9a-f]{64} \(partial hit/);
  });

  test('custom paths keyed by globs: a build output cached beside the ecosystems', async () => {
    const inputs = { ecosystems: 'none', paths: '.next/cache\ndist-cache', 'key-files': 'src/**/*.ts', prefix: prefix() };
    const repo = { 'src/index.ts': 'export {}', 'src/lib/a.ts': 'export const a = 1' };
    const first = await stage.job({ repo, inputs, build: (runner) => CacheStage.writeFiles(runner.workspace, { '.next/cache/webpack.pack': 'pack', 'dist-cache/x': 'x' }) });
    expect(caches(first.main)['custom']).toMatchObject({ 'hit-kind': 'miss' });
    expect(JSON.parse(first.main.outputs['caches'] as string).custom).toMatchObject({ paths: ['.next/cache', 'dist-cache'], 'key-files': 2 });
    const second = await stage.job({ repo, inputs });
    expect(second.main.outputs['hit-kind']).toBe('exact');
    expect(readFileSync(join(second.workspace, '.next/cache/webpack.pack'), 'utf8')).toBe('pack');
    const edited = await stage.job({ repo: { ...repo, 'src/lib/a.ts': 'export const a = 2' }, inputs, post: false });
    expect(edited.main.outputs['hit-kind']).toBe('partial');
  });

  test('lookup-only says what would be restored without downloading it', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix() };
    await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('1.3.0') });
    const look = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs: { ...inputs, 'lookup-only': 'true' } });
    expect(look.main.outputs).toMatchObject({ 'cache-hit': 'true', 'hit-kind': 'exact' });
    expect(npmCacheHolds(look, '1.3.0')).toBe(false);
    expect(look.main.log).toContain('(lookup only, not downloaded)');
  });

  test('fail-on-miss fails the step and names what missed, with the outputs set', async () => {
    const result = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs: { ecosystems: 'npm', prefix: prefix(), 'fail-on-miss': 'true' } });
    expect(result.main.exitCode).toBe(1);
    expect(result.main.errors.map((error) => error.message)).toEqual(['build-cache: fail-on-miss: no cache entry was found for npm']);
    expect(result.main.outputs['hit-kind']).toBe('miss');
    expect(result.post).toBeUndefined();
  });

  test('save: false makes a restore-only step', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix(), save: 'false' };
    const result = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('1.3.0') });
    expect(result.post?.log).toContain('save: false, so the post step does not save');
    expect(stage.service.entries.some((entry) => entry.key.startsWith(inputs.prefix))).toBe(false);
  });

  test('a job on a branch reads the default branch\'s entries and saves into its own scope', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix() };
    await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('1.3.0') });
    const feature = await stage.job({ repo: { 'package-lock.json': LOCK_V2 }, inputs, ref: 'refs/heads/feature', build: npmInstalls('1.3.1') });
    expect(feature.main.outputs['hit-kind']).toBe('partial');
    expect(npmCacheHolds(feature, '1.3.0')).toBe(true);
    const saved = stage.service.entries.find((entry) => entry.key === feature.main.outputs['primary-key']);
    expect(saved?.ref).toBe('refs/heads/feature');
    // main cannot read the feature branch's entry.
    const back = await stage.job({ repo: { 'package-lock.json': LOCK_V2 }, inputs, post: false });
    expect(back.main.outputs['hit-kind']).toBe('partial');
  });

  test('without the cache service (GHES without cache, a local runner) it warns, restores nothing and passes', async () => {
    const result = await stage.job({
      repo: { 'package-lock.json': LOCK_V1 },
      inputs: { ecosystems: 'npm', prefix: prefix() },
      env: { ACTIONS_RESULTS_URL: '', ACTIONS_CACHE_SERVICE_V2: '' },
      build: npmInstalls('1.3.0'),
    });
    expect(result.main.exitCode).toBe(0);
    expect(result.main.warnings[0]?.message).toMatch(/^The cache service is not available to this job \(ACTIONS_RESULTS_URL is not set/);
    expect(result.main.outputs['hit-kind']).toBe('miss');
    expect(result.post?.exitCode).toBe(0);
    expect(result.post?.warnings[0]?.message).toMatch(/nothing is saved/);
  });
});

describe('ecosystems whose tools cannot be installed here: fixture repositories', () => {
  // uv (PyPI only) and NuGet (dotnet) are not in Debian's or npm's registries: the action falls back
  // to their documented locations, filled here as the tools would fill them.
  test('uv and NuGet: detected, keyed on their lockfiles, cached at their documented locations', async () => {
    const repo = {
      'tools/uv.lock': 'version = 1\n[[package]]\nname = "greet"\nversion = "1.0.0"\n',
      'tools/pyproject.toml': '[project]\nname = "tools"\nversion = "0"\n',
      'src/App/App.csproj': '<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><PackageReference Include="Greet" Version="1.0.0" /></ItemGroup></Project>',
      'src/App/packages.lock.json': '{"version":1,"dependencies":{}}',
    };
    const inputs = { prefix: prefix() };
    const first = await stage.job({
      repo,
      inputs,
      build: (runner) => {
        CacheStage.writeFiles(join(runner.home, '.cache', 'uv'), { 'wheels-v5/greet.whl': 'uv wheel' });
        CacheStage.writeFiles(join(runner.home, '.nuget', 'packages'), { 'greet/1.0.0/greet.1.0.0.nupkg': 'nupkg' });
      },
    });
    expect(caches(first.main)).toMatchObject({ uv: { 'hit-kind': 'miss' }, nuget: { 'hit-kind': 'miss' } });
    expect(JSON.parse(first.main.outputs['caches'] as string)).toMatchObject({ uv: { paths: ['~/.cache/uv'], 'key-files': 1 }, nuget: { paths: ['~/.nuget/packages'], 'key-files': 2 } });
    expect(first.main.summary).toContain('documented default');
    const second = await stage.job({ repo, inputs });
    expect(second.main.outputs['hit-kind']).toBe('exact');
    expect(readFileSync(join(second.home, '.cache', 'uv', 'wheels-v5', 'greet.whl'), 'utf8')).toBe('uv wheel');
    expect(existsSync(join(second.home, '.nuget', 'packages', 'greet', '1.0.0', 'greet.1.0.0.nupkg'))).toBe(true);
  });
});

describe('saving when the job fails', () => {
  test('post-if: success() skips the post step of a failed job: nothing is saved', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix() };
    const failed = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('1.3.0'), buildFails: true });
    expect(failed.post).toBeUndefined();
    expect(stage.service.entries.some((entry) => entry.key.startsWith(inputs.prefix))).toBe(false);
  });

  test('the build-cache/save step in an if: failure() step saves what the failed job installed', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix() };
    const failed = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('1.3.0'), buildFails: true, saveStep: {} });
    expect(failed.post).toBeUndefined();
    expect(failed.save?.exitCode, failed.save?.log).toBe(0);
    expect(failed.save?.outputs['saved-keys']).toBe(failed.main.outputs['primary-key']);
    expect(failed.save?.summary).toContain('| npm | 💾 saved |');

    const next = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs });
    expect(next.main.outputs['hit-kind']).toBe('exact');
    expect(npmCacheHolds(next, '1.3.0')).toBe(true);
  });

  test('an if: always() save step and the post step of a successful job save once', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix() };
    const result = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('1.3.0'), saveStep: {} });
    expect(result.save?.outputs['saved-keys']).toBe(result.main.outputs['primary-key']);
    expect(result.post?.log).toContain('npm: not saved: already saved under');
    expect(result.post?.log).toContain('by the build-cache/save step');
    expect(stage.service.entries.filter((entry) => entry.key.startsWith(inputs.prefix))).toHaveLength(1);
  });

  test('the save step without a build-cache step before it says so', async () => {
    const result = await stage.harness.run('build-cache/save', { env: { ...stage.service.environment(stage.service.issueToken('refs/heads/main')) } });
    expect(result.main.exitCode).toBe(1);
    expect(result.main.errors[0]?.message).toBe(
      'build-cache/save: no build-cache step ran before this one in the job (BUILD_CACHE_PLANS is not set): run the build-cache action first; this step saves what it restored and planned',
    );
  });
});

describe('save failures', () => {
  test('by default a failed save is a warning naming the entry, and the step passes (as actions/cache)', async () => {
    stage.service.fault({ path: 'FinalizeCacheEntryUpload', reply: { status: 400, body: { code: 'invalid_argument', msg: 'the archive is corrupt' } } });
    const result = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs: { ecosystems: 'npm', prefix: prefix() }, build: npmInstalls('1.3.0') });
    expect(result.post?.exitCode, result.post?.log).toBe(0);
    const ours = result.post?.warnings.map((warning) => warning.message).filter((message) => message.startsWith('build-cache: saving'));
    expect(ours).toEqual([expect.stringMatching(/^build-cache: saving npm under \S+-npm-[0-9a-f]{64}: Failed to save: .*the archive is corrupt/)]);
    expect(result.post?.summary).toContain('| npm | ⚠️ failed |');
  });

  test('fail-on-save-error: true fails the post step with the reason (a runtime token that may not write)', async () => {
    const result = await stage.job({
      repo: { 'package-lock.json': LOCK_V1 },
      inputs: { ecosystems: 'npm', prefix: prefix(), 'fail-on-save-error': 'true' },
      build: npmInstalls('1.3.0'),
      readOnlyCache: true,
    });
    expect(result.post?.exitCode).toBe(1);
    expect(result.post?.errors.at(-1)?.message).toMatch(/^build-cache: saving failed \(fail-on-save-error is on\): npm under \S+: Failed to save: .*cache write denied: token has no writable scopes/);
  });

  test('the save step can turn fail-on-save-error on for itself', async () => {
    stage.service.fault({ path: 'FinalizeCacheEntryUpload', reply: { status: 400, body: { code: 'invalid_argument', msg: 'no space left' } } });
    const result = await stage.job({
      repo: { 'package-lock.json': LOCK_V1 },
      inputs: { ecosystems: 'npm', prefix: prefix() },
      build: npmInstalls('1.3.0'),
      buildFails: true,
      saveStep: { 'fail-on-save-error': 'true' },
    });
    expect(result.save?.exitCode).toBe(1);
    expect(result.save?.errors.at(-1)?.message).toMatch(/^build-cache\/save: saving failed .*no space left/);
  });

  test('a key taken meanwhile by another job is not a failure', async () => {
    // What the service answers when another job of the same commit reserved the key first.
    stage.service.fault({ path: 'CreateCacheEntry', reply: { status: 409, body: { code: 'already_exists', msg: 'cache entry with the same key, version, and scope already exists' } } });
    const result = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs: { ecosystems: 'npm', prefix: prefix(), 'fail-on-save-error': 'true' }, build: npmInstalls('1.3.0') });
    expect(result.post?.exitCode, result.post?.log).toBe(0);
    expect(result.post?.log).toContain('npm: skipped (the key was taken meanwhile: another job saved this entry first)');
    expect(result.post?.summary).toContain('| npm | ⏭️ skipped |');
  });
});

describe('refresh', () => {
  test('an exact hit whose content changed is saved under a new versioned key, which later jobs restore', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix(), refresh: 'true' };
    const first = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('1.3.0') });
    const key = first.main.outputs['primary-key'] as string;

    const unchanged = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs });
    expect(unchanged.main.outputs['hit-kind']).toBe('exact');
    expect(unchanged.post?.log).toContain(`npm: not saved: exact hit on ${key} and nothing changed since it was restored`);

    const changed = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('2.0.0') });
    expect(changed.main.outputs['hit-kind']).toBe('exact');
    const refreshed = changed.post?.log.match(/npm: saving ~\/\.npm under (\S+) \(refresh: the content changed/)?.[1];
    expect(refreshed).toMatch(new RegExp(`^${key}~\\d+-1$`));

    const later = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs });
    expect(later.main.outputs).toMatchObject({ 'cache-hit': 'true', 'hit-kind': 'exact', 'restored-key': refreshed, 'primary-key': key });
    expect(npmCacheHolds(later, '2.0.0')).toBe(true);
  });

  test('without refresh, changed content after an exact hit is not saved (the key is taken)', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix() };
    await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('1.3.0') });
    const changed = await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, build: npmInstalls('2.0.0') });
    expect(changed.post?.log).toContain('(refresh: true saves changed content under a new key)');
    expect(stage.service.entries.filter((entry) => entry.key.startsWith(inputs.prefix))).toHaveLength(1);
  });
});

describe('prune', () => {
  test('older entries of the same prefix and branch are deleted through the REST API, the newest kept', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix() };
    const locks = [LOCK_V1, LOCK_V2, JSON.stringify({ lockfileVersion: 3, v: 3 })];
    for (const lock of locks.slice(0, 2)) await stage.job({ repo: { 'package-lock.json': lock }, inputs, build: npmInstalls(lock.length.toString()) });
    // Another branch's entry of the same prefix is not this branch's to prune.
    await stage.job({ repo: { 'package-lock.json': LOCK_V1 }, inputs, ref: 'refs/heads/other', alsoReads: [], build: npmInstalls('x') });
    const mine = () => stage.service.entries.filter((entry) => entry.key.startsWith(inputs.prefix)).map((entry) => `${entry.ref} ${entry.key}`);
    expect(mine()).toHaveLength(3);

    const pruning = await stage.job({ repo: { 'package-lock.json': locks[2] as string }, inputs: { ...inputs, prune: 'true' }, build: npmInstalls('3') });
    expect(pruning.post?.exitCode, pruning.post?.log).toBe(0);
    const newKey = pruning.main.outputs['primary-key'];
    expect(mine().sort()).toEqual([`refs/heads/main ${newKey}`, expect.stringMatching(/^refs\/heads\/other /)]);
    expect(pruning.post?.log).toMatch(/npm: pruned 2 older entries of t\d+-linux-x64-npm-\* on refs\/heads\/main/);
    expect(pruning.post?.summary).toMatch(/Pruned 2 older npm entries/);
    const calls = stage.github.requests.filter((request) => request.path.includes('/actions/caches'));
    expect(calls.map((request) => request.method).sort()).toEqual(['DELETE', 'DELETE', 'GET']);
  });

  test('prune-keep keeps that many; a token without actions: write gets a warning naming it', async () => {
    const inputs = { ecosystems: 'npm', prefix: prefix(), 'prune-keep': '2' };
    for (const lock of [LOCK_V1, LOCK_V2]) await stage.job({ repo: { 'package-lock.json': lock }, inputs, build: npmInstalls(String(lock.length)) });
    stage.github.tokens.set('ghs_readOnlyActions', { login: 'github-actions[bot]', permissions: { actions: 'read' } });
    const denied = await stage.job({
      repo: { 'package-lock.json': JSON.stringify({ v: 3 }) },
      inputs: { ...inputs, prune: 'true', token: 'ghs_readOnlyActions' },
      build: npmInstalls('3'),
    });
    expect(denied.post?.exitCode).toBe(0);
    expect(denied.post?.warnings.map((warning) => warning.message)).toContainEqual(expect.stringMatching(/^pruning the npm entries: GitHub answered 403 .*grant "actions: write"/));
    expect(denied.post?.log).not.toContain('ghs_readOnlyActions');
    expect(stage.service.entries.filter((entry) => entry.key.startsWith(inputs.prefix))).toHaveLength(3);

    const pruning = await stage.job({ repo: { 'package-lock.json': JSON.stringify({ v: 4 }) }, inputs: { ...inputs, prune: 'true' }, build: npmInstalls('4') });
    expect(pruning.post?.log).toMatch(/npm: pruned 2 older entries/);
    expect(stage.service.entries.filter((entry) => entry.key.startsWith(inputs.prefix))).toHaveLength(2);
  });
});

describe('bad inputs are named with the value and what is accepted', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ ecosystems: 'npm, gradel' }, 'build-cache: input "ecosystems": "gradel" is not accepted; each item must be one of npm, pnpm, yarn, yarn-berry, bun, pip, poetry, uv, go, cargo, gradle, maven, bundler, composer, nuget'],
    [{ paths: 'dist' }, 'build-cache: input "key-files": is required when paths is set: the globs of the files whose content keys those paths (e.g. **/*.ts)'],
    [{ prefix: 'a,b' }, 'build-cache: input "prefix": "a,b" is not accepted; expected letters, digits, ".", "_" and "-" (no commas, no "~")'],
    [{ salt: 'v1~x' }, 'build-cache: input "salt": "v1~x" is not accepted; expected letters, digits, ".", "_" and "-" (no commas, no "~")'],
    [{ 'prune-keep': '0' }, 'build-cache: input "prune-keep": "0" is not accepted; expected a whole number from 1 to 100'],
    [{ refresh: 'sometimes' }, 'build-cache: input "refresh": "sometimes" is not accepted; expected a boolean: one of true, yes, on, 1, false, no, off, 0'],
    [{ 'working-directory': 'nope' }, 'build-cache: input "working-directory": "nope" is not a folder of the workspace'],
  ];
  test.each(cases)('%j', async (inputs, message) => {
    const result = await stage.harness.run('build-cache', { inputs, env: stage.service.environment(stage.service.issueToken('refs/heads/main')) });
    expect(result.main.exitCode).toBe(1);
    expect(result.main.errors).toHaveLength(1);
    expect(result.main.errors[0]?.message.startsWith(message), result.main.errors[0]?.message).toBe(true);
    expect(result.main.log).not.toMatch(/\n\s+at /);
  });
});
