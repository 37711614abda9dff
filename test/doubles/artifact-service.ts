import { createHash, randomUUID } from 'node:crypto';
import type { Azurite } from '../sandbox/servers.ts';
import { BlobStore } from './blob-store.ts';
import { HttpDouble, type RecordedRequest, type Reply } from './http-double.ts';
import { messageReply, readMessage, twirpCall, twirpError, type MessageType } from './twirp.ts';

/**
 * GitHub's artifact service (v4 artifacts), as @actions/artifact talks to it: Twirp JSON under
 * ACTIONS_RESULTS_URL, `CreateArtifact` (a signed upload URL), the zip uploaded to that URL (Azurite
 * here), `FinalizeArtifact` with its size and SHA-256, which this double checks against the blob.
 * The runtime token is a JWT whose `scp` names the run's and job's backend ids, as the runner's is;
 * requests for another run, a second artifact of the same name in a run, or a finalize of nothing
 * are refused as the service refuses them.
 */

const SERVICE = 'github.actions.results.api.v1.ArtifactService';
const CONTAINER = 'actions-results';

type Messages = Record<'CreateArtifactRequest' | 'CreateArtifactResponse' | 'FinalizeArtifactRequest' | 'FinalizeArtifactResponse', MessageType>;

async function loadMessages(): Promise<Messages> {
  const url = new URL('../../node_modules/@actions/artifact/lib/generated/results/api/v1/artifact.js', import.meta.url);
  return (await import(url.href)) as Messages;
}

export interface StoredArtifact {
  id: number;
  name: string;
  runBackendId: string;
  blob: string;
  size: number;
  finalized: boolean;
}

export class ArtifactServiceDouble extends HttpDouble {
  readonly artifacts: StoredArtifact[] = [];
  readonly #store: BlobStore;
  /** Runtime token → the run and job backend ids its `scp` names. */
  readonly #tokens = new Map<string, { run: string; job: string }>();
  /** The token of environment() without a run key (a test's single job). */
  readonly #token: string;
  readonly #byRun = new Map<string, string>();
  #messages: Messages | undefined;

  constructor(azurite: Azurite) {
    super((request) => this.#route(request));
    this.#store = new BlobStore(azurite, CONTAINER);
    this.#token = this.#mint();
  }

  #mint(): string {
    const ids = { run: randomUUID(), job: randomUUID() };
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
  environment(run?: string): Record<string, string> {
    let token = this.#token;
    if (run !== undefined) {
      token = this.#byRun.get(run) ?? this.#mint();
      this.#byRun.set(run, token);
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
        const artifact: StoredArtifact = { id: this.artifacts.length + 1, name, runBackendId: grant.run, blob: `${grant.run}/${randomUUID()}.zip`, size: 0, finalized: false };
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
        return messageReply(messages.FinalizeArtifactResponse, { ok: true, artifactId: String(artifact.id) });
      }
      default:
        this.violations.push(`unsupported artifact service method ${method}`);
        return twirpError(404, 'bad_route', `no method ${method}`);
    }
  }
}
