import { createRequire } from 'node:module';
import { verify } from '@octokit/webhooks-methods';
import { HttpDouble, type RecordedRequest, type Reply } from './http-double.ts';

/**
 * Local receivers for Slack, Microsoft Teams, Discord and signed webhooks. Each answers like the
 * real service (status codes, error shapes, ids) and records a violation for anything the real
 * service would refuse or silently truncate.
 */

// --- Slack --------------------------------------------------------------------------------

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  edits: number;
  threadTs?: string;
}

/** Slack's documented Block Kit limits (docs.slack.dev, block and element reference pages). */
export function blockKitProblems(payload: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (typeof payload['text'] !== 'string' || payload['text'] === '') problems.push('text (the notification fallback) is missing');
  const blocks = payload['blocks'];
  if (blocks === undefined) return problems;
  if (!Array.isArray(blocks)) return [...problems, 'blocks is not an array'];
  if (blocks.length > 50) problems.push(`${blocks.length} blocks (max 50)`);
  const textOf = (object: unknown) => (object as { text?: unknown } | undefined)?.text;
  blocks.forEach((block: Record<string, unknown>, index) => {
    const where = `blocks[${index}] (${String(block['type'])})`;
    switch (block['type']) {
      case 'header': {
        const text = block['text'] as { type?: string; text?: string };
        if (text?.type !== 'plain_text') problems.push(`${where}: header text must be plain_text`);
        if ((text?.text ?? '').length > 150) problems.push(`${where}: header text over 150 chars`);
        break;
      }
      case 'section': {
        const text = textOf(block['text']);
        const fields = block['fields'] as unknown[] | undefined;
        if (text === undefined && !fields) problems.push(`${where}: needs text or fields`);
        if (typeof text === 'string' && text.length > 3000) problems.push(`${where}: text over 3000 chars`);
        if (typeof text === 'string' && text.length === 0) problems.push(`${where}: empty text`);
        if (fields && fields.length > 10) problems.push(`${where}: ${fields.length} fields (max 10)`);
        fields?.forEach((field, fieldIndex) => {
          if (String(textOf(field) ?? '').length > 2000) problems.push(`${where}: field ${fieldIndex} over 2000 chars`);
        });
        break;
      }
      case 'context': {
        const elements = block['elements'] as unknown[];
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10) problems.push(`${where}: 1 to 10 elements`);
        elements?.forEach((element, elementIndex) => {
          if (String(textOf(element) ?? '').length > 3000) problems.push(`${where}: element ${elementIndex} over 3000 chars`);
        });
        break;
      }
      case 'actions': {
        const elements = block['elements'] as Array<Record<string, unknown>>;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) problems.push(`${where}: 1 to 25 elements`);
        const ids = new Set<string>();
        for (const element of elements ?? []) {
          if (element['type'] === 'button') {
            if (String(textOf(element['text']) ?? '').length > 75) problems.push(`${where}: button text over 75 chars`);
            if (String(element['url'] ?? '').length > 3000) problems.push(`${where}: button url over 3000 chars`);
          }
          const id = element['action_id'];
          if (typeof id === 'string') {
            if (ids.has(id)) problems.push(`${where}: duplicate action_id ${id}`);
            ids.add(id);
          }
        }
        break;
      }
      case 'divider':
        break;
      default:
        problems.push(`${where}: block type not expected from notify`);
    }
  });
  return problems;
}

export class SlackDouble extends HttpDouble {
  readonly botToken: string;
  /** Channel names to ids, as the workspace knows them. */
  readonly channels = new Map<string, string>([['deploys', 'C0DEPLOYS1']]);
  readonly messages = new Map<string, SlackMessage>();
  readonly webhookPath: string;
  #clock = 1_712_345_678;

  constructor(options: { botToken?: string; webhookPath?: string } = {}) {
    super((request) => this.#handle(request));
    this.botToken = options.botToken ?? 'xoxb-1111-2222-slackDoubleToken';
    this.webhookPath = options.webhookPath ?? '/services/T0DOUBLE1/B0DOUBLE2/slackWebhookSecretPart1234';
  }

  get webhookUrl(): string {
    return `${this.url}${this.webhookPath}`;
  }

  get apiUrl(): string {
    return `${this.url}/api`;
  }

  #ts(): string {
    this.#clock += 1;
    return `${this.#clock}.000100`;
  }

