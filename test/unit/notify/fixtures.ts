import type { RunContext } from '../../../shared/context.ts';
import type { NotifyStatus } from '../../../shared/deployments.ts';
import { readConfig } from '../../../actions/notify/src/inputs.ts';
import { buildStory, type RecordFacts, type Story } from '../../../actions/notify/src/story.ts';
import { inputsFromRecord } from '../../../shared/inputs.ts';

export const context: RunContext = {
  owner: 'acme',
  repo: 'app',
  repository: 'acme/app',
  sha: '0123456789abcdef0123456789abcdef01234567',
  ref: 'refs/heads/main',
  refName: 'main',
  runId: 4242,
  runAttempt: 1,
  serverUrl: 'https://github.com',
  apiUrl: 'https://api.github.com',
  actor: 'octocat',
  workflow: 'Deploy',
  job: 'deploy',
  eventName: 'push',
  event: {},
  repositoryUrl: 'https://github.com/acme/app',
  runUrl: 'https://github.com/acme/app/actions/runs/4242',
  commitUrl: 'https://github.com/acme/app/commit/0123456789abcdef0123456789abcdef01234567',
};

export function story(overrides: { status?: NotifyStatus; inputs?: Record<string, string>; records?: Partial<RecordFacts>; author?: string } = {}): Story {
  const { config } = readConfig(
    inputsFromRecord({ status: overrides.status ?? 'success', environment: 'production', version: 'v1.4.0', ...overrides.inputs }),
  );
  return buildStory(config, context, { timeline: [], ...overrides.records }, { authorLogin: overrides.author ?? 'octocat', now: new Date('2026-11-22T12:00:00Z') });
}

/** Everything at once, as long and as awkward as inputs get. */
export function worstCaseStory(status: NotifyStatus = 'failure'): Story {
  const timeline = Array.from({ length: 30 }, (_, index) => ({
    state: (index % 2 === 0 ? 'in_progress' : 'queued') as 'in_progress' | 'queued',
    description: `phase ${index}: <shifting> & "checking" | *stars* _under_ ${'z'.repeat(100)}`,
    at: new Date(Date.UTC(2026, 10, 22, 12, index)).toISOString(),
  }));
  return story({
    status,
    inputs: {
      message: `## Release notes\n\n${'- fixed **a bug** in [the thing](https://example.com/x) <b>html</b> & more\n'.repeat(400)}`,
      'environment-url': 'https://app.example.com/?q=(1)',
      version: `v1.4.0-${'rc'.repeat(100)}`,
      mention: 'author, alice, bob, carol',
      'mention-map': 'alice: { slack: U0ALICE01, discord: "111111111111111111", teams: alice@example.com }\nbob: { slack: S0BOBTEAM }',
    },
    records: { deploymentId: 99, previousVersion: 'v1.3.9', rolledBackTo: 'v1.3.9', timeline },
  });
}
