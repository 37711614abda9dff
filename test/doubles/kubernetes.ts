import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpDouble, type RecordedRequest, type Reply } from './http-double.ts';

/**
 * A Kubernetes API double, over HTTPS with its own certificate (the kubeconfig carries it as the
 * CA, as a real cluster's does), keeping the semantics the suite depends on:
 * - apps/v1 Deployments, v1 Services, gateway.networking.k8s.io/v1 HTTPRoutes: get, create, replace,
 *   delete, and the Deployment scale subresource;
 * - optimistic concurrency: a replace carrying a stale metadata.resourceVersion is 409 Conflict; a
 *   create of an existing name is 409 AlreadyExists; Status objects as the API server writes them;
 * - validation (422 Invalid): a Deployment's selector must match its template labels, containers need
 *   images, HTTPRoute weights are 0..1,000,000;
 * - metadata.generation grows with every spec change, and a controller rolls Deployments out: after a
 *   short delay status reports observedGeneration and available replicas, unless the image is marked
 *   to stall, in which case Progressing turns False with ProgressDeadlineExceeded once
 *   spec.progressDeadlineSeconds have passed.
 * A request to anything else is answered 404 and recorded as a violation.
 */

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; generation?: number; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
};

interface Resource {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

const RESOURCES: Resource[] = [
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' },
  { group: '', version: 'v1', plural: 'services', kind: 'Service' },
  { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes', kind: 'HTTPRoute' },
];

function certificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kube-double-cert-'));
  try {
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function status(code: number, reason: string, message: string, details: Record<string, unknown> = {}): { code: number; body: Record<string, unknown> } {
  return { code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code } };
}

export class KubernetesDouble extends HttpDouble {
  readonly token = 'kube-double-token-0123456789abcdef';
  readonly objects = new Map<string, KubeObject>();
  /** Images containing one of these never become available (the rollout stalls). */
  readonly stallingImages = new Set<string>(['stall']);
  /** How long the controller takes to make a rollout available. */
  rolloutDelayMs = 300;
  #resourceVersion = 100;
  readonly #cert: string;
  #timers = new Set<NodeJS.Timeout>();
  #conflicts = new Map<string, number>();

  constructor() {
    const tls = certificate();
    super((request) => this.#reply(request), tls);
    this.#cert = tls.cert;
  }

  #reply(request: RecordedRequest): Reply {
    const answer = this.#handle(request);
    return { status: answer.code, body: answer.body };
  }

  override async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    await super.stop();
  }

  /** A kubeconfig for this API server: its certificate as the CA, a bearer token, a default namespace. */
  kubeconfig(namespace = 'shop'): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'double', cluster: { server: this.url, 'certificate-authority-data': Buffer.from(this.#cert).toString('base64') } }],
      users: [{ name: 'deployer', user: { token: this.token } }],
      contexts: [{ name: 'double', context: { cluster: 'double', user: 'deployer', namespace } }],
      'current-context': 'double',
    });
  }

