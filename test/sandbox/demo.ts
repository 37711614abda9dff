/**
 * npm run demo: the suite's main job, in the sandbox. Real HAProxy in front of the sample service,
 * real Prometheus scraping both colors, the actions run from their bundles exactly as a runner runs
 * them, GitHub and Slack as local doubles:
 *   1. deploy v1 (blue), 2. deploy v2 blue-green under continuous load (green), 3. roll back
 *   instantly to v1 (blue), while notify keeps one Slack message up to date;
 *   4. progressive delivery of a healthy v2.1 (10% → analysis → 50% → analysis → promoted) and of a
 *   v3 with +30% latency and 2% errors (10% → analysis fails → rolled back automatically).
 * Prints a timeline, what the load saw, the job summaries and the GitHub deployment records.
 *
 * HAProxy comes from Debian: when it is missing, the demo installs it with apt-get if it runs as
 * root (and says so), else prints the command and exits 1.
 */
import { SlackDouble } from '../doubles/chat.ts';
import { perSecond, startLoad } from './load.ts';
import { progressiveDeploy } from './progressive.ts';
import { switchScenario } from './scenario.ts';
import { ensurePackages } from './requirements.ts';
import { startPrometheus } from './servers.ts';
import { Stage } from './stage.ts';

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const section = (title: string) => console.log(`\n${bold(`== ${title} ==`)}`);

try {
  ensurePackages('demo');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const started = Date.now();
const at = () => `t+${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const timeline: string[] = [];
const note = (line: string) => {
  timeline.push(`${at()}  ${line}`);
  console.log(`${at()}  ${line}`);
};

// Every version answers in about 40 ms; v3 is the bad one: +30% latency and 2% errors.
const stage = await Stage.create('haproxy', { v3: { LATENCY_MS: '52', ERROR_RATE: '0.02' } }, {}, { LATENCY_MS: '40' });
const prometheus = await startPrometheus({ targets: { app: [`127.0.0.1:${stage.ports.blue}`, `127.0.0.1:${stage.ports.green}`] }, scrapeSeconds: 1 });
const slack = await new SlackDouble().start();
stage.routerInputs['environment-url'] = stage.url;
let slackRef = { ts: '', channel: '#deploys' };

async function tell(status: string, version: string, runId: string): Promise<void> {
  const main = await stage.notify(
    {
      status,
      version,
      channels: 'slack',
      'slack-bot-token': slack.botToken,
      'slack-api-url': slack.apiUrl,
      'slack-channel': slackRef.channel,
      ...(slackRef.ts ? { 'slack-ts': slackRef.ts } : {}),
    },
    { runId },
  );
  if (main.exitCode !== 0) throw new Error(`notify failed:\n${main.log}`);
  slackRef = { ts: main.outputs['slack-ts'] ?? '', channel: main.outputs['slack-channel-id'] ?? slackRef.channel };
  note(`notify ${status}: Slack message ${slackRef.ts} ${main.log.includes('updated') ? 'edited' : 'posted'}`);
}

const RUNS = { v1: '101', v2: '102', rollback: '103' } as const;
try {
  section('Deploying v1, then v2 under load, then rolling back');
  console.log(`HAProxy on ${stage.url} (runtime API ${stage.haproxy?.runtime}); blue on :${stage.ports.blue}, green on :${stage.ports.green}`);
  const result = await switchScenario(stage, {
    connections: 48,
    note,
    before: async (step) => {
      if (step === 'v2') slackRef = { ts: '', channel: '#deploys' };
      if (step !== 'rollback') await tell('in_progress', step, RUNS[step]);
    },
    after: async (step, main) => {
      if (step === 'rollback') {
        note(`rollback instant: back to ${main.outputs['version']} on ${main.outputs['color']}`);
        await tell('rolled_back', 'v2', RUNS.rollback);
        return;
      }
      note(`deploy-bluegreen ${step}: ${main.outputs['color']} takes ${main.outputs['traffic-percent']}% (deployment ${main.outputs['deployment-id']})`);
      await tell('success', step, RUNS[step]);
    },
  });
  const { stats } = result;

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
  console.log(`  switch to v2 as clients saw it: ${result.switchMs ?? '?'} ms from the first v2 answer to all answers from v2 (100 ms buckets)`);
  console.log(`  instant rollback: all answers from v1 ${result.rollbackMs ?? '?'} ms after the rollback step started`);
  console.log(`  GitHub REST calls of the v2 deploy: ${result.deployApiCalls}`);

  section('Job summary: deploy-bluegreen v2');
  console.log(result.steps.v2.summary.replace(/^/gm, '  '));
  section('Job summary: rollback');
  console.log(result.steps.rollback.summary.replace(/^/gm, '  '));

  section('Progressive delivery: 10% → analysis → 50% → analysis → promote, or roll back');
  const load = startLoad(stage.url, 48);
  note('load started again: 48 keep-alive connections');
  const healthy = await progressiveDeploy(stage, prometheus, 'v2.1', '104', note);
  const bad = await progressiveDeploy(stage, prometheus, 'v3', '105', note);
  const progressiveStats = await load.stop();
  note('load stopped');
  for (const { second, versions } of perSecond(progressiveStats)) {
    const total = Object.values(versions).reduce((sum, count) => sum + count, 0);
    const shares = Object.entries(versions)
      .sort()
      .map(([version, count]) => `${version} ${Math.round((count / total) * 100)}%`)
      .join('  ');
    console.log(`  t+${String(second).padStart(3)}s  ${shares}`);
  }
  console.log(
    `  ${progressiveStats.requests} requests: ${progressiveStats.non2xx} non-2xx (v3's own 2% errors while it had traffic), ${progressiveStats.connectionErrors} connection errors, ` +
      `${progressiveStats.userVisibleFailures} failures a browser would have shown`,
  );
  console.log(`  ${healthy.version}: ${healthy.outcome}; ${bad.version}: ${bad.outcome}`);
  section(`Job summary: canary-analyze of ${bad.version} (why it was rolled back)`);
  console.log((bad.analyses.at(-1)?.summary ?? '').replace(/^/gm, '  '));

  section('GitHub deployment records (production)');
  for (const deployment of stage.github.deployments) {
    const payload = deployment.payload as Record<string, unknown>;
    console.log(`  deployment ${deployment.id}: ${payload['version']} on ${payload['color']}${payload['rollbackOf'] ? ` (rollback of ${payload['rollbackOf']})` : ''}`);
    for (const status of deployment.statuses) console.log(`    ${status.createdAt} ${status.state.padEnd(11)} ${status.description}`);
  }

  section(`Slack: ${slack.messages.size} messages, each edited in place`);
  for (const message of slack.messages.values()) console.log(`  ts=${message.ts} (${message.edits} edits): ${message.text}`);

  section('Timeline');
  for (const line of timeline) console.log(`  ${line}`);
  const violations = [...stage.github.violations, ...stage.github.rejected, ...slack.violations];
  section(violations.length === 0 ? 'GitHub and Slack accepted every request.' : `Refused: ${violations.join('; ')}`);
  const endings = healthy.outcome === 'promoted' && bad.outcome === 'rolled back';
  if (!endings) console.log(`Unexpected endings: ${healthy.version} ${healthy.outcome}, ${bad.version} ${bad.outcome}`);
  process.exitCode = violations.length === 0 && stats.userVisibleFailures === 0 && endings ? 0 : 1;
} finally {
  await Promise.all([stage.stop(), slack.stop(), prometheus.stop()]);
}
