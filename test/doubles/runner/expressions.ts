import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import { FunctionCall, type Expr } from '@actions/expressions/ast';
import { create as createGlobber } from '@actions/glob';
import { workflowParser, type TemplateToken } from './parser.ts';

/**
 * Every `${{ }}` the runner double meets is evaluated here, by GitHub's own expression engine
 * (@actions/expressions: its lexer, parser and evaluator, with GitHub's coercions and built-in
 * functions). What the package leaves to its host is supplied as GitHub defines it: the status
 * functions (success, failure, cancelled, always) and hashFiles. Which contexts and functions exist at
 * a place is what GitHub's workflow schema says for it (the `context` list the parser attaches to every
 * expression token), so an expression using a context that is not available there is refused, as
 * GitHub refuses it.
 */

/** A plain JavaScript value as expressions see it. */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

export interface StatusFunctions {
  success(): boolean;
  failure(): boolean;
  cancelled(): boolean;
}

export interface Scope {
  /** Context values by name (github, env, inputs...); a context that is allowed but absent is an empty object. */
  contexts: Record<string, unknown>;
  status?: StatusFunctions;
  /** GITHUB_WORKSPACE, for hashFiles. */
  workspace?: string;
}

export class ExpressionFailure extends Error {}

/** JavaScript → the package's data types (Dictionary takes spread {key, value} pairs). */
export function toData(value: unknown): data.ExpressionData {
  if (value === null || value === undefined) return new data.Null();
  if (typeof value === 'string') return new data.StringData(value);
  if (typeof value === 'number') return new data.NumberData(value);
  if (typeof value === 'boolean') return new data.BooleanData(value);
  if (Array.isArray(value)) return new data.Array(...value.map(toData));
  if (typeof value === 'object') return new data.Dictionary(...Object.entries(value as Record<string, unknown>).map(([key, item]) => ({ key, value: toData(item) })));
  return new data.StringData(String(value));
}

export function fromData(value: data.ExpressionData | undefined): Value {
  if (value === undefined) return null;
  switch (value.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.String:
      return (value as data.StringData).value;
    case data.Kind.Number:
      return (value as data.NumberData).value;
    case data.Kind.Boolean:
      return (value as data.BooleanData).value;
    case data.Kind.Array:
      return (value as data.Array).values().map(fromData);
    default:
      return Object.fromEntries((value as data.Dictionary).pairs().map((pair) => [pair.key, fromData(pair.value)]));
  }
}

/** GitHub's conversion to a string: null → '', booleans → 'true'/'false', numbers to 15 digits, objects → 'Object'. */
export function asString(value: Value | undefined): string {
  return toData(value).coerceString();
}

/** GitHub's truthiness: false, 0, -0, NaN, '' and null are falsy; everything else (also 'false') is truthy. */
export function truthy(value: Value | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') return value.length > 0;
  return true;
}

interface Allowed {
  contexts: string[];
  functions: Array<{ name: string; minArgs: number; maxArgs: number }>;
}

/** The schema's `context` list: names, and functions written name(min,max). */
export function splitAllowed(allowed: readonly string[]): Allowed {
  const result: Allowed = { contexts: [], functions: [] };
  for (const item of allowed) {
    const match = /^([a-zA-Z0-9_]+)\(([0-9]+),([0-9]+|MAX)\)$/.exec(item);
    if (match) result.functions.push({ name: match[1] as string, minArgs: Number(match[2]), maxArgs: match[3] === 'MAX' ? Number.MAX_SAFE_INTEGER : Number(match[3]) });
    else result.contexts.push(item);
  }
  return result;
}

function parse(expression: string, allowed: Allowed): Expr {
  try {
    return new Parser(new Lexer(expression).lex().tokens, allowed.contexts, allowed.functions).parse();
  } catch (error) {
    throw new ExpressionFailure(`The expression is not valid: ${expression}: ${(error as Error).message}`);
  }
}

