import type { HealthCheck, ProbeResult } from './health.ts';
import type { CommandResult } from './host.ts';

/** Blue-green traffic: two colors, a split between them, and what a router must do with it. */

export const COLORS = ['blue', 'green'] as const;
export type Color = (typeof COLORS)[number];

/** Percent of traffic per color: summing to 100, or both 0 when nothing is routed yet. */
export interface Split {
  blue: number;
  green: number;
}

export type TrafficState =
  | { kind: 'none' }
  | { kind: 'single'; active: Color }
  | { kind: 'split'; primary: Color; split: Split };

export function otherColor(color: Color): Color {
  return color === 'blue' ? 'green' : 'blue';
}

/** `percent` to the new color, the rest to the other one. */
export function splitFor(newColor: Color, percent: number): Split {
  const rounded = Math.round(percent * 100) / 100;
  return newColor === 'blue' ? { blue: rounded, green: 100 - rounded } : { blue: 100 - rounded, green: rounded };
}

/** Raw router weights (HAProxy's 0-256, nginx's weights) as percentages. */
export function normalize(weights: Split): Split {
  const total = weights.blue + weights.green;
  if (total <= 0) return { blue: 0, green: 0 };
  const blue = Math.round((weights.blue / total) * 10_000) / 100;
  return { blue, green: Math.round((100 - blue) * 100) / 100 };
}

export function classify(split: Split): TrafficState {
  if (split.blue <= 0 && split.green <= 0) return { kind: 'none' };
  if (split.green <= 0) return { kind: 'single', active: 'blue' };
  if (split.blue <= 0) return { kind: 'single', active: 'green' };
  return { kind: 'split', primary: split.blue >= split.green ? 'blue' : 'green', split };
}

export function describeSplit(split: Split): string {
  if (split.blue <= 0 && split.green <= 0) return 'no traffic routed';
  return `blue ${split.blue}% / green ${split.green}%`;
}

export function sameSplit(a: Split, b: Split): boolean {
  return Math.abs(a.blue - b.blue) < 0.01 && Math.abs(a.green - b.green) < 0.01;
}

export interface Endpoint {
  host: string;
  port: number;
}

/**
 * A router moves traffic between the colors, and (for most routers) starts and stops them. Each
 * reads its state from the target itself, never from our records, so a hand-made change is seen.
 */
export interface Router {
  readonly kind: string;
  /** The split as the target has it now. */
  read(): Promise<Split>;
  /**
   * Sets the split, given the split in force now (the caller has just read it); when it fails, the
   * current split must still be in force (or the error says not).
   */
  apply(split: Split, current: Split): Promise<void>;
  /** Starts `version` on `color` (start-command, or applying manifests). */
  start(color: Color, version: string, artifact: string | undefined): Promise<void>;
  /** Stops `color`; false when there is nothing configured to stop it with. */
  stop(color: Color): Promise<boolean>;
  /** Where the color answers health probes, as seen from the router's host. */
  endpoint(color: Color): Promise<Endpoint>;
  /** Waits until the router itself considers the color routable (HAProxy's own checks); no-op elsewhere. */
  ready(color: Color, timeoutMs: number): Promise<void>;
  /** The user's smoke test against the color, run where the colors run. */
  smoke(color: Color, version: string, command: string): Promise<CommandResult>;
  /** A probe of the color, directly, not through the router. */
  probe(color: Color, check: HealthCheck): Promise<ProbeResult>;
  close(): Promise<void>;
}

const ROUTER_ERROR = Symbol.for('deploy-actions.router-error');

/**
 * A refused or failed routing step; `restored` tells whether the previous split is back in force.
 * Branded like UserError: routers loaded from their own bundles throw their own copy of the class.
 */
export class RouterError extends Error {
  override name = 'RouterError';
  readonly restored: boolean;
  readonly [ROUTER_ERROR] = true;

  constructor(message: string, restored: boolean) {
    super(message);
    this.restored = restored;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ROUTER_ERROR] === true;
  }
}
