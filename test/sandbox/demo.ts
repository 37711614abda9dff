/**
 * npm run demo: the suite's main job, in the sandbox. A user's repository with the starter workflow
 * (workflows/deploy-bluegreen.yml, copied as it is) runs on the runner double: for each push to
 * main, staging is deployed, then production once alice approves it through GitHub's
 * pending_deployments operation. Each environment is a host with a real HAProxy in front of the
 * sample service (blue and green units under the sandbox's systemctl); GitHub is a local double.
 *   1. push v1: staging, the approval, production.
 *   2. push v2 while production is under continuous load: what clients saw of the blue-green switch.
 *   3. push v3, which fails every request of the app: production's verify-command fails after the
 *      switch and the pipeline's rollback job puts traffic back on v2 (today it asks for a second
 *      approval first: issue 12, point 4; the demo posts it and the transcript shows it).
 *   4. progressive delivery of a healthy v2.1 and a bad v3 (+30% latency, 2% errors), step by step
 *      through the actions' bundles against a real Prometheus: the pipeline's own canary path is
 *      what issue 12 fixes, so this part runs the actions as the fixed pipeline will.
 * Each run's transcript (jobs, steps, waits for approval, outputs, durations) is printed beside what
 * the load saw, the job summaries and the GitHub deployment records.
 *
 * HAProxy comes from Debian: when it is missing, the demo installs it with apt-get if it runs as
 * root (and says so), else prints the command and exits 1.
 */
import { createHash } from 'node:crypto';
import { formatTranscript, jobOf, type Transcript } from '../doubles/runner/transcript.ts';
import { perSecond, startLoad } from './load.ts';
import { PipelineSandbox } from './pipeline.ts';
import { progressiveDeploy } from './progressive.ts';
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

// The commits pushed: the starter deploys github.sha, so a version is a commit; v3 fails every request.
const commit = (label: string) => createHash('sha1').update(label).digest('hex');
const V1 = commit('v1');
const V2 = commit('v2');
const V3 = commit('v3');
const labels = new Map([
  [V1, 'v1'],
  [V2, 'v2'],
  [V3, 'v3'],
]);
const label = (version: string) => labels.get(version) ?? version;
const indent = (text: string) => text.replace(/^/gm, '  ');

const sandbox = await PipelineSandbox.create({
  sites: { staging: { every: { LATENCY_MS: '40' } }, production: { every: { LATENCY_MS: '40' }, versions: { [V3]: { ERROR_RATE: '1' } } } },
  reviewers: ['alice'],
});
const production = sandbox.site('production');
// The repository's variables: the production URL is the app's own page (the starter's verify-command
// checks "$URL/healthz" through the router), and colors are started with restart, which replaces
// whatever still runs on the color (the starter's default, start, keeps an active unit as it is:
// issue 12, point 5).
const vars = sandbox.runner.options.vars as Record<string, string>;
vars['PRODUCTION_URL'] = `${production.url}/app`;
vars['START_COMMAND'] = 'systemctl restart app@$COLOR';
const stage = await Stage.create('haproxy', { v3: { LATENCY_MS: '52', ERROR_RATE: '0.02' } }, {}, { LATENCY_MS: '40' });
const prometheus = await startPrometheus({ targets: { app: [`127.0.0.1:${stage.ports.blue}`, `127.0.0.1:${stage.ports.green}`] }, scrapeSeconds: 1 });

/** A push of `sha`: staging deploys; production waits and alice approves (once, or as often as asked). */
async function push(sha: string, comment: string): Promise<Transcript> {
  note(`push ${label(sha)} (${sha.slice(0, 7)}) to main: the starter runs`);
  const run = await sandbox.push({ sha, actor: 'carol' });
  const approvals = (async () => {
    let asked = 0;
    while (run.record.status !== 'completed') {
      try {
        await sandbox.review(run, 'production', 'approved', 'alice', asked === 0 ? comment : 'approving the rollback job too');
        asked += 1;
        note(`alice approved production (${asked === 1 ? comment : 'a second approval, for the rollback job'})`);
      } catch {
        return;
      }
    }
  })();
  const transcript = await run.done;
  await approvals;
  note(`run ${transcript.runId} ${transcript.conclusion}; production serves ${Object.keys(await production.versionsServed(10)).map(label).join(', ')}`);
  return transcript;
}

function printTranscript(transcript: Transcript): void {
  let text = formatTranscript(transcript);
  for (const [sha, name] of labels) text = text.split(sha).join(`${name} (${sha.slice(0, 7)})`);
  console.log(indent(text));
}

