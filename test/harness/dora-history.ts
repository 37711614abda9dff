import type { Deployment, DeploymentStatus, GitHubDouble } from '../doubles/github/server.ts';
import { seeded } from '../sandbox/history.ts';

/**
 * Deployment histories from a seeded model, written into the GitHub double as the suite's actions
 * would have left them: a main line of commits (with merged branches now and then), pipeline runs
 * that deploy one service to staging and then production, blue-green and canary rollouts with
 * deploy-bluegreen's and canary-analyze's status descriptions, failures caught by the canary,
 * failures after going live undone by rollback (payload rollbackOf) or by a fix-forward, failures
 * before any traffic, abandoned deployments, and production approvals with the jobs' timing.
 * The same seed gives the same history.
 */

export interface HistoryShape {
  seed: number;
  /** Epoch ms of the first run. */
  start: number;
  days: number;
  /** Services of the repository; the first is the default one (its records carry no service field). */
  services: string[];
  /** Pipeline runs a day (each deploys one service to staging, then production). */
  runsPerDay: number;
  /** Mean commits a run ships. */
  commitsPerRun: number;
  /** Chance that a production rollout fails after it went live. */
  failureRate: number;
  /** Of those failures, the share the canary catches at 10% (the rest escape past 50%). */
  canaryCatchShare: number;
  /** Of the escaped failures, the share undone by a rollback (the rest by a fix-forward). */
  rollbackShare: number;
  /** Chance that a rollout fails its health check before any traffic. */
  preTrafficFailureRate: number;
  /** Chance of a change arriving as a merge of a two-commit branch. */
  mergeShare: number;
  /** Whether production requires reviewers (approvals recorded, jobs wait for them). */
  approvals: boolean;
  /** Extra statuses on some deployments, beyond GraphQL's first page (tests the second read). */
  chattyShare?: number;
}

export const DEFAULT_SHAPE: HistoryShape = {
  seed: 1,
  start: Date.UTC(2026, 8, 1),
  days: 60,
  services: ['app', 'api', 'web'],
  runsPerDay: 3,
  commitsPerRun: 3,
  failureRate: 0.12,
  canaryCatchShare: 0.5,
  rollbackShare: 0.6,
  preTrafficFailureRate: 0.05,
  mergeShare: 0.2,
  approvals: true,
  chattyShare: 0.02,
};

