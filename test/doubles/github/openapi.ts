import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * GitHub's published OpenAPI description (package @octokit/openapi, api.github.com.json) as the
 * GitHub double's oracle: which method + path exist, what a request body must hold, and what a
 * response looks like. Nothing here is written by hand.
 */

const require = createRequire(import.meta.url);
export const OPENAPI_FILE = require.resolve('@octokit/openapi/generated/api.github.com.json');

interface Operation {
  operationId: string;
  requestBody?: { required?: boolean; content?: Record<string, unknown> };
  responses?: Record<string, { $ref?: string; content?: Record<string, { example?: unknown; examples?: Record<string, unknown> }> }>;
  externalDocs?: { url?: string };
}

interface Spec {
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}

export interface Route {
  method: string;
  template: string;
  operationId: string;
  documentationUrl: string;
  params: string[];
  pattern: RegExp;
  literalSegments: number;
  hasJsonBody: boolean;
  bodyRequired: boolean;
  responseStatuses: string[];
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

export interface BodyProblem {
  field: string;
  code: 'missing_field' | 'invalid';
  message: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head'];

/**
 * OpenAPI 3.0's `nullable` in JSON Schema terms, as Ajv needs it: without `type` it becomes
 * anyOf [schema, null]; beside an `enum` it adds null to the enum.
 */
function translateNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(translateNullable);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = translateNullable(value);
  if (out['nullable'] === true && Array.isArray(out['enum']) && !out['enum'].includes(null)) {
    // GitHub writes nullable enums without null in the list, and its API does answer null there
    // (a queued check run's conclusion).
    out['enum'] = [...out['enum'], null];
  }
  if (out['nullable'] === true && out['type'] === undefined) {
    delete out['nullable'];
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

function pointer(template: string, method: string): string {
  return `openapi#/paths/${template.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}`;
}

export class GitHubOpenApi {
  readonly routes: Route[];
  readonly version: string;
  readonly #spec: Spec;
  readonly #ajv: Ajv;
  readonly #validators = new Map<string, ValidateFunction>();

  constructor(file = OPENAPI_FILE) {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Spec;
    const spec: Spec = { ...raw, paths: translateNullable(raw.paths) as Spec['paths'], components: translateNullable(raw.components) as Spec['components'] };
    this.#spec = spec;
    this.version = spec.info.version;
    this.#ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    this.#ajv.addSchema(spec, 'openapi');
    this.routes = [];
    for (const [template, item] of Object.entries(spec.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const segments = template.split('/').slice(1);
        const params = segments.flatMap((segment) => [...segment.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] as string));
        const source = segments
          .map((segment) => segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '([^/]+)'))
          .join('/');
        this.routes.push({
          method: method.toUpperCase(),
          template,
          operationId: operation.operationId,
          documentationUrl: operation.externalDocs?.url ?? 'https://docs.github.com/rest',
          params,
          pattern: new RegExp(`^/${source}$`),
          literalSegments: segments.filter((segment) => !segment.includes('{')).length,
          hasJsonBody: Boolean(operation.requestBody?.content?.['application/json']),
          bodyRequired: Boolean(operation.requestBody?.required),
          responseStatuses: Object.keys(operation.responses ?? {}),
        });
      }
    }
    // A literal segment beats a parameter: /issues/comments is not /issues/{issue_number}.
    this.routes.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  match(method: string, path: string): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method.toUpperCase()) continue;
      const found = route.pattern.exec(path);
      if (!found) continue;
      const params: Record<string, string> = {};
      route.params.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1] as string);
      });
      return { route, params };
    }
    return undefined;
  }

  /** True when some method is defined for the path (so a wrong method is 404 like GitHub, but noted differently). */
  knowsPath(path: string): boolean {
    return this.routes.some((route) => route.pattern.test(path));
  }

  #validator(key: string, ref: string): ValidateFunction {
    let validate = this.#validators.get(key);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: ref });
      this.#validators.set(key, validate);
    }
    return validate;
  }

  /** Problems with a request body under the operation's JSON schema, GitHub-style (field + code). */
  checkBody(route: Route, body: unknown): BodyProblem[] {
    if (!route.hasJsonBody) return [];
    if (body === undefined) {
      return route.bodyRequired ? [{ field: '(body)', code: 'missing_field', message: 'a JSON body is required' }] : [];
    }
    const ref = `${pointer(route.template, route.method.toLowerCase())}/requestBody/content/application~1json/schema`;
    const validate = this.#validator(`req ${route.method} ${route.template}`, ref);
    if (validate(body)) return [];
    return describe(validate.errors ?? [], body);
  }

  #resolve<T>(node: T): T {
    let current: unknown = node;
    while (current !== null && typeof current === 'object' && typeof (current as { $ref?: unknown }).$ref === 'string') {
      const parts = ((current as { $ref: string }).$ref.slice(2)).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
      current = parts.reduce<unknown>((at, part) => (at as Record<string, unknown>)[part], this.#spec);
    }
    return current as T;
  }

  /** A fresh copy of GitHub's own example response for an operation and status. */
  example(route: Route, status: number): unknown {
    const operation = this.#spec.paths[route.template]?.[route.method.toLowerCase()];
    const response = this.#resolve(operation?.responses?.[String(status)]);
    const content = response?.content?.['application/json'];
    if (!content) return undefined;
    const first = content.examples ? this.#resolve(Object.values(content.examples)[0] as { value?: unknown }) : undefined;
    return structuredClone(first?.value ?? content.example);
  }

  /** Problems with a response the double sends, so the double stays as GitHub documents it. */
  checkResponse(route: Route, status: number, body: unknown): string[] {
    const content = `${pointer(route.template, route.method.toLowerCase())}/responses/${status}/content/application~1json/schema`;
    if (!route.responseStatuses.includes(String(status))) return [`status ${status} is not documented for ${route.method} ${route.template}`];
    let validate: ValidateFunction;
    try {
      validate = this.#validator(`res ${status} ${route.method} ${route.template}`, content);
    } catch {
      return []; // No JSON body documented for this status (e.g. 204).
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).slice(0, 5).map((error) => `${error.instancePath || '(root)'} ${error.message ?? ''}`);
  }
}

/**
 * Ajv's errors, reduced to what GitHub's 422 says: the field and whether it was missing or invalid.
 * Under oneOf/anyOf Ajv reports one error per branch; the field is the same, so duplicates collapse.
 */
function describe(errors: ErrorObject[], body: unknown): BodyProblem[] {
  const problems = new Map<string, BodyProblem>();
  for (const error of errors) {
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf' || error.keyword === 'if') continue;
    const base = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
    if (error.keyword === 'required') {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const field = base ? `${base}.${missing}` : missing;
      problems.set(field, { field, code: 'missing_field', message: `"${field}" wasn't supplied` });
    } else {
      const field = base || '(body)';
      if (!problems.has(field)) {
        problems.set(field, { field, code: 'invalid', message: `${JSON.stringify(valueAt(body, error.instancePath))} is not a valid value for "${field}": ${error.message ?? ''}` });
      }
    }
  }
  return [...problems.values()];
}

function valueAt(body: unknown, instancePath: string): unknown {
  let current = body;
  for (const key of instancePath.split('/').slice(1)) {
    current = current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[key] : undefined;
  }
  return current;
}

let shared: GitHubOpenApi | undefined;

/** One parsed description per process: parsing the 13 MB file costs about 300 ms. */
export function gitHubOpenApi(): GitHubOpenApi {
  shared ??= new GitHubOpenApi();
  return shared;
}
