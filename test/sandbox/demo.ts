/**
 * npm run demo: the notify action, run from its bundle as the runner runs it, telling one
 * deployment's story to every channel at once, then updating it in place. All receivers are local
 * doubles on 127.0.0.1 (GitHub, Slack, Teams, Discord, a signed webhook); the demo prints what each
 * of them received.
 *
 * (When deploy-bluegreen lands, this becomes the full pipeline demo in the sandbox.)
 */
import { DiscordDouble, SlackDouble, TeamsDouble, WebhookReceiver } from '../doubles/chat.ts';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { ActionHarness, type StepResult } from '../harness/run-action.ts';

const SHA = 'c0ffee0000000000000000000000000000000042';
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const section = (title: string) => console.log(`\n${bold(`== ${title} ==`)}`);

const github = await new GitHubDouble().start();
const slack = await new SlackDouble().start();
const teams = await new TeamsDouble().start();
const discord = await new DiscordDouble().start();
const webhook = await new WebhookReceiver().start();
const harness = new ActionHarness();
github.addPullRequest({ number: 42, headSha: SHA, user: 'alice' });

const channels = {
  channels: 'summary, deployment, pr-comment, slack, teams, discord, webhook',
  'slack-bot-token': slack.botToken,
  'slack-api-url': slack.apiUrl,
  'teams-webhook-url': teams.webhookUrl,
  'discord-webhook-url': discord.webhookUrl,
  'webhook-url': webhook.webhookUrl,
  'webhook-secret': webhook.secret,
  'mention-map': 'alice: { slack: U0ALICE01, discord: "222222222222222222", teams: alice@example.com }',
};

async function step(title: string, inputs: Record<string, string>): Promise<StepResult> {
  section(title);
  const { main } = await harness.run('notify', {
    inputs: { environment: 'production', version: 'v2.4.0', 'environment-url': 'https://app.example.com', ...channels, ...inputs },
    github: { apiUrl: github.apiUrl, token: DEFAULT_TOKEN, sha: SHA },
    event: { name: 'push', payload: { head_commit: { id: SHA, author: { username: 'alice' } } } },
  });
  for (const line of main.log.split('\n').filter((entry) => /^[✓✗]/.test(entry))) console.log(`  ${line}`);
  console.log(`  exit ${main.exitCode}; outputs: ${JSON.stringify(main.outputs)}`);
  if (main.exitCode !== 0) throw new Error(`notify failed:\n${main.log}`);
  return main;
}

try {
  const first = await step('Job 1: deploy starts (status in_progress)', { status: 'in_progress', 'slack-channel': '#deploys' });
  const last = await step('Job 2: deploy finished (status success), the same messages edited in place', {
    status: 'success',
    'slack-channel': first.outputs['slack-channel-id'] ?? '',
    'slack-ts': first.outputs['slack-ts'] ?? '',
    'discord-message-id': first.outputs['discord-message-id'] ?? '',
  });

  section('GitHub: deployment record');
  for (const deployment of github.deployments) {
    console.log(`  deployment ${deployment.id} to ${deployment.environment}, payload ${JSON.stringify(deployment.payload)}`);
    for (const status of deployment.statuses) console.log(`    ${status.createdAt} ${status.state.padEnd(11)} ${status.description}`);
  }
  section(`GitHub: sticky comment on PR #42 (${github.comments.length} comment, edited in place)`);
  console.log(github.comments[0]?.body.replace(/^/gm, '  '));

  section(`Slack: ${slack.messages.size} message, edited ${[...slack.messages.values()][0]?.edits} time(s)`);
  for (const message of slack.messages.values()) console.log(`  ${message.channel} ts=${message.ts}: ${message.text}\n  ${message.blocks.length} blocks`);

  section(`Teams: ${teams.cards.length} Adaptive Cards (Teams webhooks cannot edit)`);
  for (const card of teams.cards) console.log(`  ${String((card['body'] as Array<{ text?: string }>)[0]?.text)}`);

  section(`Discord: ${discord.messages.size} message, edited ${[...discord.messages.values()][0]?.edits} time(s)`);
  for (const message of discord.messages.values()) console.log(`  id=${message.id}: ${String(message.embeds[0]?.['title'])}`);

  section(`Signed webhook: ${webhook.deliveries.length} deliveries`);
  for (const delivery of webhook.deliveries) {
    const body = delivery.body as { status: string; version: string; deployment: { id: number } | null };
    console.log(`  ${delivery.headers['x-signature-256']} valid=${delivery.signatureValid} status=${body.status} version=${body.version} deployment=${body.deployment?.id}`);
  }

  section('Job summary (second job)');
  console.log(last.summary.replace(/^/gm, '  '));

  const violations = [github, slack, teams, discord, webhook].flatMap((double) => double.violations);
  section(violations.length === 0 ? 'Every receiver accepted every message.' : `Receivers refused: ${violations.join('; ')}`);
  process.exitCode = violations.length === 0 ? 0 : 1;
} finally {
  harness.cleanup();
  await Promise.all([github, slack, teams, discord, webhook].map((double) => double.stop()));
}
