import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventIndex, jobOf } from '../../doubles/runner/transcript.ts';
import { PipelineSandbox } from '../../sandbox/pipeline.ts';

/**
 * The starter (workflows/deploy-bluegreen.yml), copied as it is into a repository with its scan
 * policy, run on the runner double for pushes to main: staging, then production after a reviewer
 * approves through GitHub's pending_deployments operation. Its site values (runner labels, URLs,
 * HAProxy paths, start and stop commands) are the repository variables the test sets; each
 * environment has its own host (a Site) and runner.
 */

let sandbox: PipelineSandbox;
beforeAll(async () => {
  sandbox = await PipelineSandbox.create({ sites: { staging: {}, production: {} }, reviewers: ['alice', 'bob'] });
});
afterAll(async () => {
  expect(await sandbox.stop()).toEqual([]);
});

test('a push deploys staging, waits for a production reviewer, then deploys production; a rejected review leaves production on the last approved version', { timeout: 240_000 }, async () => {
  const staging = sandbox.site('staging');
  const production = sandbox.site('production');

  const first = await sandbox.push({ actor: 'carol' });
  await sandbox.review(first, 'production', 'approved', 'alice', 'staging looks good');
  const approved = await first.done;
  expect(approved.conclusion).toBe('success');
  const v1 = first.record.headSha;
  // Site values from the variables: each environment's deploy job ran on its own host's runner.
  expect(jobOf(approved, 'staging / deploy')).toMatchObject({ result: 'success', runner: 'staging-host', environment: { name: 'staging' } });
  expect(jobOf(approved, 'production / deploy')).toMatchObject({ result: 'success', runner: 'production-host', environment: { name: 'production' } });
  expect(jobOf(approved, 'production / deploy').waits).toMatchObject([{ environment: 'production', decision: 'approved', by: 'alice' }]);
  // Production waited for its reviewer only after staging had finished, and ran only once approved.
  expect(eventIndex(approved, { event: 'job-completed', job: 'staging' })).toBeLessThan(eventIndex(approved, { event: 'environment-waiting', job: 'production / deploy' }));
  expect(eventIndex(approved, { event: 'environment-approved', job: 'production / deploy' })).toBeLessThan(eventIndex(approved, { event: 'step-started', job: 'production / deploy' }));
  expect(await staging.versionsServed(5)).toEqual({ [v1]: 5 });
  expect(await production.versionsServed(5)).toEqual({ [v1]: 5 });
  expect(sandbox.records('staging').map((record) => record.version)).toEqual([v1]);
  expect(sandbox.records('production').map((record) => record.version)).toEqual([v1]);
  // The scan gate ran in each environment and kept its report as an artifact of the run.
  expect(sandbox.artifacts.artifacts.filter((artifact) => artifact.finalized).map((artifact) => artifact.name).sort()).toEqual(['scan-production', 'scan-staging']);
  // GitHub's own view of the run.
  const answer = await fetch(`${sandbox.github.apiUrl}/repos/acme/app/actions/runs/${approved.runId}/approvals`, { headers: { authorization: 'token ghp_bob' } });
  expect(await answer.json()).toMatchObject([{ state: 'approved', user: { login: 'alice' }, comment: 'staging looks good', environments: [{ name: 'production' }] }]);

  const second = await sandbox.push({ actor: 'carol' });
  await sandbox.review(second, 'production', 'rejected', 'bob', 'not on a Friday');
  const rejected = await second.done;
  const v2 = second.record.headSha;
  expect(rejected.conclusion).toBe('failure');
  expect(jobOf(rejected, 'staging').result).toBe('success');
  expect(jobOf(rejected, 'production / deploy')).toMatchObject({ result: 'failure', reason: 'Deployment to production was rejected by bob: not on a Friday' });
  expect(jobOf(rejected, 'production / rollback').result).toBe('skipped');
  expect(await staging.versionsServed(5)).toEqual({ [v2]: 5 });
  expect(await production.versionsServed(5)).toEqual({ [v1]: 5 });
  expect(sandbox.records('production').map((record) => record.version)).toEqual([v1]);
  const run = await (await fetch(`${sandbox.github.apiUrl}/repos/acme/app/actions/runs/${rejected.runId}`, { headers: { authorization: 'token ghp_bob' } })).json();
  expect(run).toMatchObject({ status: 'completed', conclusion: 'failure', run_attempt: 1, head_sha: v2, event: 'push' });
});
