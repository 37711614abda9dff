/**
 * npm run demo: the suite's main job, in the sandbox. Real HAProxy in front of the sample service,
 * the actions run from their bundles exactly as a runner runs them, GitHub and Slack as local
 * doubles:
 *   1. deploy v1 (blue), 2. deploy v2 blue-green under continuous load (green), 3. roll back
 *   instantly to v1 (blue), while notify keeps one Slack message up to date.
 * Prints a timeline, what the load saw, the job summaries and the GitHub deployment records.
 *
 * HAProxy comes from Debian: when it is missing, the demo installs it with apt-get if it runs as
 * root (and says so), else prints the command and exits 1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlackDouble } from '../doubles/chat.ts';
import { DEFAULT_TOKEN, GitHubDouble } from '../doubles/github/server.ts';
import { ActionHarness, type StepResult } from '../harness/run-action.ts';
import { perSecond, startLoad } from './load.ts';
import { freePort, serviceCommands, startHaproxy, which } from './servers.ts';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const section = (title: string) => console.log(`\n${bold(`== ${title} ==`)}`);

function ensureInstalled(program: string, debianPackage: string): void {
  if (which(program)) return;
  const command = ['apt-get', 'install', '-y', '--no-install-recommends', debianPackage];
  if (process.getuid?.() !== 0) {
    console.error(`${program} is missing. Install it, then run the demo again:\n  sudo apt-get update && sudo ${command.join(' ')}`);
    process.exit(1);
  }
  console.log(`${program} is missing: installing the Debian package ${debianPackage} with apt-get (running as root).`);
  for (const args of [['update', '-qq'], command.slice(1)]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (result.status !== 0) process.exit(1);
  }
}

ensureInstalled('haproxy', 'haproxy');

const started = Date.now();
const at = () => `t+${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const timeline: string[] = [];
const note = (line: string) => {
  timeline.push(`${at()}  ${line}`);
  console.log(`${at()}  ${line}`);
};

const dir = mkdtempSync(join(tmpdir(), 'deploy-actions-demo-'));
const ports = { blue: await freePort(), green: await freePort() };
const commands = serviceCommands(dir);
const github = await new GitHubDouble().start();
const slack = await new SlackDouble().start();
const haproxy = await startHaproxy({ colors: ports, weights: { blue: 0, green: 0 } });
const harness = new ActionHarness();
let slackRef = { ts: '', channel: '#deploys' };

async function step(action: 'deploy-bluegreen' | 'rollback' | 'notify', inputs: Record<string, string>, runId: string): Promise<StepResult> {
  const router = {
    router: 'haproxy',
    'haproxy-runtime-api': haproxy.runtime,
    'haproxy-config': haproxy.configPath,
    'start-command': commands.start,
    'stop-command': commands.stop,
    'health-interval': '250ms',
    'health-successes': '3',
    'post-switch-window': '3s',
    'environment-url': haproxy.url,
  };
  const { main } = await harness.run(action, {
    inputs: { environment: 'production', ...(action === 'notify' ? {} : router), ...inputs },
    github: { apiUrl: github.apiUrl, token: DEFAULT_TOKEN, runId },
  });
  if (main.exitCode !== 0) throw new Error(`${action} failed:\n${main.log}`);
  return main;
}

async function tell(status: string, version: string, runId: string): Promise<void> {
  const main = await step(
    'notify',
    {
      status,
      version,
      channels: 'slack',
      'slack-bot-token': slack.botToken,
      'slack-api-url': slack.apiUrl,
      'slack-channel': slackRef.channel,
      ...(slackRef.ts ? { 'slack-ts': slackRef.ts } : {}),
    },
    runId,
  );
  slackRef = { ts: main.outputs['slack-ts'] ?? '', channel: main.outputs['slack-channel-id'] ?? slackRef.channel };
  note(`notify ${status}: Slack message ${slackRef.ts} ${main.log.includes('updated') ? 'edited' : 'posted'}`);
}

const summaries: Array<[string, string]> = [];
try {
  section('Deploying v1, then v2 under load, then rolling back');
  console.log(`HAProxy on ${haproxy.url} (runtime API ${haproxy.runtime}); blue on :${ports.blue}, green on :${ports.green}`);

  await tell('in_progress', 'v1', '101');
  const v1 = await step('deploy-bluegreen', { version: 'v1' }, '101');
  note(`deploy-bluegreen v1: ${v1.outputs['color']} takes ${v1.outputs['traffic-percent']}% (deployment ${v1.outputs['deployment-id']})`);
  await tell('success', 'v1', '101');

  const load = startLoad(haproxy.url, 16);
  note('load started: 16 keep-alive connections, back to back');
  await new Promise((resolve) => setTimeout(resolve, 1500));

  slackRef = { ts: '', channel: '#deploys' };
  await tell('in_progress', 'v2', '102');
  const deployStart = Date.now();
  const v2 = await step('deploy-bluegreen', { version: 'v2' }, '102');
  const v2All = load.firstAllFrom('v2', deployStart);
  note(`deploy-bluegreen v2: ${v2.outputs['color']} takes ${v2.outputs['traffic-percent']}%; every answer from v2 by ${v2All ? `t+${((v2All - started) / 1000).toFixed(1)}s` : '(not yet)'}`);
  summaries.push(['deploy-bluegreen v2', v2.summary]);
  await tell('success', 'v2', '102');
  await new Promise((resolve) => setTimeout(resolve, 1500));

  const rollbackStart = Date.now();
  const back = await step('rollback', { mode: 'instant' }, '103');
  const v1All = load.firstAllFrom('v1', rollbackStart);
  note(`rollback instant: back to ${back.outputs['version']} on ${back.outputs['color']}, every answer from v1 ${v1All ? `${v1All - rollbackStart} ms after the rollback started` : '(not yet)'}`);
  summaries.push(['rollback', back.summary]);
  await tell('rolled_back', 'v2', '103');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const stats = await load.stop();
  note('load stopped');

  section('What the load saw, per second since it started');
  for (const { second, versions } of perSecond(stats)) {
    const total = Object.values(versions).reduce((sum, count) => sum + count, 0);
    const bars = Object.entries(versions)
      .sort()
      .map(([version, count]) => `${version} ${'█'.repeat(Math.max(1, Math.round((count / total) * 30)))} ${count}`)
      .join('  ');
    console.log(`  t+${String(second).padStart(3)}s  ${bars}`);
  }
  const seconds = (stats.endedAt - stats.startedAt) / 1000;
  console.log(
    `  ${stats.requests} requests in ${seconds.toFixed(1)}s (${Math.round(stats.requests / seconds)}/s): ${stats.non2xx} non-2xx, ` +
      `${stats.connectionErrors} connection errors, ${stats.userVisibleFailures} failures a browser would have shown`,
  );

  for (const [title, summary] of summaries) {
    section(`Job summary: ${title}`);
    console.log(summary.replace(/^/gm, '  '));
  }

  section('GitHub deployment records (production)');
  for (const deployment of github.deployments) {
    const payload = deployment.payload as Record<string, unknown>;
    console.log(`  deployment ${deployment.id}: ${payload['version']} on ${payload['color']}${payload['rollbackOf'] ? ` (rollback of ${payload['rollbackOf']})` : ''}`);
    for (const status of deployment.statuses) console.log(`    ${status.createdAt} ${status.state.padEnd(11)} ${status.description}`);
  }

  section(`Slack: ${slack.messages.size} messages, each edited in place`);
  for (const message of slack.messages.values()) console.log(`  ts=${message.ts} (${message.edits} edits): ${message.text}`);

  section('Timeline');
  for (const line of timeline) console.log(`  ${line}`);
  const violations = [...github.violations, ...github.rejected, ...slack.violations];
  section(violations.length === 0 ? 'GitHub and Slack accepted every request.' : `Refused: ${violations.join('; ')}`);
  process.exitCode = violations.length === 0 && stats.userVisibleFailures === 0 ? 0 : 1;
} finally {
  spawnSync('sh', ['-c', `${commands.stop.replace(/\$COLOR/g, 'blue')}; ${commands.stop.replace(/\$COLOR/g, 'green')}`]);
  harness.cleanup();
  await Promise.all([haproxy.stop(), github.stop(), slack.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
