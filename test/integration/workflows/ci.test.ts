import { expect, test } from 'vitest';
import { CacheServiceDouble } from '../../doubles/cache-service.ts';
import { GitHubDouble } from '../../doubles/github/server.ts';
import { RunnerDouble, selfRepository } from '../../doubles/runner/runner.ts';
import { jobOf, stepOf } from '../../doubles/runner/transcript.ts';
import { ROOT } from '../../harness/run-action.ts';
import { startAzurite } from '../../sandbox/servers.ts';

/**
 * The repository's own CI (.github/workflows/ci.yml) on the runner double, for a push to main of
 * this very checkout (org/deploy-actions at HEAD). The test job's step `bash .ci/run` runs this
 * suite, which would recurse: the job is cut before it (its earlier steps run: checkout, Node 24,
 * our build-cache against the cache service double on Azurite, its post step), and the report job,
 * which needs it, runs in full.
 */

test('ci.yml: the test job up to the suite itself, then the report job with our notify', { timeout: 180_000 }, async () => {
  const self = selfRepository();
  const github = await new GitHubDouble({ owner: 'org', repo: 'deploy-actions' }).start();
  github.branches.set('main', self.sha);
  const azurite = await startAzurite();
  const cache = await new CacheServiceDouble(azurite, { github }).start();
  const runner = await RunnerDouble.start({
    github,
    repository: ROOT,
    sha: self.sha,
    runtimeEnv: () => cache.environment(cache.issueToken('refs/heads/main')),
    stopAt: (job, step) => (job === 'test' && step.run?.trim() === 'bash .ci/run' ? 'it runs this test suite, which would run itself' : undefined),
  });
  try {
    const transcript = await runner.run('.github/workflows/ci.yml', { event: 'push', ref: 'refs/heads/main', sha: self.sha, actor: 'maintainer' });
    expect(transcript.errors).toEqual([]);
    const job = jobOf(transcript, 'test');
    expect(job).toMatchObject({ result: 'success', permissions: { contents: 'read' }, runsOn: ['ubuntu-24.04'] });
    expect(stepOf(job, 'actions/checkout').outputs).toMatchObject({ commit: self.sha, ref: 'refs/heads/main' });
    expect(stepOf(job, 'actions/setup-node').outputs['node-version']).toMatch(/^v24\./);
    expect(stepOf(job, '$/actions/build-cache')).toMatchObject({ conclusion: 'success' });
    expect(stepOf(job, 'Run bash .ci/run')).toMatchObject({ conclusion: 'skipped', notices: ['not run: it runs this test suite, which would run itself'] });
    // build-cache's post step (post-if: success()) runs at the end of the job.
    expect(job.steps.at(-1)).toMatchObject({ name: 'Post $/actions/build-cache', kind: 'post' });
    const report = jobOf(transcript, 'report');
    expect(report.result).toBe('success');
    expect(stepOf(report, '$/actions/notify').summary).toMatch(/ci/);
    expect(transcript.conclusion).toBe('success');
  } finally {
    await runner.stop();
    await Promise.all([github.stop(), cache.stop()]);
    await azurite.stop();
    expect([...github.violations, ...github.rejected, ...cache.violations]).toEqual([]);
  }
});
