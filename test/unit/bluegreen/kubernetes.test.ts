import { describe, expect, test } from 'vitest';
import { colorDeployment, loadDeploymentTemplate, rolloutState } from '../../../shared/bluegreen/routers/kubernetes.ts';
import { RouterError } from '../../../shared/bluegreen/traffic.ts';

const TEMPLATE = `apiVersion: apps/v1
kind: Deployment
metadata: { name: shop, labels: { team: web } }
spec:
  replicas: 3
  selector: { matchLabels: { app: shop } }
  template:
    metadata: { labels: { app: shop } }
    spec:
      containers:
        - { name: sidecar, image: envoy:1 }
        - { name: web, image: placeholder }
`;

describe('the color Deployment', () => {
  test('renamed, labelled with the color in metadata, selector and pods, image set on the named container', () => {
    const template = loadDeploymentTemplate('k8s/app.yml', TEMPLATE);
    const green = colorDeployment(template, { name: 'shop', color: 'green', version: 'v2', image: 'ghcr.io/acme/shop@sha256:abc', container: 'web', namespace: 'prod' });
    expect(green.metadata).toMatchObject({ name: 'shop-green', namespace: 'prod', labels: { team: 'web', app: 'shop', color: 'green' }, annotations: { 'deploy-actions.org/version': 'v2' } });
    expect(green.spec?.selector.matchLabels).toEqual({ app: 'shop', color: 'green' });
    expect(green.spec?.template.metadata?.labels).toEqual({ app: 'shop', color: 'green' });
    expect(green.spec?.template.spec?.containers.map((container) => container.image)).toEqual(['envoy:1', 'ghcr.io/acme/shop@sha256:abc']);
    // The template itself is untouched (the other color is made from it too).
    expect(template.spec?.template.spec?.containers[1]?.image).toBe('placeholder');
  });

  test('a container that does not exist is named', () => {
    const template = loadDeploymentTemplate('k8s/app.yml', TEMPLATE);
    expect(() => colorDeployment(template, { name: 'shop', color: 'blue', version: 'v1', image: 'x', container: 'api', namespace: 'prod' })).toThrow('input "kubernetes-container": the Deployment has no container named "api"');
  });
});

describe('rollout completeness', () => {
  const deployment = (generation: number, status: Record<string, unknown>) => ({ metadata: { generation }, spec: { replicas: 3 }, status }) as never;
  test.each([
    [deployment(2, { observedGeneration: 1, updatedReplicas: 3, availableReplicas: 3 }), false, /generation 2/],
    [deployment(2, { observedGeneration: 2, updatedReplicas: 1, availableReplicas: 3 }), false, /1\/3 replicas updated/],
    [deployment(2, { observedGeneration: 2, updatedReplicas: 3, availableReplicas: 2 }), false, /2\/3 replicas available/],
    [deployment(2, { observedGeneration: 2, updatedReplicas: 3, availableReplicas: 3 }), true, undefined],
  ])('%#', (subject, done, detail) => {
    const state = rolloutState(subject);
    expect(state.done).toBe(done);
    if (!state.done && detail) expect(state.detail).toMatch(detail);
  });

  test('a progress deadline exceeded is a stall, not a wait', () => {
    const state = rolloutState(deployment(2, { observedGeneration: 2, updatedReplicas: 3, availableReplicas: 0, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "x" has timed out progressing.' }] }));
    expect(state).toEqual({ done: false, stalled: true, detail: 'rollout stalled: ReplicaSet "x" has timed out progressing. (0/3 available)' });
  });
});

test('RouterError is recognised across bundles by its brand', () => {
  const copy = Object.assign(new Error('x'), { restored: true, [Symbol.for('deploy-actions.router-error')]: true });
  expect(copy instanceof RouterError).toBe(true);
  expect(new Error('x') instanceof RouterError).toBe(false);
});
