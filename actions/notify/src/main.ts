import * as core from '@actions/core';
import { readRunContext, type RunContext } from '../../../shared/context.ts';
import { DeploymentRecords } from '../../../shared/deployments.ts';
import { errorMessage, runAction, UserError } from '../../../shared/errors.ts';
import { createGitHubClient, type GitHubClient } from '../../../shared/github.ts';
import { sendWithRetry, type HttpRequest } from '../../../shared/http.ts';
import { appendSummary, escapeCell, table } from '../../../shared/markdown.ts';
import { redact } from '../../../shared/secrets.ts';
import { ChannelError, sendDiscord, sendSlack, sendSlackMessage, sendTeams, sendWebhook, type Delivery, type Send } from './chat-channels.ts';
import {
  commitAuthor,
  pullRequestForCommit,
  pullRequestFromEvent,
  readRecords,
  upsertPullRequestComment,
  writeDeploymentStatus,
  type RecordsRead,
} from './github-channels.ts';
import { readConfig, readReportConfig, wantsReport, type Channel, type NotifyConfig, type ReportConfig } from './inputs.ts';
import { renderMarkdown } from './render/markdown.ts';
import { renderSlackReport } from './render/slack.ts';
import { buildStory, type Story } from './story.ts';

export const OUTPUTS = ['slack-ts', 'slack-channel-id', 'discord-message-id', 'comment-id', 'deployment-id', 'channels-sent', 'channels-failed'] as const;
type Output = (typeof OUTPUTS)[number];

interface ChannelResult {
  channel: Channel;
  state: 'sent' | 'failed' | 'skipped';
  detail: string;
}

/** Message references pass through when nothing new was posted, so a later job can still edit. */
function passThroughOutputs(config: NotifyConfig): Partial<Record<Output, string>> {
  return {
    'slack-ts': config.slack?.ts ?? '',
    'slack-channel-id': config.slack?.ts ? (config.slack.channel ?? '') : '',
    'discord-message-id': config.discord?.messageId ?? '',
    'deployment-id': config.deploymentId ? String(config.deploymentId) : '',
  };
}

/** A channel's failure as one safe line; a bug (not a refusal we understood) keeps its stack in debug. */
function readableError(error: unknown, secrets: readonly string[]): string {
  if (!(error instanceof UserError || error instanceof ChannelError) && error instanceof Error && error.stack) {
    core.debug(redact(error.stack, secrets));
  }
  return redact(errorMessage(error), secrets);
}

async function attempt(channel: Channel, results: ChannelResult[], secrets: readonly string[], work: () => Promise<Delivery | undefined>) {
  try {
    const delivery = await work();
    if (!delivery) return undefined;
    for (const warning of delivery.warnings ?? []) core.warning(`${channel}: ${warning}`);
    results.push({ channel, state: 'sent', detail: delivery.detail });
    core.info(`✓ ${channel}: ${delivery.detail}`);
    return delivery;
  } catch (error) {
    const detail = readableError(error, secrets);
    results.push({ channel, state: 'failed', detail });
    core.info(`✗ ${channel}: ${detail}`);
    return undefined;
  }
}

function deliveryTable(results: readonly ChannelResult[]): string {
  const mark = { sent: '✅ sent', failed: '❌ failed', skipped: '⏭️ skipped' };
  return table(['Channel', 'Result', 'Detail'], results.map((result) => [result.channel, mark[result.state], escapeCell(result.detail)]));
}

