import { catalogOf, tableFinding, type Finding, type Rule, type RuleTable } from '../findings.ts';
import { isRecord, YamlSource, type YamlPath } from '../yaml-source.ts';
import { contextPaths, expressionsIn, isUntrusted } from './expressions.ts';

type WorkflowRuleId =
  | 'template-injection' | 'dangerous-trigger' | 'untrusted-checkout' | 'unpinned-uses' | 'missing-permissions' | 'excessive-permissions'
  | 'secrets-inherit' | 'persisted-checkout-credentials' | 'untrusted-env-write' | 'insecure-commands' | 'cache-poisoning'
  | 'hardcoded-container-credentials' | 'self-hosted-runner-public-trigger' | 'spoofable-bot-condition' | 'overprovisioned-secrets'
  | 'deploy-without-environment' | 'deploy-from-pull-request-target' | 'id-token-write-workflow-wide' | 'deploy-without-concurrency';

const RULES: Record<WorkflowRuleId, RuleTable[string]> = {
  'template-injection': { severity: 'high', title: 'Attacker-controlled expression expanded into a script', help: 'An expression such as ${{ github.event.issue.title }} is pasted into the script before the shell runs it, so a crafted title runs commands with the job\'s token. Pass it through env: (FOO: ${{ ... }}) and use "$FOO" in the script.' },
  'dangerous-trigger': { severity: 'medium', title: 'pull_request_target or workflow_run trigger', help: 'These triggers run with the base repository\'s secrets and a write token on events from forks. Prefer pull_request; if the trigger is needed, never build or run the contributor\'s code in it.' },
  'untrusted-checkout': { severity: 'critical', title: 'Pull request code checked out in a privileged trigger', help: 'Checking out the pull request head in pull_request_target or workflow_run runs a fork\'s code with secrets and a write token (a "pwn request"). Split the work: build in pull_request, act on the result in a separate privileged workflow.' },
  'unpinned-uses': { severity: 'high', title: 'Action or reusable workflow not pinned to a full commit SHA', help: 'Tags and branches can be moved to different code (tj-actions/changed-files, March 2025; trivy-action, March 2026). Pin to the 40-character commit SHA with the version in a comment; allow an owner tags in .github/scan.yml (pinning.allow-tags) with a reason if you must.' },
  'missing-permissions': { severity: 'medium', title: 'No permissions: block: the job gets the token\'s default permissions', help: 'Without permissions: the GITHUB_TOKEN gets the repository or organisation default, often read-write on everything. Declare permissions: at the workflow (or every job) with only what is needed.' },
  'excessive-permissions': { severity: 'high', title: 'write-all permissions', help: 'write-all gives the token write access to every scope. List the scopes the job needs instead.' },
  'secrets-inherit': { severity: 'medium', title: 'secrets: inherit passes every secret to a reusable workflow', help: 'Pass only the secrets the called workflow declares.' },
  'persisted-checkout-credentials': { severity: 'medium', title: 'actions/checkout leaves the token in .git/config', help: 'Later steps (and anything they run, including uploaded artifacts of the workspace) can read the persisted token. Set persist-credentials: false unless a later step pushes.' },
  'untrusted-env-write': { severity: 'high', title: 'Writes to GITHUB_ENV or GITHUB_PATH in a privileged trigger', help: 'In pull_request_target and workflow_run, data written to GITHUB_ENV/GITHUB_PATH can come from the contributor (an artifact, a branch name) and controls every later step (LD_PRELOAD, NODE_OPTIONS, PATH). Write to a file and read it explicitly instead.' },
  'insecure-commands': { severity: 'high', title: 'ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables set-env and add-path', help: 'The deprecated commands let any log line set environment variables. Remove the variable and use GITHUB_ENV/GITHUB_PATH.' },
  'cache-poisoning': { severity: 'medium', title: 'Cache restored in a release or publishing workflow', help: 'Caches are shared with pull request runs on the default branch scope; a poisoned cache restored while building a release ends up in what you publish. Build releases without restoring caches (or with lookup-only/save-only).' },
  'hardcoded-container-credentials': { severity: 'high', title: 'Container registry password written in the workflow', help: 'Use ${{ secrets.NAME }} for container and services credentials.' },
  'self-hosted-runner-public-trigger': { severity: 'medium', title: 'Self-hosted runner on a trigger anyone can start', help: 'Pull requests from forks can run code on a self-hosted runner that keeps state between jobs. Use GitHub-hosted or ephemeral runners for pull_request triggers.' },
  'spoofable-bot-condition': { severity: 'medium', title: 'Condition trusts github.actor to be a bot', help: 'github.actor is whoever triggered the latest event, and a contributor can make a bot\'s pull request re-run under their name or the reverse. Check github.event.pull_request.user.login instead.' },
  'overprovisioned-secrets': { severity: 'medium', title: 'toJSON(secrets) exposes every secret to the step', help: 'Reference the secrets the step needs by name.' },
  'deploy-without-environment': { severity: 'high', title: 'Deploy job without an environment', help: 'Without environment: the deployment skips protection rules (required reviewers, wait timers, branch policies) and environment secrets. Add environment: with the target\'s name.' },
  'deploy-from-pull-request-target': { severity: 'critical', title: 'Deploy reachable from pull_request_target', help: 'A fork\'s pull request can start this workflow with the base repository\'s secrets, and it deploys. Deploy from push, workflow_dispatch or release events only.' },
  'id-token-write-workflow-wide': { severity: 'medium', title: 'id-token: write granted to every job', help: 'Every job can mint OIDC tokens for your cloud accounts. Grant id-token: write only on the job that deploys.' },
  'deploy-without-concurrency': { severity: 'medium', title: 'Deploy job without a concurrency group', help: 'Two runs can deploy to the same target at once and interleave. Add concurrency: with a group per environment (cancel-in-progress: false for deploys).' },
};

