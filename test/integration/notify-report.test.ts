import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SlackDouble } from '../doubles/chat.ts';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { ActionHarness } from '../harness/run-action.ts';

/**
 * notify's report input: Markdown that is not a deployment story (dora-metrics' weekly digest)
 * posted to Slack (Block Kit checked by the Slack double) and the job summary, with no deployment
 * record read or written, and refused where it would be a story's.
 */

let slack: SlackDouble;
let github: GitHubDouble;
const harness = new ActionHarness();

beforeAll(async () => {
  [slack, github] = await Promise.all([new SlackDouble().start(), new GitHubDouble().start()]);
});

afterAll(async () => {
  harness.cleanup();
  expect([...slack.violations, ...github.violations]).toEqual([]);
  await Promise.all([slack.stop(), github.stop()]);
});

const DIGEST = [
  '**DORA metrics for acme/app**, 2026-11-24 to 2026-12-01',
  '- production/app: 1.2/day (elite), lead time 5h21m (elite), change failure 17.9% (low), restore 1h7m (high)',
  '- production/api: 4.2/week (high), lead time 14h1m (elite), change failure 11.1% (medium), restore 58m (elite)',
  "Levels: DORA's 2023 Accelerate State of DevOps Report (software delivery performance clusters).",
].join('\n');

async function notify(inputs: Record<string, string>) {
  const { main } = await harness.run('notify', { inputs, github: { apiUrl: github.apiUrl, token: DEFAULT_TOKEN } });
  return main;
}

describe('a report instead of a deployment story', () => {
  test('to Slack with the bot token and to the summary; no deployment record touched', async () => {
    const main = await notify({ report: DIGEST, channels: 'slack, summary', 'slack-bot-token': slack.botToken, 'slack-api-url': slack.apiUrl, 'slack-channel': '#deploys' });
    expect(main.exitCode, main.log).toBe(0);
    expect(main.outputs['channels-sent']).toBe('slack,summary');
    const message = slack.messages.get(main.outputs['slack-ts'] ?? '');
    expect(message?.text).toBe('DORA metrics for acme/app, 2026-11-24 to 2026-12-01');
    const blocks = message?.blocks as Array<{ type: string; text?: { text: string } }>;
    expect(blocks.map((block) => block.type)).toEqual(['header', 'section', 'actions']);
    expect(blocks[1]?.text?.text).toBe(DIGEST.split('\n').slice(1).join('\n'));
    expect(main.summary).toBe(`${DIGEST}\n`);
    expect(github.requests).toEqual([]);
  });

  test('through the incoming webhook', async () => {
    const main = await notify({ report: '### Weekly\nall **good**', channels: 'slack', 'slack-webhook-url': slack.webhookUrl });
    expect(main.exitCode, main.log).toBe(0);
    const message = [...slack.messages.values()].at(-1);
    expect(message?.text).toBe('Weekly');
    expect((message?.blocks as Array<{ text?: { text: string } }>)[1]?.text?.text).toBe('all *good*');
  });

  test('refused where a story would go, or with a story input', async () => {
    const withStatus = await notify({ report: DIGEST, status: 'success' });
    expect(withStatus.exitCode).toBe(1);
    expect(withStatus.errors[0]?.message).toBe('notify: input "status": is not used with report: a report is not about one deployment (leave it out, or drop report to tell a deployment story)');
    const toRecord = await notify({ report: DIGEST, channels: 'summary, deployment' });
    expect(toRecord.exitCode).toBe(1);
    expect(toRecord.errors[0]?.message).toBe('notify: input "channels": "deployment" cannot take a report; with report, channels may be summary and slack');
    const noSlack = await notify({ report: DIGEST, channels: 'slack' });
    expect(noSlack.errors[0]?.message).toBe('notify: input "slack-webhook-url": is required when channels include slack (or give slack-bot-token and slack-channel)');
    expect(slack.requests.filter((request) => request.body && JSON.stringify(request.body).includes('2026-11-24'))).toHaveLength(1);
  });

  test('without report, notify still needs its status', async () => {
    const main = await notify({ environment: 'production' });
    expect(main.exitCode).toBe(1);
    expect(main.errors[0]?.message).toMatch(/^notify: input "status": is required but was not set/);
  });
});
