import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { secretVariants } from '../../shared/secrets.ts';
import { DiscordDouble, SlackDouble, TeamsDouble, WebhookReceiver } from '../doubles/chat.ts';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { ActionHarness, type RunOptions, type StepResult } from '../harness/run-action.ts';

/**
 * notify through its bundle, in a child process, as the runner runs it, against local receivers
 * for every channel. Each test ends by checking that no receiver saw anything the real service
 * would refuse.
 */

const harness = new ActionHarness();
afterAll(() => harness.cleanup());

const SHA = 'a'.repeat(40);
let github: GitHubDouble;
let slack: SlackDouble;
let teams: TeamsDouble;
let discord: DiscordDouble;
let webhook: WebhookReceiver;

beforeEach(async () => {
  [github, slack, teams, discord, webhook] = await Promise.all([
    new GitHubDouble().start(),
    new SlackDouble().start(),
    new TeamsDouble().start(),
    new DiscordDouble().start(),
    new WebhookReceiver().start(),
  ]);
  github.addPullRequest({ number: 12, headSha: SHA });
});

afterEach(async () => {
  const doubles = [github, slack, teams, discord, webhook];
  await Promise.all(doubles.map((double) => double.stop()));
  for (const double of doubles) expect(double.violations).toEqual([]);
  expect(github.rejected).toEqual([]);
});

function everyChannel(): Record<string, string> {
  return {
    channels: 'summary, deployment, pr-comment, slack, teams, discord, webhook',
    'slack-bot-token': slack.botToken,
    'slack-channel': '#deploys',
    'slack-api-url': slack.apiUrl,
    'teams-webhook-url': teams.webhookUrl,
    'discord-webhook-url': discord.webhookUrl,
    'webhook-url': webhook.webhookUrl,
    'webhook-secret': webhook.secret,
  };
}

async function notify(inputs: Record<string, string>, options: Omit<RunOptions, 'inputs'> = {}): Promise<StepResult> {
  const { main } = await harness.run('notify', {
    inputs: { environment: 'production', version: 'v2.0.0', ...inputs },
    github: { apiUrl: github.apiUrl, token: DEFAULT_TOKEN, sha: SHA },
    event: { name: 'push', payload: { head_commit: { id: SHA, author: { username: 'alice' } } } },
    ...options,
  });
  return main;
}

function reachedNothing(): boolean {
  return [github, slack, teams, discord, webhook].every((double) => double.requests.length === 0);
}

test('the bundle runs on Node 24, as action.yml declares', () => {
  expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
});

describe('every channel in one run', () => {
  test('each receiver gets a valid message and the outputs say so', async () => {
    const result = await notify({ status: 'in_progress', 'environment-url': 'https://app.example.com', ...everyChannel() });
    expect(result.exitCode).toBe(0);
    expect(result.outputs['channels-sent']).toBe('summary,deployment,pr-comment,slack,teams,discord,webhook');
    expect(result.outputs['channels-failed']).toBe('');

    const [deployment] = github.deployments;
    expect(result.outputs['deployment-id']).toBe(String(deployment?.id));
    expect(deployment?.payload).toMatchObject({ deployActions: 1, version: 'v2.0.0', strategy: 'external', runId: 4242, sha: SHA });
    expect(deployment?.statuses.map((status) => [status.state, status.logUrl])).toEqual([['in_progress', 'https://github.com/acme/app/actions/runs/4242']]);

    const [comment] = github.comments;
    expect(result.outputs['comment-id']).toBe(String(comment?.id));
    expect(comment?.body).toContain('<!-- deploy-actions:notify environment=production -->');
    expect(comment?.body).toContain('Deploying v2.0.0 to production');

    const message = slack.messages.get(result.outputs['slack-ts'] ?? '');
    expect(message?.channel).toBe('C0DEPLOYS1');
    expect(result.outputs['slack-channel-id']).toBe('C0DEPLOYS1');
    expect(message?.text).toContain('Deploying v2.0.0 to production');

    expect(teams.cards).toHaveLength(1);
    expect(discord.messages.get(result.outputs['discord-message-id'] ?? '')?.embeds[0]?.['title']).toContain('Deploying v2.0.0');

    const [delivery] = webhook.deliveries;
    expect(delivery?.signatureValid).toBe(true);
    expect(delivery?.body).toMatchObject({ status: 'in_progress', environment: 'production', version: 'v2.0.0', deployment: { id: deployment?.id } });

    expect(result.summary).toContain('### 🚀 Deploying v2.0.0 to production');
    expect(result.summary).toContain('| Channel | Result | Detail |');
  });

  test('the GitHub side costs a handful of REST calls', async () => {
    await notify({ status: 'success', channels: 'summary, deployment, pr-comment' });
    expect(github.calls()).toEqual([
      'GET /repos/acme/app/deployments',
      `GET /repos/acme/app/commits/${SHA}/pulls`,
      'POST /repos/acme/app/deployments',
      'POST /repos/acme/app/deployments/1001/statuses',
      'GET /repos/acme/app/issues/12/comments',
      'POST /repos/acme/app/issues/12/comments',
    ]);
  });
});

