import picomatch from 'picomatch';
import { auditDockerfile, dockerfileRuleCatalog, isDockerfile } from './manifests/dockerfile.ts';
import { auditKubernetes, kubernetesRuleCatalog, looksLikeKubernetes } from './manifests/kubernetes.ts';
import { isLockfile, parseLockfile, type Package } from './dependencies/lockfiles.ts';
import { affects, vulnerabilityFinding } from './dependencies/osv.ts';
import type { VulnerabilitySource } from './dependencies/sources.ts';
import type { Finding, Rule, ScannerName } from './findings.ts';
import { applySuppressions, isRuleDisabled, pathMatcher, type Policy, type Suppression } from './policy.ts';
import { SecretDetector, secretFinding } from './secrets/detect.ts';
import { addedInRange, type CommitRange } from './secrets/history.ts';
import { secretRuleCatalog } from './secrets/rules.ts';
import { listFiles, readText, type SkippedFile } from './tree.ts';
import { auditActionManifest, auditWorkflow, workflowRuleCatalog } from './workflows/audit.ts';
import { YamlSyntaxError } from './yaml-source.ts';

export function ruleCatalog(): Rule[] {
  return [
    ...secretRuleCatalog(),
    ...workflowRuleCatalog(),
    { id: 'dependencies/known-vulnerability', scanner: 'dependencies', severity: 'high', title: 'Dependency with a known vulnerability', help: 'A locked version is affected by a published advisory (OSV). Upgrade to the fixed version named in the message; the severity is the advisory\'s own.' },
    ...kubernetesRuleCatalog(),
    ...dockerfileRuleCatalog(),
  ];
}

const isWorkflowFile = picomatch(['.github/workflows/*.{yml,yaml}', '**/.github/workflows/*.{yml,yaml}', 'workflows/*.{yml,yaml}', 'workflow-templates/*.{yml,yaml}'], { dot: true });
const isActionManifest = picomatch(['action.{yml,yaml}', '**/action.{yml,yaml}'], { dot: true });

export interface ScanOptions {
  root: string;
  scanners: ReadonlySet<ScannerName>;
  policy: Policy;
  /** Commits whose added lines the secrets scanner also reads. */
  history?: CommitRange;
  vulnerabilities?: VulnerabilitySource;
  /** YYYY-MM-DD, for suppression expiry. */
  today: string;
}

export interface ScanResult {
  findings: Finding[];
  skipped: SkippedFile[];
  expiredSuppressions: Suppression[];
  files: number;
  commits: number;
  packages: number;
}

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let start = 0; start < items.length; start += size) await Promise.all(items.slice(start, start + size).map(work));
}

/** Runs the selected scanners over a checkout; the policy's excludes, rule switches and suppressions applied. */
export async function scanCheckout(options: ScanOptions): Promise<ScanResult> {
  const { policy, scanners } = options;
  const excluded = pathMatcher(policy.exclude);
  const secretsExcluded = pathMatcher(policy.secrets.paths);
  const detector = new SecretDetector(undefined, policy.secrets);
  const isYaml = (path: string): boolean => /\.ya?ml$/i.test(path);
  // Secrets read every file; without them only the files another scanner looks at are read at all.
  const wanted = (path: string): boolean =>
    (scanners.has('secrets') && !secretsExcluded(path)) ||
    (scanners.has('workflows') && (isWorkflowFile(path) || isActionManifest(path))) ||
    (scanners.has('manifests') && (isDockerfile(path) || isYaml(path))) ||
    (scanners.has('dependencies') && isLockfile(path));
  const files = (await listFiles(options.root)).filter((path) => !excluded(path) && wanted(path));
  const findings: Finding[] = [];
  const skipped: SkippedFile[] = [];
  const packages: Package[] = [];
  let scanned = 0;

  await inBatches(files, 32, async (path) => {
    const file = await readText(options.root, path);
    if (!file) return;
    if (!('text' in file)) {
      skipped.push(file);
      return;
    }
    scanned += 1;
    const { text } = file;
    if (scanners.has('secrets') && !secretsExcluded(path)) for (const hit of detector.detect(text)) findings.push(secretFinding(hit, path));
    try {
      if (scanners.has('workflows')) {
        if (isWorkflowFile(path)) findings.push(...auditWorkflow(path, text, policy.pinning));
        else if (isActionManifest(path)) findings.push(...auditActionManifest(path, text, policy.pinning));
      }
      if (scanners.has('manifests')) {
        if (isDockerfile(path)) findings.push(...auditDockerfile(path, text));
        else if (isYaml(path) && !isWorkflowFile(path) && looksLikeKubernetes(text)) findings.push(...auditKubernetes(path, text));
      }
    } catch (error) {
      // A template (Helm) or a broken file: say which and where, scan the rest.
      if (!(error instanceof YamlSyntaxError)) throw error;
      const template = /\{\{[^}]*\}\}/.test(text);
      skipped.push({ path, reason: template ? `a template (Helm or similar), not YAML until rendered: scan the rendered manifests (helm template) instead; line ${error.line}: ${error.message}` : `line ${error.line}: not valid YAML (${error.message})` });
    }
    // A malformed lockfile stops the scan (LockfileError names the file and line): a vulnerability check that silently skipped it would pass.
    if (scanners.has('dependencies') && isLockfile(path)) packages.push(...parseLockfile(path, text));
  });

  let commits = 0;
  if (scanners.has('secrets') && options.history) {
    const known = new Set(findings.map((finding) => finding.fingerprint));
    const history = await addedInRange(options.root, options.history);
    commits = history.commits;
    for (const added of history.added) {
      if (excluded(added.path) || secretsExcluded(added.path)) continue;
      for (const hit of detector.detect(added.text)) {
        const finding = secretFinding({ ...hit, line: added.lineNumbers[hit.line - 1] ?? hit.line }, added.path, added.commit);
        if (known.has(finding.fingerprint)) continue;
        known.add(finding.fingerprint);
        findings.push(finding);
      }
    }
  }

  if (scanners.has('dependencies') && packages.length > 0 && options.vulnerabilities) {
    const candidates = await options.vulnerabilities.candidates(packages);
    packages.forEach((pkg, index) => {
      for (const record of candidates[index] ?? []) {
        const affection = affects(record, pkg);
        if (affection) findings.push(vulnerabilityFinding(pkg, record, affection));
      }
    });
  }

  const enabled = findings.filter((finding) => !isRuleDisabled(policy, finding.ruleId));
  const { findings: final, expired } = applySuppressions(enabled, policy.suppressions, options.today);
  return { findings: final, skipped: skipped.sort((a, b) => a.path.localeCompare(b.path)), expiredSuppressions: expired, files: scanned, commits, packages: packages.length };
}

/** Findings whose fingerprint the base scan did not have: what this change introduced. */
export function newFindings(current: Finding[], base: Finding[]): Finding[] {
  const before = new Set(base.map((finding) => finding.fingerprint));
  return current.filter((finding) => !before.has(finding.fingerprint));
}
