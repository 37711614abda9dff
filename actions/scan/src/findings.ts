import { createHash } from 'node:crypto';

/** One severity scale for every scanner; fail-on compares against it. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** What fail-on accepts: a severity, or none (report only). */
export const THRESHOLDS = [...SEVERITIES, 'none'] as const;
export type Threshold = (typeof THRESHOLDS)[number];

export type ScannerName = 'secrets' | 'workflows' | 'dependencies' | 'manifests';
export const SCANNERS: readonly ScannerName[] = ['secrets', 'workflows', 'dependencies', 'manifests'];

/** What a rule is, once, for SARIF's rule table, the summary and the policy's rule selection. */
export interface Rule {
  id: string;
  scanner: ScannerName;
  severity: Severity;
  /** One line: what was found. */
  title: string;
  /** Why it matters and how to fix it (SARIF help, summary). */
  help: string;
}

/** A scanner's rules by name (without the scanner prefix): severity, title, help. */
export type RuleTable = Record<string, Omit<Rule, 'id' | 'scanner'>>;

export function catalogOf(scanner: ScannerName, table: RuleTable): Rule[] {
  return Object.entries(table).map(([name, rule]) => ({ id: `${scanner}/${name}`, scanner, ...rule }));
}

export interface Finding {
  ruleId: string;
  scanner: ScannerName;
  severity: Severity;
  /** Safe to print: secrets in it are already redacted. */
  message: string;
  /** Relative to the scanned root, with forward slashes. */
  path: string;
  line: number;
  column?: number;
  endLine?: number;
  /**
   * Identifies the finding without its line number, so it survives lines moving above it: the basis
   * of new-only and of SARIF's partialFingerprints.
   */
  fingerprint: string;
  /** The commit a history-mode secret was added in. */
  commit?: string;
  /** Set when a policy suppression matched: the finding is reported as suppressed, not counted. */
  suppressed?: { reason: string; expires?: string };
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(severity);
}

/** True when a finding of this severity fails a gate set at threshold ('none' never fails). */
export function meetsThreshold(severity: Severity, threshold: Threshold): boolean {
  if (threshold === 'none') return false;
  return severityRank(severity) >= severityRank(threshold);
}

/**
 * GitHub code scanning reads rules[].properties["security-severity"] as a CVSS-like score and maps
 * > 9.0 to critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low: these values land in the middle of each band.
 */
export const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0' };

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

export function compareFindings(a: Finding, b: Finding): number {
  return severityRank(b.severity) - severityRank(a.severity) || a.path.localeCompare(b.path) || a.line - b.line || a.ruleId.localeCompare(b.ruleId);
}

/**
 * A finding's identity without its line number: the rule, the file and a digest of what makes it
 * this finding (the secret, the YAML path, the package and advisory). new-only and SARIF's
 * partialFingerprints rest on it; the digest also keeps a secret out of it.
 */
export function fingerprintOf(ruleId: string, path: string, identity: string): string {
  return `${ruleId}:${path}:${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`;
}

/** A finding of a rule-table rule, its message "<title>: <detail>". */
export function tableFinding(scanner: ScannerName, table: RuleTable, name: string, at: { path: string; line: number }, detail: string, identity: string): Finding {
  const rule = table[name];
  if (!rule) throw new Error(`no rule ${scanner}/${name}`);
  const ruleId = `${scanner}/${name}`;
  return { ruleId, scanner, severity: rule.severity, message: `${rule.title}: ${detail}`, path: at.path, line: at.line, fingerprint: fingerprintOf(ruleId, at.path, identity) };
}