describe('one story updated in place across jobs', () => {
  test('Slack, Discord, the PR comment and the deployment all move from in_progress to success', async () => {
    const first = await notify({ status: 'in_progress', ...everyChannel() });
    expect(first.exitCode).toBe(0);
    const second = await notify({
      status: 'success',
      'environment-url': 'https://app.example.com',
      ...everyChannel(),
      'slack-channel': first.outputs['slack-channel-id'] ?? '',
      'slack-ts': first.outputs['slack-ts'] ?? '',
      'discord-message-id': first.outputs['discord-message-id'] ?? '',
    });
    expect(second.exitCode).toBe(0);

    expect(slack.messages.size).toBe(1);
    const message = [...slack.messages.values()][0];
    expect(message?.edits).toBe(1);
    expect(message?.text).toContain('Deployed v2.0.0 to production');
    expect(second.outputs['slack-ts']).toBe(first.outputs['slack-ts']);

    expect(discord.messages.size).toBe(1);
    expect([...discord.messages.values()][0]?.edits).toBe(1);
    expect(second.outputs['discord-message-id']).toBe(first.outputs['discord-message-id']);

    expect(github.comments).toHaveLength(1);
    expect(second.outputs['comment-id']).toBe(first.outputs['comment-id']);
    expect(github.comments[0]?.body).toContain('Deployed v2.0.0 to production');

    // The second run found the first run's deployment (same run id) instead of creating another.
    expect(github.deployments).toHaveLength(1);
    expect(github.deployments[0]?.statuses.map((status) => status.state)).toEqual(['in_progress', 'success']);
    expect(github.deployments[0]?.statuses[1]?.environmentUrl).toBe('https://app.example.com');
    // The story carries the history it read from the record.
    expect(second.summary).toMatch(/`in_progress`[\s\S]*`success`/);
    expect(String(message?.blocks && JSON.stringify(message.blocks))).toContain('in_progress');
  });

  test('a deleted Slack or Discord message is posted anew, with a warning', async () => {
    const result = await notify({ status: 'success', ...everyChannel(), 'slack-channel': 'C0DEPLOYS1', 'slack-ts': '1000000000.000001', 'discord-message-id': '123456789012345678' });
    expect(result.exitCode).toBe(0);
    expect(result.warnings.map((warning) => warning.message)).toEqual(
      expect.arrayContaining([expect.stringContaining('no longer exists; posting a new one')]),
    );
    expect(slack.messages.size).toBe(1);
    expect(discord.messages.size).toBe(1);
    expect(result.outputs['slack-ts']).not.toBe('1000000000.000001');
  });
});

