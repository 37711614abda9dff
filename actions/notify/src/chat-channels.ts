import { randomUUID } from 'node:crypto';
import { parseJson, statusLine, type HttpRequest, type HttpResponse } from '../../../shared/http.ts';
import { DISCORD_WEBHOOK_PATH, type NotifyConfig, type SlackConfig } from './inputs.ts';
import { renderDiscord } from './render/discord.ts';
import { renderSlack, type SlackMessage } from './render/slack.ts';
import { renderTeams } from './render/teams.ts';
import { renderWebhookBody, signature } from './render/webhook.ts';
import type { Story } from './story.ts';

/**
 * Delivery to Slack, Teams, Discord and signed webhooks. Each function sends one story to one
 * service through `send` (retries and the time budget live there) and returns what it did, or
 * throws a ChannelError whose message is safe to print: no URL, no token.
 */

export type Send = (request: HttpRequest) => Promise<HttpResponse>;

export interface Delivery {
  detail: string;
  outputs?: Record<string, string>;
  warnings?: string[];
}

export class ChannelError extends Error {
  override name = 'ChannelError';
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

const SLACK_ERROR_HINTS: Record<string, string> = {
  invalid_auth: 'the bot token is invalid',
  not_authed: 'no bot token reached Slack',
  token_revoked: 'the bot token was revoked',
  account_inactive: 'the bot token belongs to a deactivated app or user',
  missing_scope: 'the token lacks the chat:write scope',
  not_in_channel: 'the app is not in the channel: invite it (/invite @your-app)',
  channel_not_found: 'no such channel is visible to this token (give its id, or invite the app)',
  is_archived: 'the channel is archived',
  msg_too_long: 'the message is too long',
  invalid_blocks: 'Slack refused the blocks',
  cant_update_message: 'only the app that posted a message can edit it',
  edit_window_closed: 'the workspace no longer allows editing this message',
};

interface SlackApiAnswer {
  ok: boolean;
  error?: string;
  ts?: string;
  channel?: string;
}

async function callSlack(send: Send, slack: SlackConfig, method: string, body: Record<string, unknown>): Promise<SlackApiAnswer> {
  const base = slack.apiUrl.href.replace(/\/+$/, '');
  const response = await send({
    method: 'POST',
    url: `${base}/${method}`,
    headers: { ...JSON_HEADERS, authorization: `Bearer ${slack.botToken}` },
    body: JSON.stringify(body),
  });
  const answer = parseJson<SlackApiAnswer>(response);
  if (response.status !== 200 || !answer) throw new ChannelError(`Slack ${method} answered ${statusLine(response)}`);
  return answer;
}

function slackFailure(method: string, error: string | undefined): ChannelError {
  const hint = error ? SLACK_ERROR_HINTS[error] : undefined;
  return new ChannelError(`Slack ${method} refused: ${error ?? 'unknown error'}${hint ? ` (${hint})` : ''}`);
}

export async function sendSlack(story: Story, slack: SlackConfig, send: Send): Promise<Delivery> {
  return sendSlackMessage(renderSlack(story), slack, send);
}

/** Posts (or, with a ts, edits) one rendered message through the webhook or the bot token. */
export async function sendSlackMessage(message: SlackMessage, slack: SlackConfig, send: Send): Promise<Delivery> {
  if (slack.webhookUrl) {
    const response = await send({ method: 'POST', url: slack.webhookUrl, headers: JSON_HEADERS, body: JSON.stringify(message) });
    if (response.status !== 200) throw new ChannelError(`Slack incoming webhook answered ${statusLine(response)}`);
    return { detail: 'posted through the incoming webhook (webhooks cannot edit: each status is a new message)' };
  }
  const warnings: string[] = [];
  if (slack.ts) {
    const updated = await callSlack(send, slack, 'chat.update', { channel: slack.channel, ts: slack.ts, ...message });
    if (updated.ok) {
      return { detail: `updated message ${slack.ts}`, outputs: { 'slack-ts': slack.ts, 'slack-channel-id': updated.channel ?? slack.channel ?? '' } };
    }
    if (updated.error !== 'message_not_found') throw slackFailure('chat.update', updated.error);
    warnings.push(`Slack message ${slack.ts} no longer exists; posting a new one`);
  }
  const posted = await callSlack(send, slack, 'chat.postMessage', { channel: slack.channel, ...message, unfurl_links: false, unfurl_media: false });
  if (!posted.ok || !posted.ts) throw slackFailure('chat.postMessage', posted.error);
  return { detail: `posted message ${posted.ts}`, outputs: { 'slack-ts': posted.ts, 'slack-channel-id': posted.channel ?? '' }, warnings };
}

export async function sendTeams(story: Story, webhookUrl: URL, send: Send): Promise<Delivery> {
  const response = await send({ method: 'POST', url: webhookUrl, headers: JSON_HEADERS, body: JSON.stringify(renderTeams(story)) });
  if (response.status < 200 || response.status >= 300) throw new ChannelError(`Teams webhook answered ${statusLine(response)}`);
  return { detail: 'posted an Adaptive Card (Teams webhooks cannot edit: each status is a new card)' };
}

const DISCORD_ERROR_HINTS: Record<number, string> = {
  10015: 'the webhook was deleted',
  50027: 'the webhook token is invalid',
  50035: 'Discord refused the message body',
};

function discordFailure(doing: string, response: HttpResponse): ChannelError {
  const code = parseJson<{ code?: number }>(response)?.code;
  const hint = code === undefined ? undefined : DISCORD_ERROR_HINTS[code];
  return new ChannelError(`Discord ${doing} answered ${statusLine(response)}${hint ? ` (${hint})` : ''}`);
}

/** The webhook URL with one more path part and its query (thread_id) kept. */
function discordUrl(webhookUrl: URL, extraPath: string, params: Record<string, string>): URL {
  const url = new URL(webhookUrl.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${extraPath}`;
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url;
}

export async function sendDiscord(story: Story, discord: NonNullable<NotifyConfig['discord']>, send: Send): Promise<Delivery> {
  if (!DISCORD_WEBHOOK_PATH.test(discord.webhookUrl.pathname)) throw new ChannelError('the Discord webhook URL has no id/token path');
  const body = JSON.stringify(renderDiscord(story));
  const warnings: string[] = [];
  if (discord.messageId) {
    const url = discordUrl(discord.webhookUrl, `/messages/${discord.messageId}`, {});
    const response = await send({ method: 'PATCH', url, headers: JSON_HEADERS, body });
    if (response.status === 200) {
      return { detail: `edited message ${discord.messageId}`, outputs: { 'discord-message-id': discord.messageId } };
    }
    if (response.status !== 404 || parseJson<{ code?: number }>(response)?.code !== 10008) throw discordFailure('edit', response);
    warnings.push(`Discord message ${discord.messageId} no longer exists; posting a new one`);
  }
  const response = await send({ method: 'POST', url: discordUrl(discord.webhookUrl, '', { wait: 'true' }), headers: JSON_HEADERS, body });
  const created = parseJson<{ id?: string }>(response);
  if (response.status !== 200 || !created?.id) throw discordFailure('post', response);
  return { detail: `posted message ${created.id}`, outputs: { 'discord-message-id': created.id }, warnings };
}

export async function sendWebhook(story: Story, webhook: NonNullable<NotifyConfig['webhook']>, send: Send): Promise<Delivery> {
  const body = renderWebhookBody(story);
  const delivery = randomUUID();
  const response = await send({
    method: 'POST',
    url: webhook.url,
    headers: {
      ...JSON_HEADERS,
      'x-signature-256': signature(body, webhook.secret),
      'x-deploy-actions-event': 'deployment',
      'x-deploy-actions-delivery': delivery,
    },
    body,
  });
  if (response.status < 200 || response.status >= 300) throw new ChannelError(`webhook answered ${statusLine(response)}`);
  return { detail: `delivered ${delivery} (HTTP ${response.status})` };
}