export function workflowRuleCatalog(): Rule[] {
  return catalogOf('workflows', RULES);
}

export interface PinningPolicy {
  /** Owners (`octo-org`) or repositories (`octo-org/repo`) allowed to be referenced by tag, with the reason. */
  allowTags: Array<{ owner: string; reason: string }>;
  /** The scanned repository's owner: its own reusable workflows are inside the trust boundary. */
  owner?: string;
}

const PRIVILEGED_TRIGGERS = ['pull_request_target', 'workflow_run'];
const PUBLIC_TRIGGERS = ['pull_request', 'pull_request_target', 'issue_comment', 'issues', 'discussion', 'discussion_comment', 'pull_request_review', 'pull_request_review_comment', 'fork', 'watch'];
const DEPLOY_ACTION = /(?:^|\/)actions\/(?:deploy-bluegreen|rollback)(?:@|$)/;
const DEPLOY_COMMAND = /\b(?:kubectl\s+(?:apply|create|replace|set\s+image|rollout\s+restart|patch|delete)|helm\s+(?:upgrade|install|rollback)|kustomize\s+build[^\n|]*\|\s*kubectl|terraform\s+apply|pulumi\s+up|aws\s+(?:ecs\s+update-service|lambda\s+update-function-code|deploy\s+create-deployment)|gcloud\s+(?:run\s+deploy|app\s+deploy|functions\s+deploy)|az\s+(?:webapp\s+deploy|containerapp\s+update)|flyctl\s+deploy|fly\s+deploy|vercel\s+(?:--prod|deploy)|netlify\s+deploy|serverless\s+deploy|sls\s+deploy|cdk\s+deploy|argocd\s+app\s+sync)\b/;
const CACHE_ACTIONS = /^(?:actions\/cache(?:\/restore)?|[^/]+\/[^/]+\/actions\/build-cache|\$\/actions\/build-cache)(?:@|$)/;
/** Actions that restore a cache unless an input turns it off (the input, and the values that do). */
const CACHING_BY_DEFAULT: Record<string, { input: string; off: string[] } | undefined> = {
  'swatinem/rust-cache': { input: 'lookup-only', off: ['true'] },
  'actions/setup-go': { input: 'cache', off: ['false'] },
  'gradle/actions/setup-gradle': { input: 'cache-disabled', off: ['true'] },
  'gradle/gradle-build-action': { input: 'cache-disabled', off: ['true'] },
  'jdx/mise-action': { input: 'cache', off: ['false'] },
  'astral-sh/setup-uv': { input: 'enable-cache', off: ['false'] },
  'mozilla-actions/sccache-action': undefined,
};
/** Actions that restore a cache when an input turns it on. */
const CACHING_OPT_IN: Record<string, string> = {
  'actions/setup-node': 'cache',
  'actions/setup-python': 'cache',
  'actions/setup-java': 'cache',
  'actions/setup-dotnet': 'cache',
  'ruby/setup-ruby': 'bundler-cache',
};