export async function notify(config: NotifyConfig, context: RunContext): Promise<{ results: ChannelResult[]; outputs: Partial<Record<Output, string>> }> {
  const outputs = passThroughOutputs(config);
  const results: ChannelResult[] = [];
  const chosen = (channel: Channel) => config.channels.includes(channel);
  const secrets = config.secrets;
  const client: GitHubClient | undefined = config.githubToken ? createGitHubClient(config.githubToken, { apiUrl: context.apiUrl }) : undefined;
  const records = client ? new DeploymentRecords(client, context) : undefined;

  let read: RecordsRead = { target: undefined, facts: { timeline: [] } };
  let recordsError: string | undefined;
  if (records) {
    try {
      read = await readRecords(records, config, context);
    } catch (error) {
      recordsError = readableError(error, secrets);
      core.info(`Deployment records not read, the story is told from the inputs: ${recordsError}`);
    }
  }

  const author = config.mention.includes('author') && config.mentionOn.includes(config.status) ? await commitAuthor(client, context) : undefined;
  let prNumber = config.prNumber ?? pullRequestFromEvent(context.event);
  let prLookupError: string | undefined;
  if (prNumber === undefined && chosen('pr-comment') && client) {
    try {
      prNumber = await pullRequestForCommit(client, context);
    } catch (error) {
      prLookupError = readableError(error, secrets);
    }
  }
  const pullRequest = prNumber ? { number: prNumber, url: `${context.repositoryUrl}/pull/${prNumber}` } : undefined;
  const story: Story = buildStory(config, context, read.facts, { authorLogin: author, pullRequest, now: new Date() });

  if (chosen('deployment') && records) {
    await attempt('deployment', results, secrets, async () => {
      if (recordsError && config.deploymentId) throw new UserError(recordsError);
      const written = await writeDeploymentStatus(records, read, story, context);
      outputs['deployment-id'] = String(written.deploymentId);
      story.deploymentId = written.deploymentId;
      story.timeline.push(written.entry);
      return written;
    });
  } else if (read.target) {
    outputs['deployment-id'] = String(read.target.id);
  }

  const deadline = Date.now() + config.timeoutMs;
  const sendFor =
    (channel: Channel): Send =>
    (request: HttpRequest) =>
      sendWithRetry(request, { deadline }, {
        onRetry: (notice) =>
          core.info(`${channel}: ${redact(notice.reason, secrets)}; retrying in ${(notice.delayMs / 1000).toFixed(1)}s (attempt ${notice.attempt + 1} of ${notice.maxAttempts})`),
      });

  const deliveries: Array<Promise<unknown>> = [];
  if (chosen('pr-comment') && client) {
    deliveries.push(
      attempt('pr-comment', results, secrets, async () => {
        if (prNumber === undefined) {
          if (prLookupError) throw new UserError(prLookupError);
          results.push({ channel: 'pr-comment', state: 'skipped', detail: `no pull request for ${context.sha.slice(0, 7)} (set pr-number to choose one)` });
          return undefined;
        }
        const delivery = await upsertPullRequestComment(client, context, prNumber, story);
        Object.assign(outputs, delivery.outputs);
        return delivery;
      }),
    );
  }
  const { slack, teamsWebhookUrl, discord, webhook } = config;
  const chat: Array<[Channel, (() => Promise<Delivery>) | undefined]> = [
    ['slack', slack && (() => sendSlack(story, slack, sendFor('slack')))],
    ['teams', teamsWebhookUrl && (() => sendTeams(story, teamsWebhookUrl, sendFor('teams')))],
    ['discord', discord && (() => sendDiscord(story, discord, sendFor('discord')))],
    ['webhook', webhook && (() => sendWebhook(story, webhook, sendFor('webhook')))],
  ];
  for (const [channel, send] of chat) {
    if (!chosen(channel) || !send) continue;
    deliveries.push(
      attempt(channel, results, secrets, async () => {
        const delivery = await send();
        Object.assign(outputs, delivery.outputs);
        return delivery;
      }),
    );
  }
  await Promise.all(deliveries);

  if (chosen('summary')) {
    await attempt('summary', results, secrets, async () => {
      const others = results.filter((result) => result.channel !== 'summary');
      const markdown = [renderMarkdown(story), others.length > 0 ? deliveryTable(others) : ''].filter(Boolean).join('\n\n');
      if (!appendSummary(redact(markdown, secrets))) return { detail: 'no GITHUB_STEP_SUMMARY (not on a runner): nothing written' };
      return { detail: 'written to the job summary' };
    });
  }

  const order = config.channels;
  results.sort((a, b) => order.indexOf(a.channel) - order.indexOf(b.channel));
  outputs['channels-sent'] = results.filter((result) => result.state === 'sent').map((result) => result.channel).join(',');
  outputs['channels-failed'] = results.filter((result) => result.state === 'failed').map((result) => result.channel).join(',');
  return { results, outputs };
}

/** A report (the user's Markdown, e.g. dora-metrics' digest) to the summary and Slack: no story, no record. */
export async function notifyReport(config: ReportConfig, context: RunContext): Promise<{ results: ChannelResult[]; outputs: Partial<Record<Output, string>> }> {
  const results: ChannelResult[] = [];
  const outputs: Partial<Record<Output, string>> = {};
  const secrets = config.secrets;
  const markdown = redact(config.markdown, secrets);
  const deadline = Date.now() + config.timeoutMs;
  const slack = config.slack;
  if (config.channels.includes('slack') && slack) {
    await attempt('slack', results, secrets, async () => {
      const delivery = await sendSlackMessage(renderSlackReport(markdown, context.runUrl), slack, (request) => sendWithRetry(request, { deadline }));
      Object.assign(outputs, delivery.outputs);
      return delivery;
    });
  }
  if (config.channels.includes('summary')) {
    await attempt('summary', results, secrets, async () => {
      if (!appendSummary(markdown)) return { detail: 'no GITHUB_STEP_SUMMARY (not on a runner): nothing written' };
      return { detail: 'written to the job summary' };
    });
  }
  outputs['channels-sent'] = results.filter((result) => result.state === 'sent').map((result) => result.channel).join(',');
  outputs['channels-failed'] = results.filter((result) => result.state === 'failed').map((result) => result.channel).join(',');
  return { results, outputs };
}

function reportFailures(results: readonly ChannelResult[], failOnError: boolean): void {
  const failed = results.filter((result) => result.state === 'failed');
  if (failed.length === 0) return;
  const list = failed.map((result) => `${result.channel} (${result.detail})`).join('; ');
  if (failOnError) throw new UserError(`${failed.length} of ${results.length} channels failed: ${list}`);
  for (const result of failed) core.warning(`notify: ${result.channel} failed: ${result.detail}`);
}

export async function run(): Promise<void> {
  await runAction('notify', async () => {
    if (wantsReport()) {
      const { config, inputs } = readReportConfig();
      inputs.maskSecrets();
      const { results, outputs } = await notifyReport(config, readRunContext());
      for (const name of OUTPUTS) core.setOutput(name, outputs[name] ?? '');
      reportFailures(results, config.failOnError);
      return;
    }
    const { config, inputs } = readConfig();
    inputs.maskSecrets();
    const context = readRunContext();
    for (const warning of config.warnings) core.warning(warning);

    if (!config.onlyOn.includes(config.status)) {
      core.info(`Status ${config.status} is not in only-on (${config.onlyOn.join(', ')}): nothing sent.`);
      for (const [name, value] of Object.entries({ ...passThroughOutputs(config), 'channels-sent': '', 'channels-failed': '' })) core.setOutput(name, value);
      return;
    }

    const { results, outputs } = await notify(config, context);
    for (const name of OUTPUTS) core.setOutput(name, outputs[name] ?? '');
    reportFailures(results, config.failOnError);
  });
}