  #channelId(channel: unknown): string | undefined {
    const name = String(channel ?? '').replace(/^#/, '');
    if ([...this.channels.values()].includes(name)) return name;
    return this.channels.get(name);
  }

  #check(request: RecordedRequest): string[] {
    const problems: string[] = [];
    if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) problems.push('content-type is not application/json');
    if (request.body === undefined || typeof request.body !== 'object') return [...problems, 'body is not JSON'];
    return [...problems, ...blockKitProblems(request.body as Record<string, unknown>)];
  }

  #handle(request: RecordedRequest): Reply {
    if (request.method === 'POST' && request.path === this.webhookPath) {
      const problems = this.#check(request);
      if (problems.length > 0) {
        this.violations.push(`slack webhook: ${problems.join('; ')}`);
        return { status: 400, text: 'invalid_blocks' };
      }
      const body = request.body as { text: string; blocks?: unknown[] };
      const ts = this.#ts();
      this.messages.set(ts, { channel: 'C0WEBHOOK1', ts, text: body.text, blocks: body.blocks ?? [], edits: 0 });
      return { status: 200, text: 'ok' };
    }
    const method = /^\/api\/(chat\.postMessage|chat\.update)$/.exec(request.path)?.[1];
    if (request.method !== 'POST' || !method) {
      this.violations.push(`slack: unexpected ${request.method} ${request.path}`);
      return { status: 404, text: 'not found' };
    }
    if (request.headers.authorization !== `Bearer ${this.botToken}`) return { status: 200, body: { ok: false, error: 'invalid_auth' } };
    const problems = this.#check(request);
    if (problems.length > 0) {
      this.violations.push(`slack ${method}: ${problems.join('; ')}`);
      return { status: 200, body: { ok: false, error: 'invalid_blocks' } };
    }
    const body = request.body as { channel?: string; ts?: string; text: string; blocks?: unknown[]; thread_ts?: string };
    const channel = this.#channelId(body.channel);
    if (!channel) return { status: 200, body: { ok: false, error: 'channel_not_found' } };
    if (method === 'chat.postMessage') {
      const ts = this.#ts();
      const message: SlackMessage = { channel, ts, text: body.text, blocks: body.blocks ?? [], edits: 0 };
      if (body.thread_ts) message.threadTs = body.thread_ts;
      this.messages.set(ts, message);
      return { status: 200, body: { ok: true, channel, ts, message: { type: 'message', text: body.text, ts } } };
    }
    // chat.update takes the channel id only; a name is channel_not_found.
    if (body.channel !== channel) return { status: 200, body: { ok: false, error: 'channel_not_found' } };
    const existing = body.ts ? this.messages.get(body.ts) : undefined;
    if (!existing || existing.channel !== channel) return { status: 200, body: { ok: false, error: 'message_not_found' } };
    existing.text = body.text;
    existing.blocks = body.blocks ?? [];
    existing.edits += 1;
    return { status: 200, body: { ok: true, channel, ts: existing.ts, text: body.text } };
  }
}

// --- Microsoft Teams ----------------------------------------------------------------------

const require = createRequire(import.meta.url);
// The package's ESM build imports files without extensions, which Node refuses; its UMD build loads.
const AdaptiveCards = require('adaptivecards/dist/adaptivecards.js') as typeof import('adaptivecards');

/** The Adaptive Cards SDK's own parser and validator: every parse event and validation failure. */
export function adaptiveCardProblems(card: unknown): string[] {
  const problems: string[] = [];
  const parsed = new AdaptiveCards.AdaptiveCard();
  const context = new AdaptiveCards.SerializationContext();
  parsed.parse(card as Record<string, unknown>, context);
  for (let index = 0; index < context.eventCount; index++) {
    const event = context.getEventAt(index);
    problems.push(`parse: ${event.message}`);
  }
  for (const event of parsed.validateProperties().validationEvents) problems.push(`validate: ${event.message}`);
  return problems;
}

export class TeamsDouble extends HttpDouble {
  readonly cards: Array<Record<string, unknown>> = [];
  readonly path = '/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke';
  readonly signature = 'teamsSignatureSecretValue0123456789abcdef';

