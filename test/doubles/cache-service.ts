import { randomUUID } from 'node:crypto';
import type { Azurite } from '../sandbox/servers.ts';
import { BlobStore } from './blob-store.ts';
import type { ActionsCache, GitHubDouble } from './github/server.ts';
import { HttpDouble, type RecordedRequest, type Reply } from './http-double.ts';
import { messageReply, readMessage, twirpCall, twirpError, type MessageType } from './twirp.ts';

/**
 * GitHub's cache service (v2), as @actions/cache talks to it: Twirp JSON under ACTIONS_RESULTS_URL,
 * `POST /twirp/github.actions.results.api.v1.CacheService/<Method>`, bearer ACTIONS_RUNTIME_TOKEN.
 * Blobs go to Azurite, the Azure Storage emulator, through SAS URLs this double signs, as the real
 * service signs Azure Storage URLs.
 *
 * Requests are read with the message types generated from the service's .proto that ship in the
 * installed @actions/cache (strictly: an unknown field or a wrong type is a 400 and a violation), and
 * replies are written with them. Lookups follow GitHub's documented matching: in the run's own scope
 * first, then each further readable scope (a PR's base branch, the default branch): the key exactly,
 * then the key as a prefix, then each restore key as a prefix; the newest entry of a prefix wins, and
 * the version (paths and compression) must be equal.
 *
 * Finalized entries are kept in a GitHubDouble's `caches` when one is given, so the REST API's
 * list and delete calls (prune) see and remove the same entries.
 */

const SERVICE = 'github.actions.results.api.v1.CacheService';
const CONTAINER = 'actions-cache';

type Messages = Record<
  | 'CreateCacheEntryRequest'
  | 'CreateCacheEntryResponse'
  | 'FinalizeCacheEntryUploadRequest'
  | 'FinalizeCacheEntryUploadResponse'
  | 'GetCacheEntryDownloadURLRequest'
  | 'GetCacheEntryDownloadURLResponse',
  MessageType
>;

/** The generated protobuf message types inside the installed library (not part of its public exports). */
async function loadMessages(): Promise<Messages> {
  const url = new URL('../../node_modules/@actions/cache/lib/generated/results/api/v1/cache.js', import.meta.url);
  return (await import(url.href)) as Messages;
}

/** What a runtime token may do: write in one scope (the run's ref) or none, read in these, in this order. */
export interface CacheGrant {
  writeScope: string | undefined;
  readScopes: string[];
}

interface Reservation {
  id: number;
  key: string;
  version: string;
  scope: string;
  blob: string;
}

export class CacheServiceDouble extends HttpDouble {
  readonly tokens = new Map<string, CacheGrant>();
  /** Finalized entries: the GitHub double's when linked, so REST prune deletes from the same list. */
  readonly entries: ActionsCache[];
  readonly #reservations = new Map<string, Reservation>();
  /** Entry id → its blob in Azurite. */
  readonly #blobs = new Map<number, string>();
  readonly #store: BlobStore;
  #messages: Messages | undefined;
  #nextId = 1;
  /** The service's clock: tests move it so that entries have distinct creation times. */
  now: () => Date = () => new Date();

