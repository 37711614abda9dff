import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { ArtifactServiceDouble } from '../../doubles/artifact-service.ts';
import { SlackDouble } from '../../doubles/chat.ts';
import { jobOf, stepOf } from '../../doubles/runner/transcript.ts';
import { DEFAULT_SHAPE, generateHistory } from '../../harness/dora-history.ts';
import { ROOT } from '../../harness/run-action.ts';
import { WorkflowRepo } from '../../harness/workflow-repo.ts';
import { startAzurite, type Azurite } from '../../sandbox/servers.ts';

/**
 * The weekly DORA report on the runner double: the starter workflows/dora-weekly.yml copied as it is
 * (a schedule event, no Slack secret: the digest is not posted, the audit trail is kept), and the
 * reusable .github/workflows/dora.yml called with a Slack bot token, posting the digest through
 * notify's report input to the Slack double. Both read a seeded history of deployments from the
 * GitHub double with exactly the permissions the workflows grant.
 */

const STARTER = readFileSync(join(ROOT, 'workflows/dora-weekly.yml'), 'utf8');
const DAY = 24 * 60 * 60 * 1000;

let azurite: Azurite;
let artifacts: ArtifactServiceDouble;
let slack: SlackDouble;
beforeAll(async () => {
  azurite = await startAzurite();
  slack = await new SlackDouble().start();
});
// Each test's repository numbers its runs from the same start: each gets its own artifact service.
beforeEach(async () => {
  artifacts = await new ArtifactServiceDouble(azurite).start();
});
afterEach(async () => {
  await artifacts.stop();
  expect(artifacts.violations).toEqual([]);
});
afterAll(async () => {
  await slack.stop();
  await azurite.stop();
});

/** Two weeks of history ending now, so the starter's 7-day window and the one before both hold deployments. */
function seed(repo: WorkflowRepo): void {
  generateHistory(repo.github, { ...DEFAULT_SHAPE, seed: 7, start: Date.now() - 14 * DAY, days: 14, runsPerDay: 2 });
}

test('the starter, copied as it is, reports production weekly on a schedule and keeps the audit trail; without a Slack secret nothing is posted', { timeout: 180_000 }, async () => {
  const repo = await WorkflowRepo.create({ '.github/workflows/dora-weekly.yml': STARTER }, { artifacts });
  try {
    seed(repo);
    const posted = slack.messages.size;
    const transcript = await repo.runner.run('.github/workflows/dora-weekly.yml', { event: 'schedule' });
    expect(transcript.conclusion).toBe('success');
    const job = jobOf(transcript, 'dora / metrics');
    expect(job.permissions).toEqual({ contents: 'read', deployments: 'read', actions: 'read', checks: 'read' });
    const metrics = JSON.parse(job.outputs['metrics'] ?? '') as unknown;
    expect(metrics).toBeTypeOf('object');
    expect(stepOf(job, 'Post the digest to Slack').conclusion).toBe('skipped');
    const kept = artifacts.artifacts.filter((artifact) => artifact.finalized && artifact.name === `dora-metrics-${transcript.runId}`);
    expect(kept).toHaveLength(1);
    expect(slack.messages.size).toBe(posted);
  } finally {
    expect(await repo.stop()).toEqual([]);
  }
});

test('dora.yml called with a Slack bot token posts the digest to the channel through notify', { timeout: 180_000 }, async () => {
  const caller = [
    'on: workflow_dispatch',
    'permissions:',
    '  contents: read',
    'jobs:',
    '  dora:',
    '    uses: org/deploy-actions/.github/workflows/dora.yml@v1',
    '    permissions:',
    '      contents: read',
    '      deployments: read',
    '      actions: read',
    '      checks: read',
    '    with:',
    '      environments: production, staging',
    '      window: 7d',
    "      slack-channel: '#deploys'",
    `      slack-api-url: ${slack.apiUrl}`,
    '    secrets:',
    '      SLACK_BOT_TOKEN: ${{ secrets.SLACK_BOT_TOKEN }}',
    '',
  ].join('\n');
  const repo = await WorkflowRepo.create({ '.github/workflows/report.yml': caller }, { artifacts, secrets: { SLACK_BOT_TOKEN: slack.botToken } });
  try {
    seed(repo);
    const before = new Set(slack.messages.keys());
    const transcript = await repo.runner.run('.github/workflows/report.yml', { event: 'workflow_dispatch' });
    expect(transcript.conclusion).toBe('success');
    const job = jobOf(transcript, 'dora / metrics');
    expect(stepOf(job, 'Post the digest to Slack').conclusion).toBe('success');
    const fresh = [...slack.messages.values()].filter((message) => !before.has(message.ts));
    expect(fresh).toHaveLength(1);
    const report = stepOf(job, 'dora').outputs['report'] ?? '';
    const firstLine = report.split('\n').find((line) => line.trim() !== '') ?? '';
    expect(firstLine).not.toBe('');
    expect(JSON.stringify(fresh[0])).toContain(firstLine.replace(/[*_#`>]/g, '').trim().slice(0, 20));
    // The bot token was masked wherever the transcript shows it.
    expect(JSON.stringify(transcript)).not.toContain(slack.botToken);
  } finally {
    expect(await repo.stop()).toEqual([]);
  }
});
