import { readFileSync } from 'node:fs';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, type V1Deployment, type V1Service } from '@kubernetes/client-node';
import { LineCounter, parseAllDocuments } from 'yaml';
import { errorMessage, InputError, UserError } from '../../errors.ts';
import type { HealthCheck, ProbeResult } from '../health.ts';
import { LocalHost, type CommandResult } from '../host.ts';
import { normalize, RouterError, type Color, type Endpoint, type Router, type Split } from '../traffic.ts';

/**
 * Kubernetes, through the API (no kubectl): each color is a Deployment `<name>-<color>` made from the
 * user's manifest with the image given; traffic moves by the main Service's selector (all or
 * nothing), or by weight with a Gateway API HTTPRoute (`backendRefs[].weight` on the Services
 * `<service>-blue` and `<service>-green`). The idle color is exposed on a preview Service for checks.
 * The active color and version are kept as annotations on the main Service. Every write is a
 * read-modify-replace carrying the resourceVersion, retried when another writer got there first (409).
 *
 * Loaded lazily: the client is large and most users never need it.
 */

export interface KubernetesOptions {
  kubeconfig: string;
  namespace?: string | undefined;
  manifests: string;
  name: string;
  container?: string | undefined;
  service: string;
  previewService?: string | undefined;
  httpRoute?: string | undefined;
  /** Where the preview Service is reachable from the runner, for HTTP health probes; without it, health is the rollout's. */
  previewUrl?: string | undefined;
  rolloutTimeoutMs: number;
  environment: string;
}

export const ANNOTATIONS = {
  color: 'deploy-actions.org/active-color',
  version: 'deploy-actions.org/version',
} as const;