let exitCode = 1;
try {
  section('The starter on the runner double: staging, then production after approval');
  console.log(`staging: HAProxy ${sandbox.site('staging').url}; production: HAProxy ${production.url} (runtime API ${production.haproxy.runtime})`);
  console.log('repository variables:', Object.entries(sandbox.runner.options.vars ?? {}).map(([key, value]) => `${key}=${value}`).join(' '));
  const first = await push(V1, 'first release');
  printTranscript(first);

  section('v2, blue-green under continuous load on production');
  const load = startLoad(production.url, 48);
  note('load started on production: 48 keep-alive connections, back to back');
  const second = await push(V2, 'v2 looks good in staging');
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const stats = await load.stop();
  printTranscript(second);
  console.log('\n  What the load saw, per second since it started:');
  for (const { second: s, versions } of perSecond(stats)) {
    const total = Object.values(versions).reduce((sum, count) => sum + count, 0);
    const bars = Object.entries(versions)
      .sort()
      .map(([version, count]) => `${label(version)} ${'█'.repeat(Math.max(1, Math.round((count / total) * 30)))} ${count}`)
      .join('  ');
    console.log(`  t+${String(s).padStart(3)}s  ${bars}`);
  }
  const seconds = (stats.endedAt - stats.startedAt) / 1000;
  console.log(`  ${stats.requests} requests in ${seconds.toFixed(1)}s (${Math.round(stats.requests / seconds)}/s): ${stats.non2xx} non-2xx, ${stats.connectionErrors} connection errors, ${stats.userVisibleFailures} failures a browser would have shown`);
  const firstV2 = [...stats.buckets.entries()].filter(([, versions]) => versions.has(V2)).map(([bucket]) => stats.startedAt + bucket).sort((a, b) => a - b)[0];
  const allV2 = firstV2 === undefined ? undefined : load.firstAllFrom(V2, firstV2);
  console.log(`  switch to v2 as clients saw it: ${firstV2 !== undefined && allV2 !== undefined ? allV2 - firstV2 : '?'} ms from the first v2 answer to all answers from v2 (100 ms buckets)`);
  section('Job summary: production / deploy (deploy-bluegreen v2)');
  console.log(indent(jobOf(second, 'production / deploy').steps[0]?.summary ?? ''));

  section('v3 fails every request: verification fails after the switch, the rollback job puts v2 back');
  const third = await push(V3, 'v3, let us see');
  printTranscript(third);
  const rolledBack = jobOf(third, 'production').outputs['rolled-back'] === 'true';
  const servedAfter = await production.versionsServed(20);
  console.log(`  production after the run: ${Object.entries(servedAfter).map(([version, count]) => `${label(version)} ${count}/20`).join(', ')}; rolled-back=${rolledBack}`);
  const rollbackWaits = jobOf(third, 'production / rollback').waits.length;
  if (rollbackWaits > 0) console.log('  The rollback job waited for a second approval (issue 12, point 4: it should not).');
  section('Job summary: production / rollback');
  console.log(indent(jobOf(third, 'production / rollback').steps[0]?.summary ?? ''));

  section('Progressive delivery: 10% → analysis → 50% → analysis → promote, or roll back (the actions step by step)');
  const canaryLoad = startLoad(stage.url, 48);
  note('load started on the progressive stage: 48 keep-alive connections');
  const v1 = await stage.run('deploy-bluegreen', { version: 'v2', 'health-interval': '250ms', 'health-successes': '3' }, { runId: '103' });
  if (v1.exitCode !== 0) throw new Error(`the progressive stage's first deploy failed:\n${v1.log}`);
  const healthy = await progressiveDeploy(stage, prometheus, 'v2.1', '104', note);
  const bad = await progressiveDeploy(stage, prometheus, 'v3', '105', note);
  const progressiveStats = await canaryLoad.stop();
  note('load stopped');
  for (const { second: s, versions } of perSecond(progressiveStats)) {
    const total = Object.values(versions).reduce((sum, count) => sum + count, 0);
    const shares = Object.entries(versions)
      .sort()
      .map(([version, count]) => `${version} ${Math.round((count / total) * 100)}%`)
      .join('  ');
    console.log(`  t+${String(s).padStart(3)}s  ${shares}`);
  }
  console.log(
    `  ${progressiveStats.requests} requests: ${progressiveStats.non2xx} non-2xx (v3's own 2% errors while it had traffic), ${progressiveStats.connectionErrors} connection errors, ` +
      `${progressiveStats.userVisibleFailures} failures a browser would have shown`,
  );
  console.log(`  ${healthy.version}: ${healthy.outcome}; ${bad.version}: ${bad.outcome}`);
  section(`Job summary: canary-analyze of ${bad.version} (why it was rolled back)`);
  console.log(indent(bad.analyses.at(-1)?.summary ?? ''));

  section('GitHub deployment records');
  for (const deployment of [...sandbox.github.deployments, ...stage.github.deployments]) {
    const payload = deployment.payload as Record<string, unknown>;
    console.log(`  ${deployment.environment} deployment ${deployment.id}: ${label(String(payload['version']))} on ${payload['color']}${payload['rollbackOf'] ? ` (rollback of ${payload['rollbackOf']})` : ''}`);
    for (const status of deployment.statuses) console.log(`    ${status.createdAt} ${status.state.padEnd(11)} ${status.description}`);
  }

  section('Timeline');
  for (const line of timeline) console.log(`  ${line}`);
  const violations = [...sandbox.github.violations, ...sandbox.github.rejected, ...sandbox.artifacts.violations, ...stage.github.violations, ...stage.github.rejected];
  section(violations.length === 0 ? 'GitHub accepted every request.' : `Refused: ${violations.join('; ')}`);
  const stories = {
    'v1 deployed to staging and production': first.conclusion === 'success',
    'v2 switched under load without a failure a browser would show': second.conclusion === 'success' && stats.userVisibleFailures === 0,
    'v3 rolled back to v2': rolledBack && Object.keys(servedAfter).every((version) => version === V2),
    'progressive: v2.1 promoted, v3 rolled back': healthy.outcome === 'promoted' && bad.outcome === 'rolled back',
  };
  for (const [story, ok] of Object.entries(stories)) if (!ok) console.log(`Unexpected: not "${story}"`);
  exitCode = violations.length === 0 && Object.values(stories).every(Boolean) ? 0 : 1;
} finally {
  await Promise.all([sandbox.stop(), stage.stop(), prometheus.stop()]);
}
process.exitCode = exitCode;
