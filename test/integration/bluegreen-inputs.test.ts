import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { ActionHarness } from '../harness/run-action.ts';

/**
 * Bad input to deploy-bluegreen and rollback: exit 1, a message naming the input, no stack trace,
 * and nothing done: no GitHub request, and the start-command never ran (it would leave a file).
 */

const harness = new ActionHarness();
let github: GitHubDouble;
let dir: string;
beforeAll(async () => {
  github = await new GitHubDouble().start();
  dir = mkdtempSync(join(tmpdir(), 'bluegreen-inputs-'));
});
afterAll(async () => {
  await github.stop();
  harness.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
const base = () => ({
  environment: 'production',
  router: 'haproxy',
  version: 'v2',
  'haproxy-runtime-api': '127.0.0.1:1',
  'start-command': `touch "${dir}/started"`,
});

const deployCases: Array<[string, Record<string, string>, string]> = [
  ['router missing', { router: '' }, 'input "router": is required but was not set; expected one of haproxy, nginx, kubernetes, command'],
  ['router unknown', { router: 'traefik' }, 'input "router": "traefik" is not accepted; expected one of haproxy, nginx, kubernetes, command'],
  ['kubeconfig', { router: 'kubernetes' }, 'input "kubeconfig": is required'],
  ['kubernetes-name', { router: 'kubernetes', kubeconfig: '{}', 'kubernetes-manifests': 'k8s/app.yml', 'kubernetes-name': 'My_App' }, 'input "kubernetes-name": "My_App" is not accepted; expected a Kubernetes name'],
  ['artifact with kubernetes', { router: 'kubernetes', kubeconfig: '{}', 'kubernetes-manifests': 'k8s/app.yml', 'kubernetes-name': 'shop', 'kubernetes-service': 'web' }, 'input "artifact": is required with router kubernetes'],
  ['canary without an HTTPRoute', { router: 'kubernetes', kubeconfig: '{}', 'kubernetes-manifests': 'k8s/app.yml', 'kubernetes-name': 'shop', 'kubernetes-service': 'web', artifact: 'app:2', 'traffic-percent': '10' }, 'input "traffic-percent": "10" is not accepted; expected 100 with router kubernetes unless kubernetes-http-route is set'],
  ['kubeconfig unreadable', { router: 'kubernetes', kubeconfig: 'not: [a kubeconfig', 'kubernetes-manifests': 'k8s/app.yml', 'kubernetes-name': 'shop', 'kubernetes-service': 'web', artifact: 'app:2' }, 'input "kubeconfig": '],
  ['action', { action: 'rollout' }, 'input "action": "rollout" is not accepted; expected one of deploy, shift, promote, abort, cleanup'],
  ['version', { version: '' }, 'input "version": is required for action: deploy'],
  ['start-command', { 'start-command': '' }, 'input "start-command": is required with router haproxy'],
  ['haproxy-runtime-api missing', { 'haproxy-runtime-api': '' }, 'input "haproxy-runtime-api": is required'],
  ['haproxy-runtime-api malformed', { 'haproxy-runtime-api': 'localhost' }, 'input "haproxy-runtime-api": "localhost" is not accepted; expected the admin socket path'],
  ['nginx without addresses', { router: 'nginx', 'nginx-upstream-file': '/tmp/u.conf' }, 'input "blue-address": is required with router nginx'],
  ['nginx-upstream-file', { router: 'nginx', 'blue-address': '127.0.0.1:1', 'green-address': '127.0.0.1:2' }, 'input "nginx-upstream-file": is required'],
  ['nginx-upstream-name', { router: 'nginx', 'blue-address': '127.0.0.1:1', 'green-address': '127.0.0.1:2', 'nginx-upstream-file': '/tmp/u', 'nginx-upstream-name': 'my app' }, 'input "nginx-upstream-name": "my app" is not accepted'],
  ['route-command', { router: 'command', 'blue-address': '127.0.0.1:1', 'green-address': '127.0.0.1:2' }, 'input "route-command": is required'],
  ['blue-address', { 'blue-address': 'nowhere' }, 'input "blue-address": "nowhere" is not accepted; expected host:port'],
  ['traffic-percent zero', { 'traffic-percent': '0' }, 'input "traffic-percent": "0" is not accepted; expected a share above 0'],
  ['traffic-percent too high', { 'traffic-percent': '150' }, 'input "traffic-percent": "150" is not accepted; expected a percentage from 0 to 100'],
  ['promote with a share', { action: 'promote', 'traffic-percent': '50' }, 'input "traffic-percent": "50" is not accepted; expected 100 or nothing with action: promote'],
  ['health-path', { 'health-path': 'healthz' }, 'input "health-path": "healthz" is not accepted; expected a path starting with /'],
  ['health-status', { 'health-status': '99' }, 'input "health-status": "99" is not accepted; expected a whole number from 100 to 599'],
  ['health-body', { 'health-body': '(' }, 'input "health-body": "(" is not accepted; expected a regular expression'],
  ['health-successes', { 'health-successes': '0' }, 'input "health-successes": "0"'],
  ['health-interval', { 'health-interval': 'soon' }, 'input "health-interval": "soon"'],
  ['post-switch-window', { 'post-switch-window': '-1s' }, 'input "post-switch-window": "-1s"'],
  ['drain-time', { 'drain-time': 'a while' }, 'input "drain-time": "a while"'],
  ['keep-previous', { 'keep-previous': 'forever' }, 'input "keep-previous": "forever"'],
  ['lock-timeout', { 'lock-timeout': '10s' }, 'input "lock-timeout": "10s" is not accepted; expected a number of seconds, or a duration such as 500ms, 30s, 5m, 1h30m, between 1m and 1d'],
  ['deployment-id', { 'deployment-id': 'latest' }, 'input "deployment-id": "latest"'],
  ['production-environment', { 'production-environment': 'maybe' }, 'input "production-environment": "maybe"'],
  ['environment-url', { 'environment-url': 'http://app.example.com' }, 'input "environment-url": "http://app.example.com" is not accepted'],
  ['github-token', { 'github-token': '' }, 'input "github-token": is required'],
  ['ssh-user without ssh-host', { 'ssh-user': 'deploy' }, 'input "ssh-user": is set but ssh-host is not'],
  ['ssh-user missing', { 'ssh-host': '10.0.0.5' }, 'input "ssh-user": is required'],
  ['ssh-private-key not a key', { 'ssh-host': '10.0.0.5', 'ssh-user': 'deploy', 'ssh-private-key': 'hunter2-not-a-key' }, 'input "ssh-private-key": the value (hidden, it is a secret) is not accepted'],
  ['ssh-known-hosts missing', { 'ssh-host': '10.0.0.5', 'ssh-user': 'deploy', 'ssh-private-key': KEY }, 'input "ssh-known-hosts": is required with ssh-host'],
  ['ssh-known-hosts malformed', { 'ssh-host': '10.0.0.5', 'ssh-user': 'deploy', 'ssh-private-key': KEY, 'ssh-known-hosts': 'just some text' }, 'input "ssh-known-hosts": "just some text" is not accepted'],
  ['ssh-port', { 'ssh-host': '10.0.0.5', 'ssh-user': 'deploy', 'ssh-private-key': KEY, 'ssh-known-hosts': '10.0.0.5 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA', 'ssh-port': '0' }, 'input "ssh-port": "0"'],
];

const rollbackCases: Array<[string, Record<string, string>, string]> = [
  ['mode', { mode: 'fast' }, 'input "mode": "fast" is not accepted; expected one of instant, redeploy'],
  ['stop-failed', { 'stop-failed': 'maybe' }, 'input "stop-failed": "maybe"'],
  ['max-deployments', { 'max-deployments': '0' }, 'input "max-deployments": "0"'],
  ['redeploy without start-command', { mode: 'redeploy', 'start-command': '' }, 'input "start-command": is required with router haproxy'],
  ['router', { router: 'envoy' }, 'input "router": "envoy" is not accepted'],
  ['kubernetes-service', { router: 'kubernetes', kubeconfig: '{}', 'kubernetes-manifests': 'k8s/app.yml', 'kubernetes-name': 'shop' }, 'input "kubernetes-service": is required'],
];

async function expectRefused(action: 'deploy-bluegreen' | 'rollback', inputs: Record<string, string>, message: string): Promise<void> {
  const before = github.requests.length;
  const { version: _version, ...rest } = base();
  const given = action === 'rollback' ? { ...rest, ...inputs } : { ...base(), ...inputs };
  const { main } = await harness.run(action, { inputs: given, github: { apiUrl: github.apiUrl, token: DEFAULT_TOKEN } });
  expect(main.exitCode).toBe(1);
  expect(main.errors).toHaveLength(1);
  expect(main.errors[0]?.message.startsWith(`${action}: ${message}`), main.errors[0]?.message).toBe(true);
  expect(main.log).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(main.log).not.toContain('hunter2');
  expect(github.requests.length).toBe(before);
  expect(existsSync(join(dir, 'started'))).toBe(false);
}

describe('deploy-bluegreen', () => {
  test.each(deployCases)('%s', (_name, inputs, message) => expectRefused('deploy-bluegreen', inputs, message));
});

describe('rollback', () => {
  test.each(rollbackCases)('%s', (_name, inputs, message) => expectRefused('rollback', inputs, message));
});