  constructor() {
    super((request) => this.#handle(request));
  }

  get webhookUrl(): string {
    return `${this.url}${this.path}?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${this.signature}`;
  }

  #handle(request: RecordedRequest): Reply {
    if (request.method !== 'POST' || request.path !== this.path) {
      this.violations.push(`teams: unexpected ${request.method} ${request.path}`);
      return { status: 404, body: { error: { code: 'NotFound', message: 'not found' } } };
    }
    if (request.query.get('sig') !== this.signature) return { status: 401, body: { error: { code: 'DirectApiAuthorizationRequired', message: 'bad signature' } } };
    const body = request.body as { type?: string; attachments?: Array<{ contentType?: string; content?: Record<string, unknown> }> } | undefined;
    const attachment = body?.attachments?.[0];
    if (body?.type !== 'message' || attachment?.contentType !== 'application/vnd.microsoft.card.adaptive' || !attachment.content) {
      this.violations.push('teams: body is not a message with an Adaptive Card attachment');
      return { status: 400, body: { error: { code: 'InvalidRequestContent', message: 'expected an Adaptive Card message' } } };
    }
    const problems = adaptiveCardProblems(attachment.content);
    if (problems.length > 0) this.violations.push(`teams card: ${problems.join('; ')}`);
    this.cards.push(attachment.content);
    return { status: 202, text: '' };
  }
}

// --- Discord ------------------------------------------------------------------------------

export interface DiscordStoredMessage {
  id: string;
  content: string;
  embeds: Array<Record<string, unknown>>;
  allowedMentions: unknown;
  edits: number;
  threadId?: string;
}

/** Discord's documented limits for messages and embeds (developer docs, Message resource). */
export function discordProblems(body: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const content = body['content'];
  const embeds = (body['embeds'] ?? []) as Array<Record<string, unknown>>;
  if ((typeof content !== 'string' || content === '') && embeds.length === 0) problems.push('needs content or embeds');
  if (typeof content === 'string' && content.length > 2000) problems.push('content over 2000 chars');
  if (embeds.length > 10) problems.push(`${embeds.length} embeds (max 10)`);
  let total = 0;
  embeds.forEach((embed, index) => {
    const title = String(embed['title'] ?? '');
    const description = String(embed['description'] ?? '');
    const footer = String((embed['footer'] as { text?: string } | undefined)?.text ?? '');
    const fields = (embed['fields'] ?? []) as Array<{ name?: string; value?: string }>;
    if (title.length > 256) problems.push(`embed ${index}: title over 256`);
    if (description.length > 4096) problems.push(`embed ${index}: description over 4096`);
    if (footer.length > 2048) problems.push(`embed ${index}: footer over 2048`);
    if (fields.length > 25) problems.push(`embed ${index}: ${fields.length} fields (max 25)`);
    fields.forEach((field, fieldIndex) => {
      if (!field.name || field.name.length > 256) problems.push(`embed ${index} field ${fieldIndex}: name empty or over 256`);
      if (!field.value || field.value.length > 1024) problems.push(`embed ${index} field ${fieldIndex}: value empty or over 1024`);
    });
    const color = embed['color'];
    if (color !== undefined && (typeof color !== 'number' || color < 0 || color > 0xffffff)) problems.push(`embed ${index}: color not 0..0xFFFFFF`);
    total += title.length + description.length + footer.length + fields.reduce((sum, field) => sum + (field.name?.length ?? 0) + (field.value?.length ?? 0), 0);
  });
  if (total > 6000) problems.push(`embeds total ${total} chars (max 6000)`);
  return problems;
}

export class DiscordDouble extends HttpDouble {
  readonly webhookId = '112233445566778899';
  readonly webhookToken = 'discordWebhookTokenSecret_abcdefghijklmnopqrstuvwxyz0123456789ABCDEF';
  readonly messages = new Map<string, DiscordStoredMessage>();
  #next = 1_100_000_000_000_000_000n;

