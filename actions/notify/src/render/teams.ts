import { clockTime, facts, headline, STATUS_EMOJI, type Story } from '../story.ts';

/**
 * A Teams message for a Workflows webhook: one Adaptive Card (schema 1.5, which Teams renders),
 * mentions as <at> entities, since Teams only pings users named in msteams.entities.
 */

const CARD_COLOR: Record<Story['status'], string> = {
  queued: 'Default',
  in_progress: 'Accent',
  success: 'Good',
  failure: 'Attention',
  cancelled: 'Default',
  rolled_back: 'Warning',
};

export interface TeamsMessage {
  type: 'message';
  attachments: Array<{ contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: Record<string, unknown> }>;
}

/** Teams TextBlocks take a small Markdown subset; links in facts are written as [text](url). */
function markdownLink(text: string, url: string | undefined): string {
  const label = text.replace(/[[\]]/g, '');
  return url ? `[${label}](${url})` : text;
}

export function renderTeams(story: Story): TeamsMessage {
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: `${STATUS_EMOJI[story.status]} ${headline(story)}`,
      weight: 'Bolder',
      size: 'Medium',
      color: CARD_COLOR[story.status],
      wrap: true,
    },
    { type: 'FactSet', facts: facts(story).map((fact) => ({ title: fact.label, value: markdownLink(fact.value, fact.url) })) },
  ];
  if (story.message) body.push({ type: 'TextBlock', text: story.message, wrap: true });
  const entities = story.mentions
    .filter((mention) => mention.teams)
    .map((mention) => ({ type: 'mention', text: `<at>${mention.login}</at>`, mentioned: { id: mention.teams, name: mention.login } }));
  if (story.mentions.length > 0) {
    const names = story.mentions.map((mention) => (mention.teams ? `<at>${mention.login}</at>` : `@${mention.login}`));
    body.push({ type: 'TextBlock', text: `cc ${names.join(' ')}`, wrap: true });
  }
  if (story.timeline.length > 0) {
    body.push({
      type: 'FactSet',
      separator: true,
      facts: story.timeline.slice(-10).map((entry) => ({ title: clockTime(entry.at), value: `${entry.state}: ${entry.description}` })),
    });
  }
  const actions = [
    { type: 'Action.OpenUrl', title: 'View run', url: story.runUrl },
    ...(story.environmentUrl ? [{ type: 'Action.OpenUrl', title: `Open ${story.environment}`, url: story.environmentUrl }] : []),
  ];
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.5',
          body,
          actions,
          msteams: { width: 'Full', ...(entities.length > 0 ? { entities } : {}) },
        },
      },
    ],
  };
}
