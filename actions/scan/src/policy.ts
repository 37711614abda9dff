import picomatch from 'picomatch';
import { UserError } from '../../../shared/errors.ts';
import { THRESHOLDS, type Finding, type Threshold } from './findings.ts';
import type { SecretAllowlist } from './secrets/detect.ts';
import type { PinningPolicy } from './workflows/audit.ts';
import { isRecord, YamlSource, YamlSyntaxError, type YamlPath } from './yaml-source.ts';

export const DEFAULT_POLICY_PATH = '.github/scan.yml';

export interface Suppression {
  rule: string;
  /** Glob of paths it covers; all paths when absent. */
  path?: string;
  /** Only the finding with this fingerprint (from the JSON report). */
  fingerprint?: string;
  reason: string;
  /** YYYY-MM-DD; from that day on the suppression stops working and says so. */
  expires?: string;
  line: number;
}

export interface Policy {
  /** Threshold by environment name; '*' is the default. */
  failOn: Record<string, Threshold>;
  exclude: string[];
  /** Rule ids (or scanner-wide prefixes such as `manifests/`) switched off. */
  disabledRules: string[];
  suppressions: Suppression[];
  pinning: PinningPolicy;
  secrets: SecretAllowlist & { paths: string[] };
}

export const EMPTY_POLICY: Policy = {
  failOn: {},
  exclude: [],
  disabledRules: [],
  suppressions: [],
  pinning: { allowTags: [] },
  secrets: { regexes: [], stopwords: [], paths: [] },
};

const TOP_LEVEL_KEYS = ['fail-on', 'exclude', 'rules', 'suppressions', 'pinning', 'secrets'];

/** Reads .github/scan.yml: every mistake names the file, the line and what is accepted. */
export function parsePolicy(file: string, text: string, knownRules: ReadonlySet<string>): Policy {
  let source: YamlSource;
  try {
    source = YamlSource.parse(text);
  } catch (error) {
    if (error instanceof YamlSyntaxError) throw new UserError(`${file}:${error.line}: not valid YAML: ${error.message}`);
    throw error;
  }
  const fail = (where: YamlPath, problem: string): never => {
    throw new UserError(`${file}:${source.line(where)}: ${problem}`);
  };
  const root = source.value ?? {};
  if (!isRecord(root)) fail([], 'expected a mapping with keys ' + TOP_LEVEL_KEYS.join(', '));
  const policy: Policy = structuredClone(EMPTY_POLICY);
  const data = root as Record<string, unknown>;
  for (const key of Object.keys(data)) if (!TOP_LEVEL_KEYS.includes(key)) fail([key], `unknown key "${key}"; expected one of ${TOP_LEVEL_KEYS.join(', ')}`);

  const severity = (value: unknown, where: YamlPath): Threshold => {
    const found = THRESHOLDS.find((threshold) => threshold === value);
    return found ?? fail(where, `fail-on ${JSON.stringify(value)} is not a severity; expected one of ${THRESHOLDS.join(', ')}`);
  };
  const stringList = (value: unknown, where: YamlPath, what: string): string[] => {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) return fail(where, `${what} must be a list of strings`);
    return value as string[];
  };
  const checkRule = (rule: string, where: YamlPath): void => {
    if (knownRules.has(rule) || (rule.endsWith('/') && [...knownRules].some((known) => known.startsWith(rule)))) return;
    fail(where, `unknown rule id "${rule}"; rule ids look like secrets/github-pat or workflows/unpinned-uses (the full list is in the README), or a scanner prefix such as manifests/`);
  };

  const failOn = data['fail-on'];
  if (typeof failOn === 'string') policy.failOn['*'] = severity(failOn, ['fail-on']);
  else if (isRecord(failOn)) for (const [environment, value] of Object.entries(failOn)) policy.failOn[environment === 'default' ? '*' : environment] = severity(value, ['fail-on', environment]);
  else if (failOn !== undefined) fail(['fail-on'], 'fail-on must be a severity or a mapping of environment name (or default) to severity');

  policy.exclude = stringList(data['exclude'], ['exclude'], 'exclude');

  const rules = data['rules'];
  if (rules !== undefined) {
    if (!isRecord(rules)) fail(['rules'], 'rules must be a mapping with the key disable');
    const ruleMap = rules as Record<string, unknown>;
    for (const key of Object.keys(ruleMap)) if (key !== 'disable') fail(['rules', key], `unknown key "${key}" under rules; expected disable`);
    policy.disabledRules = stringList(ruleMap['disable'], ['rules', 'disable'], 'rules.disable');
    policy.disabledRules.forEach((rule, index) => checkRule(rule, ['rules', 'disable', index]));
  }

  const suppressions = data['suppressions'];
  if (suppressions !== undefined) {
    if (!Array.isArray(suppressions)) fail(['suppressions'], 'suppressions must be a list');
    (suppressions as unknown[]).forEach((entry, index) => {
      const at: YamlPath = ['suppressions', index];
      if (!isRecord(entry)) return fail(at, 'each suppression is a mapping with rule, reason and optionally path, fingerprint, expires');
      for (const key of Object.keys(entry)) if (!['rule', 'path', 'fingerprint', 'reason', 'expires'].includes(key)) fail([...at, key], `unknown key "${key}"; expected rule, path, fingerprint, reason, expires`);
      if (typeof entry['rule'] !== 'string') fail(at, 'a suppression needs rule: (a rule id)');
      checkRule(entry['rule'] as string, [...at, 'rule']);
      if (typeof entry['reason'] !== 'string' || entry['reason'].trim().length < 3) fail(at, 'a suppression needs reason: saying why the finding is acceptable');
      const expires = entry['expires'];
      let expiresText: string | undefined;
      if (expires !== undefined) {
        expiresText = expires instanceof Date ? expires.toISOString().slice(0, 10) : String(expires);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(expiresText) || Number.isNaN(Date.parse(expiresText))) fail([...at, 'expires'], `expires ${JSON.stringify(expiresText)} is not a date; expected YYYY-MM-DD`);
      }
      policy.suppressions.push({
        rule: entry['rule'] as string,
        ...(typeof entry['path'] === 'string' ? { path: entry['path'] } : {}),
        ...(typeof entry['fingerprint'] === 'string' ? { fingerprint: entry['fingerprint'] } : {}),
        reason: (entry['reason'] as string).trim(),
        ...(expiresText ? { expires: expiresText } : {}),
        line: source.line(at),
      });
    });
  }

  const pinning = data['pinning'];
  if (pinning !== undefined) {
    if (!isRecord(pinning) || Object.keys(pinning).some((key) => key !== 'allow-tags')) fail(['pinning'], 'pinning takes one key, allow-tags: a list of { owner, reason }');
    const allow = (pinning as Record<string, unknown>)['allow-tags'];
    if (!Array.isArray(allow)) fail(['pinning', 'allow-tags'], 'allow-tags must be a list of { owner, reason }');
    (allow as unknown[]).forEach((entry, index) => {
      const at: YamlPath = ['pinning', 'allow-tags', index];
      if (!isRecord(entry) || typeof entry['owner'] !== 'string' || typeof entry['reason'] !== 'string' || entry['reason'].trim().length < 3) {
        return fail(at, 'each allow-tags entry needs owner: (an owner or owner/repo) and reason:');
      }
      policy.pinning.allowTags.push({ owner: entry['owner'], reason: entry['reason'].trim() });
    });
  }

  const secrets = data['secrets'];
  if (secrets !== undefined) {
    if (!isRecord(secrets)) fail(['secrets'], 'secrets must be a mapping with allow-regexes, stopwords, paths');
    const map = secrets as Record<string, unknown>;
    for (const key of Object.keys(map)) if (!['allow-regexes', 'stopwords', 'paths'].includes(key)) fail(['secrets', key], `unknown key "${key}" under secrets; expected allow-regexes, stopwords, paths`);
    policy.secrets.regexes = stringList(map['allow-regexes'], ['secrets', 'allow-regexes'], 'allow-regexes').map((pattern, index) => {
      try {
        return new RegExp(pattern);
      } catch {
        return fail(['secrets', 'allow-regexes', index], `${JSON.stringify(pattern)} is not a valid regular expression`);
      }
    });
    policy.secrets.stopwords = stringList(map['stopwords'], ['secrets', 'stopwords'], 'stopwords').map((word) => word.toLowerCase());
    policy.secrets.paths = stringList(map['paths'], ['secrets', 'paths'], 'secrets.paths');
  }
  return policy;
}

