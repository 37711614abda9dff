import type { Reply } from '../http-double.ts';
import type { Call, Deployment, EnvironmentConfig, GitHubDouble, Permission } from './server.ts';

/**
 * Workflow runs in the GitHub double: what the runner double reports about the runs it executes,
 * served through GitHub's REST operations for them (each one defined in GitHub's OpenAPI
 * description, answered from its example with this state and checked against its schema):
 *   GET  /repos/{o}/{r}/actions/runs/{run_id}                      status, conclusion, run_attempt
 *   GET  /repos/{o}/{r}/actions/runs/{run_id}/jobs                 jobs and their steps
 *   POST /repos/{o}/{r}/actions/runs/{run_id}/cancel               cancel (202; 409 once completed)
 *   GET  /repos/{o}/{r}/actions/runs/{run_id}/pending_deployments  jobs waiting on an environment
 *   POST /repos/{o}/{r}/actions/runs/{run_id}/pending_deployments  approve or reject them
 *   GET  /repos/{o}/{r}/actions/runs/{run_id}/approvals            the review history
 * A review follows the environment's rules: only a listed reviewer may decide, and with
 * prevent_self_review not the person who triggered the run.
 *
 * Each run is also the check suite GitHub Actions made for it (its own id space), which GraphQL
 * reads as CheckSuite, WorkflowRun, CheckRun and DeploymentReview (graphql.ts). Histories made up by
 * a test without running anything (dora-metrics' seeded model) come in through recordRun() and
 * recordApprovals().
 */

/** GitHub Actions' app id: check suites of workflow runs belong to it. */
export const GITHUB_ACTIONS_APP_ID = 15368;

export type RunStatus = 'queued' | 'in_progress' | 'waiting' | 'pending' | 'completed';
export type RunConclusion = 'success' | 'failure' | 'cancelled' | 'startup_failure' | 'skipped' | null;

export interface RunJob {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting';
  conclusion: 'success' | 'failure' | 'cancelled' | 'skipped' | null;
  startedAt: string;
  completedAt: string | null;
  labels: string[];
  runnerName: string | null;
  steps: Array<{ name: string; number: number; status: 'queued' | 'in_progress' | 'completed'; conclusion: string | null; startedAt: string | null; completedAt: string | null }>;
}

/** A job of a run a test makes up (recordRun): its timing and how it ended. */
export interface RecordedJob {
  id?: number;
  name: string;
  startedAt: string;
  /** Null while the job runs. */
  completedAt: string | null;
  conclusion: RunJob['conclusion'];
}

export interface Review {
  environments: string[];
  state: 'approved' | 'rejected';
  user: string;
  comment: string;
  at: string;
}

export interface PendingDeployment {
  environment: string;
  environmentId: number;
  waitTimer: number;
  waitTimerStartedAt: string | null;
  reviewers: string[];
  preventSelfReview: boolean;
  /** The deployment GitHub made for the waiting job (none with deployment: false). */
  deployment?: Deployment;
  /** Called once, with the decision. */
  decide(review: Review): void;
}

export interface WorkflowRun {
  id: number;
  /** The check suite GitHub Actions made for the run. */
  checkSuiteId: number;
  runNumber: number;
  runAttempt: number;
  name: string;
  path: string;
  event: string;
  headSha: string;
  headBranch: string;
  actor: string;
  triggeringActor: string;
  status: RunStatus;
  conclusion: RunConclusion;
  createdAt: string;
  updatedAt: string;
  jobs: RunJob[];
  pending: PendingDeployment[];
  reviews: Review[];
  /** Set by whoever executes the run: what POST .../cancel does. */
  onCancel?: () => void;
}

export class WorkflowRuns {
  readonly all: WorkflowRun[] = [];
  readonly #github: GitHubDouble;
  #nextRun = 9000;
  #nextNumber = 0;
  #nextEnvironment = 500;

  constructor(github: GitHubDouble) {
    this.#github = github;
  }

