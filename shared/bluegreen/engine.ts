import type { RunContext } from '../context.ts';
import {
  buildPayload,
  isGood,
  type DeploymentRecord,
  type DeploymentRecords,
  type DeploymentState,
} from '../deployments.ts';
import { errorMessage, UserError } from '../errors.ts';
import { formatDuration } from '../inputs.ts';
import { realClock, waitHealthy, watch, type Clock, type HealthCheck } from './health.ts';
import { lastLines } from './routers/hosted.ts';
import {
  classify,
  describeSplit,
  otherColor,
  RouterError,
  sameSplit,
  splitFor,
  type Color,
  type Router,
  type Split,
} from './traffic.ts';

/**
 * Blue-green flows on one router, kept true in GitHub Deployments (the record model in
 * ../shared/docs/deployment-record.md). The rules every flow keeps:
 * - nothing reaches the new color before it has passed the health gate on its own address;
 * - a failure before the switch leaves traffic untouched (and stops what it started);
 * - a failure during or after the switch puts the previous split back at once;
 * - every deployment this run creates ends in a terminal status, whatever happens.
 */

export interface Phase {
  at: string;
  phase: string;
  detail: string;
  ok: boolean;
}

export interface Logger {
  info(message: string): void;
  warning(message: string): void;
}

export interface EngineOptions {
  router: Router;
  records: DeploymentRecords;
  context: RunContext;
  environment: string;
  health: HealthCheck;
  /** Run where the colors run, with COLOR, VERSION, ADDRESS, ENVIRONMENT; must exit 0. */
  smokeCommand?: string | undefined;
  watchWindowMs: number;
  /** Wait between taking traffic off a color and stopping it: in-flight requests and old nginx workers finish. */
  drainMs: number;
  environmentUrl?: string | undefined;
  productionEnvironment?: boolean | undefined;
  transientEnvironment: boolean;
  lockTimeoutMs: number;
  requiredContexts?: string[] | undefined;
  log: Logger;
  clock?: Clock;
}

export interface Outcome {
  /** What happened, in one line for the summary's title. */
  headline: string;
  deploymentId?: number | undefined;
  color?: Color | undefined;
  previousColor?: Color | undefined;
  version?: string | undefined;
  split: Split;
  splitBefore: Split;
  /** Set when the flow decided there was nothing to do (a second rollback, cleanup too early). */
  noop?: string | undefined;
  /** For rollbacks: the deployment that was rolled back. */
  rolledBack?: number | undefined;
}

/** An engine failure that has already put traffic and records in order; the message says how. */
export class FlowError extends UserError {
  override name = 'FlowError';
}

export class BlueGreen {
  readonly phases: Phase[] = [];
  readonly #o: EngineOptions;
  readonly #clock: Clock;

  constructor(options: EngineOptions) {
    this.#o = options;
    this.#clock = options.clock ?? realClock;
  }

  get router(): Router {
    return this.#o.router;
  }

  #phase(phase: string, detail: string, ok = true): void {
    this.phases.push({ at: new Date(this.#clock.now()).toISOString(), phase, detail, ok });
    (ok ? this.#o.log.info : this.#o.log.warning)(`${phase}: ${detail}`);
  }

  /** A status in the middle of a flow is information: a GitHub hiccup there must not undo a good deploy. */
  async #progress(deploymentId: number, description: string): Promise<void> {
    try {
      await this.#o.records.addStatus(deploymentId, { state: 'in_progress', description, logUrl: this.#o.context.runUrl });
    } catch (error) {
      this.#o.log.warning(`could not record "${description}" on deployment ${deploymentId}: ${errorMessage(error)}`);
    }
  }

  /** A terminal status must land; if GitHub refuses it, the step fails saying what state traffic is in. */
  async #finish(deploymentId: number, state: DeploymentState, description: string, trafficNote: string): Promise<void> {
    try {
      await this.#o.records.addStatus(deploymentId, {
        state,
        description,
        logUrl: this.#o.context.runUrl,
        ...(state === 'success' && this.#o.environmentUrl ? { environmentUrl: this.#o.environmentUrl } : {}),
      });
    } catch (error) {
      throw new FlowError(`${trafficNote}, but recording "${state}" on deployment ${deploymentId} failed: ${errorMessage(error)}`);
    }
  }

