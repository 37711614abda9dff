import { appendFileSync } from 'node:fs';
import { join, matchesGlob, resolve } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';

/** The download-artifact double (see action.yml). */

const input = (name: string) => process.env[`INPUT_${name.toUpperCase()}`] ?? '';
const fail = (message: string): never => {
  process.stdout.write(`::error::${message}\n`);
  process.exit(1);
};

if (input('github-token') || input('run-id') !== (process.env['GITHUB_RUN_ID'] ?? '') || input('repository') !== (process.env['GITHUB_REPOSITORY'] ?? '')) {
  fail('downloading from another run or repository is not modelled by the download-artifact double');
}
const client = new DefaultArtifactClient();
const path = resolve(process.env['GITHUB_WORKSPACE'] as string, input('path'));
const name = input('name');
if (name) {
  const { artifact } = await client.getArtifact(name).catch((error: Error) => fail(`Unable to download artifact(s): ${error.message}`));
  await client.downloadArtifact(artifact.id, { path });
  console.log(`Artifact ${name} (${artifact.id}) downloaded to ${path}`);
} else {
  const ids = input('artifact-ids').split(',').map((id) => id.trim()).filter(Boolean);
  const { artifacts } = await client.listArtifacts();
  const chosen = artifacts.filter((artifact) => (ids.length === 0 || ids.includes(String(artifact.id))) && (!input('pattern') || matchesGlob(artifact.name, input('pattern'))));
  if (ids.length > 0 && chosen.length !== ids.length) fail(`Unable to download artifact(s): not every id of ${ids.join(', ')} is an artifact of this run`);
  const merge = input('merge-multiple') === 'true' || chosen.length === 1;
  for (const artifact of chosen) {
    await client.downloadArtifact(artifact.id, { path: merge ? path : join(path, artifact.name) });
    console.log(`Artifact ${artifact.name} (${artifact.id}) downloaded`);
  }
  console.log(`Total of ${chosen.length} artifact(s) downloaded`);
}
appendFileSync(process.env['GITHUB_OUTPUT'] as string, `download-path=${path}\n`);
