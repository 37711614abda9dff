import { describe, expect, test } from 'vitest';
import { adaptiveCardProblems, blockKitProblems, discordProblems } from '../../doubles/chat.ts';

/** The receivers' checks must be able to fail, or the channel tests prove nothing. */
describe('the receivers refuse what the real services refuse', () => {
  test('Adaptive Cards SDK: unknown element or action, invalid property value, duplicate ids', () => {
    const card = (body: unknown[], actions: unknown[] = []) => ({ type: 'AdaptiveCard', version: '1.5', body, actions });
    expect(adaptiveCardProblems(card([{ type: 'Bogus' }]))).toEqual(['parse: Unknown element type "Bogus". Fallback will be used if present.']);
    expect(adaptiveCardProblems(card([], [{ type: 'Action.Bogus' }]))).toEqual(['parse: Unknown action type "Action.Bogus". Fallback will be used if present.']);
    expect(adaptiveCardProblems(card([{ type: 'TextBlock', text: 'x', color: 'Purple' }]))).toEqual(['parse: Invalid value "Purple" for property "color".']);
    expect(adaptiveCardProblems(card([{ type: 'TextBlock', id: 'a', text: 'x' }, { type: 'TextBlock', id: 'a', text: 'y' }]))).toEqual(['validate: Duplicate Id "a".']);
    expect(adaptiveCardProblems({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'ok' }] })).toEqual([]);
  });

  test('Block Kit: too many blocks, long header, missing fallback text', () => {
    const header = { type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } };
    expect(blockKitProblems({ text: 't', blocks: [header] })).toEqual(['blocks[0] (header): header text over 150 chars']);
    expect(blockKitProblems({ text: 't', blocks: Array.from({ length: 51 }, () => ({ type: 'divider' })) })).toEqual(['51 blocks (max 50)']);
    expect(blockKitProblems({ blocks: [] })).toEqual(['text (the notification fallback) is missing']);
  });

  test('Discord: the 6,000-character total across embeds', () => {
    const embed = { title: 't', description: 'x'.repeat(4000) };
    expect(discordProblems({ embeds: [embed, embed] })).toEqual(['embeds total 8002 chars (max 6000)']);
    expect(discordProblems({ content: '' })).toEqual(['needs content or embeds']);
  });
});
