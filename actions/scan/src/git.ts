import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs git in a checkout and returns its stdout (logs and diffs of big pushes can be large). */
export async function git(root: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd: root, maxBuffer: 1024 * 1024 * 1024 });
  return stdout;
}

export async function hasCommit(root: string, sha: string): Promise<boolean> {
  return git(root, ['cat-file', '-e', `${sha}^{commit}`]).then(() => true, () => false);
}
