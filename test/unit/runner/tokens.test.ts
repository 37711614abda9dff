import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { defaultPermissions, SCOPES } from '../../doubles/runner/permissions.ts';
import { jobOf } from '../../doubles/runner/transcript.ts';
import { runOnce } from '../../harness/workflow-repo.ts';

/**
 * The GITHUB_TOKEN and the OIDC token a job gets: exactly its permissions, checked by the GitHub
 * double route by route; GitHub's documented default for a workflow that declares none (the
 * restricted setting, new repositories since 2023-02-02); an OIDC token only with id-token: write,
 * signed, with GitHub's claims.
 */

const out = mkdtempSync(join(tmpdir(), 'tokens-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** A step that calls the GitHub double with the job's token and writes the status codes to a file. */
function probe(file: string): string {
  return [
    'api() { curl -s -o /dev/null -w "%{http_code}" -X "$1" -H "Authorization: Bearer $TOKEN" -H "content-type: application/json" ${3:+-d "$3"} "$GITHUB_API_URL/repos/$GITHUB_REPOSITORY$2"; }',
    `echo "repo=$(api GET '') deployments=$(api GET /deployments) create=$(api POST /deployments '{"ref":"main","required_contexts":[]}') actions=$(api GET /actions/runs/$GITHUB_RUN_ID)" > ${join(out, file)}`,
  ].join('\n');
}

function job(permissions: string, file: string): string {
  return `${permissions}    runs-on: ubuntu-latest\n    steps:\n      - env:\n          TOKEN: \${{ github.token }}\n        run: |\n${probe(file).replace(/^/gm, '          ')}\n`;
}

describe('GITHUB_TOKEN permissions', () => {
  test('the token carries exactly the job’s permissions: what they allow answers, the rest is 403 (RWF, PERM)', async () => {
    const { transcript } = await runOnce(`on: push\njobs:\n  reader:\n${job('    permissions:\n      contents: read\n', 'reader')}  deployer:\n${job('    permissions:\n      contents: read\n      deployments: write\n      actions: read\n', 'deployer')}`);
    expect(transcript.conclusion).toBe('success');
    expect(readFileSync(join(out, 'reader'), 'utf8').trim()).toBe('repo=200 deployments=403 create=403 actions=403');
    expect(readFileSync(join(out, 'deployer'), 'utf8').trim()).toBe('repo=200 deployments=200 create=201 actions=200');
    expect(jobOf(transcript, 'deployer').permissions).toEqual({ contents: 'read', deployments: 'write', actions: 'read' });
  });

  test('a workflow that declares no permissions gets GitHub’s restricted default (contents and packages read); permissive when the repository says so (changelog 2023-02-02)', async () => {
    expect(Object.entries(defaultPermissions()).filter(([, level]) => level !== 'none')).toEqual([
      ['contents', 'read'],
      ['packages', 'read'],
    ]);
    const restricted = await runOnce(`on: push\njobs:\n  a:\n${job('', 'restricted')}`);
    expect(jobOf(restricted.transcript, 'a').permissions).toEqual({ contents: 'read', packages: 'read' });
    expect(readFileSync(join(out, 'restricted'), 'utf8').trim()).toBe('repo=200 deployments=403 create=403 actions=403');
    const permissive = await runOnce(`on: push\njobs:\n  a:\n${job('', 'permissive')}`, { defaultPermissions: 'permissive' });
    expect(readFileSync(join(out, 'permissive'), 'utf8').trim()).toBe('repo=200 deployments=200 create=201 actions=200');
    expect(jobOf(permissive.transcript, 'a').permissions['id-token']).toBeUndefined();
  });

  test('the scopes and their levels are GitHub’s schema’s: id-token is write or nothing, models read or nothing', () => {
    expect(SCOPES['id-token']).toEqual(['write']);
    expect(SCOPES['models']).toEqual(['read']);
    expect(SCOPES['deployments']).toEqual(['read', 'write']);
  });

  test('the token stops working when the job ends', async () => {
    const file = join(out, 'token');
    const { repo } = await runOnce(`on: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "\${{ github.token }}" > ${file}\n`);
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^ghs_/);
    expect(repo.github.tokens.has(token)).toBe(false);
  });
});

describe('OIDC', () => {
  test('with id-token: write a job gets ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN and an RS256 JWT with GitHub’s claims, verifiable with the issuer’s keys; without it, none (SYN, OIDC reference)', async () => {
    const file = join(out, 'jwt');
    const workflow = [
      'on: push',
      'jobs:',
      '  with:',
      '    environment: production',
      '    permissions:',
      '      id-token: write',
      '      contents: read',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: |',
      `          curl -s -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=sts.amazonaws.com" | jq -r .value > ${file}`,
      '  without:',
      '    permissions:',
      '      contents: read',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo "url=[${ACTIONS_ID_TOKEN_REQUEST_URL:-}] token=[${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-}]"',
      '',
    ].join('\n');
    let jwks: { keys: Array<Record<string, unknown>> } = { keys: [] };
    const { transcript } = await runOnce(workflow, {
      during: async (repo, run) => {
        await run.done;
        // The verifier's way: the issuer's JWKS, found from iss (read while the double still runs).
        const issuer = repo.runner.oidc.issuer;
        const configuration = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
        jwks = (await (await fetch(configuration.jwks_uri)).json()) as typeof jwks;
      },
    });
    expect(transcript.errors).toEqual([]);
    expect(transcript.conclusion).toBe('success');
    expect(jobOf(transcript, 'without').steps[0]?.log).toContain('url=[] token=[]');
    const jwt = readFileSync(file, "utf8").trim();
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
    const claims = decode(payload);
    const key = jwks.keys.find((candidate) => candidate['kid'] === decode(header)['kid']);
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), createPublicKey({ key: key as never, format: 'jwk' }), Buffer.from(signature, 'base64url'))).toBe(true);
    expect(claims).toMatchObject({
      aud: 'sts.amazonaws.com',
      sub: 'repo:acme/app:environment:production',
      repository: 'acme/app',
      repository_owner: 'acme',
      ref: 'refs/heads/main',
      environment: 'production',
      job_workflow_ref: 'acme/app/.github/workflows/test.yml@refs/heads/main',
      workflow_ref: 'acme/app/.github/workflows/test.yml@refs/heads/main',
      run_id: String(transcript.runId),
      event_name: 'push',
    });
    expect(Number(claims['exp'])).toBeGreaterThan(Number(claims['iat']));
  });
});