describe('each transport on its own', () => {
  test('Slack incoming webhook', async () => {
    const result = await notify({ status: 'success', channels: 'slack', 'slack-webhook-url': slack.webhookUrl });
    expect(result.exitCode).toBe(0);
    expect(slack.requests.map((request) => request.path)).toEqual([slack.webhookPath]);
    expect(result.outputs['slack-ts']).toBe('');
  });

  test('Discord in a thread keeps ?thread_id= when posting and editing', async () => {
    const url = `${discord.webhookUrl}?thread_id=555555555555555555`;
    const first = await notify({ status: 'in_progress', channels: 'discord', 'discord-webhook-url': url });
    await notify({ status: 'success', channels: 'discord', 'discord-webhook-url': url, 'discord-message-id': first.outputs['discord-message-id'] ?? '' });
    expect(discord.requests.map((request) => `${request.method} ${request.query}`)).toEqual(['POST thread_id=555555555555555555&wait=true', 'PATCH thread_id=555555555555555555']);
  });

  test('a pull_request event names the PR without asking GitHub', async () => {
    github.addPullRequest({ number: 31, headSha: 'b'.repeat(40) });
    const result = await notify({ status: 'success', channels: 'pr-comment' }, { event: { name: 'pull_request', payload: { pull_request: { number: 31, user: { login: 'bob' } } } } });
    expect(result.exitCode).toBe(0);
    expect(github.comments.map((comment) => comment.issue)).toEqual([31]);
    expect(github.calls().some((call) => call.includes('/pulls'))).toBe(false);
  });

  test('no pull request for the commit: the comment is skipped, not failed', async () => {
    github.pulls.length = 0;
    const result = await notify({ status: 'success', channels: 'summary, pr-comment' });
    expect(result.exitCode).toBe(0);
    expect(result.outputs['channels-sent']).toBe('summary');
    expect(result.outputs['channels-failed']).toBe('');
    expect(result.summary).toContain('⏭️ skipped');
  });

  test('each environment has its own sticky comment', async () => {
    await notify({ status: 'success', channels: 'pr-comment', environment: 'staging' });
    await notify({ status: 'success', channels: 'pr-comment', environment: 'production' });
    await notify({ status: 'failure', channels: 'pr-comment', environment: 'staging' });
    expect(github.comments).toHaveLength(2);
    expect(github.comments.find((comment) => comment.body.includes('environment=staging'))?.body).toContain('failed');
  });
});

describe('mentions', () => {
  test('on failure the commit author is mentioned where they can be reached', async () => {
    const result = await notify({
      status: 'failure',
      ...everyChannel(),
      'mention-map': 'alice: { slack: U0ALICE01, discord: "222222222222222222", teams: alice@example.com }',
    });
    expect(result.exitCode).toBe(0);
    expect(JSON.stringify([...slack.messages.values()][0]?.blocks)).toContain('<@U0ALICE01>');
    expect([...discord.messages.values()][0]?.content).toContain('<@222222222222222222>');
    expect(JSON.stringify(teams.cards[0])).toContain('"mentioned":{"id":"alice@example.com","name":"alice"}');
    expect(github.comments[0]?.body).toContain('cc @alice');
  });

  test('the author from the commit when the event does not say', async () => {
    github.commitAuthors.set(SHA, 'carol');
    await notify({ status: 'failure', channels: 'pr-comment' }, { event: { name: 'workflow_dispatch', payload: {} } });
    expect(github.comments[0]?.body).toContain('cc @carol');
  });

  test('no mention on success by default', async () => {
    await notify({ status: 'success', channels: 'pr-comment' });
    expect(github.comments[0]?.body).not.toContain('cc @');
  });
});