  create(fields: Pick<WorkflowRun, 'name' | 'path' | 'event' | 'headSha' | 'headBranch' | 'actor'> & { triggeringActor?: string }): WorkflowRun {
    const now = this.#github.timestamp();
    this.#nextRun += 1;
    this.#nextNumber += 1;
    const run: WorkflowRun = {
      id: this.#nextRun,
      checkSuiteId: this.#github.nextId(),
      runNumber: this.#nextNumber,
      runAttempt: 1,
      triggeringActor: fields.actor,
      ...fields,
      status: 'queued',
      conclusion: null,
      createdAt: now,
      updatedAt: now,
      jobs: [],
      pending: [],
      reviews: [],
    };
    this.all.push(run);
    return run;
  }

  find(id: number | string): WorkflowRun | undefined {
    return this.all.find((run) => run.id === Number(id));
  }

  /**
   * A finished run as if GitHub Actions had made it, for histories a test makes up: its jobs (with
   * their timing) completed, ids given where missing. A run with the same id is replaced.
   */
  recordRun(fields: Pick<WorkflowRun, 'id' | 'headSha' | 'createdAt'> & Partial<Pick<WorkflowRun, 'actor' | 'event' | 'runAttempt' | 'name' | 'path' | 'headBranch'>> & { jobs?: RecordedJob[] }): WorkflowRun {
    const existing = this.all.findIndex((run) => run.id === fields.id);
    if (existing >= 0) this.all.splice(existing, 1);
    const actor = fields.actor ?? 'octocat';
    const jobs = (fields.jobs ?? []).map((job): RunJob => ({
      id: job.id ?? this.#github.nextId(),
      name: job.name,
      status: job.completedAt === null ? 'in_progress' : 'completed',
      conclusion: job.conclusion,
      startedAt: job.startedAt,
      completedAt: job.completedAt,
      labels: [],
      runnerName: null,
      steps: [],
    }));
    const finished = jobs.every((job) => job.completedAt !== null);
    const run: WorkflowRun = {
      id: fields.id,
      checkSuiteId: this.#github.nextId(),
      runNumber: ++this.#nextNumber,
      runAttempt: fields.runAttempt ?? 1,
      name: fields.name ?? 'deploy',
      path: fields.path ?? '.github/workflows/deploy.yml',
      event: fields.event ?? 'push',
      headSha: fields.headSha,
      headBranch: fields.headBranch ?? 'main',
      actor,
      triggeringActor: actor,
      status: finished ? 'completed' : 'in_progress',
      conclusion: finished ? (jobs.some((job) => job.conclusion === 'failure') ? 'failure' : 'success') : null,
      createdAt: fields.createdAt,
      updatedAt: jobs.map((job) => job.completedAt ?? job.startedAt).sort().at(-1) ?? fields.createdAt,
      jobs,
      pending: [],
      reviews: [],
    };
    this.all.push(run);
    return run;
  }

  /** Reviews given in a recorded run, in the order given (GitHub's approvals history has no timestamps). */
  recordApprovals(runId: number, reviews: Array<Omit<Review, 'at'>>): void {
    const run = this.find(runId);
    if (!run) throw new Error(`double: no run ${runId} to record approvals for (recordRun first)`);
    run.reviews.push(...reviews.map((review) => ({ ...review, at: run.createdAt })));
  }

  /** The run whose check suite this is. */
  bySuite(checkSuiteId: number): WorkflowRun | undefined {
    return this.all.find((run) => run.checkSuiteId === checkSuiteId);
  }

  /** The runs of a commit, newest first, as its check suites list them. */
  forCommit(sha: string): WorkflowRun[] {
    return this.all.filter((run) => run.headSha === sha).sort((a, b) => b.checkSuiteId - a.checkSuiteId);
  }

  update(run: WorkflowRun, status: RunStatus, conclusion: RunConclusion = null): void {
    run.status = status;
    run.conclusion = conclusion;
    run.updatedAt = this.#github.timestamp();
  }

