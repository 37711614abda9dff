import type { Block, KnownBlock } from '@slack/types';
import { shorten } from '../../../../shared/markdown.ts';
import { clockTime, facts, headline, STATUS_EMOJI, type Story } from '../story.ts';

/**
 * Slack Block Kit within Slack's limits: 50 blocks, header 150 chars, section text 3,000, ten
 * fields of 2,000, context elements 10, button text 75.
 */
export const SLACK_LIMITS = {
  blocks: 50,
  header: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  buttonText: 75,
  fallbackText: 4000,
} as const;

export interface SlackMessage {
  text: string;
  blocks: (KnownBlock | Block)[];
}

/** Slack's mrkdwn needs &, < and > escaped; everything else is literal. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The common subset of Markdown a user writes in `message`, in Slack's dialect. */
export function markdownToMrkdwn(markdown: string): string {
  return escapeMrkdwn(markdown)
    .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, (_all, text: string, url: string) => `<${url}|${text.replace(/\|/g, '¦')}>`)
    .replace(/\*\*([^*]+)\*\*/g, '*$1*')
    .replace(/__([^_]+)__/g, '*$1*')
    .replace(/~~([^~]+)~~/g, '~$1~')
    .replace(/^#{1,6}\s+(.+)$/gm, '*$1*');
}

function slackLink(text: string, url: string | undefined): string {
  const label = escapeMrkdwn(text).replace(/\|/g, '¦');
  return url ? `<${url}|${label}>` : label;
}

/** A mapped Slack id pings the person (or user group); otherwise the login is plain text. */
function slackMention(mention: Story['mentions'][number]): string {
  if (!mention.slack) return `@${escapeMrkdwn(mention.login)}`;
  return mention.slack.startsWith('S') ? `<!subteam^${mention.slack}>` : `<@${mention.slack}>`;
}

export function renderSlack(story: Story): SlackMessage {
  const title = `${STATUS_EMOJI[story.status]} ${headline(story)}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: shorten(title, SLACK_LIMITS.header), emoji: true } },
    {
      type: 'section',
      fields: facts(story)
        .slice(0, SLACK_LIMITS.fields)
        .map((fact) => ({ type: 'mrkdwn' as const, text: shorten(`*${fact.label}*\n${slackLink(fact.value, fact.url)}`, SLACK_LIMITS.fieldText) })),
    },
  ];
  if (story.message) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: shorten(markdownToMrkdwn(story.message), SLACK_LIMITS.sectionText) } });
  }
  if (story.mentions.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: shorten(`cc ${story.mentions.map(slackMention).join(' ')}`, SLACK_LIMITS.sectionText) } });
  }
  if (story.timeline.length > 0) {
    const recent = story.timeline.slice(-SLACK_LIMITS.contextElements);
    blocks.push({
      type: 'context',
      elements: recent.map((entry) => ({
        type: 'mrkdwn' as const,
        text: shorten(`${clockTime(entry.at)} \`${entry.state}\` ${escapeMrkdwn(entry.description)}`, SLACK_LIMITS.sectionText),
      })),
    });
  }
  const buttons = [
    { text: 'View run', url: story.runUrl },
    ...(story.environmentUrl ? [{ text: `Open ${story.environment}`, url: story.environmentUrl }] : []),
    { text: 'Deployments', url: story.deploymentsUrl },
  ];
  blocks.push({
    type: 'actions',
    elements: buttons.map((button, index) => ({
      type: 'button' as const,
      action_id: `deploy-actions-link-${index}`,
      text: { type: 'plain_text' as const, text: shorten(button.text, SLACK_LIMITS.buttonText) },
      url: button.url,
    })),
  });
  const mentionText = story.mentions.length > 0 ? ` cc ${story.mentions.map(slackMention).join(' ')}` : '';
  return { text: shorten(`${title}${mentionText}`, SLACK_LIMITS.fallbackText), blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}

/**
 * A report (Markdown of the user's, such as dora-metrics' digest) as a Slack message: its first line
 * as the header, the rest converted to mrkdwn in sections cut at line ends within Slack's limits,
 * and a link to the run.
 */
export function renderSlackReport(markdown: string, runUrl: string): SlackMessage {
  const [first = '', ...rest] = markdown.trim().split(/\r?\n/);
  const title = first.replace(/^#{1,6}\s+/, '').replace(/\*\*([^*]+)\*\*/g, '$1').replace(/__([^_]+)__/g, '$1').replace(/\[([^\]]+)\]\([^)]*\)/g, '$1').trim() || 'Report';
  const sections: string[] = [];
  let current = '';
  for (const line of markdownToMrkdwn(rest.join('\n').trim()).split('\n')) {
    const piece = shorten(line, SLACK_LIMITS.sectionText);
    if (current && current.length + 1 + piece.length > SLACK_LIMITS.sectionText) {
      sections.push(current);
      current = piece;
    } else current = current ? `${current}\n${piece}` : piece;
  }
  if (current.trim()) sections.push(current);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: shorten(title, SLACK_LIMITS.header), emoji: true } },
    ...sections.slice(0, SLACK_LIMITS.blocks - 2).map((text) => ({ type: 'section' as const, text: { type: 'mrkdwn' as const, text } })),
    { type: 'actions', elements: [{ type: 'button', action_id: 'deploy-actions-link-0', text: { type: 'plain_text', text: 'View run' }, url: runUrl }] },
  ];
  return { text: shorten(title, SLACK_LIMITS.fallbackText), blocks };
}
