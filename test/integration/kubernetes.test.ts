import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { KubernetesDouble, type KubeObject } from '../doubles/kubernetes.ts';
import { ActionHarness, type StepResult } from '../harness/run-action.ts';

/**
 * The kubernetes router through the bundles, against the Kubernetes API double (no API server can
 * run here; the double keeps Kubernetes' semantics: resourceVersion conflicts, validation, a
 * controller that rolls Deployments out or stalls them past their deadline), records in the GitHub
 * double.
 */

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 2
  progressDeadlineSeconds: 2
  selector:
    matchLabels: { app: shop }
  template:
    metadata:
      labels: { app: shop }
    spec:
      containers:
        - name: web
          image: placeholder
          ports: [{ containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec: { selector: { app: shop }, ports: [{ port: 80, targetPort: 8080 }] }
`;

const service = (name: string, selector: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector, ports: [{ port: 80 }] } });

let kube: KubernetesDouble;
let github: GitHubDouble;
let harness: ActionHarness;
let dir: string;
beforeEach(async () => {
  [kube, github] = await Promise.all([new KubernetesDouble().start(), new GitHubDouble().start()]);
  harness = new ActionHarness();
  dir = mkdtempSync(join(tmpdir(), 'k8s-test-'));
  writeFileSync(join(dir, 'app.yml'), MANIFEST);
  kube.seed(service('web', { app: 'shop' }));
  kube.seed(service('web-preview', { app: 'shop' }));
});
afterEach(async () => {
  await Promise.all([kube.stop(), github.stop()]);
  harness.cleanup();
  rmSync(dir, { recursive: true, force: true });
  expect(kube.violations).toEqual([]);
  expect([...github.violations, ...github.rejected]).toEqual([]);
});

async function run(action: 'deploy-bluegreen' | 'rollback', inputs: Record<string, string>): Promise<StepResult> {
  const { main } = await harness.run(action, {
    inputs: {
      environment: 'production',
      router: 'kubernetes',
      kubeconfig: kube.kubeconfig(),
      'kubernetes-manifests': join(dir, 'app.yml'),
      'kubernetes-name': 'shop',
      'kubernetes-service': 'web',
      'kubernetes-preview-service': 'web-preview',
      'health-interval': '200ms',
      'health-successes': '2',
      'post-switch-window': '600ms',
      'drain-time': '200ms',
      ...inputs,
    },
    github: { apiUrl: github.apiUrl, token: DEFAULT_TOKEN },
  });
  return main;
}

const selectorColor = () => (kube.get('Service', 'web')?.spec as { selector: Record<string, string> }).selector['color'];
const replicas = (color: string) => (kube.get('Deployment', `shop-${color}`)?.spec as { replicas: number } | undefined)?.replicas;
const image = (color: string) => (kube.get('Deployment', `shop-${color}`)?.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]?.image;

describe('Service selector', () => {
  test('v1 on blue, v2 on green: Deployments applied with the image, rollouts waited for, the selector switched', async () => {
    const first = await run('deploy-bluegreen', { version: 'v1', artifact: 'ghcr.io/acme/shop:1' });
    expect(first.exitCode, first.log).toBe(0);
    expect(selectorColor()).toBe('blue');
    expect(image('blue')).toBe('ghcr.io/acme/shop:1');
    const deployment = kube.get('Deployment', 'shop-blue');
    expect(deployment?.metadata.labels).toMatchObject({ app: 'shop', color: 'blue' });
    expect((deployment?.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).toEqual({ app: 'shop', color: 'blue' });

    const second = await run('deploy-bluegreen', { version: 'v2', artifact: 'ghcr.io/acme/shop:2' });
    expect(second.exitCode, second.log).toBe(0);
    expect(second.outputs).toMatchObject({ color: 'green', 'previous-color': 'blue', 'traffic-percent': '100' });
    expect(selectorColor()).toBe('green');
    expect(kube.get('Service', 'web')?.metadata.annotations).toMatchObject({ 'deploy-actions.org/active-color': 'green', 'deploy-actions.org/version': 'v2' });
    expect((kube.get('Service', 'web-preview')?.spec as { selector: Record<string, string> }).selector['color']).toBe('green');
    expect(replicas('blue')).toBe(2);
    expect(github.deployments.map((entry) => entry.statuses.at(-1)?.state)).toEqual(['success', 'success']);
  });

  test('a rollout that stalls past its deadline: traffic untouched, the new color scaled to 0, the record failed', async () => {
    await run('deploy-bluegreen', { version: 'v1', artifact: 'ghcr.io/acme/shop:1' });
    const failed = await run('deploy-bluegreen', { version: 'v2', artifact: 'ghcr.io/acme/shop:stall' });
    expect(failed.exitCode).toBe(1);
    expect(failed.errors[0]?.message).toMatch(/Deployment shop-green: rollout stalled: ReplicaSet has timed out progressing/);
    expect(selectorColor()).toBe('blue');
    expect(replicas('green')).toBe(0);
    expect(github.deployments[1]?.statuses.at(-1)?.state).toBe('failure');
  });

  test('another writer changing the Service in between (409) is read again and retried', async () => {
    await run('deploy-bluegreen', { version: 'v1', artifact: 'ghcr.io/acme/shop:1' });
    kube.conflictNext('Service', 'web', 2);
    const result = await run('deploy-bluegreen', { version: 'v2', artifact: 'ghcr.io/acme/shop:2' });
    expect(result.exitCode, result.log).toBe(0);
    expect(selectorColor()).toBe('green');
    expect(kube.requests.filter((request) => request.method === 'PUT' && request.path.endsWith('/services/web') && request.status === 409)).toHaveLength(2);
  });

  test('rollback: instant back to blue, then redeploy with the image from the record', async () => {
    await run('deploy-bluegreen', { version: 'v1', artifact: 'ghcr.io/acme/shop:1' });
    await run('deploy-bluegreen', { version: 'v2', artifact: 'ghcr.io/acme/shop:2' });
    const instant = await run('rollback', {});
    expect(instant.exitCode, instant.log).toBe(0);
    expect(selectorColor()).toBe('blue');
    expect(replicas('green')).toBe(0);

    await run('deploy-bluegreen', { version: 'v3', artifact: 'ghcr.io/acme/shop:3' });
    expect(selectorColor()).toBe('green');
    const redeploy = await run('rollback', { mode: 'redeploy' });
    expect(redeploy.exitCode, redeploy.log).toBe(0);
    expect(redeploy.outputs).toMatchObject({ version: 'v1', color: 'blue' });
    expect(image('blue')).toBe('ghcr.io/acme/shop:1');
    expect(selectorColor()).toBe('blue');
  });
});

describe('Gateway API HTTPRoute', () => {
  beforeEach(() => {
    kube.seed(service('web-blue', { app: 'shop', color: 'blue' }));
    kube.seed(service('web-green', { app: 'shop', color: 'green' }));
    kube.seed({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'web' },
      spec: { parentRefs: [{ name: 'gateway' }], rules: [{ backendRefs: [] }] },
    });
  });

  test('canary weights on backendRefs: 10%, 50%, promote', async () => {
    const route = { 'kubernetes-http-route': 'web' };
    const weights = () =>
      Object.fromEntries(((kube.get('HTTPRoute', 'web')?.spec as { rules: Array<{ backendRefs: Array<{ name: string; weight: number }> }> }).rules[0]?.backendRefs ?? []).map((ref) => [ref.name, ref.weight]));
    expect((await run('deploy-bluegreen', { version: 'v1', artifact: 'ghcr.io/acme/shop:1', ...route })).exitCode).toBe(0);
    expect(weights()).toEqual({ 'web-blue': 10_000, 'web-green': 0 });
    const canary = await run('deploy-bluegreen', { version: 'v2', artifact: 'ghcr.io/acme/shop:2', 'traffic-percent': '10', ...route });
    expect(canary.exitCode, canary.log).toBe(0);
    expect(weights()).toEqual({ 'web-blue': 9000, 'web-green': 1000 });
    expect((await run('deploy-bluegreen', { action: 'shift', 'traffic-percent': '50', ...route })).exitCode).toBe(0);
    expect(weights()).toEqual({ 'web-blue': 5000, 'web-green': 5000 });
    expect((await run('deploy-bluegreen', { action: 'promote', ...route })).exitCode).toBe(0);
    expect(weights()).toEqual({ 'web-blue': 0, 'web-green': 10_000 });
    expect(kube.get('HTTPRoute', 'web')?.metadata.annotations).toMatchObject({ 'deploy-actions.org/active-color': 'green', 'deploy-actions.org/version': 'v2' });
  });
});

describe('manifests are checked before anything changes', () => {
  test('a YAML error is reported with file:line:column', async () => {
    writeFileSync(join(dir, 'app.yml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: [unclosed\n');
    const result = await run('deploy-bluegreen', { version: 'v1', artifact: 'x:1' });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]?.message).toMatch(new RegExp(`input "kubernetes-manifests": ${join(dir, 'app.yml')}:\\d+:\\d+: `));
    expect(github.requests).toHaveLength(0);
    expect(kube.requests).toHaveLength(0);
  });

  test('a file without a Deployment is refused', async () => {
    writeFileSync(join(dir, 'app.yml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: web }\n');
    const result = await run('deploy-bluegreen', { version: 'v1', artifact: 'x:1' });
    expect(result.errors[0]?.message).toContain('must hold exactly one Deployment (found 0)');
    expect(kube.requests).toHaveLength(0);
  });
});