  constructor() {
    super((request) => this.#handle(request));
  }

  get webhookUrl(): string {
    return `${this.url}/api/webhooks/${this.webhookId}/${this.webhookToken}`;
  }

  #handle(request: RecordedRequest): Reply {
    const match = /^\/api(?:\/v\d+)?\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(\d+))?$/.exec(request.path);
    if (!match) {
      this.violations.push(`discord: unexpected ${request.method} ${request.path}`);
      return { status: 404, body: { message: '404: Not Found', code: 0 } };
    }
    const [, id, token, messageId] = match;
    if (id !== this.webhookId) return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
    if (token !== this.webhookToken) return { status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } };
    const body = request.body as Record<string, unknown> | undefined;
    if (!body) return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
    const problems = discordProblems(body);
    if (problems.length > 0) {
      this.violations.push(`discord: ${problems.join('; ')}`);
      return { status: 400, body: { message: 'Invalid Form Body', code: 50035 } };
    }
    const stored = (message: DiscordStoredMessage) => ({
      id: message.id,
      type: 0,
      channel_id: '998877665544332211',
      content: message.content,
      embeds: message.embeds,
      webhook_id: this.webhookId,
      timestamp: new Date().toISOString(),
    });
    if (request.method === 'PATCH' && messageId) {
      const existing = this.messages.get(messageId);
      if (!existing) return { status: 404, body: { message: 'Unknown Message', code: 10008 } };
      existing.content = String(body['content'] ?? '');
      existing.embeds = (body['embeds'] ?? []) as Array<Record<string, unknown>>;
      existing.allowedMentions = body['allowed_mentions'];
      existing.edits += 1;
      return { status: 200, body: stored(existing) };
    }
    if (request.method !== 'POST' || messageId) {
      this.violations.push(`discord: unexpected ${request.method} ${request.path}`);
      return { status: 405, body: { message: '405: Method Not Allowed', code: 0 } };
    }
    this.#next += 1n;
    const message: DiscordStoredMessage = {
      id: String(this.#next),
      content: String(body['content'] ?? ''),
      embeds: (body['embeds'] ?? []) as Array<Record<string, unknown>>,
      allowedMentions: body['allowed_mentions'],
      edits: 0,
    };
    const threadId = request.query.get('thread_id');
    if (threadId) message.threadId = threadId;
    this.messages.set(message.id, message);
    // Without ?wait=true Discord answers 204 and the message id is lost.
    return request.query.get('wait') === 'true' ? { status: 200, body: stored(message) } : { status: 204 };
  }

  /** Discord's 429: Retry-After header and a JSON retry_after in (fractional) seconds. */
  rateLimit(retryAfterSeconds: number, times = 1): void {
    this.fault({
      times,
      reply: {
        status: 429,
        headers: { 'retry-after': String(Math.ceil(retryAfterSeconds)), 'x-ratelimit-scope': 'user' },
        body: { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: false },
      },
    });
  }
}

// --- Signed webhooks ----------------------------------------------------------------------

export interface WebhookDelivery {
  headers: RecordedRequest['headers'];
  rawBody: string;
  body: unknown;
  signatureValid: boolean;
}

export class WebhookReceiver extends HttpDouble {
  readonly secret: string;
  readonly path = '/hooks/deploy';
  readonly deliveries: WebhookDelivery[] = [];

  constructor(secret = 'webhook-signing-secret-0123456789') {
    super((request) => this.#handle(request));
    this.secret = secret;
  }

  get webhookUrl(): string {
    return `${this.url}${this.path}`;
  }

  async #handle(request: RecordedRequest): Promise<Reply> {
    if (request.method !== 'POST' || request.path !== this.path) {
      this.violations.push(`webhook: unexpected ${request.method} ${request.path}`);
      return { status: 404, text: 'not found' };
    }
    const header = String(request.headers['x-signature-256'] ?? '');
    // @octokit/webhooks-methods verifies GitHub's own sha256= signatures: an independent check.
    const signatureValid = header !== '' && (await verify(this.secret, request.rawBody, header));
    this.deliveries.push({ headers: request.headers, rawBody: request.rawBody, body: request.body, signatureValid });
    if (!signatureValid) {
      this.violations.push('webhook: X-Signature-256 missing or wrong');
      return { status: 401, text: 'bad signature' };
    }
    return { status: 200, body: { received: true } };
  }
}