  addJob(run: WorkflowRun, name: string, labels: string[]): RunJob {
    const job: RunJob = { id: this.#github.nextId(), name, status: 'queued', conclusion: null, startedAt: this.#github.timestamp(), completedAt: null, labels, runnerName: null, steps: [] };
    run.jobs.push(job);
    return job;
  }

  /** The environment's settings, created without rules when it does not exist (as a job naming it does on GitHub). */
  environment(name: string): EnvironmentConfig & { id: number } {
    let environment = this.#github.environments.get(name);
    if (!environment) {
      environment = { name };
      this.#github.environments.set(name, environment);
    }
    environment.id ??= ++this.#nextEnvironment;
    return environment as EnvironmentConfig & { id: number };
  }

  /** A job waits on an environment's reviewers: listed by GET pending_deployments until decided. */
  wait(run: WorkflowRun, pending: Omit<PendingDeployment, 'decide'>): Promise<Review> {
    return new Promise((resolve) => {
      const entry: PendingDeployment = {
        ...pending,
        decide: (review) => {
          run.pending.splice(run.pending.indexOf(entry), 1);
          resolve(review);
        },
      };
      run.pending.push(entry);
    });
  }
}

export const RUN_PERMISSIONS: Record<string, Array<[string, Permission]>> = {
  'actions/get-workflow-run': [['actions', 'read']],
  'actions/list-jobs-for-workflow-run': [['actions', 'read']],
  'actions/cancel-workflow-run': [['actions', 'write']],
  'actions/get-pending-deployments-for-run': [['actions', 'read']],
  'actions/review-pending-deployments-for-run': [['deployments', 'write']],
  'actions/get-reviews-for-run': [['actions', 'read']],
};

function userJson(example: unknown, login: string): Record<string, unknown> {
  return { ...(example as Record<string, unknown>), login, type: login.endsWith('[bot]') ? 'Bot' : 'User' };
}

function environmentJson(double: GitHubDouble, name: string, id: number): Record<string, unknown> {
  return {
    id,
    node_id: `EN_${id}`,
    name,
    url: `${double.apiUrl}/repos/${double.owner}/${double.repo}/environments/${encodeURIComponent(name)}`,
    html_url: `${double.repositoryUrl}/deployments/activity_log?environments_filter=${encodeURIComponent(name)}`,
  };
}

function runJson(double: GitHubDouble, call: Call, run: WorkflowRun): Record<string, unknown> {
  const example = double.exampleOf(call.route, 200);
  const api = `${double.apiUrl}/repos/${double.owner}/${double.repo}`;
  return {
    ...example,
    id: run.id,
    node_id: `WFR_${run.id}`,
    name: run.name,
    display_title: run.name,
    path: run.path,
    event: run.event,
    status: run.status,
    conclusion: run.conclusion,
    head_branch: run.headBranch,
    head_sha: run.headSha,
    run_number: run.runNumber,
    run_attempt: run.runAttempt,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    run_started_at: run.createdAt,
    actor: userJson(example['actor'], run.actor),
    triggering_actor: userJson(example['triggering_actor'] ?? example['actor'], run.triggeringActor),
    url: `${api}/actions/runs/${run.id}`,
    html_url: `${double.repositoryUrl}/actions/runs/${run.id}`,
    jobs_url: `${api}/actions/runs/${run.id}/jobs`,
    logs_url: `${api}/actions/runs/${run.id}/logs`,
    cancel_url: `${api}/actions/runs/${run.id}/cancel`,
    rerun_url: `${api}/actions/runs/${run.id}/rerun`,
    artifacts_url: `${api}/actions/runs/${run.id}/artifacts`,
    pull_requests: [],
  };
}

export const RUN_HANDLERS: Record<string, (this: GitHubDouble, call: Call) => Reply> = {
  'actions/get-workflow-run'(call) {
    const run = this.runs.find(call.params['run_id'] ?? '');
    if (!run) return this.error(404, 'Not Found', call.route);
    return { status: 200, body: runJson(this, call, run) };
  },

  'actions/list-jobs-for-workflow-run'(call) {
    const run = this.runs.find(call.params['run_id'] ?? '');
    if (!run) return this.error(404, 'Not Found', call.route);
    const example = (this.exampleOf(call.route, 200)['jobs'] as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    const api = `${this.apiUrl}/repos/${this.owner}/${this.repo}`;
    const { items, headers } = this.page(call, run.jobs);
    const jobs = items.map((job) => ({
      ...example,
      id: job.id,
      node_id: `CR_${job.id}`,
      run_id: run.id,
      run_url: `${api}/actions/runs/${run.id}`,
      run_attempt: run.runAttempt,
      head_sha: run.headSha,
      head_branch: run.headBranch,
      workflow_name: run.name,
      name: job.name,
      url: `${api}/actions/jobs/${job.id}`,
      html_url: `${this.repositoryUrl}/actions/runs/${run.id}/job/${job.id}`,
      status: job.status,
      conclusion: job.conclusion,
      created_at: job.startedAt,
      started_at: job.startedAt,
      completed_at: job.completedAt,
      labels: job.labels,
      runner_name: job.runnerName,
      steps: job.steps.map((step) => ({ name: step.name, number: step.number, status: step.status, conclusion: step.conclusion, started_at: step.startedAt, completed_at: step.completedAt })),
    }));
    return { status: 200, headers, body: { total_count: run.jobs.length, jobs } };
  },

  'actions/cancel-workflow-run'(call) {
    const run = this.runs.find(call.params['run_id'] ?? '');
    if (!run) return this.error(404, 'Not Found', call.route);
    if (run.status === 'completed') return this.error(409, 'Cannot cancel a workflow run that is completed.', call.route);
    run.onCancel?.();
    return { status: 202, body: {} };
  },

  'actions/get-pending-deployments-for-run'(call) {
    const run = this.runs.find(call.params['run_id'] ?? '');
    if (!run) return this.error(404, 'Not Found', call.route);
    const example = this.exampleOf(call.route, 200);
    const reviewerExample = (example['reviewers'] as Array<Record<string, unknown>> | undefined)?.[0]?.['reviewer'];
    return {
      status: 200,
      body: run.pending.map((pending) => ({
        environment: environmentJson(this, pending.environment, pending.environmentId),
        wait_timer: pending.waitTimer,
        wait_timer_started_at: pending.waitTimerStartedAt,
        current_user_can_approve: pending.reviewers.includes(call.user) && !(pending.preventSelfReview && call.user === run.triggeringActor),
        reviewers: pending.reviewers.map((login) => ({ type: 'User', reviewer: userJson(reviewerExample ?? {}, login) })),
      })),
    };
  },

  'actions/review-pending-deployments-for-run'(call) {
    const run = this.runs.find(call.params['run_id'] ?? '');
    if (!run) return this.error(404, 'Not Found', call.route);
    const body = call.body as { environment_ids: number[]; state: 'approved' | 'rejected'; comment: string };
    const chosen = body.environment_ids.map((id) => run.pending.find((pending) => pending.environmentId === id));
    if (chosen.some((pending) => pending === undefined)) {
      return this.validationFailed(call.route, 'PendingDeployment', [{ field: 'environment_ids', code: 'invalid', message: 'No pending deployment of this run for one of the environment_ids' }]);
    }
    for (const pending of chosen as PendingDeployment[]) {
      if (!pending.reviewers.includes(call.user)) {
        return this.validationFailed(call.route, 'PendingDeployment', [{ field: 'environment_ids', code: 'custom', message: `${call.user} is not a required reviewer of ${pending.environment}` }]);
      }
      if (pending.preventSelfReview && call.user === run.triggeringActor) {
        return this.validationFailed(call.route, 'PendingDeployment', [{ field: 'environment_ids', code: 'custom', message: `${pending.environment} prevents self-review: ${call.user} triggered this run` }]);
      }
    }
    const review: Review = { environments: (chosen as PendingDeployment[]).map((pending) => pending.environment), state: body.state, user: call.user, comment: body.comment, at: this.timestamp() };
    run.reviews.push(review);
    const deployments = (chosen as PendingDeployment[]).flatMap((pending) => (pending.deployment ? [pending.deployment] : []));
    for (const pending of chosen as PendingDeployment[]) pending.decide(review);
    return { status: 200, body: deployments.map((deployment) => this.deploymentJson(call.route, 200, deployment)) };
  },

  'actions/get-reviews-for-run'(call) {
    const run = this.runs.find(call.params['run_id'] ?? '');
    if (!run) return this.error(404, 'Not Found', call.route);
    const example = this.exampleOf(call.route, 200);
    return {
      status: 200,
      body: run.reviews.map((review) => ({
        environments: review.environments.map((name) => ({ ...environmentJson(this, name, this.runs.environment(name).id), created_at: review.at, updated_at: review.at })),
        state: review.state,
        user: userJson(example['user'] ?? {}, review.user),
        comment: review.comment,
      })),
    };
  },
};
