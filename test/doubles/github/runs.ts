import type { Reply } from '../http-double.ts';
import type { Call, GitHubDouble } from './server.ts';

/**
 * Workflow runs in the GitHub double, as far as the deployment history needs them: a run's commit,
 * its jobs' timing and the environment reviews given in it (the approvals history, which GitHub
 * keeps without timestamps). GraphQL reads them as CheckSuite, WorkflowRun, CheckRun and
 * DeploymentReview (graphql.ts); REST as GET .../actions/runs/{run_id}/approvals.
 *
 * The state API is two calls: recordRun() and recordApprovals().
 */

export interface RunJob {
  id: number;
  name: string;
  startedAt: string;
  /** Null while the job runs. */
  completedAt: string | null;
  conclusion: 'success' | 'failure' | 'cancelled' | 'skipped' | null;
}

export interface EnvironmentReview {
  state: 'approved' | 'rejected';
  comment: string;
  /** GitHub login of the reviewer. */
  user: string;
  environments: string[];
}

export interface WorkflowRunRecord {
  id: number;
  attempt: number;
  headSha: string;
  /** The check suite GitHub Actions made for the run (its own id space). */
  checkSuiteId: number;
  /** Who triggered the run. */
  actor: string;
  event: string;
  createdAt: string;
  jobs: RunJob[];
  reviews: EnvironmentReview[];
}

/** GitHub Actions' app id: check suites of workflow runs belong to it. */
export const GITHUB_ACTIONS_APP_ID = 15368;

export class WorkflowRuns {
  readonly #runs = new Map<number, WorkflowRunRecord>();
  readonly #bySha = new Map<string, WorkflowRunRecord[]>();
  readonly #bySuite = new Map<number, WorkflowRunRecord>();
  readonly #double: GitHubDouble;

  constructor(double: GitHubDouble) {
    this.#double = double;
  }

  /** A run as if GitHub Actions had made it; jobs get ids when they have none. */
  recordRun(run: Pick<WorkflowRunRecord, 'id' | 'headSha' | 'createdAt'> & Partial<Omit<WorkflowRunRecord, 'jobs'>> & { jobs?: Array<Omit<RunJob, 'id'> & { id?: number }> }): WorkflowRunRecord {
    const record: WorkflowRunRecord = {
      attempt: 1,
      checkSuiteId: this.#double.nextId(),
      actor: 'octocat',
      event: 'push',
      reviews: [],
      ...run,
      jobs: (run.jobs ?? []).map((job) => ({ ...job, id: job.id ?? this.#double.nextId() })),
    };
    const replaced = this.#runs.get(record.id);
    if (replaced) this.#bySha.set(replaced.headSha, (this.#bySha.get(replaced.headSha) ?? []).filter((run) => run !== replaced));
    this.#runs.set(record.id, record);
    this.#bySha.set(record.headSha, [...(this.#bySha.get(record.headSha) ?? []), record]);
    this.#bySuite.set(record.checkSuiteId, record);
    return record;
  }

  /** The reviews given in a run, in the order given (GitHub's approvals history has no timestamps). */
  recordApprovals(runId: number, reviews: EnvironmentReview[]): void {
    const run = this.#runs.get(runId);
    if (!run) throw new Error(`double: no run ${runId} to record approvals for (recordRun first)`);
    run.reviews.push(...reviews);
  }

  get(runId: number): WorkflowRunRecord | undefined {
    return this.#runs.get(runId);
  }

  bySuite(checkSuiteId: number): WorkflowRunRecord | undefined {
    return this.#bySuite.get(checkSuiteId);
  }

  /** The runs of a commit, newest first, as its check suites list them. */
  forCommit(sha: string): WorkflowRunRecord[] {
    return [...(this.#bySha.get(sha) ?? [])].sort((a, b) => b.checkSuiteId - a.checkSuiteId);
  }
}

function simpleUser(example: Record<string, unknown>, login: string): Record<string, unknown> {
  return { ...example, login, html_url: `https://github.com/${login}`, url: `https://api.github.com/users/${login}`, type: login.endsWith('[bot]') ? 'Bot' : 'User' };
}

/** REST handlers for the runs, merged into the double's table (server.ts). */
export const RUN_HANDLERS: Record<string, (this: GitHubDouble, call: Call) => Reply> = {
  'actions/get-reviews-for-run'(call) {
    const run = this.runs.get(Number(call.params['run_id']));
    if (!run) return this.error(404, 'Not Found', call.route);
    const example = this.exampleOf(call.route, 200);
    const environmentExample = (example['environments'] as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    const api = `${this.apiUrl}/repos/${this.owner}/${this.repo}`;
    return {
      status: 200,
      body: run.reviews.map((review) => ({
        state: review.state,
        comment: review.comment,
        user: simpleUser(example['user'] as Record<string, unknown>, review.user),
        environments: review.environments.map((name) => ({
          ...environmentExample,
          name,
          url: `${api}/environments/${encodeURIComponent(name)}`,
          html_url: `${this.repositoryUrl}/deployments/activity_log?environments_filter=${encodeURIComponent(name)}`,
        })),
      })),
    };
  },
};

export const RUN_PERMISSIONS: Record<string, Array<[string, 'read' | 'write']>> = {
  'actions/get-reviews-for-run': [['actions', 'read']],
};
