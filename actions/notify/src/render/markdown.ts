import { code, details, escapeCell, escapeText, link, MAX_COMMENT_CHARS, mermaid, mermaidLabel, table, truncate } from '../../../../shared/markdown.ts';
import { clockTime, facts, headline, STATUS_EMOJI, type Story, type TimelineEntry } from '../story.ts';

/** GitHub-flavoured Markdown for the job summary and the sticky PR comment. */

/** The hidden marker by which notify finds its own PR comment, one per environment. */
export function commentMarker(environment: string): string {
  return `<!-- deploy-actions:notify environment=${encodeURIComponent(environment)} -->`;
}

function factsTable(story: Story): string {
  const rows = facts(story).map((fact) => [fact.label, fact.url ? link(fact.value, fact.url) : escapeCell(fact.value)]);
  return table(['', ''], rows);
}

function timelineFlowchart(timeline: readonly TimelineEntry[]): string {
  const nodes = timeline.map((entry, index) => `  s${index}["${mermaidLabel(`${entry.state} ${clockTime(entry.at)}`)}"]`);
  const edges = timeline.slice(1).map((_, index) => `  s${index} --> s${index + 1}`);
  return mermaid(['flowchart LR', ...nodes, ...edges].join('\n'));
}

function timelineSection(timeline: readonly TimelineEntry[]): string {
  if (timeline.length === 0) return '';
  const rows = timeline.map((entry) => [clockTime(entry.at), code(entry.state), escapeCell(entry.description)]);
  const body = [table(['Time', 'State', 'Description'], rows), timeline.length > 1 ? timelineFlowchart(timeline) : ''].filter(Boolean).join('\n\n');
  return details(`Timeline (${timeline.length} status${timeline.length === 1 ? '' : 'es'})`, body);
}

/** Mentions on GitHub are real @logins: they notify the person. */
function mentionLine(story: Story): string {
  return story.mentions.length > 0 ? `cc ${story.mentions.map((mention) => `@${mention.login}`).join(' ')}` : '';
}

export function renderMarkdown(story: Story): string {
  const parts = [
    `### ${STATUS_EMOJI[story.status]} ${escapeText(headline(story))}`,
    factsTable(story),
    story.message ?? '',
    mentionLine(story),
    timelineSection(story.timeline),
    `<sub>Updated ${story.at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} by ${link('deploy-actions notify', story.runUrl)}</sub>`,
  ];
  return parts.filter((part) => part !== '').join('\n\n');
}

/**
 * The sticky comment: marker first, whole body within GitHub's comment limit. Only the user's
 * message can be long, so it is what gets shortened, keeping the tables intact.
 */
export function renderPullRequestComment(story: Story): string {
  const marker = commentMarker(story.environment);
  const limit = MAX_COMMENT_CHARS - marker.length - 1;
  let body = renderMarkdown(story);
  if (body.length > limit && story.message) {
    const withoutMessage = renderMarkdown({ ...story, message: undefined }).length;
    body = renderMarkdown({ ...story, message: truncate(story.message, Math.max(0, limit - withoutMessage - 2)) });
  }
  return `${marker}\n${truncate(body, limit)}`;
}
