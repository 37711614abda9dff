import { appendFileSync, statSync } from 'node:fs';
import { basename, dirname, sep } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { create } from '@actions/glob';

/** The upload-artifact double (see action.yml). */

const input = (name: string) => process.env[`INPUT_${name.toUpperCase()}`] ?? '';
const fail = (message: string): never => {
  process.stdout.write(`::error::${message}\n`);
  process.exit(1);
};

const name = input('name');
const ifNoFiles = input('if-no-files-found');
if (!['warn', 'error', 'ignore'].includes(ifNoFiles)) fail(`Unrecognized if-no-files-found input. Provided: ${ifNoFiles}. Available options: warn, error, ignore`);
if (input('overwrite') === 'true') fail('overwrite is not modelled by the upload-artifact double');
const compressionLevel = Number(input('compression-level'));
const retentionDays = Number(input('retention-days'));
const hidden = input('include-hidden-files') === 'true';

const globber = await create(input('path'), { followSymbolicLinks: true, excludeHiddenFiles: !hidden });
const files = (await globber.glob()).filter((file) => statSync(file).isFile());
if (files.length === 0) {
  const message = `No files were found with the provided path: ${input('path')}. No artifacts will be uploaded.`;
  if (ifNoFiles === 'error') fail(message);
  if (ifNoFiles === 'warn') process.stdout.write(`::warning::${message}\n`);
  else console.log(message);
  process.exit(0);
}
// The root is the least common ancestor of the search paths, as the action computes it.
const searchPaths = globber.getSearchPaths();
let root = searchPaths.length === 1 && files.length === 1 && files[0] === searchPaths[0] ? dirname(searchPaths[0] as string) : (searchPaths[0] as string);
for (const path of searchPaths.slice(1)) {
  while (!(`${path}${sep}`.startsWith(`${root}${sep}`) || path === root)) root = dirname(root);
}
if (files.length === 1 && statSync(root).isFile()) root = dirname(root);
const archive = input('archive') !== 'false';
if (!archive && files.length !== 1) fail(`archive: false uploads a single file; the path matched ${files.length}`);

const client = new DefaultArtifactClient();
const uploaded = await client.uploadArtifact(archive ? name : basename(files[0] as string), files, root, {
  ...(retentionDays > 0 ? { retentionDays } : {}),
  compressionLevel,
  ...(archive ? {} : { skipArchive: true }),
});
const url = `${process.env['GITHUB_SERVER_URL']}/${process.env['GITHUB_REPOSITORY']}/actions/runs/${process.env['GITHUB_RUN_ID']}/artifacts/${uploaded.id}`;
console.log(`Artifact ${name} has been successfully uploaded! Final size is ${uploaded.size} bytes. Artifact ID is ${uploaded.id}`);
appendFileSync(process.env['GITHUB_OUTPUT'] as string, `artifact-id=${uploaded.id}\nartifact-url=${url}\nartifact-digest=${uploaded.digest ?? ''}\n`);
