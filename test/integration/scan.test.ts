import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { base62, crc32 } from '../../actions/scan/src/secrets/checks.ts';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { ArtifactServiceDouble } from '../doubles/artifact-service.ts';
import { OsvDouble } from '../doubles/osv.ts';
import { startAzurite } from '../sandbox/servers.ts';
import { writeFiles } from '../harness/files.ts';
import { ActionHarness } from '../harness/run-action.ts';

/**
 * scan through its bundle, as the runner runs it, on fixture repositories made here (real Git
 * history); SARIF judged by Microsoft's SARIF Multitool; OSV records in OSV's published format.
 */

const run = promisify(execFile);
const harness = new ActionHarness();
const scratch = mkdtempSync(join(tmpdir(), 'scan-it-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const MULTITOOL = join(process.cwd(), 'node_modules', '.bin', 'sarif-multitool');

/** A token in GitHub's format with a valid checksum; random each run so no fixture is a known value. */
function githubToken(prefix = 'ghp'): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let body = '';
  for (let i = 0; i < 30; i++) body += alphabet[Math.floor(Math.random() * alphabet.length)];
  return `${prefix}_${body}${base62(crc32(body), 6)}`;
}

function randomFrom(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

async function git(root: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd: root, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' } });
  return stdout.trim();
}

async function repo(files: Record<string, string | Buffer>): Promise<string> {
  const root = mkdtempSync(join(scratch, 'repo-'));
  await git(root, 'init', '-q', '-b', 'main');
  writeFiles(root, files);
  await git(root, 'add', '-A');
  await git(root, 'commit', '-q', '-m', 'initial');
  return root;
}

async function commit(root: string, files: Record<string, string | Buffer>, remove: string[] = []): Promise<string> {
  writeFiles(root, files);
  for (const path of remove) rmSync(join(root, path));
  await git(root, 'add', '-A');
  await git(root, 'commit', '-q', '-m', 'change');
  return git(root, 'rev-parse', 'HEAD');
}

function report(result: { outputs: Record<string, string> }): { findings: Array<{ ruleId: string; path: string; line: number; severity: string; message: string; fingerprint: string; suppressed?: unknown; commit?: string }>; skipped: Array<{ path: string; reason: string }> } {
  return JSON.parse(readFileSync(result.outputs['report'] as string, 'utf8'));
}

async function multitoolErrors(sarifFile: string): Promise<unknown[]> {
  const out = join(scratch, `validation-${Math.random().toString(36).slice(2)}.sarif`);
  await run(MULTITOOL, ['validate', sarifFile, '--output', out], { timeout: 120_000 });
  const validation = JSON.parse(readFileSync(out, 'utf8')) as { runs: Array<{ results?: Array<{ level?: string; ruleId: string; message: unknown }> }> };
  return (validation.runs[0]?.results ?? []).filter((result) => (result.level ?? 'warning') === 'error');
}

const LODASH_RECORD = {
  schema_version: '1.6.0',
  id: 'GHSA-35jh-r3h4-6jhm',
  modified: '2024-01-01T00:00:00Z',
  aliases: ['CVE-2021-23337'],
  summary: 'Command Injection in lodash',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }], database_specific: { source: 'fixture' } }],
  database_specific: { severity: 'HIGH' },
};
const DJANGO_RECORD = {
  schema_version: '1.6.0',
  id: 'PYSEC-2021-fixture',
  modified: '2024-01-01T00:00:00Z',
  summary: 'Django fixture advisory',
  affected: [{ package: { ecosystem: 'PyPI', name: 'Django' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '3.2' }, { fixed: '3.2.5' }, { introduced: '4.0a1' }, { fixed: '4.0.2' }] }] }],
  database_specific: { severity: 'CRITICAL' },
};

