import { expect, test } from 'vitest';
import { WorkflowRepo } from '../../harness/workflow-repo.ts';
import { formatTranscript } from '../../doubles/runner/transcript.ts';

test('smoke', async () => {
  const repo = await WorkflowRepo.create({
    '.github/workflows/ci.yml': `
name: CI
on: push
permissions: {}
jobs:
  a:
    runs-on: ubuntu-latest
    outputs:
      x: \${{ steps.one.outputs.x }}
    steps:
      - id: one
        run: echo "x=hello" >> "$GITHUB_OUTPUT"
      - run: exit 3
        continue-on-error: true
      - run: echo "after \${{ github.sha }}"
  b:
    needs: a
    runs-on: ubuntu-latest
    steps:
      - run: echo "got \${{ needs.a.outputs.x }}"
      - run: false
  c:
    needs: b
    runs-on: ubuntu-latest
    steps:
      - run: echo never
  d:
    needs: b
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo "b was \${{ needs.b.result }}"
`,
  });
  try {
    const transcript = await repo.runner.run('.github/workflows/ci.yml');
    console.log(formatTranscript(transcript));
    console.log(transcript.jobs.map((job) => job.steps.map((s) => s.log)));
    expect(transcript.conclusion).toBe('failure');
  } finally {
    expect(await repo.stop()).toEqual([]);
  }
});