  #key(kind: string, namespace: string, name: string): string {
    return `${kind}/${namespace}/${name}`;
  }

  get(kind: string, name: string, namespace = 'shop'): KubeObject | undefined {
    return this.objects.get(this.#key(kind, namespace, name));
  }

  /** Puts an object in place directly, as if applied earlier. */
  seed(object: KubeObject): KubeObject {
    const namespace = object.metadata.namespace ?? 'shop';
    const stored = this.#stamp({ ...structuredClone(object), metadata: { ...object.metadata, namespace } }, undefined);
    this.objects.set(this.#key(object.kind, namespace, object.metadata.name), stored);
    if (object.kind === 'Deployment') this.#rollout(stored);
    return stored;
  }

  /** The next `times` replaces of this object meet a newer resourceVersion: another writer got there first. */
  conflictNext(kind: string, name: string, times = 1, namespace = 'shop'): void {
    this.#conflicts.set(this.#key(kind, namespace, name), times);
  }

  #stamp(object: KubeObject, previous: KubeObject | undefined): KubeObject {
    this.#resourceVersion += 1;
    const specChanged = !previous || JSON.stringify(previous.spec) !== JSON.stringify(object.spec);
    return {
      ...object,
      metadata: {
        ...object.metadata,
        resourceVersion: String(this.#resourceVersion),
        uid: previous?.metadata.uid ?? `uid-${this.#resourceVersion}`,
        creationTimestamp: previous?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        ...(object.kind === 'Deployment' ? { generation: (previous?.metadata.generation ?? 0) + (specChanged ? 1 : 0) } : {}),
      },
      status: previous?.status ?? object.status ?? {},
    };
  }

  #validate(object: KubeObject): string | undefined {
    if (object.kind === 'Deployment') {
      const spec = object.spec as { selector?: { matchLabels?: Record<string, string> }; template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: Array<{ name?: string; image?: string }> } } };
      const selector = spec?.selector?.matchLabels ?? {};
      const labels = spec?.template?.metadata?.labels ?? {};
      if (Object.keys(selector).length === 0) return 'spec.selector: Required value';
      if (Object.entries(selector).some(([key, value]) => labels[key] !== value)) return 'spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`';
      const containers = spec?.template?.spec?.containers ?? [];
      if (containers.length === 0) return 'spec.template.spec.containers: Required value';
      if (containers.some((container) => !container.name || !container.image)) return 'spec.template.spec.containers[0].image: Required value';
    }
    if (object.kind === 'HTTPRoute') {
      const rules = ((object.spec as { rules?: Array<{ backendRefs?: Array<{ weight?: number }> }> })?.rules ?? []);
      for (const rule of rules) {
        for (const ref of rule.backendRefs ?? []) {
          if (ref.weight !== undefined && (!Number.isInteger(ref.weight) || ref.weight < 0 || ref.weight > 1_000_000)) return 'spec.rules.backendRefs.weight: Invalid value: must be an integer from 0 to 1000000';
        }
      }
    }
    return undefined;
  }

  /** The controller: a spec change rolls out, or stalls until its progress deadline. */
  #rollout(deployment: KubeObject): void {
    const key = this.#key('Deployment', deployment.metadata.namespace ?? 'shop', deployment.metadata.name);
    const generation = deployment.metadata.generation ?? 1;
    const spec = deployment.spec as { replicas?: number; progressDeadlineSeconds?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } };
    const replicas = spec.replicas ?? 1;
    const image = spec.template?.spec?.containers?.[0]?.image ?? '';
    const stalls = replicas > 0 && [...this.stallingImages].some((marker) => image.includes(marker));
    const update = (fields: Record<string, unknown>) => {
      const current = this.objects.get(key);
      if (!current || current.metadata.generation !== generation) return;
      this.#resourceVersion += 1;
      current.metadata.resourceVersion = String(this.#resourceVersion);
      current.status = { ...current.status, ...fields };
    };
    const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    // The controller has seen the new generation; pods are not available yet.
    update({ observedGeneration: generation, replicas, updatedReplicas: replicas, availableReplicas: 0, readyReplicas: 0, conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: now() }] });
    const timer = stalls
      ? setTimeout(() => update({ conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet has timed out progressing.`, lastUpdateTime: now() }, { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }] }), (spec.progressDeadlineSeconds ?? 600) * 1000)
      : setTimeout(() => update({ availableReplicas: replicas, readyReplicas: replicas, conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', lastUpdateTime: now() }, { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] }), this.rolloutDelayMs);
    this.#timers.add(timer);
  }

  #handle(request: RecordedRequest): { code: number; body: unknown } {
    if (request.headers.authorization !== `Bearer ${this.token}`) return status(401, 'Unauthorized', 'Unauthorized');
    const match = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?(?:\/(scale))?$/.exec(request.path);
    const group = match?.[2] ?? '';
    const version = match?.[1] ?? match?.[3];
    const resource = RESOURCES.find((candidate) => candidate.group === group && candidate.version === version && candidate.plural === match?.[5]);
    if (!match || !resource) {
      this.violations.push(`kubernetes: ${request.method} ${request.path} is not served by the double`);
      return status(404, 'NotFound', 'the server could not find the requested resource');
    }
    const namespace = match[4] as string;
    const name = match[6];
    const subresource = match[7];
    const key = name ? this.#key(resource.kind, namespace, name) : '';
    const existing = name ? this.objects.get(key) : undefined;
    const notFound = () => status(404, 'NotFound', `${resource.plural}${resource.group ? `.${resource.group}` : ''} "${name}" not found`, { name, group: resource.group, kind: resource.plural });

    if (subresource === 'scale') {
      if (!existing) return notFound();
      const replicas = (existing.spec as { replicas?: number }).replicas ?? 1;
      if (request.method === 'GET') return { code: 200, body: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: existing.metadata, spec: { replicas }, status: { replicas } } };
      if (request.method === 'PATCH' || request.method === 'PUT') {
        const wanted = (request.body as { spec?: { replicas?: number } } | undefined)?.spec?.replicas;
        if (typeof wanted !== 'number' || wanted < 0) return status(422, 'Invalid', 'Scale.autoscaling "x" is invalid: spec.replicas: Invalid value');
        const updated = this.#stamp({ ...existing, spec: { ...existing.spec, replicas: wanted } }, existing);
        this.objects.set(key, updated);
        this.#rollout(updated);
        return { code: 200, body: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: updated.metadata, spec: { replicas: wanted }, status: { replicas: wanted } } };
      }
    }
    switch (request.method) {
      case 'GET':
        if (!name) {
          const items = [...this.objects.values()].filter((object) => object.kind === resource.kind && object.metadata.namespace === namespace);
          return { code: 200, body: { kind: `${resource.kind}List`, apiVersion: `${resource.group ? `${resource.group}/` : ''}${resource.version}`, metadata: { resourceVersion: String(this.#resourceVersion) }, items } };
        }
        return existing ? { code: 200, body: existing } : notFound();
      case 'POST': {
        const object = request.body as KubeObject | undefined;
        if (!object?.metadata?.name) return status(422, 'Invalid', `${resource.kind} is invalid: metadata.name: Required value`);
        const createKey = this.#key(resource.kind, namespace, object.metadata.name);
        if (this.objects.has(createKey)) return status(409, 'AlreadyExists', `${resource.plural} "${object.metadata.name}" already exists`);
        const invalid = this.#validate(object);
        if (invalid) return status(422, 'Invalid', `${resource.kind} "${object.metadata.name}" is invalid: ${invalid}`);
        const { resourceVersion: _ignored, ...metadata } = object.metadata;
        const stored = this.#stamp({ ...object, metadata: { ...metadata, namespace } }, undefined);
        this.objects.set(createKey, stored);
        if (resource.kind === 'Deployment') this.#rollout(stored);
        return { code: 201, body: stored };
      }
      case 'PUT': {
        if (!existing) return notFound();
        const object = request.body as KubeObject;
        const conflicts = this.#conflicts.get(key) ?? 0;
        if (conflicts > 0) {
          this.#conflicts.set(key, conflicts - 1);
          this.#resourceVersion += 1;
          existing.metadata.resourceVersion = String(this.#resourceVersion);
        }
        if (object.metadata.resourceVersion && object.metadata.resourceVersion !== existing.metadata.resourceVersion) {
          return status(409, 'Conflict', `Operation cannot be fulfilled on ${resource.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`);
        }
        const invalid = this.#validate(object);
        if (invalid) return status(422, 'Invalid', `${resource.kind} "${name}" is invalid: ${invalid}`);
        // Status is the controller's: a replace keeps it.
        const updated = this.#stamp({ ...object, metadata: { ...object.metadata, namespace }, status: existing.status ?? {} }, existing);
        this.objects.set(key, updated);
        if (resource.kind === 'Deployment' && updated.metadata.generation !== existing.metadata.generation) this.#rollout(updated);
        return { code: 200, body: updated };
      }
      case 'DELETE':
        if (!existing) return notFound();
        this.objects.delete(key);
        return { code: 200, body: { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name, kind: resource.plural } } };
      default:
        this.violations.push(`kubernetes: ${request.method} ${request.path} is not served by the double`);
        return status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
  }
}