  constructor(azurite: Azurite, options: { github?: GitHubDouble } = {}) {
    super((request) => this.#route(request));
    this.#store = new BlobStore(azurite, CONTAINER);
    this.entries = options.github?.caches ?? [];
  }

  override async start(): Promise<this> {
    this.#messages = await loadMessages();
    await this.#store.create();
    return super.start();
  }

  /**
   * A runtime token for a job on `ref` that may also read `alsoReads` (base and default branches);
   * `readOnly` gives one without a writable scope, as GitHub issues where cache writes are not allowed.
   */
  issueToken(ref: string, alsoReads: string[] = [], options: { readOnly?: boolean } = {}): string {
    const token = `runtime-${randomUUID()}`;
    this.tokens.set(token, { writeScope: options.readOnly ? undefined : ref, readScopes: [ref, ...alsoReads.filter((scope) => scope !== ref)] });
    return token;
  }

  /** The environment a job step needs to reach this service the way a hosted runner's would. */
  environment(token: string): Record<string, string> {
    return { ACTIONS_CACHE_SERVICE_V2: 'true', ACTIONS_RESULTS_URL: `${this.url}/`, ACTIONS_RUNTIME_TOKEN: token };
  }

  async #route(request: RecordedRequest): Promise<Reply> {
    const messages = this.#messages as Messages;
    const call = twirpCall(request, SERVICE, this.violations);
    if (!('method' in call)) return call;
    const grant = call.token ? this.tokens.get(call.token) : undefined;
    if (!grant) return twirpError(401, 'unauthenticated', 'the runtime token is missing or unknown');

    const { method } = call;
    const parse = (type: MessageType) => readMessage(type, request, method, this.violations);

    switch (method) {
      case 'CreateCacheEntry': {
        const message = parse(messages.CreateCacheEntryRequest);
        if (!message) return twirpError(400, 'malformed', 'body does not match CreateCacheEntryRequest');
        const { key, version } = message as { key: string; version: string };
        const problem = this.#keyProblem(key, version);
        if (problem) return twirpError(400, 'invalid_argument', problem);
        // The service's answer to a token without a writable scope: 200, ok false, this message.
        if (!grant.writeScope) return messageReply(messages.CreateCacheEntryResponse, { ok: false, message: 'cache write denied: token has no writable scopes' });
        const reservationKey = `${grant.writeScope}\0${key}\0${version}`;
        const taken = this.entries.some((entry) => entry.ref === grant.writeScope && entry.key === key && entry.version === version) || this.#reservations.has(reservationKey);
        if (taken) return twirpError(409, 'already_exists', 'cache entry with the same key, version, and scope already exists');
        const id = this.#nextId++;
        const blob = `${id}-${randomUUID()}`;
        this.#reservations.set(reservationKey, { id, key, version, scope: grant.writeScope, blob });
        return messageReply(messages.CreateCacheEntryResponse, { ok: true, signedUploadUrl: this.#store.sign(blob, 'cw') });
      }
      case 'FinalizeCacheEntryUpload': {
        const message = parse(messages.FinalizeCacheEntryUploadRequest);
        if (!message) return twirpError(400, 'malformed', 'body does not match FinalizeCacheEntryUploadRequest');
        const { key, version, sizeBytes } = message as { key: string; version: string; sizeBytes: string };
        if (!grant.writeScope) return twirpError(403, 'permission_denied', 'cache write denied: token has no writable scopes');
        const reservationKey = `${grant.writeScope}\0${key}\0${version}`;
        const reservation = this.#reservations.get(reservationKey);
        if (!reservation) return twirpError(404, 'not_found', 'no cache entry was created with this key and version');
        const stored = await this.#store.size(reservation.blob);
        if (stored === undefined || stored !== Number(sizeBytes)) {
          this.violations.push(`FinalizeCacheEntryUpload for ${key} claims ${sizeBytes} bytes, the blob holds ${stored ?? 'nothing'}`);
          return twirpError(400, 'failed_precondition', 'the uploaded blob is missing or its size differs');
        }
        this.#reservations.delete(reservationKey);
        const created = this.now().toISOString();
        this.entries.push({ id: reservation.id, key, ref: reservation.scope, version, sizeInBytes: stored, createdAt: created, lastAccessedAt: created });
        this.#blobs.set(reservation.id, reservation.blob);
        return messageReply(messages.FinalizeCacheEntryUploadResponse, { ok: true, entryId: String(reservation.id) });
      }
      case 'GetCacheEntryDownloadURL': {
        const message = parse(messages.GetCacheEntryDownloadURLRequest);
        if (!message) return twirpError(400, 'malformed', 'body does not match GetCacheEntryDownloadURLRequest');
        const { key, restoreKeys, version } = message as { key: string; restoreKeys: string[]; version: string };
        const found = this.lookup(grant.readScopes, key, restoreKeys, version);
        if (!found) return messageReply(messages.GetCacheEntryDownloadURLResponse, { ok: false });
        found.lastAccessedAt = this.now().toISOString();
        const blob = this.#blobs.get(found.id);
        if (!blob) throw new Error(`entry ${found.id} has no blob`);
        return messageReply(messages.GetCacheEntryDownloadURLResponse, { ok: true, signedDownloadUrl: this.#store.sign(blob, 'r'), matchedKey: found.key });
      }
      default:
        this.violations.push(`unknown cache service method ${method}`);
        return twirpError(404, 'bad_route', `no method ${method}`);
    }
  }

  #keyProblem(key: string, version: string): string | undefined {
    if (!key || key.length > 512 || key.includes(',')) return `invalid key ${JSON.stringify(key)}`;
    if (!/^[0-9a-f]{64}$/.test(version)) return `invalid version ${JSON.stringify(version)}`;
    return undefined;
  }

  /** GitHub's cache key matching, scope by scope. */
  lookup(scopes: readonly string[], key: string, restoreKeys: readonly string[], version: string): ActionsCache | undefined {
    const newest = (candidates: ActionsCache[]) => candidates.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id)[0];
    for (const scope of scopes) {
      const inScope = this.entries.filter((entry) => entry.ref === scope && entry.version === version);
      const exact = inScope.find((entry) => entry.key === key);
      if (exact) return exact;
      for (const prefix of [key, ...restoreKeys]) {
        const found = newest(inScope.filter((entry) => entry.key.startsWith(prefix)));
        if (found) return found;
      }
    }
    return undefined;
  }
}