describe('reading the deployment record', () => {
  test('rolled_back marks the bad deployment and names the version restored', async () => {
    const payload = (version: string, extra: Record<string, unknown> = {}) => ({
      deployActions: 1, version, artifact: null, color: 'green', previousColor: 'blue', strategy: 'bluegreen', router: 'haproxy',
      previousDeploymentId: null, rollbackOf: null, runId: 4242, runAttempt: 1, sha: SHA, ...extra,
    });
    const bad = github.seedDeployment({ environment: 'production', payload: payload('v2.0.0'), states: ['in_progress', 'failure'] });
    github.seedDeployment({ environment: 'production', payload: payload('v1.9.0', { rollbackOf: bad.id }), states: ['in_progress', 'success'] });
    const result = await notify({ status: 'rolled_back', channels: 'deployment, slack', 'slack-webhook-url': slack.webhookUrl });
    expect(result.exitCode).toBe(0);
    expect(result.outputs['deployment-id']).toBe(String(bad.id));
    expect(bad.statuses.at(-1)).toMatchObject({ state: 'failure', description: 'rolled back to v1.9.0' });
    expect([...slack.messages.values()][0]?.text).toContain('production rolled back from v2.0.0 to v1.9.0');
  });

  test('cancelled is written as error "cancelled"', async () => {
    const result = await notify({ status: 'cancelled', channels: 'deployment' });
    expect(result.exitCode).toBe(0);
    expect(github.deployments[0]?.statuses.at(-1)).toMatchObject({ state: 'error', description: 'cancelled' });
  });

  test('an explicit deployment-id is used as is', async () => {
    const existing = github.seedDeployment({ environment: 'production', states: ['queued'] });
    const result = await notify({ status: 'in_progress', channels: 'deployment', 'deployment-id': String(existing.id) });
    expect(result.outputs['deployment-id']).toBe(String(existing.id));
    expect(github.deployments).toHaveLength(1);
    expect(existing.statuses.map((status) => status.state)).toEqual(['queued', 'in_progress']);
  });

  test('a token without deployments: write fails that channel, names the permission, and the rest still go out', async () => {
    github.grant('ghs_limited', { 'pull-requests': 'write' });
    const result = await notify({ status: 'success', channels: 'deployment, pr-comment, slack', 'slack-webhook-url': slack.webhookUrl }, { github: { apiUrl: github.apiUrl, token: 'ghs_limited', sha: SHA } });
    expect(result.exitCode).toBe(0);
    expect(result.outputs['channels-failed']).toBe('deployment');
    expect(result.outputs['channels-sent']).toBe('pr-comment,slack');
    expect(result.warnings.map((warning) => warning.message).join('\n')).toContain('grant "deployments: write"');
  });
});

