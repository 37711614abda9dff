import { expect, test } from 'vitest';
import { WorkflowRepo } from '../../harness/workflow-repo.ts';
import { formatTranscript } from '../../doubles/runner/transcript.ts';
import { Site } from '../../sandbox/site.ts';
import { selfRepository } from '../../doubles/runner/runner.ts';
import { stringify } from 'yaml';

test('deploy.yml direct', async () => {
  const site = await Site.create('prod');
  const caller = {
    name: 'deploy caller',
    on: { workflow_dispatch: {} },
    jobs: {
      production: {
        uses: `org/deploy-actions/.github/workflows/deploy.yml@${selfRepository().sha}`,
        permissions: { contents: 'read', deployments: 'write' },
        with: { environment: 'production', version: 'v1', scan: false, 'health-timeout': '10s', 'post-switch-window': '1s', ...site.deployInputs() },
        secrets: 'inherit',
      },
    },
  };
  const repo = await WorkflowRepo.create({ '.github/workflows/caller.yml': stringify(caller) }, { runners: [site.runner] });
  try {
    const transcript = await repo.runner.run('.github/workflows/caller.yml', { event: 'workflow_dispatch' });
    console.log(formatTranscript(transcript));
    for (const job of transcript.jobs) for (const step of job.steps) if (step.conclusion === 'failure') console.log(step.log.slice(-3000));
    console.log(await site.versionsServed(10));
  } finally {
    await site.stop();
    console.log(await repo.stop());
  }
}, 120_000);
