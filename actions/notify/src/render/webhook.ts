import { createHmac } from 'node:crypto';
import type { Story } from '../story.ts';

/**
 * The generic webhook: the story as versioned JSON, signed like GitHub's own webhooks
 * (X-Signature-256: sha256=<hex HMAC-SHA256 of the exact body bytes>).
 */
export const WEBHOOK_SCHEMA_VERSION = 1;

export function renderWebhookBody(story: Story): string {
  return JSON.stringify({
    schema: WEBHOOK_SCHEMA_VERSION,
    event: 'deployment',
    status: story.status,
    environment: story.environment,
    version: story.version,
    environmentUrl: story.environmentUrl ?? null,
    message: story.message ?? null,
    repository: story.repository,
    sha: story.sha,
    ref: story.refName,
    runUrl: story.runUrl,
    actor: story.actor,
    deployment: story.deploymentId
      ? { id: story.deploymentId, previousVersion: story.previousVersion ?? null, rolledBackTo: story.rolledBackTo ?? null, timeline: story.timeline }
      : null,
    pullRequest: story.pullRequest ?? null,
    mentions: story.mentions.map((mention) => mention.login),
    sentAt: story.at,
  });
}

export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
