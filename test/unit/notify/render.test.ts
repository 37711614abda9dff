import { verify } from '@octokit/webhooks-methods';
import { describe, expect, test } from 'vitest';
import { NOTIFY_STATUSES } from '../../../shared/deployments.ts';
import { MAX_COMMENT_CHARS } from '../../../shared/markdown.ts';
import { renderDiscord } from '../../../actions/notify/src/render/discord.ts';
import { commentMarker, renderMarkdown, renderPullRequestComment } from '../../../actions/notify/src/render/markdown.ts';
import { markdownToMrkdwn, renderSlack } from '../../../actions/notify/src/render/slack.ts';
import { renderTeams } from '../../../actions/notify/src/render/teams.ts';
import { renderWebhookBody, signature } from '../../../actions/notify/src/render/webhook.ts';
import { headline } from '../../../actions/notify/src/story.ts';
import { adaptiveCardProblems, blockKitProblems, discordProblems } from '../../doubles/chat.ts';
import { story, worstCaseStory } from './fixtures.ts';

describe('every status renders within every service’s limits', () => {
  test.each(NOTIFY_STATUSES)('%s, plain and worst case', (status) => {
    for (const subject of [story({ status }), worstCaseStory(status)]) {
      expect(blockKitProblems(renderSlack(subject) as unknown as Record<string, unknown>)).toEqual([]);
      expect(adaptiveCardProblems(renderTeams(subject).attachments[0]?.content)).toEqual([]);
      expect(discordProblems(renderDiscord(subject) as unknown as Record<string, unknown>)).toEqual([]);
      expect(renderPullRequestComment(subject).length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    }
  });
});

describe('headlines', () => {
  test.each([
    ['queued', 'Deployment of v1.4.0 to production is queued'],
    ['in_progress', 'Deploying v1.4.0 to production'],
    ['success', 'Deployed v1.4.0 to production'],
    ['failure', 'Deployment of v1.4.0 to production failed'],
    ['cancelled', 'Deployment of v1.4.0 to production was cancelled'],
  ] as const)('%s', (status, text) => expect(headline(story({ status }))).toBe(text));

  test('a rollback names where traffic went back to', () => {
    expect(headline(story({ status: 'rolled_back', records: { rolledBackTo: 'v1.3.9' } }))).toBe('production rolled back from v1.4.0 to v1.3.9');
  });
});

describe('Slack', () => {
  test('mentions reach mapped users and groups; unmapped logins stay text', () => {
    const message = renderSlack(worstCaseStory());
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('<@U0ALICE01>');
    expect(text).toContain('<!subteam^S0BOBTEAM>');
    expect(text).toContain('@carol');
    expect(message.text).toContain('<@U0ALICE01>');
  });

  test('no mentions unless the status is one of mention-on', () => {
    expect(JSON.stringify(renderSlack(story({ status: 'success', inputs: { mention: 'alice', 'mention-map': 'alice: {slack: U0ALICE01}' } })))).not.toContain('U0ALICE01');
  });

  test('Markdown becomes mrkdwn, and <, >, & are escaped', () => {
    expect(markdownToMrkdwn('**bold** [link](https://x.example/a) <b> & ~~old~~')).toBe('*bold* <https://x.example/a|link> &lt;b&gt; &amp; ~old~');
  });
});

describe('Teams', () => {
  test('mentions are <at> entities Teams can resolve', () => {
    const card = renderTeams(worstCaseStory()).attachments[0]?.content as { msteams: { entities: Array<{ text: string; mentioned: { id: string } }> } };
    expect(card.msteams.entities).toEqual([{ type: 'mention', text: '<at>alice</at>', mentioned: { id: 'alice@example.com', name: 'alice' } }]);
    expect(JSON.stringify(card)).toContain('<at>alice</at>');
  });
});

describe('Discord', () => {
  test('only mapped users may be pinged, never @everyone from text', () => {
    const message = renderDiscord(worstCaseStory());
    expect(message.allowed_mentions).toEqual({ parse: [], users: ['111111111111111111'] });
    expect(message.content).toContain('<@111111111111111111>');
  });

  test('a long message is cut to fit the 6,000-character embed total', () => {
    const embed = renderDiscord(worstCaseStory()).embeds[0];
    expect(embed?.description?.endsWith('…')).toBe(true);
  });
});

describe('Markdown: summary and sticky comment', () => {
  test('the comment starts with the environment’s marker and mentions GitHub logins', () => {
    const comment = renderPullRequestComment(story({ status: 'failure', inputs: { mention: 'author' }, author: 'alice' }));
    expect(comment.startsWith(commentMarker('production'))).toBe(true);
    expect(comment).toContain('cc @alice');
  });

  test('a message too long for a comment is shortened, the tables kept', () => {
    const comment = renderPullRequestComment(story({ inputs: { message: 'x'.repeat(100_000) } }));
    expect(comment.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(comment).toContain('| Environment |');
    expect(comment).toContain('_(truncated)_');
  });

  test('the timeline is a table and a mermaid flowchart', () => {
    const markdown = renderMarkdown(worstCaseStory());
    expect(markdown).toContain('| Time | State | Description |');
    expect(markdown).toContain('```mermaid\nflowchart LR');
  });

  test('text from outside cannot inject Markdown or ping people', () => {
    const markdown = renderMarkdown(story({ inputs: { version: '@everyone <img src=x> | *' } }));
    // GFM reads a backslash-escaped < as text; an unescaped one would start HTML.
    expect(markdown).toContain('\\<img');
    expect(markdown).not.toMatch(/(?<!\\)<img/);
    expect(markdown).not.toContain('@everyone');
  });
});

describe('signed webhook', () => {
  test('X-Signature-256 verifies with GitHub’s own webhook verifier', async () => {
    const body = renderWebhookBody(story({ status: 'failure', records: { deploymentId: 5, timeline: [] } }));
    const secret = 'a-secret-of-sixteen-plus';
    expect(await verify(secret, body, signature(body, secret))).toBe(true);
    expect(await verify(secret, `${body} `, signature(body, secret))).toBe(false);
    expect(JSON.parse(body)).toMatchObject({ schema: 1, event: 'deployment', status: 'failure', environment: 'production', deployment: { id: 5 } });
  });
});

describe('secrets in free text are redacted before rendering', () => {
  test('a token pasted into message never reaches a payload', () => {
    const token = 'xoxb-123-456-secretvalueeeeeeeeeeeeee';
    const subject = story({ inputs: { message: `oops ${token}`, 'slack-bot-token': token, channels: 'slack', 'slack-channel': '#deploys' } });
    for (const rendered of [JSON.stringify(renderSlack(subject)), JSON.stringify(renderTeams(subject)), JSON.stringify(renderDiscord(subject)), renderMarkdown(subject), renderWebhookBody(subject)]) {
      expect(rendered).not.toContain('secretvalue');
    }
  });
});
