import pep440 from '@renovatebot/pep440';
import semver from 'semver';
import { fingerprintOf, type Finding, type Severity } from '../findings.ts';
import { normalisePypiName, type Ecosystem, type Package } from './lockfiles.ts';

/** The parts of an OSV record (https://ossf.github.io/osv-schema/) this scanner reads. */
export interface OsvRecord {
  id: string;
  summary?: string;
  details?: string;
  aliases?: string[];
  severity?: Array<{ type: string; score: string }>;
  affected?: Array<{
    package?: { ecosystem?: string; name?: string };
    ranges?: Array<{ type: string; events: Array<Record<string, string>> }>;
    versions?: string[];
    database_specific?: Record<string, unknown>;
    ecosystem_specific?: Record<string, unknown>;
  }>;
  database_specific?: { severity?: string } & Record<string, unknown>;
}

/** Orders versions the way each ecosystem does: SemVer for npm, Go and crates.io, PEP 440 for PyPI. */
export function compareVersions(ecosystem: Ecosystem, a: string, b: string): number {
  if (a === b) return 0;
  if (a === '0') return -1;
  if (b === '0') return 1;
  if (ecosystem === 'PyPI') {
    const order = pep440.compare(a, b);
    if (Number.isFinite(order)) return order;
  }
  const left = semver.parse(a, { loose: true }) ?? semver.coerce(a);
  const right = semver.parse(b, { loose: true }) ?? semver.coerce(b);
  if (left && right) return semver.compare(left, right);
  return a.localeCompare(b, 'en', { numeric: true });
}

function samePackage(ecosystem: Ecosystem, a: string, b: string): boolean {
  return ecosystem === 'PyPI' ? normalisePypiName(a) === normalisePypiName(b) : a === b;
}

export interface Affection {
  /** The version that fixes it, from the range the package's version falls in. */
  fixed?: string;
}

/**
 * Whether a record affects a version: listed in `versions`, or inside a SEMVER or ECOSYSTEM range
 * (introduced inclusive, fixed exclusive, last_affected inclusive). GIT ranges need commits, not
 * versions, and are skipped.
 */
export function affects(record: OsvRecord, pkg: Package): Affection | undefined {
  for (const affected of record.affected ?? []) {
    if (affected.package?.ecosystem?.split(':')[0] !== pkg.ecosystem || !affected.package.name || !samePackage(pkg.ecosystem, affected.package.name, pkg.name)) continue;
    const fixedVersions = (affected.ranges ?? []).flatMap((range) => range.events.flatMap((event) => (event['fixed'] ? [event['fixed']] : [])));
    const fixedAfter = (): string | undefined => fixedVersions.filter((fixed) => compareVersions(pkg.ecosystem, fixed, pkg.version) > 0).sort((a, b) => compareVersions(pkg.ecosystem, a, b))[0];
    if (affected.versions?.includes(pkg.version)) return withFixed(fixedAfter());
    for (const range of affected.ranges ?? []) {
      if (range.type !== 'SEMVER' && range.type !== 'ECOSYSTEM') continue;
      const events = range.events
        .map((event) => {
          const [kind, version] = Object.entries(event)[0] ?? ['', ''];
          return { kind, version };
        })
        .filter((event) => event.kind !== 'limit')
        .sort((a, b) => compareVersions(pkg.ecosystem, a.version, b.version) || (a.kind === 'introduced' ? -1 : 1));
      let inside = false;
      let fixed: string | undefined;
      for (const event of events) {
        const order = compareVersions(pkg.ecosystem, pkg.version, event.version);
        if (event.kind === 'introduced' && order >= 0) inside = true;
        else if (event.kind === 'fixed') {
          if (order >= 0) inside = false;
          else if (inside && fixed === undefined) fixed = event.version;
        } else if (event.kind === 'last_affected' && order > 0) inside = false;
      }
      if (inside) return withFixed(fixed);
    }
  }
  return undefined;
}

function withFixed(fixed: string | undefined): Affection {
  return fixed ? { fixed } : {};
}

/** CVSS v3.x base score from a vector (FIRST's specification, section 7). */
export function cvss3BaseScore(vector: string): number | undefined {
  const metrics = Object.fromEntries(vector.split('/').slice(1).map((part) => part.split(':') as [string, string]));
  const weights: Record<string, Record<string, number>> = {
    AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
    AC: { L: 0.77, H: 0.44 },
    UI: { N: 0.85, R: 0.62 },
    C: { H: 0.56, L: 0.22, N: 0 },
    I: { H: 0.56, L: 0.22, N: 0 },
    A: { H: 0.56, L: 0.22, N: 0 },
  };
  const scope = metrics['S'];
  const pr = { N: 0.85, L: scope === 'C' ? 0.68 : 0.62, H: scope === 'C' ? 0.5 : 0.27 }[metrics['PR'] as 'N' | 'L' | 'H'];
  const value = (name: string): number | undefined => weights[name]?.[metrics[name] as string];
  const [av, ac, ui, c, i, a] = ['AV', 'AC', 'UI', 'C', 'I', 'A'].map(value);
  if ([av, ac, ui, c, i, a, pr].some((weight) => weight === undefined) || (scope !== 'U' && scope !== 'C')) return undefined;
  const iss = 1 - (1 - (c as number)) * (1 - (i as number)) * (1 - (a as number));
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * (av as number) * (ac as number) * (pr as number) * (ui as number);
  if (impact <= 0) return 0;
  const raw = scope === 'U' ? Math.min(impact + exploitability, 10) : Math.min(1.08 * (impact + exploitability), 10);
  // Roundup as the specification defines it, avoiding floating-point surprises.
  const integer = Math.round(raw * 100000);
  return integer % 10000 === 0 ? integer / 100000 : (Math.floor(integer / 10000) + 1) / 10;
}

export function severityOf(record: OsvRecord): Severity {
  for (const entry of record.severity ?? []) {
    if (entry.type === 'CVSS_V3') {
      const score = cvss3BaseScore(entry.score);
      if (score !== undefined) return score >= 9 ? 'critical' : score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low';
    }
  }
  const label = String(record.database_specific?.severity ?? record.affected?.[0]?.database_specific?.['severity'] ?? '').toUpperCase();
  if (label === 'CRITICAL') return 'critical';
  if (label === 'HIGH') return 'high';
  if (label === 'MODERATE' || label === 'MEDIUM') return 'medium';
  if (label === 'LOW') return 'low';
  // No score at all: unknown is not harmless.
  return 'medium';
}

export function vulnerabilityFinding(pkg: Package, record: OsvRecord, affection: Affection): Finding {
  const severity = severityOf(record);
  const alias = record.aliases?.find((name) => name.startsWith('CVE-'));
  const fix = affection.fixed ? `; fixed in ${affection.fixed}` : '; no fixed version published';
  const summary = record.summary ? `: ${record.summary}` : '';
  const ruleId = 'dependencies/known-vulnerability';
  return {
    ruleId,
    scanner: 'dependencies',
    severity,
    message: `${pkg.name}@${pkg.version} (${pkg.ecosystem}) is affected by ${record.id}${alias ? ` (${alias})` : ''}${summary}${fix}`,
    path: pkg.path,
    line: pkg.line,
    fingerprint: fingerprintOf(ruleId, pkg.path, `${pkg.ecosystem}|${pkg.name}|${pkg.version}|${record.id}`),
  };
}
