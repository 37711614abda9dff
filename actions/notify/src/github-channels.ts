import type { RunContext } from '../../../shared/context.ts';
import {
  buildPayload,
  deploymentStateFor,
  type DeploymentRecord,
  type DeploymentRecords,
} from '../../../shared/deployments.ts';
import { explainGitHubError, type GitHubClient } from '../../../shared/github.ts';
import type { NotifyConfig } from './inputs.ts';
import { commentMarker, renderPullRequestComment } from './render/markdown.ts';
import { headline, type RecordFacts, type Story, type TimelineEntry } from './story.ts';
import type { Delivery } from './chat-channels.ts';

/**
 * notify's GitHub side: it reads the deployment records to tell the story, writes a deployment
 * status when asked, and keeps one sticky comment per environment on the pull request.
 */

export interface RecordsRead {
  facts: RecordFacts;
  /** The deployment the story is about, if one exists. */
  target: DeploymentRecord | undefined;
}

/**
 * Finds the deployment this story is about: the one given, or the newest of this environment made
 * by this run. For rolled_back, when the newest is the rollback itself, the story is about the
 * deployment it replaced, and the rollback's version is where traffic went back to.
 */
export async function readRecords(records: DeploymentRecords, config: NotifyConfig, context: RunContext): Promise<RecordsRead> {
  let recent: DeploymentRecord[] = [];
  let target: DeploymentRecord | undefined;
  if (config.deploymentId) {
    target = await records.get(config.deploymentId);
    if (config.status === 'rolled_back') recent = await records.list(config.environment);
  } else {
    const found = await records.findForRun(config.environment, context.runId);
    recent = found.recent;
    target = found.mine;
  }
  let rollback: DeploymentRecord | undefined;
  if (target && config.status === 'rolled_back') {
    const replaced = target.payload?.rollbackOf;
    if (replaced) {
      rollback = target;
      target = recent.find((deployment) => deployment.id === replaced) ?? (await records.get(replaced));
    } else {
      const targetId = target.id;
      rollback = recent.find((deployment) => deployment.payload?.rollbackOf === targetId);
    }
  }
  const previousId = target?.payload?.previousDeploymentId;
  const previous = previousId ? recent.find((deployment) => deployment.id === previousId) : undefined;
  const timeline = target ? (await records.statuses(target.id)).reverse() : [];
  return {
    target,
    facts: {
      deploymentId: target?.id,
      version: target?.payload?.version,
      previousVersion: previous?.payload?.version,
      rolledBackTo: rollback?.payload?.version,
      timeline: timeline.map((status) => ({ state: status.state, description: status.description, at: status.createdAt })),
    },
  };
}

/**
 * Writes the status on the story's deployment. When no deployment of this run exists, notify is
 * being used on its own (no deploy-bluegreen before it), so it creates one to keep the
 * environment's history true.
 */
export async function writeDeploymentStatus(
  records: DeploymentRecords,
  read: RecordsRead,
  story: Story,
  context: RunContext,
): Promise<Delivery & { deploymentId: number; entry: TimelineEntry }> {
  let target = read.target;
  let created = '';
  if (!target) {
    target = await records.create(context.sha, {
      environment: story.environment,
      payload: buildPayload(context, { version: story.version, strategy: 'external' }),
      description: `${story.version} (recorded by notify)`,
    });
    created = `created deployment ${target.id} (none of this run existed), `;
  }
  const mapped = deploymentStateFor(story.status, story.rolledBackTo);
  const description = story.status === 'cancelled' || story.status === 'rolled_back' ? mapped.description : headline(story);
  const status = await records.addStatus(target.id, {
    state: mapped.state,
    description,
    environmentUrl: story.environmentUrl,
    logUrl: context.runUrl,
  });
  return {
    detail: `${created}added "${mapped.state}" to deployment ${target.id}`,
    deploymentId: target.id,
    entry: { state: status.state, description: status.description, at: status.createdAt },
  };
}

/** A value deep in an event payload, whose shape depends on the event. */
function valueAt(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  return current;
}

function numberAt(value: unknown, ...path: string[]): number | undefined {
  const found = valueAt(value, path);
  return typeof found === 'number' ? found : undefined;
}

function stringAt(value: unknown, ...path: string[]): string | undefined {
  const found = valueAt(value, path);
  return typeof found === 'string' && found !== '' ? found : undefined;
}

/** The PR number from the triggering event, when the event is about a pull request. */
export function pullRequestFromEvent(event: Record<string, unknown>): number | undefined {
  return numberAt(event, 'pull_request', 'number') ?? (event['issue'] && stringAt(event, 'issue', 'pull_request', 'url') ? numberAt(event, 'issue', 'number') : undefined);
}

/** The pull request a pushed commit belongs to (an open one first). */
export async function pullRequestForCommit(client: GitHubClient, context: RunContext): Promise<number | undefined> {
  try {
    const response = await client.rest.repos.listPullRequestsAssociatedWithCommit({ owner: context.owner, repo: context.repo, commit_sha: context.sha });
    const pulls = response.data;
    return (pulls.find((pull) => pull.state === 'open') ?? pulls[0])?.number;
  } catch (error) {
    throw explainGitHubError(error, `finding the pull request of ${context.sha.slice(0, 7)}`);
  }
}

/** The commit author's login: from the event when it says, else from the commit. */
export async function commitAuthor(client: GitHubClient | undefined, context: RunContext): Promise<string | undefined> {
  const fromEvent = stringAt(context.event, 'head_commit', 'author', 'username') ?? stringAt(context.event, 'pull_request', 'user', 'login');
  if (fromEvent) return fromEvent;
  if (client && context.sha) {
    try {
      const response = await client.rest.repos.getCommit({ owner: context.owner, repo: context.repo, ref: context.sha });
      const login = response.data.author?.login;
      if (login) return login;
    } catch {
      // No contents: read, or the commit is unknown: fall back to whoever started the run.
    }
  }
  return context.actor || undefined;
}

/** Creates or edits this environment's comment on the PR, found by its hidden marker. */
export async function upsertPullRequestComment(client: GitHubClient, context: RunContext, prNumber: number, story: Story): Promise<Delivery> {
  const marker = commentMarker(story.environment);
  const body = renderPullRequestComment(story);
  const where = { owner: context.owner, repo: context.repo };
  try {
    for await (const page of client.paginate.iterator(client.rest.issues.listComments, { ...where, issue_number: prNumber, per_page: 100 })) {
      const mine = page.data.find((comment) => comment.body?.includes(marker));
      if (mine) {
        await client.rest.issues.updateComment({ ...where, comment_id: mine.id, body });
        return { detail: `updated comment ${mine.id} on #${prNumber}`, outputs: { 'comment-id': String(mine.id) } };
      }
    }
    const created = await client.rest.issues.createComment({ ...where, issue_number: prNumber, body });
    return { detail: `created comment ${created.data.id} on #${prNumber}`, outputs: { 'comment-id': String(created.data.id) } };
  } catch (error) {
    throw explainGitHubError(error, `writing the comment on pull request #${prNumber}`);
  }
}