describe('faults', () => {
  test('transient failures are retried: Slack 503, Discord 429 with retry_after, GitHub 502', async () => {
    slack.fault({ path: 'chat.postMessage', reply: { status: 503, text: 'service unavailable' } });
    discord.rateLimit(0.4);
    github.serverError({ status: 502, method: 'POST', path: '/statuses' });
    const result = await notify({ status: 'success', ...everyChannel() });
    expect(result.exitCode).toBe(0);
    expect(result.outputs['channels-failed']).toBe('');
    expect(result.log).toContain('slack: HTTP 503: service unavailable; retrying');
    expect(result.log).toContain('discord: HTTP 429');
    expect(discord.messages.size).toBe(1);
    expect(github.deployments[0]?.statuses).toHaveLength(1);
  });

  test('GitHub’s secondary rate limit is waited out', async () => {
    github.secondaryRateLimit({ status: 429, retryAfterSeconds: 1, method: 'POST', path: '/comments' });
    const result = await notify({ status: 'success', channels: 'pr-comment' });
    expect(result.exitCode).toBe(0);
    expect(result.warnings.map((warning) => warning.message).join('\n')).toContain('secondary rate limit');
    expect(github.comments).toHaveLength(1);
  });

  test('one channel failing does not stop the others; fail-on-error decides the exit code', async () => {
    teams.fault({ times: 10, reply: { status: 500, body: { error: { code: 'InternalServerError', message: 'boom' } } } });
    const lenient = await notify({ status: 'success', ...everyChannel(), timeout: '5s' });
    expect(lenient.exitCode).toBe(0);
    expect(lenient.outputs['channels-failed']).toBe('teams');
    expect(lenient.outputs['channels-sent']).toBe('summary,deployment,pr-comment,slack,discord,webhook');
    // How many attempts fit in 5s depends on the backoff's jitter; the shape does not.
    expect(lenient.warnings.map((warning) => warning.message).join('\n')).toMatch(/teams failed: HTTP 500: \{"error":\{"code":"InternalServerError","message":"boom"\}\} \(gave up after \d attempts/);

    const strict = await notify({ status: 'success', ...everyChannel(), timeout: '5s', 'fail-on-error': 'true' });
    expect(strict.exitCode).toBe(1);
    expect(strict.errors.map((error) => error.message)).toEqual([expect.stringMatching(/^notify: 1 of 7 channels failed: teams \(HTTP 500: /)]);
    expect(strict.outputs['channels-sent']).toBe('summary,deployment,pr-comment,slack,discord,webhook');
  });

  test('a receiver that hangs is cut off by the time budget', async () => {
    discord.fault({ times: 10, delayMs: 10_000 });
    const result = await notify({ status: 'success', channels: 'discord, webhook', 'discord-webhook-url': discord.webhookUrl, 'webhook-url': webhook.webhookUrl, 'webhook-secret': webhook.secret, timeout: '2s' });
    expect(result.exitCode).toBe(0);
    expect(result.outputs['channels-failed']).toBe('discord');
    expect(result.warnings.map((warning) => warning.message).join('\n')).toContain('no response in time');
    expect(webhook.deliveries).toHaveLength(1);
  });

  test('Slack API errors come with a hint', async () => {
    const result = await notify({ status: 'success', channels: 'slack', 'slack-bot-token': 'xoxb-0000-wrong', 'slack-channel': '#deploys', 'slack-api-url': slack.apiUrl });
    expect(result.outputs['channels-failed']).toBe('slack');
    expect(result.warnings.map((warning) => warning.message).join('\n')).toContain('Slack chat.postMessage refused: invalid_auth (the bot token is invalid)');
  });
});

describe('only-on', () => {
  test('a status not listed sends nothing and passes message references through', async () => {
    const result = await notify({ status: 'success', 'only-on': 'failure, rolled_back', ...everyChannel(), 'slack-channel': 'C0DEPLOYS1', 'slack-ts': '1712345678.000100' });
    expect(result.exitCode).toBe(0);
    expect(reachedNothing()).toBe(true);
    expect(result.outputs).toMatchObject({ 'slack-ts': '1712345678.000100', 'slack-channel-id': 'C0DEPLOYS1', 'channels-sent': '' });
  });
});

describe('secrets are never printed', () => {
  test('no token, webhook URL or token-like part appears in logs, summary, outputs or anything sent', async () => {
    teams.fault({ times: 10, reply: { status: 400, text: `bad request for ${teams.webhookUrl}` } });
    const secrets = [DEFAULT_TOKEN, slack.botToken, teams.webhookUrl, discord.webhookUrl, webhook.webhookUrl, webhook.secret];
    const result = await notify({
      status: 'failure',
      ...everyChannel(),
      message: `debug: ${slack.botToken} ${discord.webhookUrl}`,
      timeout: '3s',
    });
    const parts = secrets.flatMap(secretVariants);
    const sentBodies = [github, slack, teams, discord, webhook].flatMap((double) => double.requests.map((request) => request.rawBody));
    const everything = [result.log, result.summary, JSON.stringify(result.outputs), ...sentBodies].join('\n');
    for (const part of parts) expect(everything, `leaked: ${part}`).not.toContain(part);
    // The runner was told to mask each of them.
    for (const secret of secrets) expect(result.masks).toContain(secret);
    expect(result.outputs['channels-failed']).toBe('teams');
  });
});

describe('bad input: exit 1, the input named, nothing sent, no stack trace', () => {
  const cases: Array<[string, Record<string, string>, string]> = [
    ['status', { status: 'done' }, 'input "status": "done" is not accepted; expected one of queued, in_progress, success, failure, cancelled, rolled_back'],
    ['status missing', { status: '' }, 'input "status": is required'],
    ['environment', { status: 'success', environment: '' }, 'input "environment": is required'],
    ['channels', { status: 'success', channels: 'summary, email' }, 'input "channels": "email" is not accepted; each item must be one of summary, deployment'],
    ['only-on', { status: 'success', 'only-on': 'sometimes' }, 'input "only-on": "sometimes"'],
    ['mention', { status: 'success', mention: 'not a login!' }, 'input "mention": "not a login!"'],
    ['mention-on', { status: 'success', 'mention-on': 'always' }, 'input "mention-on": "always"'],
    ['mention-map syntax', { status: 'success', 'mention-map': 'alice: [' }, 'input "mention-map": is not valid YAML or JSON at line'],
    ['mention-map shape', { status: 'success', 'mention-map': '- alice' }, 'input "mention-map": must be a mapping'],
    ['mention-map id', { status: 'success', 'mention-map': 'alice: { slack: alice }' }, 'input "mention-map": slack id for "alice" is "alice"'],
    ['environment-url', { status: 'success', 'environment-url': 'http://app.example.com' }, 'input "environment-url": "http://app.example.com" is not accepted; expected an https:// URL'],
    ['deployment-id', { status: 'success', 'deployment-id': 'abc' }, 'input "deployment-id": "abc" is not accepted; expected a whole number from 1'],
    ['pr-number', { status: 'success', 'pr-number': '0' }, 'input "pr-number": "0"'],
    ['github-token', { status: 'success', channels: 'deployment', 'github-token': '' }, 'input "github-token": is required for the deployment and pr-comment channels'],
    ['slack credentials', { status: 'success', channels: 'slack' }, 'input "slack-webhook-url": is required when channels include slack'],
    ['slack both', { status: 'success', channels: 'slack', 'slack-webhook-url': 'https://hooks.slack.com/services/T/B/x', 'slack-bot-token': 'xoxb-1-2' }, 'input "slack-bot-token": give either'],
    ['slack-bot-token', { status: 'success', channels: 'slack', 'slack-bot-token': 'not-a-token', 'slack-channel': '#x' }, 'input "slack-bot-token": the value (hidden, it is a secret) is not accepted; expected a Slack bot or user token'],
    ['slack-channel', { status: 'success', channels: 'slack', 'slack-bot-token': 'xoxb-1-2' }, 'input "slack-channel": is required with slack-bot-token'],
    ['slack-ts', { status: 'success', channels: 'slack', 'slack-bot-token': 'xoxb-1-2', 'slack-channel': 'C0DEPLOYS1', 'slack-ts': 'yesterday' }, 'input "slack-ts": "yesterday"'],
    ['slack-ts with a channel name', { status: 'success', channels: 'slack', 'slack-bot-token': 'xoxb-1-2', 'slack-channel': '#deploys', 'slack-ts': '1712345678.000100' }, 'input "slack-channel": "#deploys" is not accepted; expected a channel id'],
    ['slack-ts with a webhook', { status: 'success', channels: 'slack', 'slack-webhook-url': 'https://hooks.slack.com/services/T/B/x', 'slack-ts': '1712345678.000100' }, 'input "slack-ts": editing a Slack message needs slack-bot-token'],
    ['slack-api-url', { status: 'success', 'slack-api-url': 'ftp://slack' }, 'input "slack-api-url": "ftp://slack" is not accepted'],
    ['teams-webhook-url', { status: 'success', channels: 'teams' }, 'input "teams-webhook-url": is required when channels include teams'],
    ['teams-webhook-url plain http', { status: 'success', channels: 'teams', 'teams-webhook-url': 'http://example.com/hook' }, 'input "teams-webhook-url": the value (hidden, it is a secret) is not accepted'],
    ['discord-webhook-url', { status: 'success', channels: 'discord', 'discord-webhook-url': 'https://discord.com/api/other' }, 'input "discord-webhook-url": the value (hidden, it is a secret) is not accepted; expected a Discord webhook URL'],
    ['discord-message-id', { status: 'success', 'discord-message-id': 'latest' }, 'input "discord-message-id": "latest"'],
    ['webhook-url', { status: 'success', channels: 'webhook', 'webhook-secret': 'x'.repeat(20) }, 'input "webhook-url": is required when channels include webhook'],
    ['webhook-secret', { status: 'success', channels: 'webhook', 'webhook-url': 'https://example.com/h' }, 'input "webhook-secret": is required when channels include webhook'],
    ['webhook-secret short', { status: 'success', channels: 'webhook', 'webhook-url': 'https://example.com/h', 'webhook-secret': 'short' }, 'input "webhook-secret": is too short'],
    ['timeout', { status: 'success', timeout: 'forever' }, 'input "timeout": "forever" is not accepted; expected a number of seconds'],
    ['fail-on-error', { status: 'success', 'fail-on-error': 'maybe' }, 'input "fail-on-error": "maybe" is not accepted; expected a boolean'],
  ];

  test.each(cases)('%s', async (_name, inputs, message) => {
    const result = await notify({ channels: 'summary', ...inputs });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.message.startsWith(`notify: ${message}`), result.errors[0]?.message).toBe(true);
    expect(result.log).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(result.stderr).toBe('');
    expect(reachedNothing()).toBe(true);
    expect(result.summary).toBe('');
  });
});
