/**
 * What a run on the runner double leaves behind: every job (a called workflow's jobs named as GitHub
 * names them, "caller job / called job") with its result, outputs, environment, the waits for
 * approval and the steps with their outcome and conclusion, outputs, masked log and duration; and an
 * ordered list of events, so that tests assert orderings ("the rollback ran before any approval
 * wait"), never wall-clock limits.
 */

export type Result = 'success' | 'failure' | 'cancelled' | 'skipped';
export type RunConclusion = Result | 'startup_failure';

export interface StepRecord {
  name: string;
  id?: string;
  /** `run`, the action's `uses`, or `post <uses>` for a post step. */
  kind: 'run' | 'action' | 'post';
  uses?: string;
  /** Before continue-on-error. */
  outcome: Result;
  /** After continue-on-error. */
  conclusion: Result;
  outputs: Record<string, string>;
  /** An action step's `with:` values as evaluated, secrets masked. */
  inputs?: Record<string, string>;
  /** stdout and stderr with secrets and ::add-mask:: values replaced by ***. */
  log: string;
  summary: string;
  errors: string[];
  warnings: string[];
  notices: string[];
  /** Milliseconds since the run started. */
  startedAt: number;
  durationMs: number;
  /** Signals sent when the runner cancelled it, in order. */
  signals?: string[];
  timedOut?: boolean;
}

export interface WaitRecord {
  environment: string;
  /** Required reviewers, or the wait timer alone. */
  kind: 'reviewers' | 'wait-timer';
  startedAt: number;
  endedAt: number;
  decision: 'approved' | 'rejected' | 'timed-out' | 'cancelled' | 'elapsed';
  by?: string;
  comment?: string;
}

export interface JobRecord {
  /** "production / deploy" for a called workflow's job; "build (linux, 20)" for a matrix job. */
  path: string;
  /** The job's id in its own workflow. */
  id: string;
  /** What needs.<id>.result reads (success for a failed job with continue-on-error). */
  result: Result;
  /** What the UI shows (failure for that same job). */
  conclusion: Result;
  /** Why the job did not run its steps (skipped, refused, rejected, no runner...). */
  reason?: string;
  outputs: Record<string, string>;
  environment?: { name: string; url: string; deploymentId?: number };
  waits: WaitRecord[];
  permissions: Record<string, string>;
  runsOn: string[];
  runner?: string;
  matrix?: Record<string, unknown>;
  steps: StepRecord[];
  startedAt: number;
  durationMs: number;
}

export interface TranscriptEvent {
  at: number;
  event:
    | 'run-queued'
    | 'run-started'
    | 'run-completed'
    | 'cancel-requested'
    | 'concurrency-waiting'
    | 'concurrency-acquired'
    | 'concurrency-cancelled'
    | 'job-started'
    | 'job-completed'
    | 'job-skipped'
    | 'environment-waiting'
    | 'environment-approved'
    | 'environment-rejected'
    | 'environment-timed-out'
    | 'step-started'
    | 'step-completed'
    | 'step-skipped';
  job?: string;
  step?: string;
  detail?: string;
}

export interface Transcript {
  runId: number;
  runNumber: number;
  workflow: string;
  path: string;
  event: string;
  conclusion: RunConclusion;
  /** Why the run could not start (startup_failure), or what refused it. */
  errors: string[];
  jobs: JobRecord[];
  events: TranscriptEvent[];
  durationMs: number;
}

/** The job at a path ("production / deploy"); throws when there is none, so a typo fails loudly. */
export function jobOf(transcript: Transcript, path: string): JobRecord {
  const found = transcript.jobs.find((job) => job.path === path);
  if (!found) throw new Error(`no job ${path} in the transcript (jobs: ${transcript.jobs.map((job) => job.path).join(', ')})`);
  return found;
}

export function stepOf(job: JobRecord, name: string): StepRecord {
  const found = job.steps.find((step) => step.name === name || step.id === name);
  if (!found) throw new Error(`no step ${name} in ${job.path} (steps: ${job.steps.map((step) => step.name).join(', ')})`);
  return found;
}

/** Index of the first event matching, for order assertions (-1 when none). */
export function eventIndex(transcript: Transcript, match: Partial<TranscriptEvent>): number {
  return transcript.events.findIndex((event) => Object.entries(match).every(([key, value]) => event[key as keyof TranscriptEvent] === value));
}

const MARKS: Record<Result, string> = { success: '✓', failure: '✗', cancelled: '⊘', skipped: '-' };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The transcript as text, the way the demo prints it beside its own story. */
export function formatTranscript(transcript: Transcript): string {
  const lines = [`run ${transcript.runId} "${transcript.workflow}" (${transcript.path}, ${transcript.event}): ${transcript.conclusion} in ${seconds(transcript.durationMs)}`];
  for (const error of transcript.errors) lines.push(`  ! ${error}`);
  for (const job of transcript.jobs) {
    const environment = job.environment ? ` [${job.environment.name}${job.environment.deploymentId ? `, deployment ${job.environment.deploymentId}` : ''}]` : '';
    const shown = job.result !== job.conclusion ? `${job.conclusion}, reads ${job.result}` : job.result;
    lines.push(`  ${MARKS[job.conclusion]} ${job.path}${environment}: ${shown}${job.steps.length > 0 || job.result !== 'skipped' ? ` (${seconds(job.durationMs)})` : ''}${job.reason ? ` - ${job.reason}` : ''}`);
    for (const wait of job.waits) {
      lines.push(`      ⏸ waited ${seconds(wait.endedAt - wait.startedAt)} for ${wait.kind === 'reviewers' ? 'a reviewer' : 'the wait timer'} of ${wait.environment}: ${wait.decision}${wait.by ? ` by ${wait.by}` : ''}${wait.comment ? ` ("${wait.comment}")` : ''}`);
    }
    for (const step of job.steps) {
      const outcome = step.outcome !== step.conclusion ? ` (outcome ${step.outcome})` : '';
      const outputs = Object.entries(step.outputs)
        .filter(([, value]) => value !== '' && value.length <= 60 && !value.includes('\n'))
        .map(([key, value]) => `${key}=${value}`)
        .join(' ');
      lines.push(`      ${MARKS[step.conclusion]} ${step.name}${outcome}${step.conclusion === 'skipped' ? '' : ` ${seconds(step.durationMs)}`}${outputs ? `  → ${outputs}` : ''}`);
      for (const error of step.errors.slice(0, 2)) lines.push(`          error: ${error.split('\n')[0]}`);
    }
    const jobOutputs = Object.entries(job.outputs).map(([key, value]) => `${key}=${value}`).join(' ');
    if (jobOutputs) lines.push(`      outputs: ${jobOutputs}`);
  }
  return lines.join('\n');
}