function restoresCache(uses: string, inputs: unknown): boolean {
  if (CACHE_ACTIONS.test(uses)) return true;
  const action = uses.split('@')[0]?.toLowerCase() ?? '';
  const value = (input: string) => (isRecord(inputs) && inputs[input] !== undefined ? String(inputs[input]).trim().toLowerCase() : undefined);
  if (action in CACHING_BY_DEFAULT) {
    const toggle = CACHING_BY_DEFAULT[action];
    return !toggle || !toggle.off.includes(value(toggle.input) ?? '');
  }
  const optIn = CACHING_OPT_IN[action];
  const enabled = optIn ? value(optIn) : undefined;
  return enabled !== undefined && enabled !== 'false' && enabled !== '';
}

interface Audit {
  source: YamlSource;
  path: string;
  findings: Finding[];
}

function report(audit: Audit, id: WorkflowRuleId, where: YamlPath, detail: string, key = detail, line = audit.source.line(where)): void {
  const identity = `${where.filter((part) => typeof part === 'string').join('/')}|${key}`;
  audit.findings.push(tableFinding('workflows', RULES, id, { path: audit.path, line }, detail, identity));
}

/** Trigger names from `on:` in any of its three shapes (string, list, map). */
export function triggersOf(on: unknown): string[] {
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.filter((item): item is string => typeof item === 'string');
  if (isRecord(on)) return Object.keys(on);
  return [];
}

/** A `uses:` value pinned by full SHA, local, a digest-pinned image, or this repository at the running commit. */
export function usesIsPinned(uses: string): boolean {
  if (uses.startsWith('./') || uses.startsWith('$/')) return true;
  if (uses.startsWith('docker://')) return /@sha256:[a-f0-9]{64}$/.test(uses);
  const at = uses.lastIndexOf('@');
  return at > 0 && /^[0-9a-f]{40}$/.test(uses.slice(at + 1));
}

function tagAllowed(uses: string, pinning: PinningPolicy): boolean {
  const target = uses.split('@')[0]?.toLowerCase() ?? '';
  return pinning.allowTags.some(({ owner }) => {
    const allowed = owner.toLowerCase().replace(/\/$/, '');
    return target === allowed || target.startsWith(`${allowed}/`);
  });
}

function strings(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(strings).join(' ');
  if (isRecord(value)) return Object.values(value).map(strings).join(' ');
  return value === undefined || value === null ? '' : String(value);
}

function isDeployStep(step: Record<string, unknown>): boolean {
  if (typeof step['uses'] === 'string' && DEPLOY_ACTION.test(step['uses'])) return true;
  return typeof step['run'] === 'string' && DEPLOY_COMMAND.test(step['run']);
}

