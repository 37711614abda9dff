import { describe, expect, test } from 'vitest';
import type { WorkflowRun } from '../../doubles/runner/run.ts';
import { eventIndex, jobOf } from '../../doubles/runner/transcript.ts';
import { runJob, runOnce, type WorkflowRepo } from '../../harness/workflow-repo.ts';

/**
 * Conformance, environments (../shared/docs/runner-semantics.md §5), each test citing its source key
 * (DEP = "Deployments and environments", CTRL = "Control deployments", MENV = "Manage environments",
 * REST = the workflow runs REST reference, RUNST = "Workflow run statuses", DTE = "Deploy to an
 * environment", TEND, TFP, CHR, WH52 = the threads the kit cites, RSRC = actions/runner). Reviews go
 * through GitHub's own operations on the GitHub double, which checks them against the OpenAPI
 * description.
 */

const on = 'on: push\npermissions: {}\n';

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const found = await probe();
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function api(repo: WorkflowRepo, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const answer = await fetch(`${repo.github.apiUrl}/repos/acme/app${path}`, {
    method,
    headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await answer.text();
  return { status: answer.status, body: text ? JSON.parse(text) : undefined };
}

/** The pending deployments of a run once its job waits, through GET .../pending_deployments. */
async function pending(repo: WorkflowRepo, run: WorkflowRun, token: string): Promise<Array<{ environment: { id: number; name: string }; current_user_can_approve: boolean; wait_timer: number }>> {
  return until(async () => {
    const answer = await api(repo, token, 'GET', `/actions/runs/${run.record.id}/pending_deployments`);
    const list = answer.body as Array<{ environment: { id: number; name: string }; current_user_can_approve: boolean; wait_timer: number }>;
    return list.length > 0 ? list : undefined;
  }, 'a pending deployment');
}

function reviewers(repo: WorkflowRepo, preventSelfReview = false): void {
  repo.github.grant('ghp_alice', 'all', 'alice');
  repo.github.grant('ghp_bob', 'all', 'bob');
  repo.github.grant('ghp_octocat', 'all', 'octocat');
  repo.github.environments.set('production', {
    name: 'production',
    protectionRules: [{ type: 'required_reviewers', reviewers: ['alice', 'bob', 'octocat'], preventSelfReview }],
    secrets: { DEPLOY_KEY: 'production-key' },
    variables: { TARGET: 'prod-host' },
  });
}

const gated = `${on}jobs:\n  deploy:\n    environment:\n      name: production\n      url: \${{ steps.s.outputs.url }}\n    runs-on: ubuntu-latest\n    steps:\n      - id: s\n        run: echo "url=https://app.example.com/\${{ vars.TARGET }}" >> "$GITHUB_OUTPUT"; echo "key=[\${{ secrets.DEPLOY_KEY }}]"\n  after:\n    needs: deploy\n${runJob(['echo after'])}  elsewhere:\n${runJob(['echo "key=[${{ secrets.DEPLOY_KEY }}] target=[${{ vars.TARGET }}]"'])}`;

describe('§5 required reviewers', () => {
  test('the job waits (run status waiting) until a reviewer approves through POST .../pending_deployments; one approval suffices; the history is at .../approvals (DEP, CTRL, REST, RUNST)', async () => {
    let waitingStatus: unknown;
    const { transcript, refused, repo } = await runOnce(gated, {
      setup: reviewers,
      during: async (repo, run) => {
        const [entry] = await pending(repo, run, 'ghp_alice');
        expect(entry).toMatchObject({ environment: { name: 'production' }, current_user_can_approve: true, wait_timer: 0 });
        waitingStatus = (await api(repo, 'ghp_alice', 'GET', `/actions/runs/${run.record.id}`)).body;
        const review = await api(repo, 'ghp_alice', 'POST', `/actions/runs/${run.record.id}/pending_deployments`, { environment_ids: [entry?.environment.id], state: 'approved', comment: 'ship it' });
        expect(review.status).toBe(200);
      },
    });
    expect(refused).toEqual([]);
    expect(waitingStatus).toMatchObject({ status: 'waiting', conclusion: null, run_attempt: 1 });
    const deploy = jobOf(transcript, 'deploy');
    expect(deploy.result).toBe('success');
    expect(deploy.waits).toMatchObject([{ environment: 'production', kind: 'reviewers', decision: 'approved', by: 'alice', comment: 'ship it' }]);
    expect(eventIndex(transcript, { event: 'environment-approved', job: 'deploy' })).toBeLessThan(eventIndex(transcript, { event: 'step-started', job: 'deploy' }));
    expect(repo.github.runs.find(transcript.runId)?.reviews).toMatchObject([{ state: 'approved', user: 'alice', environments: ['production'] }]);
    expect(jobOf(transcript, 'after').result).toBe('success');
  });

  test('prevent_self_review: whoever triggered the run cannot approve; another reviewer can (DEP)', async () => {
    const { transcript } = await runOnce(gated, {
      setup: (repo) => reviewers(repo, true),
      trigger: { actor: 'octocat' },
      during: async (repo, run) => {
        const [mine] = await pending(repo, run, 'ghp_octocat');
        expect(mine?.current_user_can_approve).toBe(false);
        const self = await api(repo, 'ghp_octocat', 'POST', `/actions/runs/${run.record.id}/pending_deployments`, { environment_ids: [mine?.environment.id], state: 'approved', comment: 'mine' });
        expect(self.status).toBe(422);
        expect(JSON.stringify(self.body)).toContain('prevents self-review');
        const other = await api(repo, 'ghp_bob', 'POST', `/actions/runs/${run.record.id}/pending_deployments`, { environment_ids: [mine?.environment.id], state: 'approved', comment: 'checked' });
        expect(other.status).toBe(200);
      },
    });
    expect(jobOf(transcript, 'deploy').waits[0]).toMatchObject({ decision: 'approved', by: 'bob' });
  });

  test('a rejection fails the job and skips its dependents (DEP, CTRL)', async () => {
    const { transcript, repo } = await runOnce(gated, {
      setup: reviewers,
      during: async (repo, run) => {
        const [entry] = await pending(repo, run, 'ghp_bob');
        await api(repo, 'ghp_bob', 'POST', `/actions/runs/${run.record.id}/pending_deployments`, { environment_ids: [entry?.environment.id], state: 'rejected', comment: 'not today' });
      },
    });
    expect(jobOf(transcript, 'deploy')).toMatchObject({ result: 'failure', reason: 'Deployment to production was rejected by bob: not today', steps: [] });
    expect(jobOf(transcript, 'after').result).toBe('skipped');
    expect(repo.github.deployments[0]?.statuses.map((status) => status.state)).toEqual(['waiting', 'failure']);
  });

  test('a job waiting for approval fails after 30 days (DEP, CTRL)', async () => {
    // 30 days at 0.005 ms a minute: 216 ms.
    const { transcript } = await runOnce(gated, { setup: reviewers, minuteMs: 0.005 });
    expect(jobOf(transcript, 'deploy')).toMatchObject({ result: 'failure', reason: 'The job waited 30 days for a review of production and failed' });
    expect(jobOf(transcript, 'deploy').waits[0]?.decision).toBe('timed-out');
  });
});

describe('§5 secrets, variables, deployments', () => {
  test('environment secrets and variables reach only the jobs that name the environment, once its rules pass (CTRL, DEP)', async () => {
    const { transcript } = await runOnce(gated, {
      setup: reviewers,
      during: async (repo, run) => {
        const [entry] = await pending(repo, run, 'ghp_alice');
        await api(repo, 'ghp_alice', 'POST', `/actions/runs/${run.record.id}/pending_deployments`, { environment_ids: [entry?.environment.id], state: 'approved', comment: '' });
      },
    });
    expect(jobOf(transcript, 'deploy').steps[0]?.log).toContain('key=[***]');
    expect(jobOf(transcript, 'elsewhere').steps[0]?.log).toContain('key=[] target=[]');
  });

  test('a job that names an environment gets a deployment: environment, short ref, the triggering user, statuses ending with the environment_url evaluated at job end (MENV, TFP, CHR, WH52, RSRC)', async () => {
    const workflow = `${on}jobs:\n  deploy:\n    environment:\n      name: staging\n      url: \${{ steps.s.outputs.url }}\n    runs-on: ubuntu-latest\n    steps:\n      - id: s\n        run: echo "url=https://staging.example.com" >> "$GITHUB_OUTPUT"\n`;
    const { repo } = await runOnce(workflow, { trigger: { actor: 'carol' } });
    const [deployment] = repo.github.deployments;
    expect(deployment).toMatchObject({ environment: 'staging', ref: 'main', creator: 'carol', task: 'deploy' });
    expect(deployment?.statuses.map((status) => status.state)).toEqual(['queued', 'in_progress', 'success']);
    expect(deployment?.statuses.at(-1)?.environmentUrl).toBe('https://staging.example.com');
  });

  test('environment.url that may contain a secret is dropped (RSRC)', async () => {
    const workflow = `${on}jobs:\n  deploy:\n    environment:\n      name: staging\n      url: \${{ steps.s.outputs.url }}\n    runs-on: ubuntu-latest\n    steps:\n      - id: s\n        run: echo "url=https://example.com/?t=\${{ secrets.TOKEN }}" >> "$GITHUB_OUTPUT"\n`;
    const { transcript, repo } = await runOnce(workflow, { secrets: { TOKEN: 'hidden-token' } });
    expect(jobOf(transcript, 'deploy').environment?.url).toBe('');
    expect(repo.github.deployments[0]?.statuses.at(-1)?.environmentUrl).toBe('');
  });

  test('deployment: false creates no deployment; secrets and variables still resolve, and the branch policy still applies (DTE, CTRL, TEND)', async () => {
    const workflow = `${on}jobs:\n  deploy:\n    environment:\n      name: production\n      deployment: false\n${runJob(['echo "key=[${{ secrets.DEPLOY_KEY }}] target=[${{ vars.TARGET }}]"'])}`;
    const allowed = await runOnce(workflow, { setup: (repo) => repo.github.environments.set('production', { name: 'production', secrets: { DEPLOY_KEY: 'key-in-production' }, variables: { TARGET: 'prod-host' }, branchPolicies: [{ name: 'main' }] }) });
    expect(allowed.repo.github.deployments).toEqual([]);
    expect(jobOf(allowed.transcript, 'deploy').steps[0]?.log).toContain('key=[***] target=[prod-host]');
    const blocked = await runOnce(workflow, {
      trigger: { ref: 'refs/heads/feature/x' },
      setup: (repo) => repo.github.environments.set('production', { name: 'production', branchPolicies: [{ name: 'main' }, { name: 'release/*' }] }),
    });
    expect(jobOf(blocked.transcript, 'deploy')).toMatchObject({ result: 'failure', reason: 'Branch "feature/x" is not allowed to deploy to production due to environment protection rules.' });
  });

  test('branch policies match GITHUB_REF with fnmatch: * does not cross / (DEP)', async () => {
    const workflow = `${on}jobs:\n  deploy:\n    environment: production\n${runJob(['echo ok'])}`;
    const setup = (repo: WorkflowRepo) => repo.github.environments.set('production', { name: 'production', branchPolicies: [{ name: 'release/*' }] });
    const one = await runOnce(workflow, { setup, trigger: { ref: 'refs/heads/release/1.0' } });
    expect(jobOf(one.transcript, 'deploy').result).toBe('success');
    const deeper = await runOnce(workflow, { setup, trigger: { ref: 'refs/heads/release/1.0/hotfix' } });
    expect(jobOf(deeper.transcript, 'deploy').result).toBe('failure');
  });

  test('a wait timer delays the job by its minutes; the pending deployment shows it (DEP)', async () => {
    const workflow = `${on}jobs:\n  deploy:\n    environment: production\n${runJob(['echo ok'])}`;
    const { transcript } = await runOnce(workflow, {
      minuteMs: 100,
      setup: (repo) => repo.github.environments.set('production', { name: 'production', protectionRules: [{ type: 'wait_timer', waitTimer: 3 }] }),
    });
    const [wait] = jobOf(transcript, 'deploy').waits;
    expect(wait).toMatchObject({ kind: 'wait-timer', decision: 'elapsed' });
    expect((wait?.endedAt ?? 0) - (wait?.startedAt ?? 0)).toBeGreaterThanOrEqual(290);
  });

  test('a misspelt environment is created on the fly with no rules or secrets (MENV)', async () => {
    const workflow = `${on}jobs:\n  deploy:\n    environment: prodution\n${runJob(['echo "key=[${{ secrets.DEPLOY_KEY }}]"'])}`;
    const { transcript, repo } = await runOnce(workflow, { setup: (repo) => repo.github.environments.set('production', { name: 'production', protectionRules: [{ type: 'required_reviewers', reviewers: ['alice'] }], secrets: { DEPLOY_KEY: 'k' } }) });
    expect(jobOf(transcript, 'deploy').steps[0]?.log).toContain('key=[]');
    expect(repo.github.environments.get('prodution')).toMatchObject({ name: 'prodution' });
    expect(repo.github.environments.get('prodution')?.protectionRules).toBeUndefined();
  });
});
