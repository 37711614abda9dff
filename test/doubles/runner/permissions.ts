import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Permissions } from '../github/server.ts';
import type { Value } from './expressions.ts';

/**
 * GITHUB_TOKEN permissions as a workflow states them, and what GitHub makes of them. The scopes and
 * the levels each scope takes are read from GitHub's own workflow schema (the one
 * @actions/workflow-parser validates with), not listed by hand.
 */

export type Level = 'none' | 'read' | 'write';
export type PermissionSet = Record<string, Level>;

interface SchemaDefinition {
  mapping?: { properties?: Record<string, { type: string }> };
}

const schemaFile = join(import.meta.dirname, '../../../node_modules/@actions/workflow-parser/dist/workflow-v1.0.min.json');
const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as { definitions: Record<string, SchemaDefinition> };
const properties = schema.definitions['permissions-mapping']?.mapping?.properties ?? {};

/** Each scope and the levels it takes besides none (id-token: write only; models: read only). */
export const SCOPES: Record<string, Level[]> = Object.fromEntries(
  Object.entries(properties).map(([scope, { type }]) => [scope, type === 'permission-level-write-or-no-access' ? ['write'] : type === 'permission-level-read-or-no-access' ? ['read'] : ['read', 'write']]),
);

const rank: Record<Level, number> = { none: 0, read: 1, write: 2 };

/** read-all: read where a scope has read; write-all: write where it has write, else read (models). */
function all(level: 'read' | 'write'): PermissionSet {
  return Object.fromEntries(Object.entries(SCOPES).map(([scope, levels]) => [scope, levels.includes(level) ? level : level === 'write' && levels.includes('read') ? 'read' : 'none']));
}

function none(): PermissionSet {
  return Object.fromEntries(Object.keys(SCOPES).map((scope) => [scope, 'none' as Level]));
}

/**
 * The default for a workflow (and job) that declares no permissions: the "restricted" setting,
 * contents and packages read (metadata read is implied for every token). GitHub made it the default
 * for new enterprises, organisations and repositories on 2023-02-02 ("Updating the default
 * GITHUB_TOKEN permissions to read-only", GitHub changelog; the GITHUB_TOKEN reference's table of
 * default access). Older repositories may still have the permissive setting (read/write for all):
 * pass `defaultPermissions: 'permissive'` to the runner double to model one.
 */
export function defaultPermissions(setting: 'restricted' | 'permissive' = 'restricted'): PermissionSet {
  if (setting === 'permissive') {
    const permissive = all('write');
    // id-token is never granted by default; the read-only scopes stay read.
    permissive['id-token'] = 'none';
    return permissive;
  }
  return { ...none(), contents: 'read', packages: 'read' };
}

/**
 * `permissions:` as written: read-all, write-all, {} (nothing) or a mapping where every scope not
 * named is none.
 */
export function parsePermissions(value: Value): PermissionSet {
  if (value === 'read-all') return all('read');
  if (value === 'write-all') return all('write');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`permissions: ${JSON.stringify(value)} is not read-all, write-all or a mapping`);
  const result = none();
  for (const [scope, level] of Object.entries(value)) {
    if (!(scope in SCOPES)) throw new Error(`permissions: unknown scope ${scope}`);
    if (level !== 'read' && level !== 'write' && level !== 'none') throw new Error(`permissions: ${scope}: ${String(level)} is not read, write or none`);
    result[scope] = level;
  }
  return result;
}

/** The scopes where `requested` asks for more than `allowed`. */
export function excess(requested: PermissionSet, allowed: PermissionSet): Array<{ scope: string; requested: Level; allowed: Level }> {
  return Object.entries(requested)
    .filter(([scope, level]) => rank[level] > rank[allowed[scope] ?? 'none'])
    .map(([scope, level]) => ({ scope, requested: level, allowed: allowed[scope] ?? 'none' }));
}

/** A job's token for the GitHub double: the scopes it has (read or write), metadata read always. */
export function tokenScopes(set: PermissionSet): Permissions {
  const scopes: Permissions = { metadata: 'read' };
  for (const [scope, level] of Object.entries(set)) if (level !== 'none') scopes[scope] = level;
  return scopes;
}

/** Only what is not none, for transcripts and messages. */
export function describePermissions(set: PermissionSet): Record<string, Level> {
  return Object.fromEntries(Object.entries(set).filter(([, level]) => level !== 'none'));
}