  async #readSplit(): Promise<Split> {
    const split = await this.#o.router.read();
    this.#phase('state', `${this.#o.router.kind} has ${describeSplit(split)}`);
    return split;
  }

  /** Health on the color's own address, then the smoke test, then the router's own view of it. */
  async #gate(color: Color, version: string): Promise<void> {
    const { router, health } = this.#o;
    const result = await waitHealthy(() => router.probe(color, health), health, this.#clock);
    if (!result.ok) {
      throw new FlowError(`${color} never became healthy: ${result.attempts} probes of ${health.path} in ${formatDuration(result.elapsedMs)}, last: ${result.last.detail}`);
    }
    this.#phase('healthy', `${color} answered ${health.path} ${health.successes}× in a row (${result.attempts} probes, ${formatDuration(result.elapsedMs)})`);
    if (this.#o.smokeCommand) {
      const smoke = await router.smoke(color, version, this.#o.smokeCommand);
      if (smoke.exitCode !== 0) throw new FlowError(`smoke-command failed on ${color} (exit ${smoke.exitCode}): ${lastLines(smoke.stderr || smoke.stdout)}`);
      this.#phase('smoke', `smoke-command passed on ${color}`);
    }
    await router.ready(color, health.timeoutMs);
  }

  /** Applies a split; if the router fails, puts `before` back (again, if the router did not). */
  async #switch(before: Split, target: Split): Promise<void> {
    try {
      await this.#o.router.apply(target, before);
    } catch (error) {
      let restored = error instanceof RouterError && error.restored;
      if (!restored) {
        try {
          // What the failed attempt left is unknown: read it before putting the old split back.
          await this.#o.router.apply(before, await this.#o.router.read());
          restored = sameSplit(await this.#o.router.read(), before);
        } catch {
          restored = false;
        }
      }
      throw new FlowError(`switching to ${describeSplit(target)} failed: ${errorMessage(error)}${restored ? `; traffic is back on ${describeSplit(before)}` : '; COULD NOT restore the previous traffic: check the router now'}`);
    }
    this.#phase('switched', describeSplit(target));
  }

  /** Watches the color after the switch; at the first failure, the previous split goes back. */
  async #watch(color: Color, before: Split, current: Split): Promise<void> {
    const { router, health, watchWindowMs } = this.#o;
    if (watchWindowMs <= 0) return;
    const result = await watch(() => router.probe(color, health), watchWindowMs, health.intervalMs, this.#clock);
    if (result.ok) {
      this.#phase('watched', `${color} stayed healthy for ${formatDuration(watchWindowMs)} after the switch (${result.attempts} probes)`);
      return;
    }
    await this.#switch(current, before).catch((error: unknown) => {
      throw new FlowError(`${color} failed after the switch (${result.last.detail}) and switching back failed: ${errorMessage(error)}`);
    });
    throw new FlowError(`${color} failed ${formatDuration(result.elapsedMs)} after the switch (${result.last.detail}); switched back to ${describeSplit(before)}`);
  }

  async #stopQuietly(color: Color, why: string, hadTraffic: boolean): Promise<void> {
    if (hadTraffic && this.#o.drainMs > 0) {
      this.#phase('draining', `${color} for ${formatDuration(this.#o.drainMs)} before it is stopped`);
      await this.#clock.sleep(this.#o.drainMs);
    }
    try {
      if (await this.#o.router.stop(color)) this.#phase('stopped', `${color} (${why})`);
    } catch (error) {
      this.#o.log.warning(`could not stop ${color}: ${errorMessage(error)}`);
    }
  }

  /** The newest good deployment before ours: what "previous" means in the payload. */
  async #previousGood(): Promise<DeploymentRecord | undefined> {
    const found = await this.#o.records.findLastGood(this.#o.environment, { maxDeployments: 10 });
    return found.deployment;
  }

  async deploy(input: { version: string; artifact?: string | undefined; percent: number; rollbackOf?: number | undefined; takeLock?: boolean }): Promise<Outcome> {
    const { records, context, environment } = this.#o;
    if (input.takeLock !== false) {
      const abandoned = await records.acquireLock(environment, context.runId, { timeoutMs: this.#o.lockTimeoutMs });
      for (const deployment of abandoned) this.#phase('lock', `deployment ${deployment.id} had no status for too long: marked abandoned`, false);
    }
    const before = await this.#readSplit();
    const state = classify(before);
    if (state.kind === 'split') {
      throw new FlowError(`a canary is in flight (${describeSplit(before)}): promote or abort it before deploying again`);
    }
    const color: Color = state.kind === 'single' ? otherColor(state.active) : 'blue';
    const previousColor = state.kind === 'single' ? state.active : undefined;
    let percent = input.percent;
    if (!previousColor && percent < 100) {
      this.#o.log.warning(`nothing runs yet to share traffic with: this first deployment takes 100%, not ${percent}%`);
      percent = 100;
    }
    const previous = previousColor ? await this.#previousGood() : undefined;
    const deployment = await records.create(context.sha, {
      environment,
      payload: buildPayload(context, {
        version: input.version,
        artifact: input.artifact,
        color,
        previousColor,
        strategy: 'bluegreen',
        router: this.#o.router.kind,
        previousDeploymentId: previous?.id,
        rollbackOf: input.rollbackOf,
      }),
      description: `${input.version} on ${color}`,
      productionEnvironment: this.#o.productionEnvironment,
      transientEnvironment: this.#o.transientEnvironment,
      requiredContexts: this.#o.requiredContexts,
    });
    this.#phase('recorded', `deployment ${deployment.id}: ${input.version} to ${color}${previousColor ? `, ${previousColor} kept for the way back` : ''}`);
    await this.#progress(deployment.id, `starting ${input.version} on ${color}`);

    const target = splitFor(color, percent);
    // Set before start: a start that fails half-way (a rollout that stalls) still leaves things to stop.
    let startAttempted = false;
    let switched = false;
    try {
      startAttempted = true;
      await this.#o.router.start(color, input.version, input.artifact);
      this.#phase('started', `${input.version} on ${color}`);
      await this.#progress(deployment.id, `${input.version} started on ${color}`);
      await this.#gate(color, input.version);
      await this.#progress(deployment.id, `${color} healthy: shifting ${percent}% of traffic`);
      await this.#switch(before, target);
      switched = true;
      await this.#watch(color, before, target);
    } catch (error) {
      this.#phase('failed', errorMessage(error), false);
      if (startAttempted) await this.#stopQuietly(color, switched ? 'it failed after the switch' : 'it never got traffic', switched);
      const traffic = switched ? `traffic back on ${describeSplit(before)}` : `traffic untouched (${describeSplit(before)})`;
      await this.#finish(deployment.id, 'failure', `${input.version} on ${color} failed; ${traffic}`, traffic);
      throw error instanceof UserError ? error : new FlowError(errorMessage(error));
    }
    if (percent >= 100) {
      await this.#finish(deployment.id, 'success', `${input.version} live on ${color}`, `traffic is all on ${color}`);
    } else {
      await this.#progress(deployment.id, `canary: ${input.version} on ${color} takes ${percent}%`);
    }
    return { headline: percent >= 100 ? `${input.version} is live on ${color}` : `${input.version} takes ${percent}% on ${color}`, deploymentId: deployment.id, color, previousColor, version: input.version, split: target, splitBefore: before };
  }

  /** The deployment a shift, promote or abort acts on: the one given, or this run's newest in progress. */
  async #active(deploymentId: number | undefined): Promise<DeploymentRecord> {
    const { records, environment, context } = this.#o;
    const deployment = deploymentId
      ? await records.get(deploymentId)
      : (await records.list(environment, 1, 30)).find((candidate) => candidate.payload?.runId === context.runId && candidate.payload.strategy === 'bluegreen');
    if (!deployment) {
      throw new UserError(`input "deployment-id": no blue-green deployment of ${environment} was made by this run; give the id of the deployment to act on`);
    }
    if (!deployment.payload?.color) throw new UserError(`input "deployment-id": deployment ${deployment.id} was not made by deploy-bluegreen`);
    const [latest] = await records.statuses(deployment.id, 1);
    if (latest?.state !== 'in_progress') {
      throw new UserError(`deployment ${deployment.id} is ${latest?.state ?? 'without status'}, not in progress: there is nothing to shift, promote or abort`);
    }
    return deployment;
  }

  async shift(percent: number, deploymentId?: number): Promise<Outcome> {
    const deployment = await this.#active(deploymentId);
    const color = deployment.payload?.color as Color;
    const previousColor = (deployment.payload?.previousColor ?? undefined) as Color | undefined;
    const version = deployment.payload?.version ?? '';
    const before = await this.#readSplit();
    if (previousColor && before[color] <= 0 && before[previousColor] >= 100) {
      throw new FlowError(`${color} has no traffic any more (${describeSplit(before)}): was deployment ${deployment.id} aborted by hand? Deploy again`);
    }
    const target = previousColor ? splitFor(color, percent) : splitFor(color, 100);
    try {
      await this.#gate(color, version);
      await this.#switch(before, target);
      await this.#watch(color, before, target);
    } catch (error) {
      this.#phase('failed', errorMessage(error), false);
      // The canary stays where it was; abort (or rollback) decides whether it goes.
      await this.#progress(deployment.id, `shift to ${percent}% failed; still ${describeSplit(before)}`);
      throw error instanceof UserError ? error : new FlowError(errorMessage(error));
    }
    if (target[color] >= 100) await this.#finish(deployment.id, 'success', `${version} live on ${color}`, `traffic is all on ${color}`);
    else await this.#progress(deployment.id, `canary: ${version} on ${color} takes ${target[color]}%`);
    return { headline: target[color] >= 100 ? `${version} is live on ${color}` : `${version} takes ${target[color]}% on ${color}`, deploymentId: deployment.id, color, previousColor, version, split: target, splitBefore: before };
  }

  async abort(deploymentId?: number): Promise<Outcome> {
    const deployment = await this.#active(deploymentId);
    const color = deployment.payload?.color as Color;
    const previousColor = (deployment.payload?.previousColor ?? undefined) as Color | undefined;
    const version = deployment.payload?.version ?? '';
    const before = await this.#readSplit();
    let target: Split = { blue: 0, green: 0 };
    if (previousColor) {
      const probe = await this.#o.router.probe(previousColor, this.#o.health);
      if (!probe.ok) throw new FlowError(`${previousColor} (the way back) is not healthy either (${probe.detail}): traffic left as it is (${describeSplit(before)})`);
      target = splitFor(previousColor, 100);
    } else {
      this.#o.log.warning(`deployment ${deployment.id} had no previous color: aborting leaves nothing routed`);
    }
    await this.#switch(before, target);
    await this.#stopQuietly(color, 'aborted', before[color] > 0);
    const traffic = previousColor ? `traffic back on ${previousColor}` : 'nothing routed';
    await this.#finish(deployment.id, 'failure', `aborted: ${traffic}`, traffic);
    return { headline: `aborted ${version} on ${color}: ${traffic}`, deploymentId: deployment.id, color: previousColor, previousColor: color, version, split: target, splitBefore: before };
  }

  /** Stops the previous color of the live deployment once keep-previous has passed since it went live. */
  async cleanup(keepPreviousMs: number, deploymentId?: number): Promise<Outcome> {
    const { records, environment } = this.#o;
    let live: DeploymentRecord | undefined;
    let liveSince: string | undefined;
    const candidates = deploymentId ? [await records.get(deploymentId)] : await records.list(environment, 1, 10);
    for (const candidate of candidates) {
      const statuses = await records.statuses(candidate.id);
      if (isGood(statuses)) {
        live = candidate;
        liveSince = statuses.find((status) => status.state === 'success')?.createdAt;
        break;
      }
      if (deploymentId) break;
    }
    const split = await this.#readSplit();
    const previousColor = (live?.payload?.previousColor ?? undefined) as Color | undefined;
    if (!live || !previousColor || !liveSince) {
      return { headline: 'nothing to clean up', noop: live ? `deployment ${live.id} has no previous color` : `no live deployment of ${environment}`, split, splitBefore: split };
    }
    const due = Date.parse(liveSince) + keepPreviousMs;
    if (this.#clock.now() < due) {
      const noop = `${previousColor} is kept until ${new Date(due).toISOString()} (keep-previous ${formatDuration(keepPreviousMs)} after deployment ${live.id} went live)`;
      this.#phase('kept', noop);
      return { headline: `${previousColor} kept for the way back`, noop, deploymentId: live.id, color: live.payload?.color as Color, previousColor, split, splitBefore: split };
    }
    if (split[previousColor] > 0) throw new FlowError(`${previousColor} still has traffic (${describeSplit(split)}): not stopping it`);
    const stopped = await this.#o.router.stop(previousColor);
    if (!stopped) this.#o.log.warning('no stop-command given: the previous color is left running');
    else this.#phase('stopped', `${previousColor} (the previous version of deployment ${live.id})`);
    return { headline: stopped ? `stopped ${previousColor}` : 'nothing stopped', deploymentId: live.id, color: live.payload?.color as Color, previousColor, split, splitBefore: split };
  }

  /**
   * The deployment to roll back: the one given, or the environment's newest. When the newest is
   * already a rollback of it, there is nothing to do: running rollback twice is harmless.
   */
  async #badDeployment(deploymentId: number | undefined): Promise<{ bad: DeploymentRecord; rolledBackBy?: DeploymentRecord }> {
    const { records, environment } = this.#o;
    const recent = await records.list(environment, 1, 30);
    const bad = deploymentId ? (recent.find((candidate) => candidate.id === deploymentId) ?? (await records.get(deploymentId))) : recent[0];
    if (!bad) throw new UserError(`no deployment of ${environment} to roll back`);
    if (!deploymentId && bad.payload?.rollbackOf) {
      const original = recent.find((candidate) => candidate.id === bad.payload?.rollbackOf) ?? (await records.get(bad.payload.rollbackOf));
      return { bad: original, rolledBackBy: bad };
    }
    const rolledBackBy = recent.find((candidate) => candidate.payload?.rollbackOf === bad.id);
    return rolledBackBy ? { bad, rolledBackBy } : { bad };
  }

  #already(bad: DeploymentRecord, by: DeploymentRecord, split: Split): Outcome {
    const noop = `deployment ${bad.id} (${bad.payload?.version ?? 'unknown version'}) was already rolled back by deployment ${by.id} (${by.payload?.version ?? 'unknown version'}): nothing to do`;
    this.#phase('nothing to do', noop);
    return { headline: 'already rolled back', noop, rolledBack: bad.id, deploymentId: by.id, color: (by.payload?.color ?? undefined) as Color | undefined, previousColor: (by.payload?.previousColor ?? undefined) as Color | undefined, version: by.payload?.version, split, splitBefore: split };
  }

  /** All traffic back to the previous color, which is still running, in one step. */
  async rollbackInstant(options: { deploymentId?: number | undefined; stopFailed: boolean }): Promise<Outcome> {
    const { records, context, environment } = this.#o;
    const { bad, rolledBackBy } = await this.#badDeployment(options.deploymentId);
    const before = await this.#readSplit();
    if (rolledBackBy) return this.#already(bad, rolledBackBy, before);
    const badColor = (bad.payload?.color ?? undefined) as Color | undefined;
    const backColor = (bad.payload?.previousColor ?? undefined) as Color | undefined;
    if (!backColor || !badColor) {
      throw new UserError(`deployment ${bad.id} has no previous color to flip back to: use mode: redeploy to deploy the last good version`);
    }
    const previousId = bad.payload?.previousDeploymentId;
    const previous = previousId ? await records.get(previousId).catch(() => undefined) : undefined;
    const backVersion = previous?.payload?.version ?? 'the previous version';
    const probe = await waitHealthy(() => this.#o.router.probe(backColor, this.#o.health), { ...this.#o.health, successes: 1 }, this.#clock);
    if (!probe.ok) {
      throw new FlowError(`${backColor} (${backVersion}) is not healthy (${probe.last.detail}): an instant rollback would send traffic to it; use mode: redeploy. Nothing was changed`);
    }
    this.#phase('healthy', `${backColor} (${backVersion}) still answers ${this.#o.health.path}`);
    // Traffic first: in an emergency every second counts, and the records cannot speed up the flip.
    const target = splitFor(backColor, 100);
    await this.#switch(before, target);
    if (options.stopFailed) await this.#stopQuietly(badColor, `${bad.payload?.version} was rolled back`, true);
    const traffic = `traffic is all on ${backColor} (${backVersion})`;
    try {
      await records.addStatus(bad.id, { state: 'failure', description: `rolled back to ${backVersion}`, logUrl: context.runUrl });
    } catch (error) {
      throw new FlowError(`${traffic}, but marking deployment ${bad.id} failed was refused: ${errorMessage(error)}`);
    }
    this.#phase('recorded', `deployment ${bad.id} (${bad.payload?.version}) marked failed: rolled back to ${backVersion}`);
    const rollback = await records
      .create(context.sha, {
        environment,
        payload: buildPayload(context, {
          version: backVersion,
          artifact: previous?.payload?.artifact,
          color: backColor,
          previousColor: badColor,
          strategy: 'bluegreen',
          router: this.#o.router.kind,
          previousDeploymentId: bad.id,
          rollbackOf: bad.id,
        }),
        description: `rollback of ${bad.id} to ${backVersion}`,
        productionEnvironment: this.#o.productionEnvironment,
        transientEnvironment: this.#o.transientEnvironment,
        requiredContexts: this.#o.requiredContexts,
      })
      .catch((error: unknown) => {
        throw new FlowError(`${traffic}, but recording the rollback deployment was refused: ${errorMessage(error)}`);
      });
    await this.#finish(rollback.id, 'success', `rolled back to ${backVersion} on ${backColor}`, traffic);
    this.#phase('recorded', `deployment ${rollback.id}: the rollback, live`);
    return { headline: `rolled back to ${backVersion} on ${backColor}`, rolledBack: bad.id, deploymentId: rollback.id, color: backColor, previousColor: badColor, version: backVersion, split: target, splitBefore: before };
  }

  /** Deploys the last good version again, with the same engine, recorded as a rollback of the bad one. */
  async rollbackRedeploy(options: { deploymentId?: number | undefined; maxDeployments: number }): Promise<Outcome> {
    const { records, context } = this.#o;
    const { bad, rolledBackBy } = await this.#badDeployment(options.deploymentId);
    if (rolledBackBy) return this.#already(bad, rolledBackBy, await this.#readSplit());
    const found = await records.findLastGood(this.#o.environment, { excludeId: bad.id, maxDeployments: options.maxDeployments });
    const good = found.deployment;
    if (!good?.payload) {
      const where = found.capped ? `among the newest ${found.examined} (raise max-deployments to look further)` : 'in its whole history';
      throw new UserError(`no earlier good deployment of ${this.#o.environment} ${where}: nothing to redeploy`);
    }
    this.#phase('last good', `deployment ${good.id}: ${good.payload.version}`);
    await records.addStatus(bad.id, { state: 'failure', description: `rolled back to ${good.payload.version}`, logUrl: context.runUrl });
    this.#phase('recorded', `deployment ${bad.id} (${bad.payload?.version ?? 'unknown'}) marked failed: rolled back to ${good.payload.version}`);
    const outcome = await this.deploy({ version: good.payload.version, artifact: good.payload.artifact ?? undefined, percent: 100, rollbackOf: bad.id, takeLock: false });
    return { ...outcome, rolledBack: bad.id, headline: `redeployed ${good.payload.version} on ${outcome.color}: rolled back from ${bad.payload?.version ?? `deployment ${bad.id}`}` };
  }
}
