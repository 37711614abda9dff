import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactServiceDouble } from '../doubles/artifact-service.ts';
import { GitHubDouble } from '../doubles/github/server.ts';
import type { WorkflowRun } from '../doubles/runner/run.ts';
import { RunnerDouble, type RunnerOptions, type TriggerOptions } from '../doubles/runner/runner.ts';
import { writeFiles } from '../harness/files.ts';
import { ROOT } from '../harness/run-action.ts';
import { stringify } from 'yaml';
import { selfRepository } from '../doubles/runner/runner.ts';
import type { Transcript } from '../doubles/runner/transcript.ts';
import { startAzurite, startPrometheus, type Azurite, type Prometheus } from './servers.ts';
import { Site, type SiteOptions } from './site.ts';

/**
 * A user's repository adopting our pipeline, for workflow tests and the demo: its files (the
 * starter copied in, or a caller of deploy.yml), the GitHub double serving it, the artifact service
 * (Azurite behind it) for the scan job's upload, one Site per environment (real HAProxy, the sample
 * service under the sandbox's systemctl, a self-hosted runner on that host), and the runner double.
 * The starter's site values are set as the repository variables it reads.
 */

/** The starter, word for word, as a user copies it into .github/workflows/. */
export const STARTER = readFileSync(join(ROOT, 'workflows/deploy-bluegreen.yml'), 'utf8');

/** The scan policy a repository adopting the starter keeps (README, "Scanning"): our @v1 tag allowed, with its reason. */
export const STARTER_SCAN_POLICY = [
  'pinning:',
  '  allow-tags:',
  '    - owner: org/deploy-actions',
  '      reason: the starter calls the deploy pipeline by its v1 release tag',
  '',
].join('\n');

export interface PipelineOptions {
  /** Environments to give a site (staging, production...), with the service's behaviour per version. */
  sites: Record<string, SiteOptions>;
  /** Repository files; default: the starter and its scan policy. */
  files?: Record<string, string>;
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
  /** Required reviewers of production (none: no protection rules). */
  reviewers?: string[];
  runner?: Partial<Omit<RunnerOptions, 'github' | 'repository' | 'runners' | 'artifacts'>>;
  /** A real Prometheus scraping every site's two colors each second (job = the environment's name). */
  prometheus?: boolean;
}

export class PipelineSandbox {
  readonly dir: string;
  readonly github: GitHubDouble;
  readonly azurite: Azurite;
  readonly artifacts: ArtifactServiceDouble;
  readonly sites: Record<string, Site>;
  readonly runner: RunnerDouble;
  readonly prometheus: Prometheus | undefined;
  #pushes = 0;

  private constructor(dir: string, github: GitHubDouble, azurite: Azurite, artifacts: ArtifactServiceDouble, sites: Record<string, Site>, runner: RunnerDouble, prometheus: Prometheus | undefined) {
    this.prometheus = prometheus;
    this.dir = dir;
    this.github = github;
    this.azurite = azurite;
    this.artifacts = artifacts;
    this.sites = sites;
    this.runner = runner;
  }

  static async create(options: PipelineOptions): Promise<PipelineSandbox> {
    const dir = mkdtempSync(join(tmpdir(), 'pipeline-repo-'));
    writeFiles(dir, options.files ?? { '.github/workflows/deploy.yml': STARTER, '.github/scan.yml': STARTER_SCAN_POLICY, 'README.md': '# app\n' });
    const [github, azurite] = await Promise.all([new GitHubDouble().start(), startAzurite()]);
    const artifacts = await new ArtifactServiceDouble(azurite).start();
    const sites: Record<string, Site> = {};
    for (const [environment, siteOptions] of Object.entries(options.sites)) sites[environment] = await Site.create(environment, siteOptions);
    const vars: Record<string, string> = { START_COMMAND: 'systemctl start app@$COLOR', STOP_COMMAND: 'systemctl stop app@$COLOR' };
    for (const [environment, site] of Object.entries(sites)) Object.assign(vars, site.vars(environment.toUpperCase()));
    if (options.reviewers) {
      for (const login of options.reviewers) github.grant(`ghp_${login}`, 'all', login);
      github.environments.set('production', { name: 'production', protectionRules: [{ type: 'required_reviewers', reviewers: options.reviewers }] });
    }
    const runner = await RunnerDouble.start({
      github,
      repository: dir,
      runners: Object.values(sites).map((site) => site.runner),
      artifacts,
      vars: { ...vars, ...options.vars },
      secrets: options.secrets ?? {},
      ...options.runner,
    });
    const prometheus = options.prometheus
      ? await startPrometheus({ targets: Object.fromEntries(Object.entries(sites).map(([environment, site]) => [environment, [`127.0.0.1:${site.ports.blue}`, `127.0.0.1:${site.ports.green}`]])), scrapeSeconds: 1 })
      : undefined;
    return new PipelineSandbox(dir, github, azurite, artifacts, sites, runner, prometheus);
  }