function functionCalls(node: unknown, found: FunctionCall[] = []): FunctionCall[] {
  if (node === null || typeof node !== 'object') return found;
  if (node instanceof FunctionCall) found.push(node);
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) for (const item of value) functionCalls(item, found);
    else if (value !== null && typeof value === 'object' && 'accept' in value) functionCalls(value, found);
  }
  return found;
}

/**
 * hashFiles as the runner computes it: the files the patterns match under the workspace (`!`
 * excludes), each file's SHA-256 digest fed in match order into one SHA-256; '' when nothing matches.
 */
export async function hashFiles(patterns: string[], workspace: string): Promise<string> {
  const rooted = patterns.map((pattern) => {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    return `${negated ? '!' : ''}${isAbsolute(body) ? body : join(workspace, body)}`;
  });
  // The globber logs its options as ::debug:: workflow commands on stdout (it expects to run inside
  // an action); here that would only be noise in the test's output.
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    String(chunk).startsWith('::debug::') ? true : (write as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest)) as typeof process.stdout.write;
  try {
    const globber = await createGlobber(rooted.join('\n'), { followSymbolicLinks: true, implicitDescendants: true });
    const result = createHash('sha256');
    let matched = 0;
    for await (const file of globber.globGenerator()) {
      if (!file.startsWith(`${workspace}${sep}`) || statSync(file).isDirectory()) continue;
      const hash = createHash('sha256');
      await pipeline(createReadStream(file), hash);
      result.write(hash.digest());
      matched += 1;
    }
    result.end();
    return matched > 0 ? result.digest('hex') : '';
  } finally {
    process.stdout.write = write;
  }
}

interface HostFunction {
  name: string;
  minArgs: number;
  maxArgs: number;
  call: (...args: data.ExpressionData[]) => data.ExpressionData;
}

function functionsFor(scope: Scope, hashed: Map<string, string>): Map<string, HostFunction> {
  const status = scope.status ?? { success: () => true, failure: () => false, cancelled: () => false };
  const constant = (name: string, value: () => boolean): HostFunction => ({ name, minArgs: 0, maxArgs: Number.MAX_SAFE_INTEGER, call: () => new data.BooleanData(value()) });
  return new Map<string, HostFunction>([
    ['success', constant('success', () => status.success())],
    ['failure', constant('failure', () => status.failure())],
    ['cancelled', constant('cancelled', () => status.cancelled())],
    ['always', constant('always', () => true)],
    [
      'hashfiles',
      {
        name: 'hashFiles',
        minArgs: 1,
        maxArgs: 255,
        call: (...args: data.ExpressionData[]) => new data.StringData(hashed.get(JSON.stringify(args.map((arg) => arg.coerceString()))) ?? ''),
      },
    ],
  ]);
}

function contextData(allowed: Allowed, scope: Scope): data.Dictionary {
  const contexts = new data.Dictionary();
  for (const name of allowed.contexts) contexts.add(name, toData(scope.contexts[name] ?? {}));
  return contexts;
}

/** Evaluates one expression (without `${{ }}`) where the schema allows `allowed`. */
export async function evaluateExpression(expression: string, allowed: readonly string[], scope: Scope): Promise<Value> {
  const split = splitAllowed(allowed);
  const tree = parse(expression, split);
  const contexts = contextData(split, scope);
  // hashFiles reads files: its arguments are evaluated first and the hashes computed, so the
  // evaluator (synchronous) finds them ready.
  const hashed = new Map<string, string>();
  for (const call of functionCalls(tree)) {
    if (call.functionName.lexeme.toLowerCase() !== 'hashfiles') continue;
    if (!scope.workspace) throw new ExpressionFailure('hashFiles is only available in steps (there is no workspace here)');
    const args = call.args.map((arg) => new Evaluator(arg, contexts, functionsFor(scope, hashed)).evaluate().coerceString());
    hashed.set(JSON.stringify(args), await hashFiles(args, scope.workspace));
  }
  try {
    return fromData(new Evaluator(tree, contexts, functionsFor(scope, hashed)).evaluate());
  } catch (error) {
    throw new ExpressionFailure(`Error evaluating ${expression}: ${(error as Error).message}`);
  }
}

