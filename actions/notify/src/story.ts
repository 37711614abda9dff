import type { RunContext } from '../../../shared/context.ts';
import type { DeploymentState, NotifyStatus } from '../../../shared/deployments.ts';
import { redact } from '../../../shared/secrets.ts';
import type { ChatIdentity, NotifyConfig } from './inputs.ts';

/**
 * The deployment story: one description of where a deployment stands, built from the inputs, the
 * run and GitHub's deployment records, and drawn by every channel in its own format.
 */

export interface TimelineEntry {
  state: DeploymentState;
  description: string;
  at: string;
}

export interface Mention extends ChatIdentity {
  login: string;
}

export interface Fact {
  label: string;
  value: string;
  url?: string | undefined;
}

export interface Story {
  status: NotifyStatus;
  environment: string;
  version: string;
  environmentUrl?: string | undefined;
  message?: string | undefined;
  repository: string;
  repositoryUrl: string;
  sha: string;
  refName: string;
  commitUrl: string;
  runUrl: string;
  workflow: string;
  actor: string;
  deploymentId?: number | undefined;
  deploymentsUrl: string;
  previousVersion?: string | undefined;
  rolledBackTo?: string | undefined;
  timeline: TimelineEntry[];
  pullRequest?: { number: number; url: string } | undefined;
  /** Empty unless the status is one of mention-on. */
  mentions: Mention[];
  at: string;
}

export interface RecordFacts {
  deploymentId?: number | undefined;
  version?: string | undefined;
  previousVersion?: string | undefined;
  rolledBackTo?: string | undefined;
  timeline: TimelineEntry[];
}

export function buildStory(
  config: NotifyConfig,
  context: RunContext,
  records: RecordFacts,
  extra: { authorLogin?: string | undefined; pullRequest?: Story['pullRequest']; now: Date },
): Story {
  const clean = (text: string | undefined) => (text === undefined ? undefined : redact(text, config.secrets));
  const mentionActive = config.mentionOn.includes(config.status);
  const logins = mentionActive
    ? [...new Set(config.mention.flatMap((login) => (login === 'author' ? (extra.authorLogin ? [extra.authorLogin] : []) : [login])))]
    : [];
  return {
    status: config.status,
    environment: config.environment,
    version: clean(config.version ?? records.version) ?? context.sha.slice(0, 7),
    environmentUrl: config.environmentUrl,
    message: clean(config.message),
    repository: context.repository,
    repositoryUrl: context.repositoryUrl,
    sha: context.sha,
    refName: context.refName,
    commitUrl: context.commitUrl,
    runUrl: context.runUrl,
    workflow: context.workflow,
    actor: context.actor,
    deploymentId: records.deploymentId,
    deploymentsUrl: `${context.repositoryUrl}/deployments/${encodeURIComponent(config.environment)}`,
    previousVersion: records.previousVersion,
    rolledBackTo: records.rolledBackTo,
    timeline: records.timeline,
    pullRequest: extra.pullRequest,
    mentions: logins.map((login) => ({ login, ...config.mentionMap[login.toLowerCase()] })),
    at: extra.now.toISOString(),
  };
}

export const STATUS_EMOJI: Record<NotifyStatus, string> = {
  queued: '⏳',
  in_progress: '🚀',
  success: '✅',
  failure: '❌',
  cancelled: '⚪',
  rolled_back: '↩️',
};

/** Status colours as 0xRRGGBB (GitHub's Primer palette), for Discord embeds and the like. */
export const STATUS_COLOR: Record<NotifyStatus, number> = {
  queued: 0x8c959f,
  in_progress: 0x0969da,
  success: 0x1a7f37,
  failure: 0xcf222e,
  cancelled: 0x6e7781,
  rolled_back: 0xbf8700,
};

export function headline(story: Pick<Story, 'status' | 'version' | 'environment' | 'rolledBackTo'>): string {
  const { version, environment } = story;
  switch (story.status) {
    case 'queued':
      return `Deployment of ${version} to ${environment} is queued`;
    case 'in_progress':
      return `Deploying ${version} to ${environment}`;
    case 'success':
      return `Deployed ${version} to ${environment}`;
    case 'failure':
      return `Deployment of ${version} to ${environment} failed`;
    case 'cancelled':
      return `Deployment of ${version} to ${environment} was cancelled`;
    case 'rolled_back':
      return story.rolledBackTo
        ? `${environment} rolled back from ${version} to ${story.rolledBackTo}`
        : `${environment} rolled back from ${version}`;
  }
}

/** The facts every channel shows, in order; URLs where there is somewhere to go. */
export function facts(story: Story): Fact[] {
  const list: Fact[] = [
    { label: 'Environment', value: story.environment, url: story.environmentUrl },
    { label: 'Version', value: story.version },
  ];
  if (story.previousVersion) list.push({ label: 'Previous', value: story.previousVersion });
  list.push(
    { label: 'Commit', value: story.sha.slice(0, 7), url: story.commitUrl },
    { label: 'Ref', value: story.refName },
  );
  if (story.pullRequest) list.push({ label: 'Pull request', value: `#${story.pullRequest.number}`, url: story.pullRequest.url });
  list.push({ label: 'Run', value: story.workflow || 'workflow run', url: story.runUrl });
  if (story.actor) list.push({ label: 'Triggered by', value: story.actor });
  return list;
}

/** "14:03:07 UTC" for timelines: the date is in the message's own timestamp. */
export function clockTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(11, 19)} UTC`;
}
