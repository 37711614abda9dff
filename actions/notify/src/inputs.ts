import { InputError } from '../../../shared/errors.ts';
import { Inputs, runnerInputs, type InputSource } from '../../../shared/inputs.ts';
import { NOTIFY_STATUSES, type NotifyStatus } from '../../../shared/deployments.ts';

export const CHANNELS = ['summary', 'deployment', 'pr-comment', 'slack', 'teams', 'discord', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Inputs that carry credentials: masked at start, never echoed, redacted from everything sent. */
export const SECRET_INPUTS = [
  'github-token',
  'slack-webhook-url',
  'slack-bot-token',
  'teams-webhook-url',
  'discord-webhook-url',
  'webhook-url',
  'webhook-secret',
] as const;

/** Chat identities of one GitHub user, so a mention reaches a person (a bare @login notifies nobody there). */
export interface ChatIdentity {
  slack?: string;
  discord?: string;
  teams?: string;
}

export interface SlackConfig {
  webhookUrl?: URL;
  botToken?: string;
  channel?: string;
  ts?: string;
  apiUrl: URL;
}

export interface NotifyConfig {
  status: NotifyStatus;
  environment: string;
  version?: string;
  /** As the user wrote it (validated as a URL). */
  environmentUrl?: string;
  message?: string;
  channels: Channel[];
  onlyOn: NotifyStatus[];
  /** GitHub logins, or "author" for the commit's author. */
  mention: string[];
  mentionOn: NotifyStatus[];
  mentionMap: Record<string, ChatIdentity>;
  githubToken?: string;
  deploymentId?: number;
  prNumber?: number;
  slack?: SlackConfig;
  teamsWebhookUrl?: URL;
  discord?: { webhookUrl: URL; messageId?: string | undefined };
  webhook?: { url: URL; secret: string };
  timeoutMs: number;
  failOnError: boolean;
  /** Every credential value, for redaction. */
  secrets: string[];
  /** Things worth a warning that are not errors (a credential given for a channel not chosen). */
  warnings: string[];
}

const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\[bot\])?$/;
const SLACK_MEMBER = /^(?:[UW][A-Z0-9]{2,}|S[A-Z0-9]{2,})$/;
const DISCORD_SNOWFLAKE = /^\d{15,21}$/;
const TEAMS_ID = /^(?:[^@\s]+@[^@\s]+\.[^@\s]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const SLACK_TS = /^\d+\.\d+$/;
const SLACK_TOKEN = /^xox[bp]-[A-Za-z0-9-]+$/;
/** Discord's webhook URLs: /api[/v10]/webhooks/<id>/<token>; editing needs both parts. */
export const DISCORD_WEBHOOK_PATH = /^\/api(?:\/v\d+)?\/webhooks\/(\d+)\/([A-Za-z0-9_-]+)\/?$/;

function parseMentionMap(inputs: Inputs): Record<string, ChatIdentity> {
  const name = 'mention-map';
  const raw = inputs.yaml(name);
  if (raw === undefined || raw === null) return {};
  const shape = 'a mapping of GitHub login to { slack: U…, discord: <user id>, teams: <UPN or AAD id> }';
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InputError(name, `must be ${shape}`);
  const map: Record<string, ChatIdentity> = {};
  for (const [login, identity] of Object.entries(raw as Record<string, unknown>)) {
    const cleanLogin = login.replace(/^@/, '');
    if (!GITHUB_LOGIN.test(cleanLogin)) throw new InputError(name, `key ${JSON.stringify(login)} is not a GitHub login; expected ${shape}`);
    if (identity === null || typeof identity !== 'object' || Array.isArray(identity)) {
      throw new InputError(name, `entry for ${JSON.stringify(login)} must be a mapping with slack, discord and/or teams`);
    }
    const entry: ChatIdentity = {};
    for (const [service, id] of Object.entries(identity as Record<string, unknown>)) {
      const value = typeof id === 'number' ? String(id) : id;
      const checks: Record<string, [RegExp, string]> = {
        slack: [SLACK_MEMBER, 'a Slack member id (U…/W…) or user group id (S…)'],
        discord: [DISCORD_SNOWFLAKE, 'a Discord user id (digits; write it quoted, it exceeds JavaScript number precision)'],
        teams: [TEAMS_ID, 'a Microsoft Entra user principal name (email) or object id (GUID)'],
      };
      const check = checks[service];
      if (!check) throw new InputError(name, `entry for ${JSON.stringify(login)} has unknown key ${JSON.stringify(service)}; expected slack, discord or teams`);
      if (typeof value !== 'string' || !check[0].test(value)) {
        throw new InputError(name, `${service} id for ${JSON.stringify(login)} is ${JSON.stringify(value)}; expected ${check[1]}`);
      }
      entry[service as keyof ChatIdentity] = value;
    }
    map[cleanLogin.toLowerCase()] = entry;
  }
  return map;
}

/** GitHub logins to mention; "author" is the commit's author, "none" turns mentions off. */
function readMention(inputs: Inputs): string[] {
  const items = inputs.list('mention').map((login) => login.replace(/^@/, ''));
  if (items.length === 0) return ['author'];
  if (items.length === 1 && items[0]?.toLowerCase() === 'none') return [];
  for (const login of items) {
    if (login !== 'author' && !GITHUB_LOGIN.test(login)) inputs.fail('mention', login, 'GitHub logins, "author" for the commit author, or "none"');
  }
  return [...new Set(items)];
}

export function parseSlack(inputs: Inputs, chosen: boolean): SlackConfig | undefined {
  const webhookUrl = inputs.url('slack-webhook-url');
  const botToken = inputs.string('slack-bot-token');
  const channel = inputs.string('slack-channel');
  const ts = inputs.string('slack-ts');
  const apiUrl = inputs.url('slack-api-url') ?? new URL('https://slack.com/api');
  if (botToken !== undefined && !SLACK_TOKEN.test(botToken)) inputs.fail('slack-bot-token', botToken, 'a Slack bot or user token (xoxb-… or xoxp-…)');
  if (ts !== undefined && !SLACK_TS.test(ts)) inputs.fail('slack-ts', ts, 'a Slack message timestamp such as 1712345678.123456 (the slack-ts output of an earlier notify step)');
  if (!chosen) return undefined;
  if (webhookUrl && botToken) {
    throw new InputError('slack-bot-token', 'give either slack-webhook-url or slack-bot-token with slack-channel, not both');
  }
  if (!webhookUrl && !botToken) {
    throw new InputError('slack-webhook-url', 'is required when channels include slack (or give slack-bot-token and slack-channel)');
  }
  if (botToken && !channel) throw new InputError('slack-channel', 'is required with slack-bot-token');
  if (ts && !botToken) {
    throw new InputError('slack-ts', 'editing a Slack message needs slack-bot-token: an incoming webhook can only post');
  }
  if (ts && channel && !SLACK_CHANNEL_ID.test(channel)) {
    inputs.fail('slack-channel', channel, 'a channel id (C…, G… or D…) when slack-ts is given: chat.update refuses channel names; use the slack-channel-id output of the step that posted');
  }
  return { ...(webhookUrl ? { webhookUrl } : {}), ...(botToken ? { botToken } : {}), ...(channel ? { channel } : {}), ...(ts ? { ts } : {}), apiUrl };
}

/** Reads and validates every input; throws InputError before anything is sent. */
export function readConfig(source: InputSource = runnerInputs): { config: NotifyConfig; inputs: Inputs } {
  const inputs = new Inputs(source, { secret: SECRET_INPUTS });
  const warnings: string[] = [];
  const status = inputs.choice('status', NOTIFY_STATUSES);
  const environment = inputs.required('environment');
  const channels = inputs.choices('channels', CHANNELS, ['summary']);
  const chosen = (channel: Channel) => channels.includes(channel);

  const mention = readMention(inputs);

  const githubToken = inputs.string('github-token');
  if ((chosen('deployment') || chosen('pr-comment')) && !githubToken) {
    throw new InputError('github-token', 'is required for the deployment and pr-comment channels (the default is the job token: github.token)');
  }

  const slack = parseSlack(inputs, chosen('slack'));

  const teamsWebhookUrl = inputs.url('teams-webhook-url');
  if (chosen('teams') && !teamsWebhookUrl) throw new InputError('teams-webhook-url', 'is required when channels include teams');

  const discordWebhookUrl = inputs.url('discord-webhook-url');
  const discordMessageId = inputs.string('discord-message-id');
  if (discordWebhookUrl && !DISCORD_WEBHOOK_PATH.test(discordWebhookUrl.pathname)) {
    inputs.fail('discord-webhook-url', discordWebhookUrl.href, 'a Discord webhook URL of the form https://discord.com/api/webhooks/<id>/<token>');
  }
  if (discordMessageId !== undefined && !DISCORD_SNOWFLAKE.test(discordMessageId)) {
    inputs.fail('discord-message-id', discordMessageId, 'a Discord message id (digits; the discord-message-id output of an earlier notify step)');
  }
  if (chosen('discord') && !discordWebhookUrl) throw new InputError('discord-webhook-url', 'is required when channels include discord');

  const webhookUrl = inputs.url('webhook-url');
  const webhookSecret = inputs.string('webhook-secret');
  if (chosen('webhook')) {
    if (!webhookUrl) throw new InputError('webhook-url', 'is required when channels include webhook');
    if (!webhookSecret) throw new InputError('webhook-secret', 'is required when channels include webhook: every delivery is signed (X-Signature-256)');
    if (webhookSecret.length < 16) throw new InputError('webhook-secret', 'is too short to sign with: use at least 16 characters');
  }

  const given: Array<[Channel, string, boolean]> = [
    ['slack', 'slack-webhook-url or slack-bot-token', Boolean(inputs.isSet('slack-webhook-url') || inputs.isSet('slack-bot-token'))],
    ['teams', 'teams-webhook-url', Boolean(teamsWebhookUrl)],
    ['discord', 'discord-webhook-url', Boolean(discordWebhookUrl)],
    ['webhook', 'webhook-url', Boolean(webhookUrl)],
  ];
  for (const [channel, input, isGiven] of given) {
    if (isGiven && !chosen(channel)) warnings.push(`${input} is set but channels does not include ${channel}: nothing is sent there`);
  }

  return {
    inputs,
    config: {
      status,
      environment,
      version: inputs.string('version'),
      environmentUrl: inputs.urlAsWritten('environment-url'),
      message: inputs.string('message'),
      channels,
      onlyOn: inputs.choices('only-on', NOTIFY_STATUSES, NOTIFY_STATUSES),
      mention,
      mentionOn: inputs.choices('mention-on', NOTIFY_STATUSES, ['failure', 'rolled_back']),
      mentionMap: parseMentionMap(inputs),
      githubToken,
      deploymentId: inputs.integer('deployment-id', { min: 1 }),
      prNumber: inputs.integer('pr-number', { min: 1 }),
      slack,
      teamsWebhookUrl: chosen('teams') ? teamsWebhookUrl : undefined,
      discord: chosen('discord') && discordWebhookUrl ? { webhookUrl: discordWebhookUrl, messageId: discordMessageId } : undefined,
      webhook: chosen('webhook') && webhookUrl && webhookSecret ? { url: webhookUrl, secret: webhookSecret } : undefined,
      timeoutMs: inputs.duration('timeout', '60s', { min: 1000, max: 15 * 60_000 }),
      failOnError: inputs.boolean('fail-on-error', false),
      secrets: SECRET_INPUTS.map((name) => source.get(name)).filter((value) => value !== ''),
      warnings,
    },
  };
}

/** The channels a report can go to: it is not a deployment story, so no record and no PR comment. */
export const REPORT_CHANNELS = ['summary', 'slack'] as const;
export type ReportChannel = (typeof REPORT_CHANNELS)[number];

/** notify with `report`: Markdown posted as it is (a weekly summary), instead of a deployment story. */
export interface ReportConfig {
  markdown: string;
  channels: ReportChannel[];
  slack?: SlackConfig;
  timeoutMs: number;
  failOnError: boolean;
  secrets: string[];
}

/** Whether the step posts a report rather than a deployment story. */
export function wantsReport(source: InputSource = runnerInputs): boolean {
  return source.get('report') !== '';
}

export function readReportConfig(source: InputSource = runnerInputs): { config: ReportConfig; inputs: Inputs } {
  const inputs = new Inputs(source, { secret: SECRET_INPUTS });
  const markdown = inputs.required('report');
  for (const name of ['status', 'environment'] as const) {
    if (inputs.isSet(name)) throw new InputError(name, 'is not used with report: a report is not about one deployment (leave it out, or drop report to tell a deployment story)');
  }
  const requested = inputs.list('channels');
  for (const channel of requested) {
    if (!(REPORT_CHANNELS as readonly string[]).includes(channel.toLowerCase())) {
      throw new InputError('channels', `${JSON.stringify(channel)} cannot take a report; with report, channels may be ${REPORT_CHANNELS.join(' and ')}`);
    }
  }
  const channels = inputs.choices('channels', REPORT_CHANNELS, ['summary']);
  const slack = parseSlack(inputs, channels.includes('slack'));
  if (slack?.ts) throw new InputError('slack-ts', 'is not used with report: each report is a new message');
  return {
    inputs,
    config: {
      markdown,
      channels,
      ...(slack ? { slack } : {}),
      timeoutMs: inputs.duration('timeout', '60s', { min: 1000, max: 15 * 60_000 }),
      failOnError: inputs.boolean('fail-on-error', false),
      secrets: SECRET_INPUTS.map((name) => source.get(name)).filter((value) => value !== ''),
    },
  };
}