/** The same, for places where no file is read (hashFiles refused): post-if in the harness. */
export function evaluateExpressionSync(expression: string, allowed: readonly string[], scope: Scope): Value {
  const split = splitAllowed(allowed);
  const tree = parse(expression, split);
  if (functionCalls(tree).some((call) => call.functionName.lexeme.toLowerCase() === 'hashfiles')) throw new ExpressionFailure('hashFiles needs the asynchronous evaluation');
  return fromData(new Evaluator(tree, contextData(split, scope), functionsFor(scope, new Map())).evaluate());
}

const { isBasicExpression, isBoolean, isMapping, isNumber, isSequence, isString } = workflowParser;

/** The contexts the schema allows for this token (attached by the parser), or `fallback`. */
export function allowedFor(token: TemplateToken, fallback: readonly string[] = []): readonly string[] {
  return token.definitionInfo?.allowedContext ?? fallback;
}

/**
 * A template value: literals as they are, `${{ }}` evaluated (a value that is one whole expression
 * keeps its type; text around expressions was already turned into format() by the parser, so it is
 * a string), mappings and sequences evaluated item by item.
 */
export async function evaluateToken(token: TemplateToken | undefined, scope: Scope, fallback: readonly string[] = []): Promise<Value> {
  if (token === undefined) return null;
  if (isBasicExpression(token)) return evaluateExpression(token.expression, allowedFor(token, fallback), scope);
  if (isString(token)) return token.value;
  if (isNumber(token)) return token.value;
  if (isBoolean(token)) return token.value;
  if (isSequence(token)) {
    const items: Value[] = [];
    for (const item of token) items.push(await evaluateToken(item, scope, fallback));
    return items;
  }
  if (isMapping(token)) {
    const result: Record<string, Value> = {};
    for (const pair of token) result[asString(await evaluateToken(pair.key, scope, fallback))] = await evaluateToken(pair.value, scope, fallback);
    return result;
  }
  if (token.isExpression) throw new ExpressionFailure('${{ insert }} is not modelled by the runner double');
  return null;
}

/** A mapping's value by key, as the token (undefined when absent or not a mapping). */
export function entry(token: TemplateToken | undefined, key: string): TemplateToken | undefined {
  if (!token || !isMapping(token)) return undefined;
  for (const pair of token) if (isString(pair.key) && pair.key.value === key) return pair.value;
  return undefined;
}

export function entries(token: TemplateToken | undefined): Array<[string, TemplateToken]> {
  if (!token || !isMapping(token)) return [];
  const result: Array<[string, TemplateToken]> = [];
  for (const pair of token) if (isString(pair.key)) result.push([pair.key.value, pair.value]);
  return result;
}

/** The literal text of a scalar token (no evaluation), for keys and static fields like `uses`. */
export function literal(token: TemplateToken | undefined): string | undefined {
  if (!token) return undefined;
  if (isString(token)) return token.value;
  if (isNumber(token) || isBoolean(token)) return String(token.value);
  return undefined;
}

const workflowSchema = JSON.parse(readFileSync(join(import.meta.dirname, '../../../node_modules/@actions/workflow-parser/dist/workflow-v1.0.min.json'), 'utf8')) as { definitions: Record<string, { context?: string[] }> };

/** The contexts GitHub's workflow schema allows for a definition (job-if, step-if...), for tokens the parser made itself. */
export function schemaContext(definition: string): readonly string[] {
  const context = workflowSchema.definitions[definition]?.context;
  if (!context) throw new Error(`the workflow schema has no context list for ${definition}`);
  return context;
}
