import * as core from '@actions/core';
import { parseDocument } from 'yaml';
import { InputError } from './errors.ts';
import { maskSecret } from './secrets.ts';

/** Where raw input values come from: the runner's INPUT_* variables, or a plain map in tests. */
export interface InputSource {
  /** The trimmed value, or '' when the input is not set. */
  get(name: string): string;
}

/** core.getInput reads INPUT_<NAME> (upper-cased, spaces to underscores, hyphens kept) and trims it. */
export const runnerInputs: InputSource = { get: (name) => core.getInput(name) };

export function inputsFromRecord(values: Record<string, string | undefined>): InputSource {
  return { get: (name) => (values[name] ?? '').trim() };
}

const TRUE_WORDS = ['true', 'yes', 'on', '1'];
const FALSE_WORDS = ['false', 'no', 'off', '0'];

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
const DURATION_WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
export const DURATION_ACCEPTED = 'a number of seconds, or a duration such as 500ms, 30s, 5m, 1h30m';

/** Parses "30s", "5m", "1h30m", "250ms" or a bare number of seconds into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (/^\d+(?:\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  if (!DURATION_WHOLE.test(value)) return undefined;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(DURATION_PART)) {
    total += Number(amount) * (DURATION_UNITS_MS[unit as string] as number);
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`;
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]];
  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('');
}

/** Newline- or comma-separated items, trimmed, empty ones dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export interface InputOptions {
  /** Inputs whose values are credentials: masked in logs and never echoed in error messages. */
  secret?: readonly string[];
}

/**
 * Typed access to an action's inputs. Every getter validates and throws an InputError naming the
 * input, the value (hidden for secrets) and what is accepted, so an action can parse everything
 * before it sends or changes anything.
 */
export class Inputs {
  readonly #source: InputSource;
  readonly #secret: ReadonlySet<string>;

  constructor(source: InputSource = runnerInputs, options: InputOptions = {}) {
    this.#source = source;
    this.#secret = new Set(options.secret ?? []);
  }

  /** Registers every secret input's value (and its token-like parts) with the runner's log masker. */
  maskSecrets(mask: (value: string) => void = core.setSecret): void {
    for (const name of this.#secret) {
      const value = this.#source.get(name);
      if (value) maskSecret(value, mask);
    }
  }

  isSet(name: string): boolean {
    return this.#source.get(name) !== '';
  }

  /** How a value appears in an error message: quoted and shortened, or hidden for a secret. */
  shown(name: string, value: string): string {
    if (this.#secret.has(name)) return 'the value (hidden, it is a secret)';
    const short = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    return JSON.stringify(short);
  }

  fail(name: string, value: string, accepted: string): never {
    throw new InputError(name, `${this.shown(name, value)} is not accepted; expected ${accepted}`);
  }

  string(name: string): string | undefined {
    const value = this.#source.get(name);
    return value === '' ? undefined : value;
  }

  required(name: string): string {
    const value = this.#source.get(name);
    if (value === '') throw new InputError(name, 'is required but was not set');
    return value;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.#source.get(name);
    if (value === '') return fallback;
    const word = value.toLowerCase();
    if (TRUE_WORDS.includes(word)) return true;
    if (FALSE_WORDS.includes(word)) return false;
    return this.fail(name, value, `a boolean: one of ${[...TRUE_WORDS, ...FALSE_WORDS].join(', ')}`);
  }

  integer(name: string, options: { fallback?: number; min?: number; max?: number } = {}): number | undefined {
    const value = this.#source.get(name);
    if (value === '') return options.fallback;
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
    const number = Number(value);
    if (!/^-?\d+$/.test(value) || number < min || number > max) {
      return this.fail(name, value, `a whole number from ${min} to ${max}`);
    }
    return number;
  }

  /** A duration in milliseconds. */
  duration(name: string, fallback: string, options: { min?: number; max?: number } = {}): number {
    const raw = this.#source.get(name);
    const value = raw === '' ? fallback : raw;
    const ms = parseDuration(value);
    const { min = 0, max = Number.MAX_SAFE_INTEGER } = options;
    if (ms === undefined || ms < min || ms > max) {
      const range = `between ${formatDuration(min)} and ${formatDuration(max)}`;
      return this.fail(name, value, `${DURATION_ACCEPTED}, ${range}`);
    }
    return ms;
  }

  /** A percentage from 0 to 100; "25", "25%" and "12.5" are accepted. */
  percent(name: string, fallback: number): number {
    const value = this.#source.get(name);
    if (value === '') return fallback;
    const match = /^(\d+(?:\.\d+)?)\s*%?$/.exec(value);
    const number = match ? Number(match[1]) : Number.NaN;
    if (!(number >= 0 && number <= 100)) return this.fail(name, value, 'a percentage from 0 to 100, such as 10 or 12.5%');
    return number;
  }

  choice<const T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const value = this.#source.get(name);
    if (value === '') {
      if (fallback !== undefined) return fallback;
      throw new InputError(name, `is required but was not set; expected one of ${allowed.join(', ')}`);
    }
    const found = allowed.find((option) => option === value.toLowerCase());
    if (found === undefined) return this.fail(name, value, `one of ${allowed.join(', ')}`);
    return found;
  }

  list(name: string): string[] {
    return splitList(this.#source.get(name));
  }

  /** A list whose every item must be one of `allowed`; duplicates are dropped, order kept. */
  choices<const T extends string>(name: string, allowed: readonly T[], fallback: readonly T[] = []): T[] {
    const items = this.list(name);
    if (items.length === 0) return [...fallback];
    const picked: T[] = [];
    for (const item of items) {
      const found = allowed.find((option) => option === item.toLowerCase());
      if (found === undefined) {
        throw new InputError(name, `${this.shown(name, item)} is not accepted; each item must be one of ${allowed.join(', ')}`);
      }
      if (!picked.includes(found)) picked.push(found);
    }
    return picked;
  }

  /** A YAML (or JSON, which is YAML) block; errors carry the line and column. */
  yaml(name: string): unknown {
    const value = this.#source.get(name);
    if (value === '') return undefined;
    const document = parseDocument(value, { prettyErrors: true, uniqueKeys: true });
    const [first] = document.errors;
    if (first) {
      const where = first.linePos?.[0] ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}` : '';
      const reason = (first.message.split('\n')[0] ?? first.message).replace(/ at line \d+, column \d+:?$/, '');
      throw new InputError(name, `is not valid YAML or JSON${where}: ${reason}`);
    }
    return document.toJS();
  }

  /** A URL validated like url(), kept as the user wrote it (URL.href would add a trailing slash). */
  urlAsWritten(name: string): string | undefined {
    return this.url(name) && this.string(name);
  }

  /**
   * An absolute http(s) URL. Plain http is refused except for loopback hosts, so credentials never
   * cross the network in clear text while local doubles and sidecars still work.
   */
  url(name: string): URL | undefined {
    const value = this.#source.get(name);
    if (value === '') return undefined;
    const accepted = 'an https:// URL (http:// only for 127.0.0.1, ::1 or localhost)';
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return this.fail(name, value, accepted);
    }
    const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
    if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url;
    return this.fail(name, value, accepted);
  }
}