  /**
   * A workflow of the repository with one job calling deploy.yml (by this checkout's commit, as a
   * pinned caller would) for `environment`, with that site's router inputs and `inputs`; triggered
   * by workflow_dispatch. Returns the run.
   */
  async callDeploy(name: string, environment: string, inputs: Record<string, unknown>, options: { permissions?: Record<string, string>; secrets?: unknown; trigger?: TriggerOptions } = {}): Promise<WorkflowRun> {
    const caller = {
      name,
      on: { workflow_dispatch: {} },
      permissions: { contents: 'read' },
      jobs: {
        [environment]: {
          uses: `org/deploy-actions/.github/workflows/deploy.yml@${selfRepository().sha}`,
          permissions: options.permissions ?? { contents: 'read', deployments: 'write' },
          with: { environment, scan: false, ...this.site(environment).deployInputs(), 'health-timeout': '10s', 'post-switch-window': '1s', ...inputs },
          secrets: options.secrets ?? 'inherit',
        },
      },
    };
    writeFiles(this.dir, { [`.github/workflows/${name}.yml`]: stringify(caller) });
    return this.push({ workflow: `.github/workflows/${name}.yml`, event: 'workflow_dispatch', ...options.trigger });
  }

  /** callDeploy, to the end. */
  async deploy(name: string, environment: string, inputs: Record<string, unknown>, options: Parameters<PipelineSandbox['callDeploy']>[3] = {}): Promise<Transcript> {
    return (await this.callDeploy(name, environment, inputs, options)).done;
  }

  site(environment: string): Site {
    const site = this.sites[environment];
    if (!site) throw new Error(`no site for ${environment}`);
    return site;
  }

  /** A push of a new commit to main: the branch moves, the starter's push trigger runs it. */
  async push(options: TriggerOptions & { workflow?: string } = {}): Promise<WorkflowRun> {
    this.#pushes += 1;
    const sha = options.sha ?? this.#pushes.toString(16).padStart(40, '0');
    this.github.branches.set('main', sha);
    const { workflow = '.github/workflows/deploy.yml', ...trigger } = options;
    return this.runner.trigger(workflow, { event: 'push', ...trigger, sha });
  }

  /**
   * A reviewer decides on the run's pending deployment of an environment, through GitHub's own
   * operations (GET then POST .../pending_deployments), once the job waits.
   */
  async review(run: WorkflowRun, environment: string, state: 'approved' | 'rejected', login: string, comment = ''): Promise<void> {
    const headers = { authorization: `token ghp_${login}`, 'content-type': 'application/json' };
    const base = `${this.github.apiUrl}/repos/${this.github.owner}/${this.github.repo}/actions/runs/${run.record.id}/pending_deployments`;
    for (let attempt = 0; attempt < 2400; attempt++) {
      const list = (await (await fetch(base, { headers })).json()) as Array<{ environment: { id: number; name: string } }>;
      const waiting = list.find((entry) => entry.environment.name === environment);
      if (waiting) {
        const answer = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ environment_ids: [waiting.environment.id], state, comment }) });
        if (answer.status !== 200) throw new Error(`review answered ${answer.status}: ${await answer.text()}`);
        return;
      }
      if (run.record.status === 'completed') throw new Error(`the run ended without waiting for ${environment}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no pending deployment of ${environment}`);
  }

  /** Deployments of an environment with what their payloads and status histories say. */
  records(environment: string): Array<{ id: number; creator: string; version: unknown; color: unknown; states: string[] }> {
    return this.github.deployments
      .filter((deployment) => deployment.environment === environment)
      .map((deployment) => {
        const payload = deployment.payload as Record<string, unknown>;
        return { id: deployment.id, creator: deployment.creator, version: payload['version'], color: payload['color'], states: deployment.statuses.map((status) => status.state) };
      });
  }

  async stop(): Promise<string[]> {
    const refused = [...this.github.violations, ...this.github.rejected, ...this.artifacts.violations, ...this.runner.oidc.violations];
    await this.runner.stop();
    await Promise.all(Object.values(this.sites).map((site) => site.stop()));
    await Promise.all([this.github.stop(), this.artifacts.stop(), this.prometheus?.stop()]);
    await this.azurite.stop();
    rmSync(this.dir, { recursive: true, force: true });
    return refused;
  }
}
