import { UserError } from '../../errors.ts';
import { RouterError, type Split } from '../traffic.ts';
import { HostedRouter, lastLines, type HostedOptions } from './hosted.ts';

/**
 * The user's own commands, for targets we do not know: route-command sets the split (BLUE_WEIGHT,
 * GREEN_WEIGHT, and COLOR/PERCENT for the color gaining traffic); state-command, when given, prints the
 * current split ("blue=90 green=10"); without it the split comes from the deployment records.
 */

export interface CommandRouterOptions extends HostedOptions {
  routeCommand: string;
  stateCommand?: string | undefined;
  /** The split our records say is in force, for targets that cannot tell. */
  recordedSplit: () => Promise<Split>;
}

/** "blue=90 green=10", "blue=90,green=10" or {"blue":90,"green":10}. */
export function parseStateOutput(text: string): Split | undefined {
  const trimmed = text.trim();
  try {
    const parsed = JSON.parse(trimmed) as Partial<Split>;
    if (typeof parsed.blue === 'number' && typeof parsed.green === 'number') return { blue: parsed.blue, green: parsed.green };
  } catch {
    // Not JSON: try key=value pairs.
  }
  const blue = /\bblue\s*=\s*(\d+(?:\.\d+)?)/.exec(trimmed)?.[1];
  const green = /\bgreen\s*=\s*(\d+(?:\.\d+)?)/.exec(trimmed)?.[1];
  return blue === undefined || green === undefined ? undefined : { blue: Number(blue), green: Number(green) };
}

export class CommandRouter extends HostedRouter {
  readonly kind = 'command';
  readonly #command: CommandRouterOptions;

  constructor(options: CommandRouterOptions) {
    super(options);
    this.#command = options;
  }

  async read(): Promise<Split> {
    if (!this.#command.stateCommand) return this.#command.recordedSplit();
    const result = await this.host.shell(this.#command.stateCommand, { ENVIRONMENT: this.options.environment });
    const split = result.exitCode === 0 ? parseStateOutput(result.stdout) : undefined;
    if (!split) {
      throw new UserError(`state-command exited with ${result.exitCode} and printed ${JSON.stringify(lastLines(result.stdout))}; expected "blue=<percent> green=<percent>"`);
    }
    return split;
  }

  async apply(split: Split, _current: Split): Promise<void> {
    const gaining = split.green >= split.blue ? 'green' : 'blue';
    const result = await this.host.shell(this.#command.routeCommand, {
      ENVIRONMENT: this.options.environment,
      BLUE_WEIGHT: String(split.blue),
      GREEN_WEIGHT: String(split.green),
      COLOR: gaining,
      PERCENT: String(split[gaining]),
    });
    if (result.exitCode !== 0) {
      // We cannot know what a failed command left behind; the engine re-applies the previous split.
      throw new RouterError(`route-command exited with ${result.exitCode}: ${lastLines(result.stderr || result.stdout)}`, false);
    }
  }
}
