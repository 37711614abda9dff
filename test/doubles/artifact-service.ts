import { createHash, randomUUID } from 'node:crypto';
import type { Azurite } from '../sandbox/servers.ts';
import { BlobStore } from './blob-store.ts';
import { HttpDouble, type RecordedRequest, type Reply } from './http-double.ts';
import { messageReply, readMessage, twirpCall, twirpError, type MessageType } from './twirp.ts';

/**
 * GitHub's artifact service (v4 artifacts), as @actions/artifact talks to it: Twirp JSON under
 * ACTIONS_RESULTS_URL, `CreateArtifact` (a signed upload URL), the zip uploaded to that URL (Azurite
 * here), `FinalizeArtifact` with its size and SHA-256, which this double checks against the blob;
 * `ListArtifacts` (by name or id) and `GetSignedArtifactURL` (a signed read URL) for downloads within
 * the run. The runtime token is a JWT whose `scp` names the run's and job's backend ids, as the
 * runner's is; requests for another run, a second artifact of the same name in a run, or a finalize
 * of nothing are refused as the service refuses them.
 */

const SERVICE = 'github.actions.results.api.v1.ArtifactService';
const CONTAINER = 'actions-results';

type Messages = Record<
  | 'CreateArtifactRequest'
  | 'CreateArtifactResponse'
  | 'FinalizeArtifactRequest'
  | 'FinalizeArtifactResponse'
  | 'ListArtifactsRequest'
  | 'ListArtifactsResponse'
  | 'GetSignedArtifactURLRequest'
  | 'GetSignedArtifactURLResponse',
  MessageType
>;

async function loadMessages(): Promise<Messages> {
  const url = new URL('../../node_modules/@actions/artifact/lib/generated/results/api/v1/artifact.js', import.meta.url);
  return (await import(url.href)) as Messages;
}

export interface StoredArtifact {
  id: number;
  name: string;
  runBackendId: string;
  jobBackendId?: string;
  blob: string;
  size: number;
  finalized: boolean;
  /** sha256:<hex>, as FinalizeArtifact gave it. */
  hash?: string;
}

export class ArtifactServiceDouble extends HttpDouble {
  readonly artifacts: StoredArtifact[] = [];
  readonly #store: BlobStore;
  /** Runtime token → the run and job backend ids its `scp` names. */
  readonly #tokens = new Map<string, { run: string; job: string }>();
  /** The token of environment() without a run key (a test's single job). */
  readonly #token: string;
  readonly #byRun = new Map<string, string>();
  readonly #runIds = new Map<string, string>();
  #messages: Messages | undefined;

