import { SECURITY_SEVERITY, type Finding, type Rule, type Severity } from './findings.ts';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };

export const TOOL_NAME = 'deploy-actions scan';

/**
 * SARIF 2.1.0 as GitHub code scanning reads it: one run, every rule that can fire (so alerts keep
 * their rule text when a rule stops firing), security-severity as a numeric string, relative URIs
 * against %SRCROOT%, and partialFingerprints that do not depend on line numbers.
 */
export function buildSarif(options: { rules: Rule[]; findings: Finding[]; version: string; category?: string }): Record<string, unknown> {
  const index = new Map(options.rules.map((rule, position) => [rule.id, position]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            semanticVersion: options.version,
            informationUri: 'https://github.com/org/deploy-actions',
            rules: options.rules.map((rule) => ({
              id: rule.id,
              name: rule.id.replace(/[/-](\w)/g, (_all, char: string) => char.toUpperCase()),
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.help },
              help: { text: rule.help, markdown: `**${rule.title}**\n\n${rule.help}` },
              defaultConfiguration: { level: LEVEL[rule.severity] },
              properties: { 'security-severity': SECURITY_SEVERITY[rule.severity], tags: ['security', rule.scanner], precision: rule.scanner === 'secrets' && rule.id.includes('generic') ? 'medium' : 'high', 'problem.severity': rule.severity === 'low' ? 'recommendation' : LEVEL[rule.severity] },
            })),
          },
        },
        ...(options.category ? { automationDetails: { id: `${options.category.replace(/\/$/, '')}/` } } : {}),
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The root of the scanned checkout.' } } },
        columnKind: 'utf16CodeUnits',
        results: options.findings.map((finding) => ({
          ruleId: finding.ruleId,
          ruleIndex: index.get(finding.ruleId) ?? 0,
          level: LEVEL[finding.severity],
          message: { text: finding.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: encodeURI(finding.path), uriBaseId: '%SRCROOT%' },
                region: { startLine: Math.max(1, finding.line), ...(finding.column ? { startColumn: finding.column } : {}) },
              },
            },
          ],
          partialFingerprints: { 'deployActionsFinding/v1': finding.fingerprint },
          ...(finding.suppressed ? { suppressions: [{ kind: 'external', status: 'accepted', justification: finding.suppressed.reason }] } : {}),
        })),
      },
    ],
  };
}