describe('scan on a fixture repository with one of everything', () => {
  test('every scanner finds its planted problem; decoys, placeholders and ignored lines stay quiet; SARIF validates', async () => {
    const token = githubToken();
    const badChecksum = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const awsKey = `AKIA${randomFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}`;
    const slack = ['https://hooks.slack.com/services', `T${randomFrom('ABCDEFGHIJ0123456789', 9)}`, `B${randomFrom('ABCDEFGHIJ0123456789', 9)}`, randomFrom('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 24)].join('/');
    const ignored = githubToken();
    const root = await repo({
      'config/prod.env': `GITHUB_TOKEN=${token}\nAWS_ACCESS_KEY_ID=${awsKey}\nSLACK_WEBHOOK=${slack}\n`,
      'docs/example.md': `token: ${badChecksum}\napi_key = "your_api_key_here"\nsha: "${'a'.repeat(0)}${'3f7a9c2e'.repeat(8)}"\nAKIAIOSFODNN7EXAMPLE\n`,
      'scripts/allowed.sh': `export TOKEN=${ignored} # scan:ignore\n`,
      'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]),
      '.github/workflows/pr.yml': [
        'on: pull_request_target',
        'jobs:',
        '  build:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - uses: actions/checkout@v4',
        '        with:',
        '          ref: ${{ github.event.pull_request.head.sha }}',
        '      - run: echo "${{ github.event.pull_request.title }}"',
        "      - run: echo \"${{ contains(github.ref, 'github.event.issue.title') }}\"",
        '  deploy:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - run: kubectl apply -f k8s/',
        '',
      ].join('\n'),
      'package-lock.json': JSON.stringify({ name: 'app', lockfileVersion: 3, packages: { '': { name: 'app' }, 'node_modules/lodash': { version: '4.17.20' }, 'node_modules/left-pad': { version: '1.3.0' } } }, null, 2),
      'requirements.txt': 'Django==3.2.4\nrequests>=2\n',
      'osv/lodash.json': JSON.stringify(LODASH_RECORD),
      'osv/django.json': JSON.stringify(DJANGO_RECORD),
      'k8s/deploy.yaml': ['apiVersion: apps/v1', 'kind: Deployment', 'metadata: { name: web }', 'spec:', '  template:', '    spec:', '      containers:', '        - name: web', '          image: nginx:latest', '          securityContext: { privileged: true }', ''].join('\n'),
      Dockerfile: 'FROM node\nRUN curl -fsSL https://example.invalid/install.sh | bash\n',
    });
    const { main } = await harness.run('scan', { workspace: root, inputs: { 'osv-offline-dir': 'osv', 'sarif-file': join(root, '..', 'out.sarif') } });
    expect(main.exitCode, main.log).toBe(1);
    const { findings, skipped } = report(main);
    const rules = findings.map((finding) => `${finding.ruleId} ${finding.path}:${finding.line}`);
    expect(rules).toEqual(
      expect.arrayContaining([
        'secrets/github-pat config/prod.env:1',
        'secrets/aws-access-key-id config/prod.env:2',
        'secrets/slack-webhook-url config/prod.env:3',
        'workflows/dangerous-trigger .github/workflows/pr.yml:1',
        'workflows/untrusted-checkout .github/workflows/pr.yml:6',
        'workflows/template-injection .github/workflows/pr.yml:9',
        'workflows/unpinned-uses .github/workflows/pr.yml:6',
        'workflows/deploy-without-environment .github/workflows/pr.yml:12',
        'workflows/deploy-from-pull-request-target .github/workflows/pr.yml:12',
        'dependencies/known-vulnerability package-lock.json:8',
        'dependencies/known-vulnerability requirements.txt:1',
        'manifests/k8s-privileged k8s/deploy.yaml:10',
        'manifests/k8s-image-not-pinned k8s/deploy.yaml:9',
        'manifests/docker-curl-pipe-shell Dockerfile:2',
        'manifests/docker-unpinned-base Dockerfile:1',
        'manifests/docker-root-user Dockerfile:1',
      ]),
    );
    // Decoys: a bad checksum, a placeholder, a digest, AWS's documentation key, an ignored line, a string literal in an expression.
    expect(findings.filter((finding) => finding.path === 'docs/example.md' || finding.path === 'scripts/allowed.sh')).toEqual([]);
    expect(findings.filter((finding) => finding.ruleId === 'workflows/template-injection')).toHaveLength(1);
    expect(findings.find((finding) => finding.path === 'package-lock.json')?.message).toContain('fixed in 4.17.21');
    expect(findings.find((finding) => finding.path === 'package-lock.json')?.severity).toBe('high');
    expect(findings.find((finding) => finding.path === 'requirements.txt')?.message).toContain('fixed in 3.2.5');
    expect(findings.find((finding) => finding.path === 'requirements.txt')?.severity).toBe('critical');
    expect(skipped).toEqual([{ path: 'latin1.txt', reason: expect.stringContaining('not valid UTF-8') }]);
    expect(main.outputs['findings']).toBe(String(findings.length));
    expect(JSON.parse(main.outputs['by-severity'] as string)).toMatchObject({ critical: expect.any(Number), high: expect.any(Number) });
    expect(main.errors.length).toBe(10);
    expect(main.errors.filter((error) => error.properties['file'])).toHaveLength(9);
    expect(main.summary).toContain('more findings are not annotated');
    expect(main.summary).toContain('secrets/github-pat');

    // No secret in any output: log, summary, annotations, SARIF, report.
    const sarifText = readFileSync(main.outputs['sarif'] as string, 'utf8');
    const everything = [main.log, main.summary, JSON.stringify(main.errors), JSON.stringify(main.warnings), sarifText, readFileSync(main.outputs['report'] as string, 'utf8')].join('\n');
    for (const secret of [token, awsKey, slack, slack.split('/').pop() as string]) expect(everything).not.toContain(secret);

    expect(await multitoolErrors(main.outputs['sarif'] as string)).toEqual([]);
    const sarif = JSON.parse(sarifText);
    const result = sarif.runs[0].results[0];
    expect(sarif.runs[0].tool.driver.rules[result.ruleIndex].id).toBe(result.ruleId);
    expect(result.partialFingerprints['deployActionsFinding/v1']).toMatch(/.+/);
    expect(Number(sarif.runs[0].tool.driver.rules[0].properties['security-severity'])).toBeGreaterThan(0);
  }, 120_000);
});

describe('history, new-only and the policy', () => {
  test('history mode finds a secret added and removed again; a shallow clone is an error, not a pass', async () => {
    const root = await repo({ 'README.md': 'hello\n' });
    const base = await git(root, 'rev-parse', 'HEAD');
    const token = githubToken();
    const added = await commit(root, { 'deploy.sh': `#!/bin/sh\n\ncurl -H "Authorization: token ${token}" https://api.github.com\n` });
    const head = await commit(root, { 'deploy.sh': '#!/bin/sh\n' });
    const event = { name: 'push', payload: { before: base, after: head } };

    const files = await harness.run('scan', { workspace: root, event, inputs: { scanners: 'secrets' } });
    expect(files.main.exitCode, files.main.log).toBe(0);
    const history = await harness.run('scan', { workspace: root, event, inputs: { scanners: 'secrets', history: 'true' } });
    expect(history.main.exitCode).toBe(1);
    expect(report(history.main).findings).toEqual([expect.objectContaining({ ruleId: 'secrets/github-pat', path: 'deploy.sh', line: 3, commit: added })]);
    expect(history.main.log).not.toContain(token);

    const shallow = mkdtempSync(join(scratch, 'shallow-'));
    await run('git', ['clone', '-q', '--depth', '1', `file://${root}`, shallow]);
    const refused = await harness.run('scan', { workspace: shallow, event, inputs: { scanners: 'secrets', history: 'true' } });
    expect(refused.main.exitCode).toBe(1);
    expect(refused.main.log).toMatch(/history mode needs commit \w+.*shallow clone.*fetch-depth: 0/);
    expect(refused.main.stderr + refused.main.stdout).not.toMatch(/\n\s+at /);
  }, 60_000);

  test('new-only reports what the change added, even after lines moved above an old finding', async () => {
    const old = githubToken();
    const root = await repo({ 'app.env': `TOKEN=${old}\n` });
    const base = await git(root, 'rev-parse', 'HEAD');
    const fresh = githubToken('gho');
    const head = await commit(root, { 'app.env': `# moved down\n\n\nTOKEN=${old}\nOTHER=${fresh}\n` });
    const event = { name: 'pull_request', payload: { pull_request: { number: 7, base: { sha: base }, head: { sha: head, repo: { full_name: 'org/app' } } } } };
    const { main } = await harness.run('scan', { workspace: root, event, inputs: { scanners: 'secrets', 'new-only': 'true' } });
    expect(report(main).findings.map((finding) => `${finding.ruleId}:${finding.line}`)).toEqual(['secrets/github-oauth-token:5']);
    expect(main.summary).toContain('only findings new against the base branch');
  }, 60_000);

  test('on a pull request only the lines it changed are annotated; every finding is still reported', async () => {
    const root = await repo({ 'old.env': `TOKEN=${githubToken()}\n` });
    const base = await git(root, 'rev-parse', 'HEAD');
    const head = await commit(root, { 'new.env': `# added\nTOKEN=${githubToken()}\n` });
    const event = { name: 'pull_request', payload: { pull_request: { number: 8, base: { sha: base }, head: { sha: head, repo: { full_name: 'org/app' } } } } };
    const { main } = await harness.run('scan', { workspace: root, event, inputs: { scanners: 'secrets' } });
    expect(report(main).findings.map((finding) => finding.path).sort()).toEqual(['new.env', 'old.env']);
    expect(main.errors.filter((error) => error.properties['file']).map((error) => `${error.properties['file']}:${error.properties['line']}`)).toEqual(['new.env:2']);
  }, 60_000);

  test("a List's items are audited; a Helm template is skipped with the reason, not reported as broken YAML", async () => {
    const root = await repo({
      'deploy/list.yaml': 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: { name: web }\n    spec:\n      template:\n        spec:\n          hostNetwork: true\n          containers:\n            - { name: web, image: nginx }\n',
      'chart/templates/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          {{- with .Values.resources }}\n          resources: {{ toYaml . | nindent 12 }}\n          {{- end }}\n',
    });
    const { main } = await harness.run('scan', { workspace: root, inputs: { scanners: 'manifests', 'fail-on': 'none' } });
    expect(main.exitCode, main.log).toBe(0);
    const found = report(main).findings.map((finding) => `${finding.path}:${finding.line} ${finding.ruleId}`);
    expect(found).toContain('deploy/list.yaml:10 manifests/k8s-host-namespaces');
    expect(found).toContain('deploy/list.yaml:12 manifests/k8s-image-not-pinned');
    expect(report(main).skipped).toEqual([{ path: 'chart/templates/deployment.yaml', reason: expect.stringMatching(/^a template \(Helm or similar\), not YAML until rendered/) }]);
  }, 30_000);

  test('without the secrets scanner only the files the others look at are read', async () => {
    const root = await repo({ 'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), 'package-lock.json': JSON.stringify({ lockfileVersion: 3, packages: {} }), 'src/a.ts': 'x\n' });
    const { main } = await harness.run('scan', { workspace: root, inputs: { scanners: 'dependencies', 'osv-offline-dir': '.' } });
    expect(main.exitCode, main.log).toBe(0);
    expect(report(main).skipped).toEqual([]);
    expect(main.summary).toContain('1 files scanned');
  }, 30_000);

  test('suppressions need a reason, expire and say so; excludes and disabled rules apply', async () => {
    const root = await repo({
      '.github/scan.yml': [
        'fail-on: { default: high, production: medium }',
        'exclude: ["vendor/**"]',
        'rules: { disable: [manifests/] }',
        'suppressions:',
        '  - rule: secrets/github-pat',
        '    path: fixtures/**',
        '    reason: revoked token kept as a parser fixture',
        '  - rule: secrets/aws-access-key-id',
        '    reason: was a test key',
        '    expires: 2020-01-01',
        '',
      ].join('\n'),
      'fixtures/token.txt': `${githubToken()}\n`,
      'keys.txt': `AKIA${randomFrom('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16)}\n`,
      'vendor/lib/token.txt': `${githubToken()}\n`,
      Dockerfile: 'FROM node\n',
    });
    const { main } = await harness.run('scan', { workspace: root, inputs: { environment: 'production' } });
    const { findings } = report(main);
    expect(findings.map((finding) => [finding.ruleId, finding.path, Boolean(finding.suppressed)])).toEqual([
      ['secrets/github-pat', 'fixtures/token.txt', true],
      ['secrets/aws-access-key-id', 'keys.txt', false],
    ]);
    expect(main.warnings.map((warning) => warning.message)).toContainEqual(expect.stringContaining('expired on 2020-01-01'));
    expect(main.summary).toContain('revoked token kept as a parser fixture');
    expect(main.exitCode).toBe(1);
  }, 60_000);

  test('dependencies through the OSV API: one querybatch for every package, then the records it named', async () => {
    const djangoWithVersions = { ...DJANGO_RECORD, affected: [{ ...DJANGO_RECORD.affected[0], versions: ['3.2', '3.2.1', '3.2.2', '3.2.3', '3.2.4'] }] };
    const osv = await new OsvDouble([LODASH_RECORD, djangoWithVersions]).start();
    try {
      const root = await repo({
        'package-lock.json': JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'app' }, 'node_modules/lodash': { version: '4.17.20' }, 'node_modules/left-pad': { version: '1.3.0' } } }, null, 2),
        'requirements.txt': 'Django==3.2.4\nrequests==2.31.0\n',
      });
      const { main } = await harness.run('scan', { workspace: root, inputs: { scanners: 'dependencies', 'osv-url': osv.url, 'fail-on': 'critical' } });
      expect(osv.violations).toEqual([]);
      expect(main.exitCode, main.log).toBe(1);
      expect(report(main).findings.map((finding) => [finding.path, finding.severity, finding.message.split(':')[0]])).toEqual([
        ['requirements.txt', 'critical', 'django@3.2.4 (PyPI) is affected by PYSEC-2021-fixture'],
        ['package-lock.json', 'high', 'lodash@4.17.20 (npm) is affected by GHSA-35jh-r3h4-6jhm (CVE-2021-23337)'],
      ]);
      expect(report(main).findings[1]?.message).toContain('fixed in 4.17.21');
      const batches = osv.requests.filter((request) => request.path === '/v1/querybatch');
      expect(batches).toHaveLength(1);
      expect((batches[0]?.body as { queries: unknown[] }).queries).toEqual(
        expect.arrayContaining([
          { package: { name: 'lodash', ecosystem: 'npm' }, version: '4.17.20' },
          { package: { name: 'left-pad', ecosystem: 'npm' }, version: '1.3.0' },
          { package: { name: 'django', ecosystem: 'PyPI' }, version: '3.2.4' },
          { package: { name: 'requests', ecosystem: 'PyPI' }, version: '2.31.0' },
        ]),
      );
      expect(osv.requests.filter((request) => request.method === 'GET').map((request) => request.path).sort()).toEqual(['/v1/vulns/GHSA-35jh-r3h4-6jhm', '/v1/vulns/PYSEC-2021-fixture']);

      osv.fault({ path: '/v1/querybatch', reply: { status: 503, body: { message: 'unavailable' } } });
      const down = await harness.run('scan', { workspace: root, inputs: { scanners: 'dependencies', 'osv-url': osv.url } });
      expect(down.main.exitCode).toBe(1);
      expect(down.main.log).toContain(`the OSV API at ${osv.url} answered 503 to POST /v1/querybatch`);
      expect(down.main.log).not.toMatch(/\n\s+at \S+ \(/);
    } finally {
      await osv.stop();
    }
  }, 60_000);

  test('SARIF goes to code scanning gzipped and base64-encoded; without code scanning, permission or from a fork it is kept as an artifact with a notice, not a failure', async () => {
    const github = await new GitHubDouble({ owner: 'acme', repo: 'app' }).start();
    const azurite = await startAzurite();
    const artifacts = await new ArtifactServiceDouble(azurite).start();
    try {
      const root = await repo({ 'deploy.env': `TOKEN=${githubToken()}\n` });
      const sha = await git(root, 'rev-parse', 'HEAD');
      const context = { apiUrl: github.apiUrl, token: DEFAULT_TOKEN, repository: 'acme/app', sha, ref: 'refs/heads/main' };
      const inputs = { scanners: 'secrets', 'upload-sarif': 'true', category: 'deploy-scan', 'fail-on': 'none' };

      const uploaded = await harness.run('scan', { workspace: root, github: context, inputs });
      expect(uploaded.main.exitCode, uploaded.main.log).toBe(0);
      expect(github.violations).toEqual([]);
      expect(github.sarifs).toHaveLength(1);
      const upload = github.sarifs[0] as (typeof github.sarifs)[number];
      expect([upload.commitSha, upload.ref]).toEqual([sha, 'refs/heads/main']);
      const sarif = upload.sarif as { runs: Array<{ automationDetails?: { id?: string }; results: Array<{ ruleId: string; message: { text: string } }> }> };
      expect(sarif.runs[0]?.automationDetails?.id).toMatch(/^deploy-scan\//);
      expect(sarif.runs[0]?.results.map((result) => result.ruleId)).toEqual(['secrets/github-pat']);
      expect(upload.sarif).toEqual(JSON.parse(readFileSync(uploaded.main.outputs['sarif'] as string, 'utf8')));
      expect(uploaded.main.log).toContain(`SARIF uploaded to code scanning (id ${upload.id})`);

      // A token without security-events: write: GitHub's 403. The SARIF and the report become an artifact.
      github.grant('ghs_contentsOnly', { contents: 'read' });
      const job = { GITHUB_JOB: 'scan' };
      const forbidden = await harness.run('scan', { workspace: root, github: { ...context, token: 'ghs_contentsOnly' }, inputs: { ...inputs, token: 'ghs_contentsOnly' }, env: { ...artifacts.environment(), ...job } });
      expect(forbidden.main.exitCode, forbidden.main.log).toBe(0);
      expect(artifacts.violations).toEqual([]);
      expect(forbidden.main.notices.map((notice) => notice.message)).toContainEqual(expect.stringMatching(/^SARIF not uploaded: GitHub answered 403 .*in the artifact deploy-scan-scan \(SARIF and JSON report\)\.$/));
      const zip = join(scratch, 'artifact.zip');
      writeFileSync(zip, await artifacts.contents('deploy-scan-scan'));
      expect((await run('unzip', ['-Z1', zip])).stdout.split('\n').filter(Boolean).sort()).toEqual(['deploy-actions-scan.json', 'deploy-actions-scan.sarif']);
      expect(JSON.parse((await run('unzip', ['-p', zip, 'deploy-actions-scan.sarif'], { maxBuffer: 1 << 26 })).stdout)).toEqual(JSON.parse(readFileSync(forbidden.main.outputs['sarif'] as string, 'utf8')));

      // No code scanning on the repository: GitHub's 403 with its message; outside a job there is no artifact service either.
      github.fault({ method: 'POST', path: '/code-scanning/sarifs', reply: { status: 403, body: { message: 'Advanced Security must be enabled for this repository to use code scanning.' } } });
      const disabled = await harness.run('scan', { workspace: root, github: context, inputs });
      expect(disabled.main.exitCode, disabled.main.log).toBe(0);
      expect(disabled.main.notices.map((notice) => notice.message)).toContainEqual(expect.stringMatching(/^SARIF not uploaded: GitHub answered 403 .*not kept as an artifact: no artifact service here/));
      for (const { main } of [forbidden, disabled]) expect(main.summary).toContain('SARIF not uploaded');

      // A pull request from a fork: not even tried; a second artifact of the same name is refused by the service, and said so.
      const requestsBefore = github.requests.length;
      const event = { name: 'pull_request', payload: { pull_request: { number: 7, head: { sha, repo: { full_name: 'someone/app' } }, base: { sha, repo: { full_name: 'acme/app' } } } } };
      const fork = await harness.run('scan', { workspace: root, github: context, event, inputs: { ...inputs, category: 'fork-scan' }, env: { ...artifacts.environment(), ...job } });
      expect(fork.main.exitCode, fork.main.log).toBe(0);
      expect(fork.main.notices.map((notice) => notice.message)).toContainEqual(expect.stringContaining("this pull request comes from someone/app, and a fork's token cannot upload to code scanning. The findings are in this summary and in the artifact fork-scan-scan"));
      expect(github.requests.length).toBe(requestsBefore);
      expect(github.sarifs).toHaveLength(1);
      const again = await harness.run('scan', { workspace: root, github: context, event, inputs: { ...inputs, category: 'fork-scan' }, env: { ...artifacts.environment(), ...job } });
      expect(again.main.exitCode, again.main.log).toBe(0);
      expect(again.main.notices.map((notice) => notice.message)).toContainEqual(expect.stringMatching(/not kept as an artifact: .*already exists/));
      expect(artifacts.artifacts.filter((artifact) => artifact.finalized).map((artifact) => artifact.name)).toEqual(['deploy-scan-scan', 'fork-scan-scan']);
    } finally {
      await Promise.all([github.stop(), artifacts.stop()]);
      await azurite.stop();
    }
  }, 120_000);

  test.each([
    ['an unknown rule id', { '.github/scan.yml': 'suppressions:\n  - rule: secrets/no-such-rule\n    reason: because\n' }, {}, /\.github\/scan\.yml:2: unknown rule id "secrets\/no-such-rule"/],
    ['a suppression without a reason', { '.github/scan.yml': 'suppressions:\n  - rule: secrets/github-pat\n' }, {}, /\.github\/scan\.yml:2: a suppression needs reason/],
    ['unreadable policy YAML', { '.github/scan.yml': 'exclude: [unclosed\n' }, {}, /\.github\/scan\.yml:\d+: not valid YAML/],
    ['a malformed lockfile', { 'package-lock.json': '{\n  "packages": {\n    oops\n' }, { scanners: 'dependencies', 'osv-offline-dir': '.' }, /package-lock\.json:3: malformed JSON/],
    ['a malformed go.mod', { 'go.mod': 'module x\n\nrequire (\n  example.com/a 1.0\n)\n' }, { scanners: 'dependencies', 'osv-offline-dir': '.' }, /go\.mod:4: cannot read require line/],
    ['a bad fail-on', {}, { 'fail-on': 'severe' }, /input "fail-on": "severe" is not accepted; expected one of critical, high, medium, low, none/],
    ['a bad scanner', {}, { scanners: 'secrets,viruses' }, /input "scanners": "viruses" is not accepted/],
    ['a missing named policy file', {}, { 'policy-file': 'policy/none.yml' }, /input "policy-file": "policy\/none\.yml" does not exist/],
  ])('%s is exit 1 with file and line (or the input), no stack', async (_name, files, inputs, message) => {
    const root = await repo({ 'README.md': 'x\n', ...files });
    const { main } = await harness.run('scan', { workspace: root, inputs });
    expect(main.exitCode).toBe(1);
    expect(main.log).toMatch(message);
    expect(main.log).not.toMatch(/\n\s+at \S+ \(/);
  }, 30_000);
});
