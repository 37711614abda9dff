import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import * as glob from '@actions/glob';
import picomatch from 'picomatch';
import { afterAll, describe, expect, test } from 'vitest';
import { expandPaths, fingerprint, hashKeyFiles, listFiles } from '../../../actions/build-cache/src/files.ts';

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

function tree(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'build-cache-files-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('the walk and the globs', () => {
  const files: Record<string, string> = {};
  for (let index = 0; index < 40; index++) files[`packages/p${index}/src/m${index}.ts`] = `export const x = ${index};`;
  Object.assign(files, {
    'package-lock.json': '{}',
    'packages/p3/package-lock.json': '{}',
    'packages/p3/.config/app.gradle.kts': '',
    'build.gradle': '',
    'requirements-dev.txt': '',
    'py/requirements.txt': '',
    '.hidden/requirements.txt': '',
    'a b/c d.ts': '',
  });
  const root = tree(files);

  // The toolkit's own matcher (what hashFiles and actions/cache use) is the oracle for our globs.
  test.each(['**/package-lock.json', '**/*.gradle*', 'packages/**/*.ts', '**/requirements*.txt', '**/*.ts'])('%s selects what @actions/glob selects', async (pattern) => {
    const matches = picomatch(pattern, { dot: true });
    const ours = (await listFiles(root)).filter((file) => matches(file));
    const globber = await glob.create(join(root, pattern), { matchDirectories: false, implicitDescendants: false });
    const theirs = (await globber.glob()).map((file) => relative(root, file).split('\\').join('/')).sort();
    expect(ours).toEqual(theirs);
    expect(ours.length).toBeGreaterThan(0);
  });

  test('folders can be skipped; the order is by path, whatever the disk returns', async () => {
    const listed = await listFiles(root, { skipDirectory: (_path, name) => name === 'packages' });
    expect(listed).toEqual(['.hidden/requirements.txt', 'a b/c d.ts', 'build.gradle', 'package-lock.json', 'py/requirements.txt', 'requirements-dev.txt']);
    expect(await listFiles(join(root, 'missing'))).toEqual([]);
  });
});

describe('the key hash', () => {
  test('SHA-256 over each path and the SHA-256 of its content (as sha256sum computes it), streamed for big files', async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 7);
    const root = tree({ 'b/yarn.lock': 'b', 'a/package-lock.json': 'a', 'huge.lock': big });
    const files = ['huge.lock', 'b/yarn.lock', 'a/package-lock.json'];
    const sorted = [...files].sort();
    const expected = createHash('sha256');
    for (const file of sorted) {
      const digest = execFileSync('sha256sum', [join(root, file)], { encoding: 'utf8' }).split(' ')[0];
      expected.update(`${file}\0${digest}\n`);
    }
    expected.update('extra\0rustc 1.95.0\n');
    expect(await hashKeyFiles(root, files, ['rustc 1.95.0'])).toBe(expected.digest('hex'));
  });

  test('the same files give the same hash in any order; a changed byte or a moved file changes it', async () => {
    const one = tree({ 'x/go.sum': 'h1:abc', 'go.sum': 'h1:def' });
    const two = tree({ 'go.sum': 'h1:def', 'x/go.sum': 'h1:abc' });
    const same = await hashKeyFiles(one, ['x/go.sum', 'go.sum']);
    expect(await hashKeyFiles(two, ['go.sum', 'x/go.sum'])).toBe(same);
    writeFileSync(join(two, 'go.sum'), 'h1:deg');
    expect(await hashKeyFiles(two, ['go.sum', 'x/go.sum'])).not.toBe(same);
    const moved = tree({ 'y/go.sum': 'h1:abc', 'go.sum': 'h1:def' });
    expect(await hashKeyFiles(moved, ['y/go.sum', 'go.sum'])).not.toBe(same);
  });
});

describe('the fingerprint of cached folders', () => {
  test('changes when a tool writes a file or touches one, not otherwise; counts files and bytes', async () => {
    const root = tree({ 'cache/a': 'aaaa', 'cache/sub/b': 'bb' });
    const before = await fingerprint([join(root, 'cache')]);
    expect(before).toMatchObject({ files: 2, bytes: 6 });
    expect((await fingerprint([join(root, 'cache')])).hash).toBe(before.hash);
    writeFileSync(join(root, 'cache/sub/c'), 'c');
    const added = await fingerprint([join(root, 'cache')]);
    expect(added.hash).not.toBe(before.hash);
    utimesSync(join(root, 'cache/a'), new Date(2020, 1, 1), new Date(2020, 1, 1));
    expect((await fingerprint([join(root, 'cache')])).hash).not.toBe(added.hash);
  });

  test('a file path, a missing path and a link are handled', async () => {
    const root = tree({ 'single.bin': 'xyz' });
    symlinkSync(join(root, 'single.bin'), join(root, 'link'));
    expect(await fingerprint([join(root, 'single.bin'), join(root, 'nothing')])).toMatchObject({ files: 1, bytes: 3 });
    expect((await fingerprint([join(root, 'link')])).files).toBe(1);
  });

  test('paths as the cache library takes them: ~, relative to the workspace, globs', async () => {
    const root = tree({ 'ws/.next/cache/a': '', 'ws/out/one/x': '', 'ws/out/two/x': '', 'home/.npm/y': '' });
    const expanded = await expandPaths(['~/.npm', '.next/cache', 'out/*/x'], join(root, 'ws'), join(root, 'home'));
    expect(expanded.sort()).toEqual([join(root, 'home/.npm'), join(root, 'ws/.next/cache'), join(root, 'ws/out/one/x'), join(root, 'ws/out/two/x')].sort());
  });
});
