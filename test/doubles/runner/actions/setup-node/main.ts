import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The setup-node double (see action.yml). */

const input = (name: string) => process.env[`INPUT_${name.toUpperCase()}`] ?? '';
const fail = (message: string): never => {
  process.stdout.write(`::error::${message}\n`);
  process.exit(1);
};

if (input('cache')) fail('input cache is not modelled by the setup-node double (save and restore caches with build-cache or actions/cache)');
if (input('registry-url') || input('mirror')) fail('registry-url and mirror are not modelled by the setup-node double');
let spec = input('node-version');
const file = input('node-version-file');
if (!spec && file) {
  const path = join(process.env['GITHUB_WORKSPACE'] as string, file);
  if (!existsSync(path)) fail(`The specified node version file at: ${path} does not exist`);
  const text = readFileSync(path, 'utf8');
  spec = file.endsWith('package.json') ? ((JSON.parse(text) as { engines?: { node?: string } }).engines?.node ?? '') : text.trim();
}
if (!spec) fail('the double needs node-version or node-version-file (the runner image\'s own Node is not modelled)');
const major = /(\d+)/.exec(spec.replace(/^>=\s*/, ''))?.[1];
if (!major) fail(`node-version ${spec}: the double understands a major version (24, 24.x, >=24)`);

// The Nodes this machine has: the one running the tests, and any node on the PATH.
const candidates = [process.execPath, ...(process.env['PATH'] ?? '').split(':').map((dir) => join(dir, 'node'))].filter((path) => existsSync(path));
for (const candidate of candidates) {
  const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
  if (version.startsWith(`v${major}.`)) {
    appendFileSync(process.env['GITHUB_PATH'] as string, `${dirname(candidate)}\n`);
    appendFileSync(process.env['GITHUB_OUTPUT'] as string, `node-version=${version}\ncache-hit=false\n`);
    console.log(`Found in cache @ ${dirname(candidate)}: Node ${version}`);
    process.exit(0);
  }
}
fail(`Unable to find Node version '${spec}': this machine has ${candidates.map((candidate) => execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim()).join(', ')}`);
