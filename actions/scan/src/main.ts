import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as core from '@actions/core';
import { readRunContext, type RunContext } from '../../../shared/context.ts';
import { runAction, UserError } from '../../../shared/errors.ts';
import { createGitHubClient } from '../../../shared/github.ts';
import { appendSummary } from '../../../shared/markdown.ts';
import { osvApi, osvFolder } from './dependencies/sources.ts';
import { compareFindings, countBySeverity, meetsThreshold } from './findings.ts';
import { readConfig, type ScanConfig } from './inputs.ts';
import { EMPTY_POLICY, parsePolicy, thresholdFor, type Policy } from './policy.ts';
import { chooseAnnotations, renderSummary } from './report.ts';
import { buildSarif } from './sarif.ts';
import { newFindings, ruleCatalog, scanCheckout, type ScanOptions, type ScanResult } from './scan.ts';
import { git, hasCommit } from './git.ts';
import { parseAddedLines, rangeFromEvent, type CommitRange } from './secrets/history.ts';
import { artifactName, keepAsArtifact, uploadBlocked, uploadSarif } from './upload.ts';

const VERSION = '1.0.0';

function readPolicy(config: ScanConfig, root: string): Policy {
  const file = resolve(root, config.policyFile);
  if (!existsSync(file)) {
    if (config.policyFileExplicit) throw new UserError(`input "policy-file": ${JSON.stringify(config.policyFile)} does not exist under ${root}`);
    return structuredClone(EMPTY_POLICY);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`${config.policyFile}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parsePolicy(config.policyFile, text, new Set(ruleCatalog().map((rule) => rule.id)));
}

/** The commit new-only compares against: the input, else the PR's base, else the push's previous head. */
function baseOf(config: ScanConfig, context: RunContext): string | undefined {
  if (config.baseRef) return config.baseRef;
  return rangeFromEvent(context.eventName, context.event)?.base;
}

async function scanBase(root: string, base: string, options: Omit<ScanOptions, 'root' | 'history'>): Promise<ScanResult> {
  if (!(await hasCommit(root, base))) throw new UserError(`new-only needs the base commit ${base.slice(0, 12)}, which this checkout does not have: check out with fetch-depth: 0, or set new-only: false`);
  const dir = mkdtempSync(join(tmpdir(), 'scan-base-'));
  try {
    await git(root, ['worktree', 'add', '--detach', '--quiet', dir, base]);
    return await scanCheckout({ ...options, root: dir });
  } finally {
    await git(root, ['worktree', 'remove', '--force', dir]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines a pull request added or changed, from `git diff -U0 base...head`; undefined when unknown. */
async function changedLines(root: string, context: RunContext): Promise<((path: string, line: number) => boolean) | undefined> {
  const pr = context.event['pull_request'] as { base?: { sha?: string }; head?: { sha?: string } } | undefined;
  if (!pr?.base?.sha || !pr.head?.sha) return undefined;
  const diff = await git(root, ['diff', '--no-color', '--no-ext-diff', '-U0', `${pr.base.sha}...${pr.head.sha}`]).catch(() => undefined);
  if (diff === undefined) return undefined;
  const changed = new Set(parseAddedLines(diff).flatMap((added) => added.lineNumbers.map((line) => `${added.path}:${line}`)));
  return (file, line) => changed.has(`${file}:${line}`);
}

export async function run(): Promise<void> {
  await runAction('scan', async () => {
    const { config, inputs } = readConfig();
    inputs.maskSecrets();
    const context = readRunContext();
    const workspace = process.env['GITHUB_WORKSPACE'] || process.cwd();
    const root = resolve(workspace, config.path);
    if (!existsSync(root)) throw new UserError(`input "path": ${JSON.stringify(config.path)} does not exist in the workspace`);
    const policy = readPolicy(config, root);
    policy.pinning.owner = context.owner;

    let history: CommitRange | undefined;
    if (config.history && config.scanners.has('secrets')) {
      history = config.baseRef ? { base: config.baseRef, head: 'HEAD' } : rangeFromEvent(context.eventName, context.event);
      if (!history) throw new UserError(`input "history": true needs a push or pull_request event to know which commits to read (this is ${context.eventName || 'no event'}); set base-ref to scan the commits since a given one`);
    }
    const vulnerabilities = config.osvOfflineDir ? osvFolder(resolve(root, config.osvOfflineDir)) : osvApi(config.osvUrl);
    const today = new Date().toISOString().slice(0, 10);
    const options = { scanners: config.scanners, policy, vulnerabilities, today };

    const result = await scanCheckout({ ...options, root, ...(history ? { history } : {}) });
    let findings = result.findings;
    const notes: string[] = [];
    if (config.newOnly) {
      const base = baseOf(config, context);
      if (!base) throw new UserError(`input "new-only": true needs a base to compare with: a pull_request or push event, or base-ref (this is ${context.eventName || 'no event'})`);
      const before = await scanBase(root, base, options);
      const fresh = newFindings(findings, before.findings);
      notes.push(`new-only: ${findings.length - fresh.length} findings already on ${base.slice(0, 12)} are not reported.`);
      findings = fresh;
    }
    findings.sort(compareFindings);

    const threshold = config.failOn ?? thresholdFor(policy, config.environment, 'high');
    const open = findings.filter((finding) => !finding.suppressed);
    const failing = open.filter((finding) => meetsThreshold(finding.severity, threshold));
    for (const skipped of result.skipped) core.info(`Skipped ${skipped.path}: ${skipped.reason}`);
    for (const expired of result.expiredSuppressions) core.warning(`The suppression of ${expired.rule}${expired.path ? ` on ${expired.path}` : ''} expired on ${expired.expires}: it no longer applies.`, { file: config.policyFile, startLine: expired.line });

    const rules = ruleCatalog();
    const sarif = buildSarif({ rules, findings, version: VERSION, category: config.category });
    const tempDir = process.env['RUNNER_TEMP'] || tmpdir();
    const sarifFile = resolve(workspace, config.sarifFile ?? join(tempDir, 'deploy-actions-scan.sarif'));
    const reportFile = resolve(workspace, config.reportFile ?? join(tempDir, 'deploy-actions-scan.json'));
    for (const file of [sarifFile, reportFile]) mkdirSync(dirname(file), { recursive: true });
    writeFileSync(sarifFile, JSON.stringify(sarif, null, 2));
    const bySeverity = countBySeverity(open);
    writeFileSync(reportFile, JSON.stringify({ threshold, failed: failing.length > 0, bySeverity, findings, skipped: result.skipped, expiredSuppressions: result.expiredSuppressions }, null, 2));

    if (config.annotations) {
      const { annotations, omitted } = chooseAnnotations(open, await changedLines(root, context));
      for (const { level, finding } of annotations) {
        const properties = { title: finding.ruleId, file: finding.path, startLine: finding.line, ...(finding.column ? { startColumn: finding.column } : {}) };
        if (level === 'error') core.error(finding.message, properties);
        else if (level === 'warning') core.warning(finding.message, properties);
        else core.notice(finding.message, properties);
      }
      if (omitted > 0) notes.push(`${omitted} more findings are not annotated (GitHub shows 10 per level per step): see the table above, the JSON report or SARIF.`);
    }

    if (config.uploadSarif) {
      const blocked = uploadBlocked(context);
      const outcome = blocked ? { uploaded: false as const, reason: blocked } : await uploadSarif(createGitHubClient(config.token as string, { apiUrl: context.apiUrl }), context, sarif, config.category);
      if (outcome.uploaded) core.info(`SARIF uploaded to code scanning (id ${outcome.id}).`);
      else {
        const artifact = await keepAsArtifact([sarifFile, reportFile], artifactName(config.category, process.env['GITHUB_JOB']));
        const kept = artifact.kept ? `the artifact ${artifact.name} (SARIF and JSON report)` : `${sarifFile} (not kept as an artifact: ${artifact.reason})`;
        const message = `SARIF not uploaded: ${outcome.reason}. The findings are in this summary and in ${kept}.`;
        core.notice(message);
        notes.push(message);
      }
    }

    core.setOutput('findings', String(open.length));
    core.setOutput('by-severity', JSON.stringify(bySeverity));
    core.setOutput('sarif', sarifFile);
    core.setOutput('report', reportFile);
    core.setOutput('failed', String(failing.length > 0));
    core.info(`scan: ${open.length} findings (${Object.entries(bySeverity).map(([severity, count]) => `${count} ${severity}`).join(', ')}); ${findings.length - open.length} suppressed; threshold ${threshold}.`);
    if (config.summary) {
      appendSummary(renderSummary({ findings, threshold, failed: failing.length > 0, skipped: result.skipped, expired: result.expiredSuppressions, files: result.files, commits: result.commits, packages: result.packages, newOnly: config.newOnly, notes }));
    }
    if (failing.length > 0) core.setFailed(`scan: ${failing.length} findings at or above ${threshold} (${failing.slice(0, 3).map((finding) => `${finding.ruleId} at ${finding.path}:${finding.line}`).join('; ')}${failing.length > 3 ? '; …' : ''})`);
  });
}
