import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The checkout double (see action.yml): copies the runner double's files of the repository into the
 * workspace. A git checkout's tracked files (and new ones not ignored) are copied, never .git itself:
 * the workspace holds the files, not a repository.
 */

const input = (name: string) => process.env[`INPUT_${name.toUpperCase()}`] ?? '';
const fail = (message: string): never => {
  process.stdout.write(`::error::${message}\n`);
  process.exit(1);
};

const repository = input('repository');
const repositories = JSON.parse(process.env['RUNNER_DOUBLE_REPOSITORIES'] ?? '{}') as Record<string, { dir: string; sha: string; ref: string }>;
const source = repositories[repository.toLowerCase()];
if (!source) fail(`The repository ${repository} is not known to the runner double`);
// The run's own repository is at the run's commit (GITHUB_SHA on GITHUB_REF); others at the double's.
const own = repository.toLowerCase() === (process.env['GITHUB_REPOSITORY'] ?? '').toLowerCase();
const { dir } = source as { dir: string };
const sha = own ? (process.env['GITHUB_SHA'] as string) : (source as { sha: string }).sha;
const ref = own ? (process.env['GITHUB_REF'] as string) : (source as { ref: string }).ref;
const wanted = input('ref');
if (wanted && wanted !== sha && wanted !== ref && `refs/heads/${wanted}` !== ref && `refs/tags/${wanted}` !== ref) {
  fail(`The runner double has ${repository} at ${ref} (${sha}) only, not at ${wanted}`);
}
for (const unsupported of ['ssh-key', 'sparse-checkout', 'filter']) if (input(unsupported)) fail(`input ${unsupported} is not modelled by the checkout double`);
if (input('lfs') === 'true' || input('submodules') !== 'false') fail('lfs and submodules are not modelled by the checkout double');

// A clone needs read access to the repository's contents: ask the API with the same token.
const api = process.env['GITHUB_API_URL'] ?? '';
const answer = await fetch(`${api}/repos/${repository}`, { headers: { authorization: `Bearer ${input('token')}`, accept: 'application/vnd.github+json' } });
if (!answer.ok) fail(`remote: Repository not found. (fetching ${repository} with the given token answered ${answer.status})`);

const workspace = process.env['GITHUB_WORKSPACE'] as string;
const target = resolve(workspace, input('path'));
if (!target.startsWith(workspace)) fail(`Repository path '${target}' is not under '${workspace}'`);
if (input('clean') === 'true' && existsSync(target)) for (const name of readdirSync(target)) rmSync(join(target, name), { recursive: true, force: true });
mkdirSync(target, { recursive: true });

let files: string[];
if (existsSync(join(dir, '.git'))) {
  files = execFileSync('git', ['-C', dir, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\0').filter(Boolean);
} else {
  files = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.parentPath.split('/').includes('.git'))
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1));
}
for (const file of files) {
  if (!existsSync(join(dir, file))) continue; // deleted in the working tree
  cpSync(join(dir, file), join(target, file), { recursive: true, dereference: false });
}
console.log(`Checked out ${repository} at ${sha} (${files.length} files) into ${target}`);
appendFileSync(process.env['GITHUB_OUTPUT'] as string, `ref=${ref}\ncommit=${sha}\n`);