function checkoutsPullRequestHead(step: Record<string, unknown>): boolean {
  if (typeof step['uses'] !== 'string' || !/^actions\/checkout@/.test(step['uses'])) {
    return typeof step['run'] === 'string' && /git\s+(?:fetch|checkout)[^\n]*(?:refs\/pull\/|head\.(?:sha|ref)|head_sha|head_branch)/.test(step['run']);
  }
  const ref = strings(isRecord(step['with']) ? step['with']['ref'] : '');
  const repository = strings(isRecord(step['with']) ? step['with']['repository'] : '');
  return /head\.(?:sha|ref)|head_sha|head_branch|refs\/pull\/|github\.head_ref|merge_commit_sha/.test(ref) || /head\.repo\.full_name/.test(repository);
}

function auditSteps(audit: Audit, steps: unknown, at: YamlPath, context: { privileged: boolean; publishing: boolean; pinning: PinningPolicy }): void {
  if (!Array.isArray(steps)) return;
  steps.forEach((step, index) => {
    if (!isRecord(step)) return;
    const where = [...at, index];
    const uses = typeof step['uses'] === 'string' ? step['uses'] : undefined;
    if (uses) {
      if (!usesIsPinned(uses) && !tagAllowed(uses, context.pinning)) report(audit, 'unpinned-uses', [...where, 'uses'], `${uses} (pin to a commit SHA)`, uses.split('@')[0]);
      if (/^actions\/checkout@/.test(uses)) {
        const persist = isRecord(step['with']) ? step['with']['persist-credentials'] : undefined;
        if (persist !== false && String(persist).toLowerCase() !== 'false') report(audit, 'persisted-checkout-credentials', [...where, 'uses'], 'set persist-credentials: false', `checkout-${index}`);
      }
      if (context.publishing && restoresCache(uses, step['with'])) {
        report(audit, 'cache-poisoning', [...where, 'uses'], `${uses.split('@')[0]} restores a cache in a workflow that publishes`, uses.split('@')[0]);
      }
      const codeInputs = CODE_INPUTS[uses.split('@')[0]?.toLowerCase() ?? ''] ?? [];
      if (isRecord(step['with'])) {
        for (const [input, value] of Object.entries(step['with'])) {
          if (codeInputs.includes(input.toLowerCase()) && typeof value === 'string') injection(audit, value, [...where, 'with', input]);
        }
      }
    }
    if (typeof step['run'] === 'string') {
      injection(audit, step['run'], [...where, 'run']);
      if (context.privileged && /GITHUB_(?:ENV|PATH)\b/.test(step['run'])) report(audit, 'untrusted-env-write', [...where, 'run'], 'the step writes to GITHUB_ENV or GITHUB_PATH', `env-write-${index}`);
    }
    if (context.privileged && checkoutsPullRequestHead(step)) report(audit, 'untrusted-checkout', where, 'the pull request head is checked out', `checkout-head-${index}`);
    insecureCommands(audit, step['env'], [...where, 'env']);
    toJsonSecrets(audit, step, where);
  });
}

/**
 * Action inputs that are run as code (CodeQL's code-injection sinks for Actions): an expression in
 * them is as injectable as one in `run:`.
 */
const CODE_INPUTS: Record<string, string[]> = {
  'actions/github-script': ['script'],
  'mikefarah/yq': ['cmd'],
  'addnab/docker-run-action': ['run'],
  'appleboy/ssh-action': ['script'],
  'azure/cli': ['inlinescript'],
  'azure/powershell': ['inlinescript'],
  'amadevus/pwsh-script': ['script'],
  'jannekem/run-python-script-action': ['script'],
  'cardinalby/js-eval-action': ['expression'],
};

function injection(audit: Audit, script: string, where: YamlPath): void {
  for (const expression of expressionsIn(script)) {
    const untrusted = contextPaths(expression.source).filter(isUntrusted);
    // The line of the expression itself: in a PR, annotations go on changed lines.
    for (const path of untrusted) report(audit, 'template-injection', where, `\${{ ${expression.source} }} reads ${path}`, path, audit.source.lineWithin(where, expression.offset));
  }
}

