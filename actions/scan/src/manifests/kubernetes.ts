import { catalogOf, tableFinding, type Finding, type Rule, type RuleTable } from '../findings.ts';
import { isRecord, YamlSource, type YamlPath } from '../yaml-source.ts';

const RULES: RuleTable = {
  'k8s-privileged': { severity: 'critical', title: 'Privileged container', help: 'A privileged container has every capability and the host\'s devices: escaping it is trivial. Remove privileged: true.' },
  'k8s-privilege-escalation': { severity: 'high', title: 'Privilege escalation not disabled', help: 'Set securityContext.allowPrivilegeEscalation: false so setuid binaries cannot gain privileges.' },
  'k8s-run-as-root': { severity: 'high', title: 'Container may run as root', help: 'Set runAsNonRoot: true (and a non-zero runAsUser) in the pod or container securityContext.' },
  'k8s-writable-root-filesystem': { severity: 'medium', title: 'Root filesystem is writable', help: 'Set readOnlyRootFilesystem: true and mount emptyDir volumes where the app writes.' },
  'k8s-dangerous-capabilities': { severity: 'high', title: 'Dangerous Linux capability added', help: 'Capabilities such as SYS_ADMIN, NET_ADMIN, NET_RAW or ALL widen what a compromised container can do to the node. Drop ALL and add only what is needed.' },
  'k8s-capabilities-not-dropped': { severity: 'low', title: 'Capabilities not dropped', help: 'Add capabilities.drop: [ALL] and add back only what the process needs.' },
  'k8s-host-namespaces': { severity: 'high', title: 'Host network, PID or IPC namespace shared', help: 'hostNetwork, hostPID and hostIPC expose the node\'s network and processes. Remove them.' },
  'k8s-host-path': { severity: 'high', title: 'hostPath volume', help: 'A hostPath volume gives the pod the node\'s filesystem (the Docker or containerd socket gives the node). Use a PersistentVolumeClaim, ConfigMap or emptyDir.' },
  'k8s-missing-limits': { severity: 'medium', title: 'No CPU or memory limits', help: 'Without limits one pod can starve the node. Set resources.limits.memory and resources.limits.cpu.' },
  'k8s-missing-requests': { severity: 'low', title: 'No CPU or memory requests', help: 'Without requests the scheduler cannot place the pod sensibly. Set resources.requests.cpu and resources.requests.memory.' },
  'k8s-image-not-pinned': { severity: 'medium', title: 'Image tag is latest or missing', help: 'latest (or no tag) deploys whatever the registry holds today. Use a version tag, or better a digest.' },
  'k8s-missing-probes': { severity: 'low', title: 'No liveness or readiness probe', help: 'Without a readiness probe traffic reaches pods before they are ready (and blue-green verification has less to go on). Add readinessProbe and livenessProbe.' },
  'k8s-secret-in-env': { severity: 'high', title: 'Secret written in an environment variable', help: 'A literal password or token in the manifest is in Git and in the API server. Use valueFrom.secretKeyRef.' },
};

export function kubernetesRuleCatalog(): Rule[] {
  return catalogOf('manifests', RULES);
}

const WORKLOAD_POD_SPEC: Record<string, YamlPath> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
const DANGEROUS_CAPABILITIES = ['ALL', 'SYS_ADMIN', 'NET_ADMIN', 'NET_RAW', 'SYS_PTRACE', 'SYS_MODULE', 'DAC_READ_SEARCH', 'BPF', 'PERFMON', 'SYS_RAWIO'];
const SECRET_NAME = /(?:passw(?:or)?d|secret|token|api[_-]?key|private[_-]?key|credentials?|access[_-]?key)/i;

function get(value: unknown, path: YamlPath): unknown {
  let current = value;
  for (const part of path) {
    if (Array.isArray(current) && typeof part === 'number') current = current[part];
    else if (isRecord(current) && typeof part === 'string') current = current[part];
    else return undefined;
  }
  return current;
}

/** Looks like a Kubernetes manifest: worth parsing and auditing. */
export function looksLikeKubernetes(text: string): boolean {
  return /^\s*apiVersion\s*:/m.test(text) && /^\s*kind\s*:/m.test(text);
}

export function imageIsPinned(image: string): boolean {
  if (image.includes('@sha256:')) return true;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.indexOf(':');
  return colon !== -1 && lastSegment.slice(colon + 1) !== 'latest';
}

/** Audits every workload in a (multi-document) Kubernetes YAML file, the items of a `kind: List` too. */
export function auditKubernetes(path: string, text: string): Finding[] {
  const findings: Finding[] = [];
  for (const source of YamlSource.parseAll(text)) {
    const doc = source.value;
    if (!isRecord(doc)) continue;
    // kubectl get -o yaml writes a List; kubectl apply takes one.
    const objects: Array<[unknown, YamlPath]> = typeof doc['kind'] === 'string' && doc['kind'].endsWith('List') && Array.isArray(doc['items']) ? doc['items'].map((item, index) => [item, ['items', index]]) : [[doc, []]];
    for (const [object, base] of objects) findings.push(...auditObject(path, source, object, base));
  }
  return findings;
}

