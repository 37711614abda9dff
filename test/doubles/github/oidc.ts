import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { HttpDouble, type RecordedRequest, type Reply } from '../http-double.ts';

/**
 * GitHub Actions' OIDC token service: a job granted `id-token: write` gets ACTIONS_ID_TOKEN_REQUEST_URL
 * and ACTIONS_ID_TOKEN_REQUEST_TOKEN; `GET <url>&audience=<aud>` with that bearer token answers
 * `{ value: <JWT> }`, as @actions/core's getIDToken expects. The JWT is RS256-signed with this
 * double's key, published at /.well-known/jwks (and /.well-known/openid-configuration), so a test
 * verifies it as a cloud provider would. Its claims are GitHub's documented ones ("OpenID Connect
 * reference": sub, repository, ref, sha, environment, workflow_ref, job_workflow_ref, run_id...).
 * The issuer is this double's URL (GitHub's is https://token.actions.githubusercontent.com), so that
 * a verifier can find the keys from `iss` alone.
 */

export type OidcClaims = Record<string, string>;

function base64url(value: object | Buffer): string {
  return (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');
}

export class OidcDouble extends HttpDouble {
  readonly #privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly kid = randomUUID();
  /** Request token → the job's claims. */
  readonly #grants = new Map<string, OidcClaims>();
  /** Every JWT issued, decoded, for assertions. */
  readonly issued: Array<Record<string, unknown>> = [];

  constructor() {
    super((request) => this.#route(request));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#privateKey = privateKey;
    this.publicKey = publicKey;
  }

  get issuer(): string {
    return this.url;
  }

  /** What a job with id-token: write gets in its environment. */
  grant(claims: OidcClaims): { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string } {
    const token = `oidc-request-${randomUUID()}`;
    this.#grants.set(token, claims);
    return { ACTIONS_ID_TOKEN_REQUEST_URL: `${this.url}/_apis/idtoken?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: token };
  }

  /** The job ended: its request token is no longer accepted. */
  revoke(token: string): void {
    this.#grants.delete(token);
  }

  #route(request: RecordedRequest): Reply {
    if (request.method === 'GET' && request.path === '/.well-known/openid-configuration') {
      return {
        status: 200,
        body: {
          issuer: this.issuer,
          jwks_uri: `${this.url}/.well-known/jwks`,
          subject_types_supported: ['public', 'pairwise'],
          response_types_supported: ['id_token'],
          claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'repository_owner', 'run_id', 'run_number', 'run_attempt', 'actor', 'workflow', 'workflow_ref', 'job_workflow_ref', 'environment', 'event_name', 'ref_type', 'sha'],
          id_token_signing_alg_values_supported: ['RS256'],
        },
      };
    }
    if (request.method === 'GET' && request.path === '/.well-known/jwks') {
      const jwk = this.publicKey.export({ format: 'jwk' });
      return { status: 200, body: { keys: [{ ...jwk, kid: this.kid, alg: 'RS256', use: 'sig' }] } };
    }
    if (request.method !== 'GET' || request.path !== '/_apis/idtoken') {
      this.violations.push(`OIDC double: no ${request.method} ${request.path}`);
      return { status: 404, body: { message: 'Not Found' } };
    }
    const bearer = /^bearer (.+)$/i.exec(String(request.headers.authorization ?? ''))?.[1];
    const claims = bearer ? this.#grants.get(bearer) : undefined;
    if (!claims) return { status: 401, body: { message: 'the request token is missing, unknown or expired' } };
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      jti: randomUUID(),
      ...claims,
      aud: request.query.get('audience') || `https://github.com/${claims['repository_owner']}`,
      iss: this.issuer,
      nbf: now - 5,
      iat: now,
      exp: now + 300,
    };
    const header = { alg: 'RS256', typ: 'JWT', kid: this.kid };
    const signingInput = `${base64url(header)}.${base64url(payload)}`;
    const signature = sign('sha256', Buffer.from(signingInput), this.#privateKey);
    this.issued.push(payload);
    return { status: 200, body: { count: 1, value: `${signingInput}.${base64url(signature)}` } };
  }
}