function insecureCommands(audit: Audit, env: unknown, where: YamlPath): void {
  if (!isRecord(env)) return;
  const value = env['ACTIONS_ALLOW_UNSECURE_COMMANDS'];
  if (value !== undefined && String(value).toLowerCase() === 'true') report(audit, 'insecure-commands', [...where, 'ACTIONS_ALLOW_UNSECURE_COMMANDS'], 'ACTIONS_ALLOW_UNSECURE_COMMANDS: true');
}

function toJsonSecrets(audit: Audit, node: unknown, where: YamlPath): void {
  const text = strings(node);
  for (const expression of expressionsIn(text)) {
    if (/tojson\s*\(\s*secrets\s*\)/i.test(expression.source)) report(audit, 'overprovisioned-secrets', where, `\${{ ${expression.source} }}`, 'tojson-secrets');
  }
}

function botCondition(audit: Audit, condition: unknown, where: YamlPath): void {
  if (typeof condition !== 'string') return;
  // github['actor'] is github.actor.
  const bare = condition.replace(/^\s*\$\{\{|\}\}\s*$/g, '').replace(/\[\s*'([\w-]+)'\s*\]/g, '.$1');
  if (/github\.(?:actor|triggering_actor)\s*==\s*'[^']*\[bot\]'|'[^']*\[bot\]'\s*==\s*github\.(?:actor|triggering_actor)|contains\(\s*github\.(?:actor|triggering_actor)\s*,\s*'\[bot\]'\s*\)/i.test(bare)) {
    report(audit, 'spoofable-bot-condition', where, condition.trim(), 'bot-condition');
  }
}

function hasWriteAll(permissions: unknown): boolean {
  return typeof permissions === 'string' && permissions.trim() === 'write-all';
}

function containerCredentials(audit: Audit, container: unknown, where: YamlPath): void {
  if (!isRecord(container) || !isRecord(container['credentials'])) return;
  const password = container['credentials']['password'];
  if (typeof password === 'string' && password.trim() !== '' && expressionsIn(password).length === 0) {
    report(audit, 'hardcoded-container-credentials', [...where, 'credentials', 'password'], 'credentials.password is a literal', 'container-password');
  }
}

