import { shorten } from '../../../../shared/markdown.ts';
import { clockTime, facts, headline, STATUS_COLOR, STATUS_EMOJI, type Story } from '../story.ts';

/** Discord's documented limits for webhook messages and embeds. */
export const DISCORD_LIMITS = {
  content: 2000,
  embeds: 10,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  embedTotal: 6000,
} as const;

export interface DiscordEmbed {
  title: string;
  url: string;
  color: number;
  description?: string;
  fields: Array<{ name: string; value: string; inline: boolean }>;
  footer: { text: string };
  timestamp: string;
}

export interface DiscordMessage {
  content: string;
  embeds: DiscordEmbed[];
  /** Only the mapped users may be pinged: no @everyone from a commit message. */
  allowed_mentions: { parse: never[]; users: string[] };
}

/** Characters Discord would read as Markdown. */
export function escapeDiscord(text: string): string {
  return text.replace(/[\\*_~`|>[\]]/g, (character) => `\\${character}`).replace(/@/g, '@\u200b');
}

function discordLink(text: string, url: string | undefined): string {
  return url ? `[${escapeDiscord(text)}](${url})` : escapeDiscord(text);
}

export function embedLength(embed: DiscordEmbed): number {
  return (
    embed.title.length +
    (embed.description?.length ?? 0) +
    embed.footer.text.length +
    embed.fields.reduce((sum, field) => sum + field.name.length + field.value.length, 0)
  );
}

export function renderDiscord(story: Story): DiscordMessage {
  const fields = facts(story).map((fact) => ({
    name: shorten(fact.label, DISCORD_LIMITS.fieldName),
    value: shorten(discordLink(fact.value, fact.url), DISCORD_LIMITS.fieldValue),
    inline: true,
  }));
  if (story.timeline.length > 0) {
    const lines = story.timeline.map((entry) => `${clockTime(entry.at)} \`${entry.state}\` ${escapeDiscord(entry.description)}`);
    fields.push({ name: 'Timeline', value: shorten(lines.slice(-10).join('\n'), DISCORD_LIMITS.fieldValue), inline: false });
  }
  const embed: DiscordEmbed = {
    title: shorten(`${STATUS_EMOJI[story.status]} ${headline(story)}`, DISCORD_LIMITS.title),
    url: story.runUrl,
    color: STATUS_COLOR[story.status],
    fields: fields.slice(0, DISCORD_LIMITS.fields),
    footer: { text: shorten(`deploy-actions · ${story.repository}`, DISCORD_LIMITS.footer) },
    timestamp: story.at,
  };
  if (story.message) {
    const room = DISCORD_LIMITS.embedTotal - embedLength(embed);
    embed.description = shorten(story.message, Math.min(DISCORD_LIMITS.description, room));
  }
  const pinged = story.mentions.flatMap((mention) => (mention.discord ? [mention.discord] : []));
  const names = story.mentions.map((mention) => (mention.discord ? `<@${mention.discord}>` : `@\u200b${mention.login}`));
  return {
    content: names.length > 0 ? shorten(`cc ${names.join(' ')}`, DISCORD_LIMITS.content) : '',
    embeds: [embed],
    allowed_mentions: { parse: [], users: pinged },
  };
}