export interface GeneratedHistory {
  runs: number;
  commits: number;
  deployments: number;
  end: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const REVIEWERS = ['lead-ana', 'lead-bo', 'lead-cy'];

/** Whole seconds, as GitHub's timestamps are. */
const iso = (at: number) => new Date(Math.floor(at / SECOND) * SECOND).toISOString().replace('.000Z', 'Z');

export function generateHistory(github: GitHubDouble, shape: HistoryShape): GeneratedHistory {
  const random = seeded(shape.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const exponential = (mean: number) => -Math.log(1 - random()) * mean;
  let commitCount = 0;
  const newOid = () => {
    commitCount += 1;
    return (BigInt(shape.seed) * 1_000_000n + BigInt(commitCount)).toString(16).padStart(40, '0');
  };
  let tip: string | undefined;
  let tipAt = shape.start - 10 * MINUTE;
  const commit = (at: number, parents: string[]) => {
    const oid = newOid();
    github.git.add({ oid, committedDate: iso(at), parents, message: `change ${commitCount}` });
    return oid;
  };
  // History before the first run: a root commit.
  tip = commit(tipAt, []);

  if (shape.approvals) github.environments.set('production', { name: 'production', protectionRules: [{ type: 'required_reviewers', reviewers: REVIEWERS }] });
  github.environments.set('staging', { name: 'staging' });

  /** Per environment and service: the color live and the last good version. */
  const live = new Map<string, { color: 'blue' | 'green'; version: string; id: number } | undefined>();
  let runId = 5000;
  let deployments = 0;
  let clock = shape.start;
  const end = shape.start + shape.days * 86_400_000;
  let versionCounter = 0;

  const add = (fields: { environment: string; service: string; sha: string; runSha?: string; version: string; color: string; previousColor: string | null; previous: number | null; rollbackOf: number | null; runId: number; at: number }, statuses: Array<[string, string, number]>): Deployment => {
    const payload: Record<string, unknown> = {
      deployActions: 1,
      version: fields.version,
      artifact: `ghcr.io/acme/${fields.service}:${fields.version}`,
      color: fields.color,
      previousColor: fields.previousColor,
      strategy: 'bluegreen',
      router: 'haproxy',
      previousDeploymentId: fields.previous,
      rollbackOf: fields.rollbackOf,
      runId: fields.runId,
      runAttempt: 1,
      // The commit the run ran at: a rollback's run runs at main's tip and restores an older commit.
      sha: fields.runSha ?? fields.sha,
    };
    if (fields.service !== shape.services[0]) payload['service'] = fields.service;
    if (random() < 0.7) payload['artifactDigest'] = `sha256:${(BigInt(fields.runId) * 7919n + BigInt(deployments)).toString(16).padStart(64, '0')}`;
    const deployment: Deployment = {
      id: github.nextId(),
      sha: fields.sha,
      ref: 'main',
      task: 'deploy',
      environment: fields.environment,
      description: `bluegreen ${fields.version}`,
      payload,
      transient: false,
      production: fields.environment === 'production',
      creator: 'github-actions[bot]',
      createdAt: iso(fields.at),
      statuses: [],
    };
    for (const [state, description, at] of statuses) {
      const status: DeploymentStatus = { id: github.nextId(), state, description, environment: fields.environment, environmentUrl: '', logUrl: `${github.repositoryUrl}/actions/runs/${fields.runId}`, creator: 'github-actions[bot]', createdAt: iso(at) };
      deployment.statuses.push(status);
    }
    github.deployments.push(deployment);
    deployments += 1;
    return deployment;
  };

  while (clock < end) {
    clock += Math.max(5 * MINUTE, exponential(86_400_000 / shape.runsPerDay));
    if (clock >= end) break;
    // The commits of this run, dated before it starts.
    const count = Math.max(1, Math.round(exponential(shape.commitsPerRun)));
    for (let index = 0; index < count; index++) {
      tipAt = Math.max(tipAt + SECOND, clock - (count - index) * exponential(20 * MINUTE) - MINUTE);
      if (random() < shape.mergeShare && index < count - 1) {
        const base = tip as string;
        const first = commit(tipAt, [base]);
        tipAt += 30 * SECOND;
        const second = commit(tipAt, [first]);
        tipAt += 30 * SECOND;
        tip = commit(tipAt, [tip as string, second]);
        index += 1;
        continue;
      }
      tip = commit(tipAt, [tip as string]);
    }
    clock = Math.max(clock, tipAt + MINUTE);
    const sha = tip as string;
    const service = pick(shape.services);
    versionCounter += 1;
    const version = `v1.${versionCounter}`;
    runId += 1;
    const mainRunId = runId;
    const jobs: Array<{ name: string; startedAt: string; completedAt: string | null; conclusion: 'success' | 'failure' | null }> = [];
    const runStart = clock;
    let t = clock + 2 * MINUTE;
    jobs.push({ name: 'build', startedAt: iso(clock + 10 * SECOND), completedAt: iso(t), conclusion: 'success' });
    let approvedWait = 0;

    for (const environment of ['staging', 'production']) {
      const slot = `${environment}/${service}`;
      const before = live.get(slot);
      const color: 'blue' | 'green' = before?.color === 'blue' ? 'green' : 'blue';
      if (environment === 'production' && shape.approvals) {
        approvedWait = Math.round(exponential(15 * MINUTE) / SECOND) * SECOND + 30 * SECOND;
        t += approvedWait;
      }
      const jobStart = t + 5 * SECOND;
      const created = jobStart + 20 * SECOND;
      const at = (offset: number) => created + offset * SECOND;
      const fields = { environment, service, sha, version, color, previousColor: before ? before.color : null, previous: before?.id ?? null, rollbackOf: null, runId: mainRunId, at: created };
      const roll = random();
      const abandoned = roll < 0.01;
      const preTraffic = !abandoned && roll < 0.01 + shape.preTrafficFailureRate;
      const fails = environment === 'production' && !abandoned && !preTraffic && random() < shape.failureRate;
      const canaryCaught = fails && before !== undefined && random() < shape.canaryCatchShare;
      const percent = environment === 'production' ? 10 : 100;
      const statuses: Array<[string, string, number]> = [
        ['in_progress', `starting ${version} on ${color}`, at(1)],
        ['in_progress', `${version} started on ${color}`, at(15)],
      ];
      let jobEnd = at(60);
      if (abandoned) {
        // The job died; another run found the record later and marked it abandoned.
        const record = add(fields, statuses);
        record.statuses.push({ id: github.nextId(), state: 'error', description: 'abandoned: no status for 30m', environment, environmentUrl: '', logUrl: '', creator: 'github-actions[bot]', createdAt: iso(at(45 * 60)) });
        jobs.push({ name: `deploy ${environment}`, startedAt: iso(jobStart), completedAt: null, conclusion: null });
        t = at(46 * 60);
        break;
      }
      if (preTraffic) {
        statuses.push(['failure', `${version} on ${color} failed; traffic untouched (${before ? `${before.color} 100%` : 'no traffic routed'})`, at(40)]);
        add(fields, statuses);
        jobs.push({ name: `deploy ${environment}`, startedAt: iso(jobStart), completedAt: iso(at(41)), conclusion: 'failure' });
        t = at(41);
        break;
      }
      if (percent === 100) {
        statuses.push(['in_progress', `${color} healthy: shifting 100% of traffic`, at(20)]);
        statuses.push(['success', `${version} live on ${color}`, at(35)]);
        const deployment = add(fields, statuses);
        live.set(slot, { color, version, id: deployment.id });
        jobEnd = at(36);
        jobs.push({ name: `deploy ${environment}`, startedAt: iso(jobStart), completedAt: iso(jobEnd), conclusion: 'success' });
        t = jobEnd + 10 * SECOND;
        continue;
      }
      // Production: canary 10% → analysis → 50% → analysis → promote, or fail somewhere.
      statuses.push(['in_progress', `${color} healthy: shifting 10% of traffic`, at(20)]);
      statuses.push(['in_progress', `canary: ${version} on ${color} takes 10%`, at(25)]);
      const score = (value: number) => value.toFixed(1);
      if (canaryCaught) {
        statuses.push(['in_progress', `canary 10%: fail, score ${score(30 + random() * 30)}`, at(25 + 300)]);
        const bad = add(fields, statuses);
        // rollback (instant): the bad one failed, a rollback deployment of the previous version.
        const back = before as NonNullable<typeof before>;
        bad.statuses.push({ id: github.nextId(), state: 'failure', description: `rolled back to ${back.version}`, environment, environmentUrl: '', logUrl: '', creator: 'github-actions[bot]', createdAt: iso(at(340)) });
        const rollback = add({ ...fields, sha: (github.deployments.find((deployment) => deployment.id === back.id) as Deployment).sha, runSha: sha, version: back.version, color: back.color, previousColor: color, previous: bad.id, rollbackOf: bad.id, at: at(345) }, [
          ['success', `rolled back to ${back.version} on ${back.color}`, at(352)],
        ]);
        live.set(slot, { color: back.color, version: back.version, id: rollback.id });
        jobEnd = at(360);
        jobs.push({ name: `deploy ${environment}`, startedAt: iso(jobStart), completedAt: iso(jobEnd), conclusion: 'failure' });
        t = jobEnd;
        break;
      }
      statuses.push(['in_progress', `canary 10%: ${random() < 0.1 ? 'marginal' : 'pass'}, score ${score(80 + random() * 20)}`, at(325)]);
      statuses.push(['in_progress', `canary: ${version} on ${color} takes 50%`, at(330)]);
      statuses.push(['in_progress', `canary 50%: pass, score ${score(85 + random() * 15)}`, at(630)]);
      if (random() < (shape.chattyShare ?? 0)) {
        for (let extra = 0; extra < 25; extra++) statuses.push(['in_progress', `canary 50%: inconclusive, score ${score(70 + extra)}`, at(631 + extra)]);
      }
      statuses.push(['success', `${version} live on ${color}`, at(660)]);
      const deployment = add(fields, statuses);
      live.set(slot, { color, version, id: deployment.id });
      jobEnd = at(661);
      jobs.push({ name: `deploy ${environment}`, startedAt: iso(jobStart), completedAt: iso(jobEnd), conclusion: 'success' });
      t = jobEnd;
      if (fails && before) {
        // Escaped: found after it went fully live.
        const foundAt = jobEnd + Math.round(exponential(2 * 3600 * SECOND) / SECOND) * SECOND + MINUTE;
        if (random() < shape.rollbackShare) {
          deployment.statuses.push({ id: github.nextId(), state: 'failure', description: `rolled back to ${before.version}`, environment, environmentUrl: '', logUrl: '', creator: 'github-actions[bot]', createdAt: iso(foundAt) });
          const rollback = add({ ...fields, sha: (github.deployments.find((entry) => entry.id === before.id) as Deployment).sha, runSha: tip as string, version: before.version, color: before.color, previousColor: color, previous: deployment.id, rollbackOf: deployment.id, runId: runId + 1, at: foundAt + 5 * SECOND }, [
            ['success', `rolled back to ${before.version} on ${before.color}`, foundAt + 12 * SECOND],
          ]);
          runId += 1;
          void rollback;
          github.runs.recordRun({ id: runId, headSha: tip as string, createdAt: iso(foundAt), actor: 'oncall', event: 'workflow_dispatch', jobs: [{ name: 'rollback', startedAt: iso(foundAt + 2 * SECOND), completedAt: iso(foundAt + 13 * SECOND), conclusion: 'success' }] });
          live.set(slot, { color: before.color, version: before.version, id: rollback.id });
          t = foundAt + 20 * SECOND;
        } else {
          // Fix-forward: the bad one is marked failed by notify, a new commit ships the fix.
          deployment.statuses.push({ id: github.nextId(), state: 'failure', description: 'rolled back', environment, environmentUrl: '', logUrl: '', creator: 'github-actions[bot]', createdAt: iso(foundAt) });
          tipAt = foundAt + 10 * MINUTE;
          tip = commit(tipAt, [tip as string]);
          versionCounter += 1;
          const fixVersion = `v1.${versionCounter}`;
          runId += 1;
          const fixAt = tipAt + 3 * MINUTE;
          const fixColor: 'blue' | 'green' = color === 'blue' ? 'green' : 'blue';
          const fix = add({ environment, service, sha: tip, version: fixVersion, color: fixColor, previousColor: color, previous: deployment.id, rollbackOf: null, runId, at: fixAt }, [
            ['in_progress', `starting ${fixVersion} on ${fixColor}`, fixAt + SECOND],
            ['in_progress', `${fixColor} healthy: shifting 100% of traffic`, fixAt + 20 * SECOND],
            ['success', `${fixVersion} live on ${fixColor}`, fixAt + 40 * SECOND],
          ]);
          github.runs.recordRun({ id: runId, headSha: tip, createdAt: iso(fixAt - MINUTE), actor: 'oncall', event: 'workflow_dispatch', jobs: [{ name: 'hotfix', startedAt: iso(fixAt - 30 * SECOND), completedAt: iso(fixAt + 41 * SECOND), conclusion: 'success' }] });
          live.set(slot, { color: fixColor, version: fixVersion, id: fix.id });
          t = fixAt + MINUTE;
        }
      }
    }
    github.runs.recordRun({ id: mainRunId, headSha: sha, createdAt: iso(runStart), actor: pick(['ana', 'bo', 'cy', 'dee']), jobs });
    if (shape.approvals && jobs.some((job) => job.name === 'deploy production')) {
      github.runs.recordApprovals(mainRunId, [{ state: 'approved', comment: random() < 0.5 ? 'ship it' : '', user: pick(REVIEWERS), environments: ['production'] }]);
    }
    clock = Math.max(clock, t) + MINUTE;
  }
  github.branches.set('main', tip as string);
  return { runs: runId - 5000, commits: commitCount, deployments, end };
}