  constructor(azurite: Azurite) {
    super((request) => this.#route(request));
    this.#store = new BlobStore(azurite, CONTAINER);
    this.#token = this.#mint();
  }

  #mint(run: string = randomUUID()): string {
    const ids = { run, job: randomUUID() };
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    // The runner's token is signed by GitHub; clients only decode it, so this one carries no signature.
    const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ scp: `Actions.GenericRead:00000000 Actions.Results:${ids.run}:${ids.job}` })}.`;
    this.#tokens.set(token, ids);
    return token;
  }

  override async start(): Promise<this> {
    this.#messages = await loadMessages();
    await this.#store.create();
    return super.start();
  }

  /**
   * The environment a job step needs to reach this service the way a hosted runner's would. With a
   * `run` key (the runner double's run and job), each key gets its own run backend id, so artifact
   * names are unique per run as on GitHub.
   */
  environment(run?: string, job = ''): Record<string, string> {
    let token = this.#token;
    if (run !== undefined) {
      // One run backend id per run, one job backend id per job of it.
      const runId = this.#runIds.get(run) ?? randomUUID();
      this.#runIds.set(run, runId);
      token = this.#byRun.get(`${run}\n${job}`) ?? this.#mint(runId);
      this.#byRun.set(`${run}\n${job}`, token);
    }
    return { ACTIONS_RESULTS_URL: `${this.url}/`, ACTIONS_RUNTIME_TOKEN: token, GITHUB_SERVER_URL: 'https://github.com' };
  }

  /** The bytes of a finalized artifact (a zip, as the client writes it). */
  async contents(name: string): Promise<Buffer> {
    const artifact = this.artifacts.find((candidate) => candidate.name === name && candidate.finalized);
    if (!artifact) throw new Error(`no finalized artifact named ${name}`);
    return this.#store.read(artifact.blob);
  }

  async #route(request: RecordedRequest): Promise<Reply> {
    const messages = this.#messages as Messages;
    const call = twirpCall(request, SERVICE, this.violations);
    if (!('method' in call)) return call;
    const grant = call.token === undefined ? undefined : this.#tokens.get(call.token);
    if (!grant) return twirpError(401, 'unauthenticated', 'the runtime token is missing or unknown');
    const { method } = call;
    const ownRun = (message: Record<string, unknown>) => message['workflowRunBackendId'] === grant.run && message['workflowJobRunBackendId'] === grant.job;

    switch (method) {
      case 'CreateArtifact': {
        const message = readMessage(messages.CreateArtifactRequest, request, method, this.violations);
        if (!message) return twirpError(400, 'malformed', 'body does not match CreateArtifactRequest');
        if (!ownRun(message)) return twirpError(403, 'permission_denied', 'the token does not cover this workflow run');
        const name = message['name'] as string;
        if (this.artifacts.some((artifact) => artifact.name === name && artifact.runBackendId === grant.run)) return twirpError(409, 'already_exists', `an artifact with this name already exists on the workflow run`);
        const artifact: StoredArtifact = { id: this.artifacts.length + 1, name, runBackendId: grant.run, jobBackendId: grant.job, blob: `${grant.run}/${randomUUID()}.zip`, size: 0, finalized: false };
        this.artifacts.push(artifact);
        return messageReply(messages.CreateArtifactResponse, { ok: true, signedUploadUrl: this.#store.sign(artifact.blob, 'cw') });
      }
      case 'FinalizeArtifact': {
        const message = readMessage(messages.FinalizeArtifactRequest, request, method, this.violations);
        if (!message) return twirpError(400, 'malformed', 'body does not match FinalizeArtifactRequest');
        if (!ownRun(message)) return twirpError(403, 'permission_denied', 'the token does not cover this workflow run');
        const artifact = this.artifacts.find((candidate) => candidate.name === message['name'] && candidate.runBackendId === grant.run && !candidate.finalized);
        if (!artifact) return twirpError(404, 'not_found', 'no artifact was created with this name');
        const stored = await this.#store.read(artifact.blob).catch(() => undefined);
        const hash = (message['hash'] as { value?: string } | undefined)?.value;
        const actual = stored && `sha256:${createHash('sha256').update(stored).digest('hex')}`;
        if (!stored || stored.length !== Number(message['size']) || (hash !== undefined && hash !== actual)) {
          this.violations.push(`FinalizeArtifact for ${artifact.name} claims ${String(message['size'])} bytes and ${hash}, the blob holds ${stored?.length ?? 'nothing'} and ${actual}`);
          return twirpError(400, 'failed_precondition', 'the uploaded blob is missing or differs from its size or hash');
        }
        artifact.size = stored.length;
        artifact.finalized = true;
        artifact.hash = actual;
        return messageReply(messages.FinalizeArtifactResponse, { ok: true, artifactId: String(artifact.id) });
      }
      case 'ListArtifacts': {
        const message = readMessage(messages.ListArtifactsRequest, request, method, this.violations);
        if (!message) return twirpError(400, 'malformed', 'body does not match ListArtifactsRequest');
        if (message['workflowRunBackendId'] !== grant.run) return twirpError(403, 'permission_denied', 'the token does not cover this workflow run');
        const wrapped = (value: unknown) => (value !== null && typeof value === 'object' ? (value as { value?: unknown }).value : value);
        const name = wrapped(message['nameFilter']);
        const id = wrapped(message['idFilter']);
        const found = this.artifacts.filter((artifact) => artifact.finalized && artifact.runBackendId === grant.run && (name === undefined || artifact.name === name) && (id === undefined || String(artifact.id) === String(id)));
        return messageReply(messages.ListArtifactsResponse, {
          artifacts: found.map((artifact) => ({
            workflowRunBackendId: artifact.runBackendId,
            workflowJobRunBackendId: artifact.jobBackendId ?? '',
            databaseId: String(artifact.id),
            name: artifact.name,
            size: String(artifact.size),
            ...(artifact.hash ? { digest: { value: artifact.hash } } : {}),
          })),
        });
      }
      case 'GetSignedArtifactURL': {
        const message = readMessage(messages.GetSignedArtifactURLRequest, request, method, this.violations);
        if (!message) return twirpError(400, 'malformed', 'body does not match GetSignedArtifactURLRequest');
        if (message['workflowRunBackendId'] !== grant.run) return twirpError(403, 'permission_denied', 'the token does not cover this workflow run');
        const artifact = this.artifacts.find((candidate) => candidate.finalized && candidate.runBackendId === grant.run && candidate.name === message['name']);
        if (!artifact) return twirpError(404, 'not_found', 'no artifact with this name in the run');
        return messageReply(messages.GetSignedArtifactURLResponse, { signedUrl: this.#store.sign(artifact.blob, 'r') });
      }
      default:
        this.violations.push(`unsupported artifact service method ${method}`);
        return twirpError(404, 'bad_route', `no method ${method}`);
    }
  }
}