function auditObject(path: string, source: YamlSource, doc: unknown, base: YamlPath): Finding[] {
  const findings: Finding[] = [];
  if (!isRecord(doc) || typeof doc['kind'] !== 'string') return findings;
  const kind = doc['kind'];
  const name = String(get(doc, ['metadata', 'name']) ?? '(unnamed)');
  const podSpecPath = WORKLOAD_POD_SPEC[kind];
  if (!podSpecPath) return findings;
  const spec = get(doc, podSpecPath);
  const specPath: YamlPath = [...base, ...podSpecPath];
  if (!isRecord(spec)) return findings;
  const report = (id: string, where: YamlPath, detail: string): void => {
    const identity = `${kind}/${name}|${where.filter((part) => typeof part === 'string').join('/')}|${detail}`;
    findings.push(tableFinding('manifests', RULES, id, { path, line: source.line(where) }, `${kind}/${name}: ${detail}`, identity));
  };
  for (const namespace of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[namespace] === true) report('k8s-host-namespaces', [...specPath, namespace], `${namespace}: true`);
  const volumes = Array.isArray(spec['volumes']) ? spec['volumes'] : [];
  volumes.forEach((volume, index) => {
    if (isRecord(volume) && isRecord(volume['hostPath'])) report('k8s-host-path', [...specPath, 'volumes', index, 'hostPath'], `volume ${String(volume['name'])} mounts ${String(volume['hostPath']['path'])} from the node`);
  });
  const podContext = isRecord(spec['securityContext']) ? spec['securityContext'] : {};
  const runsToCompletion = kind === 'Job' || kind === 'CronJob';
  for (const group of ['containers', 'initContainers'] as const) {
    const containers = Array.isArray(spec[group]) ? spec[group] : [];
    containers.forEach((container, index) => {
      if (!isRecord(container)) return;
      const at: YamlPath = [...specPath, group, index];
      const label = `container ${String(container['name'] ?? index)}`;
      const context = isRecord(container['securityContext']) ? container['securityContext'] : {};
      if (context['privileged'] === true) report('k8s-privileged', [...at, 'securityContext', 'privileged'], `${label} is privileged`);
      if (context['allowPrivilegeEscalation'] !== false) report('k8s-privilege-escalation', [...at, 'securityContext'], `${label} does not set allowPrivilegeEscalation: false`);
      const runAsUser = context['runAsUser'] ?? podContext['runAsUser'];
      const nonRoot = context['runAsNonRoot'] ?? podContext['runAsNonRoot'];
      if (runAsUser === 0 || (nonRoot !== true && (typeof runAsUser !== 'number' || runAsUser === 0))) report('k8s-run-as-root', [...at, 'securityContext'], runAsUser === 0 ? `${label} runs as UID 0` : `${label} does not set runAsNonRoot: true`);
      if (context['readOnlyRootFilesystem'] !== true) report('k8s-writable-root-filesystem', [...at, 'securityContext'], `${label} does not set readOnlyRootFilesystem: true`);
      const capabilities = isRecord(context['capabilities']) ? context['capabilities'] : {};
      const added = Array.isArray(capabilities['add']) ? capabilities['add'].map((cap) => String(cap).toUpperCase().replace(/^CAP_/, '')) : [];
      const dangerous = added.filter((cap) => DANGEROUS_CAPABILITIES.includes(cap));
      if (dangerous.length > 0) report('k8s-dangerous-capabilities', [...at, 'securityContext', 'capabilities', 'add'], `${label} adds ${dangerous.join(', ')}`);
      const dropped = Array.isArray(capabilities['drop']) ? capabilities['drop'].map((cap) => String(cap).toUpperCase()) : [];
      if (!dropped.includes('ALL')) report('k8s-capabilities-not-dropped', [...at, 'securityContext'], `${label} does not drop ALL capabilities`);
      const resources = isRecord(container['resources']) ? container['resources'] : {};
      const limits = isRecord(resources['limits']) ? resources['limits'] : {};
      const requests = isRecord(resources['requests']) ? resources['requests'] : {};
      const missingLimits = ['cpu', 'memory'].filter((resource) => limits[resource] === undefined);
      if (missingLimits.length > 0) report('k8s-missing-limits', [...at, 'resources'], `${label} has no ${missingLimits.join(' or ')} limit`);
      const missingRequests = ['cpu', 'memory'].filter((resource) => requests[resource] === undefined && limits[resource] === undefined);
      if (missingRequests.length > 0) report('k8s-missing-requests', [...at, 'resources'], `${label} has no ${missingRequests.join(' or ')} request`);
      const image = container['image'];
      if (typeof image === 'string' && !imageIsPinned(image)) report('k8s-image-not-pinned', [...at, 'image'], `${label} uses ${image}`);
      if (group === 'containers' && !runsToCompletion && (container['readinessProbe'] === undefined || container['livenessProbe'] === undefined)) {
        const missing = ['readinessProbe', 'livenessProbe'].filter((probe) => container[probe] === undefined);
        report('k8s-missing-probes', at, `${label} has no ${missing.join(' or ')}`);
      }
      const env = Array.isArray(container['env']) ? container['env'] : [];
      env.forEach((variable, envIndex) => {
        if (isRecord(variable) && typeof variable['name'] === 'string' && SECRET_NAME.test(variable['name']) && typeof variable['value'] === 'string' && variable['value'].trim() !== '') {
          report('k8s-secret-in-env', [...at, 'env', envIndex, 'value'], `${label} sets ${variable['name']} to a literal value`);
        }
      });
    });
  }
  return findings;
}
