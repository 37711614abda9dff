import { escapeCell, table, truncateBytes, MAX_SUMMARY_BYTES } from '../../../shared/markdown.ts';
import { countBySeverity, SEVERITIES, type Finding, type Severity, type Threshold } from './findings.ts';
import type { Suppression } from './policy.ts';
import type { SkippedFile } from './tree.ts';

/**
 * GitHub shows at most 10 errors, 10 warnings and 10 notices per step; the rest are summarised. One
 * error is kept for the step's own failure message.
 */
export const ANNOTATION_CAP: Record<'error' | 'warning' | 'notice', number> = { error: 9, warning: 10, notice: 10 };

export type AnnotationLevel = 'error' | 'warning' | 'notice';
export const ANNOTATION_LEVEL: Record<Severity, AnnotationLevel> = { critical: 'error', high: 'error', medium: 'warning', low: 'notice' };

export interface Annotation {
  level: AnnotationLevel;
  finding: Finding;
}

/**
 * The annotations worth GitHub's few slots: on changed lines when a change set is known (a PR), most
 * severe first, within the per-level cap. Returns them and how many were left out.
 */
export function chooseAnnotations(findings: Finding[], changed: ((path: string, line: number) => boolean) | undefined): { annotations: Annotation[]; omitted: number } {
  const open = findings.filter((finding) => !finding.suppressed && (!changed || changed(finding.path, finding.line)));
  const used: Record<AnnotationLevel, number> = { error: 0, warning: 0, notice: 0 };
  const annotations: Annotation[] = [];
  for (const finding of open) {
    const level = ANNOTATION_LEVEL[finding.severity];
    if (used[level] >= ANNOTATION_CAP[level]) continue;
    used[level] += 1;
    annotations.push({ level, finding });
  }
  return { annotations, omitted: open.length - annotations.length };
}

export interface SummaryInput {
  findings: Finding[];
  threshold: Threshold;
  failed: boolean;
  skipped: SkippedFile[];
  expired: Suppression[];
  files: number;
  commits: number;
  packages: number;
  newOnly: boolean;
  notes: string[];
}

const ICON: Record<Severity, string> = { critical: '🟥', high: '🟧', medium: '🟨', low: '⬜' };

export function renderSummary(input: SummaryInput): string {
  const open = input.findings.filter((finding) => !finding.suppressed);
  const suppressed = input.findings.filter((finding) => finding.suppressed);
  const counts = countBySeverity(open);
  const verdict = input.failed ? `❌ failed: findings at or above **${input.threshold}**` : input.threshold === 'none' ? '✅ reported (fail-on: none)' : `✅ passed: nothing at or above **${input.threshold}**`;
  const lines = [
    '### scan',
    '',
    verdict,
    '',
    `${input.files} files${input.commits ? `, ${input.commits} commits` : ''}${input.packages ? `, ${input.packages} locked packages` : ''} scanned${input.newOnly ? '; only findings new against the base branch' : ''}.`,
    '',
    table(SEVERITIES.map((severity) => `${ICON[severity]} ${severity}`), [SEVERITIES.map((severity) => String(counts[severity]))]),
    '',
  ];
  if (open.length > 0) {
    lines.push(table(['Severity', 'Rule', 'Where', 'Finding'], open.slice(0, 200).map((finding) => [finding.severity, `\`${finding.ruleId}\``, escapeCell(`${finding.path}:${finding.line}`), escapeCell(finding.message)])), '');
    if (open.length > 200) lines.push(`_…and ${open.length - 200} more in the JSON report and SARIF._`, '');
  }
  if (suppressed.length > 0) {
    lines.push(`<details><summary>${suppressed.length} suppressed by the policy</summary>`, '', table(['Rule', 'Where', 'Reason', 'Expires'], suppressed.map((finding) => [`\`${finding.ruleId}\``, escapeCell(`${finding.path}:${finding.line}`), escapeCell(finding.suppressed?.reason ?? ''), finding.suppressed?.expires ?? '—'])), '', '</details>', '');
  }
  for (const entry of input.expired) lines.push(`⚠️ The suppression of \`${entry.rule}\`${entry.path ? ` on ${escapeCell(entry.path)}` : ''} (policy line ${entry.line}) expired on ${entry.expires} and no longer applies.`, '');
  if (input.skipped.length > 0) lines.push(`<details><summary>${input.skipped.length} files skipped</summary>`, '', table(['File', 'Why'], input.skipped.map((file) => [escapeCell(file.path), escapeCell(file.reason)])), '', '</details>', '');
  for (const note of input.notes) lines.push(note, '');
  return truncateBytes(lines.join('\n'), MAX_SUMMARY_BYTES - 1024);
}
