import { afterAll, beforeAll, expect, test } from 'vitest';
import { ArtifactServiceDouble } from '../../doubles/artifact-service.ts';
import { jobOf, stepOf } from '../../doubles/runner/transcript.ts';
import { WorkflowRepo } from '../../harness/workflow-repo.ts';
import { startAzurite, type Azurite } from '../../sandbox/servers.ts';

/**
 * actions/upload-artifact and actions/download-artifact at their pins, run by their doubles with the
 * toolkit's own @actions/artifact client against the artifact service double and Azurite: build once,
 * deploy the same artifact (pipelines.md), artifacts belonging to their run.
 */

let azurite: Azurite;
let artifacts: ArtifactServiceDouble;
beforeAll(async () => {
  azurite = await startAzurite();
  artifacts = await new ArtifactServiceDouble(azurite).start();
});
afterAll(async () => {
  await artifacts.stop();
  await azurite.stop();
  expect(artifacts.violations).toEqual([]);
});

const upload = 'actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0';
const download = 'actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c # v8.0.1';

const workflow = [
  'on: push',
  'permissions: {}',
  'jobs:',
  '  build:',
  '    runs-on: ubuntu-latest',
  '    outputs:',
  '      digest: ${{ steps.up.outputs.artifact-digest }}',
  '    steps:',
  '      - run: mkdir -p out && echo "built at ${{ github.sha }}" > out/app.txt',
  '      - id: up',
  `        uses: ${upload}`,
  '        with:',
  '          name: app',
  '          path: out/',
  '  again:',
  '    needs: build',
  '    runs-on: ubuntu-latest',
  '    steps:',
  '      - run: echo other > x.txt',
  `      - uses: ${upload}`,
  '        with:',
  '          name: app',
  '          path: x.txt',
  '  deploy:',
  '    needs: build',
  '    runs-on: ubuntu-latest',
  '    steps:',
  '      - id: down',
  `        uses: ${download}`,
  '        with:',
  '          name: app',
  '          path: release',
  '      - run: cat release/app.txt && echo "digest ${{ needs.build.outputs.digest }}"',
  '',
].join('\n');

test('an artifact uploaded by one job is downloaded by the next, with its SHA-256 digest; a second one of that name in the run is refused', { timeout: 120_000 }, async () => {
  const repo = await WorkflowRepo.create({ '.github/workflows/test.yml': workflow }, { artifacts });
  try {
    const transcript = await repo.runner.run('.github/workflows/test.yml');
    const uploaded = stepOf(jobOf(transcript, 'build'), 'up').outputs;
    expect(uploaded).toMatchObject({ 'artifact-id': expect.stringMatching(/^\d+$/), 'artifact-digest': expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(uploaded['artifact-url']).toBe(`https://github.com/acme/app/actions/runs/${transcript.runId}/artifacts/${uploaded['artifact-id']}`);
    const deploy = jobOf(transcript, 'deploy');
    expect(deploy.result).toBe('success');
    expect(deploy.steps[1]?.log).toContain(`built at ${'a'.repeat(40)}`);
    expect(jobOf(transcript, 'again').result).toBe('failure');
    expect(jobOf(transcript, 'again').steps[1]?.log).toMatch(/already exists/);

    // Another run has its own artifacts: its deploy job finds none named app until its build made one.
    const second = await repo.runner.run('.github/workflows/test.yml');
    expect(jobOf(second, 'build').result).toBe('success');
    expect(jobOf(second, 'deploy').result).toBe('success');
    expect(artifacts.artifacts.filter((artifact) => artifact.name === 'app' && artifact.finalized)).toHaveLength(2);
  } finally {
    expect(await repo.stop()).toEqual([]);
  }
});
