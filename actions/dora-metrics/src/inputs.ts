import { InputError } from '../../../shared/errors.ts';
import { Inputs, runnerInputs, type InputSource } from '../../../shared/inputs.ts';
import type { TimeWindow } from './metrics.ts';

/** Every input of dora-metrics, read once and checked before anything is asked of GitHub. */

export const SECRET_INPUTS = ['github-token'] as const;

export interface DoraConfig {
  environments: string[];
  /** Empty: every service the records name. */
  services: string[];
  window: TimeWindow;
  /** The window before, of the same length: the trend is against it. */
  previous: TimeWindow;
  githubToken: string;
  outputDir: string;
  pushgateway?: { url: URL; job: string };
  summary: boolean;
}

const DAY = 86_400_000;
const WINDOW = /^(\d+)\s*(h|d|w)$/i;
const UNIT_MS: Record<string, number> = { h: 3_600_000, d: DAY, w: 7 * DAY };
export const WINDOW_ACCEPTED = 'a length such as 7d, 30d, 12w or 48h (hours, days or weeks), more than zero';

/** "30d", "12w", "48h" in milliseconds; undefined for anything else (or zero). */
export function parseWindow(text: string): number | undefined {
  const match = WINDOW.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * (UNIT_MS[(match[2] as string).toLowerCase()] as number);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

const DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const DATE_ACCEPTED = 'a date or date-time in ISO 8601 (2026-11-01, 2026-11-01T09:00:00Z); a date alone is midnight UTC';

/** A date-time in ISO 8601; a date alone (or a time without zone) is UTC. */
export function parseInstant(text: string): number | undefined {
  const value = text.trim();
  if (!DATE.test(value)) return undefined;
  const normalised = value.replace(' ', 'T');
  const zoned = /[zZ]|[+-]\d{2}:?\d{2}$/.test(normalised.slice(10)) ? normalised : normalised.length === 10 ? `${normalised}T00:00:00Z` : `${normalised}Z`;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? undefined : ms;
}

const ENVIRONMENT_NAME = /^[^\u0000-\u001f,'"`]{1,255}$/;

function instant(inputs: Inputs, name: string): number | undefined {
  const text = inputs.string(name);
  if (text === undefined) return undefined;
  const ms = parseInstant(text);
  if (ms === undefined) return inputs.fail(name, text, DATE_ACCEPTED);
  return ms;
}

export function readConfig(source: InputSource = runnerInputs, env: Record<string, string | undefined> = process.env, now: number = Date.now()): { config: DoraConfig; inputs: Inputs } {
  const inputs = new Inputs(source, { secret: SECRET_INPUTS });
  const environments = [...new Set(inputs.list('environments'))];
  if (environments.length === 0) throw new InputError('environments', 'is required: one or more environment names, comma- or newline-separated');
  for (const name of environments) if (!ENVIRONMENT_NAME.test(name)) inputs.fail('environments', name, 'environment names as GitHub shows them (1 to 255 characters, no quotes or control characters)');
  const services = [...new Set(inputs.list('services'))];

  const until = instant(inputs, 'until') ?? now;
  const since = instant(inputs, 'since');
  const windowText = inputs.string('window');
  let length: number;
  if (since !== undefined) {
    if (windowText !== undefined) throw new InputError('window', 'give either window or since (with until), not both');
    if (since >= until) throw new InputError('since', `${inputs.shown('since', inputs.string('since') ?? '')} is not before until (${new Date(until).toISOString()}); expected an earlier instant`);
    length = until - since;
  } else {
    const text = windowText ?? '30d';
    length = parseWindow(text) ?? inputs.fail('window', text, WINDOW_ACCEPTED);
  }
  const window = { since: until - length, until };

  const githubToken = inputs.required('github-token');
  const outputDir = inputs.string('output-dir') ?? `${env['RUNNER_TEMP'] ?? '.'}/dora-metrics`;
  const pushgatewayUrl = inputs.url('pushgateway-url');
  const job = inputs.string('pushgateway-job') ?? 'dora-metrics';
  if (!/^[a-zA-Z_][a-zA-Z0-9_:.-]*$/.test(job)) inputs.fail('pushgateway-job', job, 'a job name of letters, digits, _ : . - (it becomes the job label)');

  return {
    inputs,
    config: {
      environments,
      services,
      window,
      previous: { since: window.since - length, until: window.since },
      githubToken,
      outputDir,
      ...(pushgatewayUrl ? { pushgateway: { url: pushgatewayUrl, job } } : {}),
      summary: inputs.boolean('summary', true),
    },
  };
}