/** The Deployment in the manifests file; YAML errors and a missing Deployment are reported with file:line. */
export function loadDeploymentTemplate(path: string, text?: string): V1Deployment {
  let source: string;
  try {
    source = text ?? readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError('kubernetes-manifests', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`);
  }
  const lines = new LineCounter();
  const documents = parseAllDocuments(source, { lineCounter: lines, prettyErrors: false });
  const list = Array.isArray(documents) ? documents : [documents];
  for (const document of list) {
    const [first] = document.errors;
    if (first) {
      const { line, col } = lines.linePos(first.pos[0]);
      throw new InputError('kubernetes-manifests', `${path}:${line}:${col}: ${first.message.split('\n')[0]}`);
    }
  }
  const objects = list.map((document) => document.toJS() as { kind?: string } | null).filter((object): object is { kind?: string } => object !== null);
  const deployments = objects.filter((object) => object.kind === 'Deployment') as V1Deployment[];
  if (deployments.length !== 1) {
    throw new InputError('kubernetes-manifests', `${path} must hold exactly one Deployment (found ${deployments.length}); it is the template for both colors`);
  }
  const template = deployments[0] as V1Deployment;
  if (!template.spec?.template?.spec?.containers?.length) throw new InputError('kubernetes-manifests', `${path}: the Deployment has no containers`);
  return template;
}

/** The Deployment for one color: renamed, labelled with the color (selector and pods), the image set. */
export function colorDeployment(template: V1Deployment, options: { name: string; color: Color; version: string; image: string; container?: string | undefined; namespace: string }): V1Deployment {
  const deployment = structuredClone(template);
  const labels = { app: options.name, color: options.color };
  const containers = deployment.spec?.template?.spec?.containers ?? [];
  const target = options.container ? containers.find((container) => container.name === options.container) : containers[0];
  if (!target) throw new InputError('kubernetes-container', `the Deployment has no container named ${JSON.stringify(options.container)}`);
  target.image = options.image;
  deployment.apiVersion = 'apps/v1';
  deployment.kind = 'Deployment';
  deployment.metadata = {
    ...deployment.metadata,
    name: `${options.name}-${options.color}`,
    namespace: options.namespace,
    labels: { ...deployment.metadata?.labels, ...labels },
    annotations: { ...deployment.metadata?.annotations, [ANNOTATIONS.version]: options.version },
  };
  delete deployment.metadata.resourceVersion;
  const spec = deployment.spec as NonNullable<V1Deployment['spec']>;
  spec.selector = { ...spec.selector, matchLabels: { ...spec.selector?.matchLabels, ...labels } };
  spec.template.metadata = { ...spec.template.metadata, labels: { ...spec.template.metadata?.labels, ...labels }, annotations: { ...spec.template.metadata?.annotations, [ANNOTATIONS.version]: options.version } };
  return deployment;
}

export type RolloutState = { done: true } | { done: false; stalled: boolean; detail: string };

/** A rollout is complete when the controller saw this generation and every replica is updated and available. */
export function rolloutState(deployment: V1Deployment): RolloutState {
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  const replicas = deployment.spec?.replicas ?? 1;
  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return { done: false, stalled: true, detail: `rollout stalled: ${progressing.message ?? 'progress deadline exceeded'} (${status.availableReplicas ?? 0}/${replicas} available)` };
  }
  if ((status.observedGeneration ?? 0) < generation) return { done: false, stalled: false, detail: `waiting for the controller to see generation ${generation}` };
  if ((status.updatedReplicas ?? 0) < replicas) return { done: false, stalled: false, detail: `${status.updatedReplicas ?? 0}/${replicas} replicas updated` };
  if ((status.availableReplicas ?? 0) < replicas) return { done: false, stalled: false, detail: `${status.availableReplicas ?? 0}/${replicas} replicas available` };
  return { done: true };
}

interface ApiError {
  code?: number;
  body?: unknown;
  message: string;
}

function apiStatus(error: unknown): number | undefined {
  return (error as ApiError).code;
}

function apiMessage(error: unknown): string {
  const body = (error as ApiError).body;
  try {
    const parsed = typeof body === 'string' ? (JSON.parse(body) as { message?: string }) : (body as { message?: string } | undefined);
    if (parsed?.message) return parsed.message;
  } catch {
    // Not a Status object.
  }
  return errorMessage(error);
}

const CONFLICT_RETRIES = 5;

export class KubernetesRouter implements Router {
  readonly kind = 'kubernetes';
  readonly #o: KubernetesOptions;
  readonly #apps: AppsV1Api;
  readonly #core: CoreV1Api;
  readonly #custom: CustomObjectsApi;
  readonly #namespace: string;
  readonly #template: V1Deployment;

  constructor(options: KubernetesOptions) {
    this.#o = options;
    const config = new KubeConfig();
    try {
      config.loadFromString(options.kubeconfig);
    } catch (error) {
      throw new InputError('kubeconfig', `is not a readable kubeconfig (${errorMessage(error)})`);
    }
    if (!config.getCurrentCluster()) throw new InputError('kubeconfig', 'has no current context with a cluster');
    this.#apps = config.makeApiClient(AppsV1Api);
    this.#core = config.makeApiClient(CoreV1Api);
    this.#custom = config.makeApiClient(CustomObjectsApi);
    this.#namespace = options.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default';
    this.#template = loadDeploymentTemplate(options.manifests);
  }

  async #call<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const code = apiStatus(error);
      const hint = code === 401 ? ' (the kubeconfig credentials were refused)' : code === 403 ? ' (the kubeconfig user may not do this: check its RBAC role)' : '';
      throw new UserError(`Kubernetes: ${what} in namespace ${this.#namespace}: ${code ? `${code} ` : ''}${apiMessage(error)}${hint}`);
    }
  }

  /** Read, change, replace with the resourceVersion read; when another writer won (409), read again. */
  async #update<T extends { metadata?: { resourceVersion?: string } }>(what: string, read: () => Promise<T>, change: (object: T) => T, replace: (object: T) => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.#call(`reading ${what}`, read);
      try {
        await replace(change(structuredClone(current)));
        return;
      } catch (error) {
        if (apiStatus(error) !== 409 || attempt >= CONFLICT_RETRIES) {
          throw new UserError(`Kubernetes: updating ${what} in namespace ${this.#namespace}: ${apiStatus(error) ?? ''} ${apiMessage(error)}`.replace(/\s+/g, ' '));
        }
      }
    }
  }

  #colorService(color: Color): string {
    return `${this.#o.service}-${color}`;
  }

  async #service(name: string): Promise<V1Service> {
    return this.#call(`reading Service ${name}`, () => this.#core.readNamespacedService({ name, namespace: this.#namespace }));
  }

  async read(): Promise<Split> {
    if (this.#o.httpRoute) {
      const route = (await this.#call(`reading HTTPRoute ${this.#o.httpRoute}`, () =>
        this.#custom.getNamespacedCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', namespace: this.#namespace, plural: 'httproutes', name: this.#o.httpRoute as string }),
      )) as { spec?: { rules?: Array<{ backendRefs?: Array<{ name: string; weight?: number }> }> } };
      const refs = route.spec?.rules?.[0]?.backendRefs ?? [];
      const weight = (color: Color) => {
        const ref = refs.find((candidate) => candidate.name === this.#colorService(color));
        return ref ? (ref.weight ?? 1) : 0;
      };
      return normalize({ blue: weight('blue'), green: weight('green') });
    }
    const service = await this.#service(this.#o.service);
    const color = service.spec?.selector?.['color'];
    if (color === 'blue') return { blue: 100, green: 0 };
    if (color === 'green') return { blue: 0, green: 100 };
    return { blue: 0, green: 0 };
  }

  async #versionOf(color: Color): Promise<string> {
    try {
      const deployment = await this.#apps.readNamespacedDeployment({ name: `${this.#o.name}-${color}`, namespace: this.#namespace });
      return deployment.metadata?.annotations?.[ANNOTATIONS.version] ?? '';
    } catch {
      return '';
    }
  }

  async apply(split: Split, _current: Split): Promise<void> {
    const active: Color = split.green > split.blue ? 'green' : 'blue';
    const version = await this.#versionOf(active);
    if (this.#o.httpRoute) {
      const name = this.#o.httpRoute;
      type Route = { metadata?: { resourceVersion?: string; annotations?: Record<string, string> }; spec?: { rules?: Array<{ backendRefs?: Array<Record<string, unknown>> }> } };
      await this.#update<Route>(
        `HTTPRoute ${name}`,
        () => this.#custom.getNamespacedCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', namespace: this.#namespace, plural: 'httproutes', name }) as Promise<Route>,
        (route) => {
          const rule = route.spec?.rules?.[0];
          if (!rule) throw new InputError('kubernetes-http-route', `HTTPRoute ${name} has no rules to split`);
          const others = (rule.backendRefs ?? []).filter((ref) => ref['name'] !== this.#colorService('blue') && ref['name'] !== this.#colorService('green'));
          // Weights are integers; percent to 1/100 of a percent.
          rule.backendRefs = [...others, ...(['blue', 'green'] as const).map((color) => ({ kind: 'Service', name: this.#colorService(color), port: this.#port(), weight: Math.round(split[color] * 100) }))];
          route.metadata = { ...route.metadata, annotations: { ...route.metadata?.annotations, [ANNOTATIONS.color]: active, [ANNOTATIONS.version]: version } };
          return route;
        },
        (route) => this.#custom.replaceNamespacedCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', namespace: this.#namespace, plural: 'httproutes', name, body: route }),
      ).catch((error: unknown) => {
        throw new RouterError(errorMessage(error), true);
      });
      return;
    }
    if (split.blue > 0 && split.green > 0) {
      throw new RouterError(`a Service selector sends all traffic to one color: set kubernetes-http-route to split ${split.blue}/${split.green}`, true);
    }
    const name = this.#o.service;
    await this.#update<V1Service>(
      `Service ${name}`,
      () => this.#core.readNamespacedService({ name, namespace: this.#namespace }),
      (service) => {
        if (!service.spec) throw new UserError(`Service ${name} has no spec`);
        service.spec.selector = { ...service.spec.selector, app: this.#o.name, color: active };
        service.metadata = { ...service.metadata, annotations: { ...service.metadata?.annotations, [ANNOTATIONS.color]: active, [ANNOTATIONS.version]: version } };
        return service;
      },
      (service) => this.#core.replaceNamespacedService({ name, namespace: this.#namespace, body: service }),
    ).catch((error: unknown) => {
      throw new RouterError(errorMessage(error), true);
    });
  }

  #port(): number {
    const port = this.#template.spec?.template?.spec?.containers?.[0]?.ports?.[0]?.containerPort;
    return port ?? 80;
  }

  async start(color: Color, version: string, artifact: string | undefined): Promise<void> {
    if (!artifact) throw new InputError('artifact', 'is required with router kubernetes: the image to deploy (a tag or a digest)');
    const desired = colorDeployment(this.#template, { name: this.#o.name, color, version, image: artifact, container: this.#o.container, namespace: this.#namespace });
    const name = desired.metadata?.name as string;
    const exists = await this.#apps.readNamespacedDeployment({ name, namespace: this.#namespace }).then(
      () => true,
      (error: unknown) => {
        if (apiStatus(error) === 404) return false;
        throw new UserError(`Kubernetes: reading Deployment ${name} in namespace ${this.#namespace}: ${apiMessage(error)}`);
      },
    );
    if (exists) {
      await this.#update<V1Deployment>(
        `Deployment ${name}`,
        () => this.#apps.readNamespacedDeployment({ name, namespace: this.#namespace }),
        (current) => ({ ...desired, metadata: { ...desired.metadata, resourceVersion: current.metadata?.resourceVersion } }),
        (deployment) => this.#apps.replaceNamespacedDeployment({ name, namespace: this.#namespace, body: deployment }),
      );
    } else {
      await this.#call(`creating Deployment ${name}`, () => this.#apps.createNamespacedDeployment({ namespace: this.#namespace, body: desired }));
    }
    await this.#waitRollout(name);
    if (this.#o.previewService) await this.#point(this.#o.previewService, color);
  }

  /** A color's own Service (for HTTPRoute backends) or the preview Service, pointed at one color. */
  async #point(name: string, color: Color): Promise<void> {
    await this.#update<V1Service>(
      `Service ${name}`,
      () => this.#core.readNamespacedService({ name, namespace: this.#namespace }),
      (service) => {
        if (!service.spec) throw new UserError(`Service ${name} has no spec`);
        service.spec.selector = { ...service.spec.selector, app: this.#o.name, color };
        return service;
      },
      (service) => this.#core.replaceNamespacedService({ name, namespace: this.#namespace, body: service }),
    );
  }

  async #waitRollout(name: string): Promise<void> {
    const deadline = Date.now() + this.#o.rolloutTimeoutMs;
    let state: RolloutState = { done: false, stalled: false, detail: 'not read' };
    for (;;) {
      const deployment = await this.#call(`reading Deployment ${name}`, () => this.#apps.readNamespacedDeployment({ name, namespace: this.#namespace }));
      state = rolloutState(deployment);
      if (state.done) return;
      if (state.stalled) throw new UserError(`Deployment ${name}: ${state.detail}`);
      if (Date.now() > deadline) throw new UserError(`Deployment ${name} did not finish rolling out within ${Math.round(this.#o.rolloutTimeoutMs / 1000)}s: ${state.detail}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async stop(color: Color): Promise<boolean> {
    const name = `${this.#o.name}-${color}`;
    await this.#call(`scaling Deployment ${name} to 0`, () => this.#apps.patchNamespacedDeploymentScale({ name, namespace: this.#namespace, body: { spec: { replicas: 0 } } }));
    return true;
  }

  async endpoint(color: Color): Promise<Endpoint> {
    throw new UserError(`the kubernetes router has no host:port for ${color}; probes go through kubernetes-preview-url or the rollout`);
  }

  async ready(_color: Color, _timeoutMs: number): Promise<void> {}

  /** Health of a color: an HTTP probe through the preview URL when given, else its rollout being complete. */
  async probe(color: Color, check: HealthCheck): Promise<ProbeResult> {
    if (this.#o.previewUrl) {
      const started = Date.now();
      try {
        const response = await fetch(new URL(check.path, this.#o.previewUrl), { signal: AbortSignal.timeout(check.requestTimeoutMs) });
        const body = await response.text();
        if (response.status !== check.expectStatus) return { ok: false, detail: `HTTP ${response.status} (expected ${check.expectStatus}) from the preview URL` };
        if (check.bodyPattern && !check.bodyPattern.test(body)) return { ok: false, detail: `the preview answer does not match ${check.bodyPattern}` };
        return { ok: true, detail: `HTTP ${response.status} in ${Date.now() - started} ms from the preview URL` };
      } catch (error) {
        return { ok: false, detail: `preview URL: ${errorMessage(error)}` };
      }
    }
    try {
      const deployment = await this.#apps.readNamespacedDeployment({ name: `${this.#o.name}-${color}`, namespace: this.#namespace });
      const state = rolloutState(deployment);
      const replicas = deployment.spec?.replicas ?? 1;
      if (replicas === 0) return { ok: false, detail: `${this.#o.name}-${color} is scaled to 0` };
      return state.done ? { ok: true, detail: `${this.#o.name}-${color}: ${replicas}/${replicas} available` } : { ok: false, detail: state.detail };
    } catch (error) {
      return { ok: false, detail: `${this.#o.name}-${color}: ${apiMessage(error)}` };
    }
  }

  /** The smoke test runs on the runner, with the preview URL. */
  async smoke(color: Color, version: string, command: string): Promise<CommandResult> {
    return new LocalHost().shell(command, { COLOR: color, VERSION: version, URL: this.#o.previewUrl ?? '', ENVIRONMENT: this.#o.environment });
  }

  async close(): Promise<void> {}
}