/** Audits one workflow file (`.github/workflows/*.yml`). */
export function auditWorkflow(path: string, text: string, pinning: PinningPolicy): Finding[] {
  const source = YamlSource.parse(text);
  const audit: Audit = { source, path, findings: [] };
  const workflow = source.value;
  if (!isRecord(workflow)) return [];
  const triggers = triggersOf(workflow['on'] ?? workflow['true']);
  const privilegedTriggers = triggers.filter((trigger) => PRIVILEGED_TRIGGERS.includes(trigger));
  const privileged = privilegedTriggers.length > 0;
  const publicTrigger = triggers.some((trigger) => PUBLIC_TRIGGERS.includes(trigger));
  const on = workflow['on'];
  const publishing = triggers.includes('release') || (isRecord(on) && isRecord(on['push']) && on['push']['tags'] !== undefined) || /(?:release|publish)/i.test(strings(workflow['name']) + path);
  const context = { privileged, publishing, pinning };

  for (const trigger of privilegedTriggers) report(audit, 'dangerous-trigger', ['on', trigger], `on: ${trigger}`, trigger);
  const workflowPermissions = workflow['permissions'];
  if (hasWriteAll(workflowPermissions)) report(audit, 'excessive-permissions', ['permissions'], 'permissions: write-all at the workflow level', 'workflow');
  if (isRecord(workflowPermissions) && workflowPermissions['id-token'] === 'write') report(audit, 'id-token-write-workflow-wide', ['permissions', 'id-token'], 'id-token: write at the workflow level', 'workflow');
  insecureCommands(audit, workflow['env'], ['env']);

  const jobs = isRecord(workflow['jobs']) ? workflow['jobs'] : {};
  for (const [jobId, job] of Object.entries(jobs)) {
    if (!isRecord(job)) continue;
    const at: YamlPath = ['jobs', jobId];
    // A called workflow's jobs get at most the caller's grant: the caller's permissions: decide.
    const calledOnly = triggers.length > 0 && triggers.every((trigger) => trigger === 'workflow_call');
    if (workflowPermissions === undefined && job['permissions'] === undefined && !calledOnly) {
      report(audit, 'missing-permissions', at, `job ${jobId} has no permissions: and the workflow sets none`, jobId);
    }
    if (hasWriteAll(job['permissions'])) report(audit, 'excessive-permissions', [...at, 'permissions'], `job ${jobId}: permissions: write-all`, jobId);
    insecureCommands(audit, job['env'], [...at, 'env']);
    botCondition(audit, job['if'], [...at, 'if']);
    containerCredentials(audit, job['container'], [...at, 'container']);
    if (isRecord(job['services'])) for (const [name, service] of Object.entries(job['services'])) containerCredentials(audit, service, [...at, 'services', name]);
    if (publicTrigger && /self-hosted/.test(strings(job['runs-on']))) report(audit, 'self-hosted-runner-public-trigger', [...at, 'runs-on'], `job ${jobId} runs on a self-hosted runner`, jobId);

    if (typeof job['uses'] === 'string') {
      // A job that calls a reusable workflow cannot set environment: (the called workflow's jobs do).
      const uses = job['uses'];
      if (!usesIsPinned(uses) && !tagAllowed(uses, pinning)) report(audit, 'unpinned-uses', [...at, 'uses'], `${uses} (pin to a commit SHA)`, uses.split('@')[0]);
      // Environment secrets reach a called workflow only through inherit (actions/runner#4453), so calls
      // within the repository or its owner are the one place inherit is needed and crosses no boundary.
      const sameOwner = uses.startsWith('./') || (pinning.owner !== undefined && uses.toLowerCase().startsWith(`${pinning.owner.toLowerCase()}/`));
      if (job['secrets'] === 'inherit' && !sameOwner) report(audit, 'secrets-inherit', [...at, 'secrets'], `job ${jobId} passes every secret to ${uses.split('@')[0]}`, jobId);
      toJsonSecrets(audit, job['with'], [...at, 'with']);
      continue;
    }
    const steps = Array.isArray(job['steps']) ? job['steps'] : [];
    auditSteps(audit, steps, [...at, 'steps'], context);
    steps.forEach((step, index) => isRecord(step) && botCondition(audit, step['if'], [...at, 'steps', index, 'if']));

    const deploys = steps.some((step) => isRecord(step) && isDeployStep(step));
    if (deploys) {
      if (job['environment'] === undefined) report(audit, 'deploy-without-environment', at, `job ${jobId} deploys without environment:`, jobId);
      if (triggers.includes('pull_request_target')) report(audit, 'deploy-from-pull-request-target', at, `job ${jobId} deploys and the workflow runs on pull_request_target`, jobId);
      if (job['concurrency'] === undefined && workflow['concurrency'] === undefined) report(audit, 'deploy-without-concurrency', at, `job ${jobId} deploys without concurrency:`, jobId);
    }
  }
  return audit.findings;
}

/** Audits an action's action.yml: composite steps get the step checks (no triggers or permissions there). */
export function auditActionManifest(path: string, text: string, pinning: PinningPolicy): Finding[] {
  const source = YamlSource.parse(text);
  const audit: Audit = { source, path, findings: [] };
  const action = source.value;
  if (!isRecord(action) || !isRecord(action['runs'])) return [];
  const runs = action['runs'];
  if (runs['using'] === 'composite') auditSteps(audit, runs['steps'], ['runs', 'steps'], { privileged: false, publishing: false, pinning });
  if (typeof runs['image'] === 'string' && runs['image'].startsWith('docker://') && !usesIsPinned(runs['image']) && !tagAllowed(runs['image'].slice(9), pinning)) {
    report(audit, 'unpinned-uses', ['runs', 'image'], `${runs['image']} (pin to a digest)`, runs['image']);
  }
  return audit.findings;
}