export function thresholdFor(policy: Policy, environment: string | undefined, fallback: Threshold): Threshold {
  if (environment && policy.failOn[environment]) return policy.failOn[environment];
  return policy.failOn['*'] ?? fallback;
}

export function isRuleDisabled(policy: Policy, ruleId: string): boolean {
  return policy.disabledRules.some((rule) => rule === ruleId || (rule.endsWith('/') && ruleId.startsWith(rule)));
}

export function pathMatcher(globs: string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  const matchers = globs.map((glob) => picomatch(glob, { dot: true }));
  return (path) => matchers.some((matches) => matches(path));
}

export interface SuppressionOutcome {
  findings: Finding[];
  /** Suppressions past their expiry: they no longer apply, and the report says so. */
  expired: Suppression[];
}

/** Marks findings a live suppression covers; expired ones are listed and do not apply. */
export function applySuppressions(findings: Finding[], suppressions: Suppression[], today: string): SuppressionOutcome {
  const live = suppressions.filter((entry) => !entry.expires || entry.expires > today);
  const expired = suppressions.filter((entry) => entry.expires && entry.expires <= today);
  const matchers = live.map((entry) => ({ entry, path: entry.path ? picomatch(entry.path, { dot: true }) : () => true }));
  return {
    expired,
    findings: findings.map((finding) => {
      const hit = matchers.find(({ entry, path }) => (entry.rule === finding.ruleId || (entry.rule.endsWith('/') && finding.ruleId.startsWith(entry.rule))) && path(finding.path) && (!entry.fingerprint || entry.fingerprint === finding.fingerprint));
      return hit ? { ...finding, suppressed: { reason: hit.entry.reason, ...(hit.entry.expires ? { expires: hit.entry.expires } : {}) } } : finding;
    }),
  };
}
