import { isDeepStrictEqual } from 'node:util';
import type { Value } from './expressions.ts';

/**
 * strategy.matrix as GitHub expands it (workflow syntax, "jobs.<job_id>.strategy.matrix"): the
 * cross product of the keys in the order written, then `exclude` (an entry removes every
 * combination it matches on the keys it names), then `include`: an entry is merged into every
 * combination whose original matrix values it does not overwrite (values added by an earlier
 * include may be overwritten), and becomes a combination of its own when it fits none. At most 256.
 */

export type Combination = Record<string, Value>;

export const MAX_MATRIX_JOBS = 256;

export function expandMatrix(matrix: Record<string, Value>): Combination[] {
  const { include = [], exclude = [], ...axes } = matrix as Record<string, Value> & { include?: Value; exclude?: Value };
  if (!Array.isArray(include) || !Array.isArray(exclude)) throw new Error('strategy.matrix: include and exclude must be sequences');
  for (const [key, values] of Object.entries(axes)) {
    if (!Array.isArray(values)) throw new Error(`strategy.matrix.${key}: a matrix key takes a sequence of values`);
    if (values.length === 0) throw new Error(`strategy.matrix.${key}: a matrix key needs at least one value`);
  }
  let combinations: Combination[] = Object.keys(axes).length === 0 ? [] : [{}];
  for (const [key, values] of Object.entries(axes)) {
    combinations = combinations.flatMap((combination) => (values as Value[]).map((value) => ({ ...combination, [key]: value })));
  }
  const matches = (combination: Combination, partial: Record<string, Value>) => Object.entries(partial).every(([key, value]) => isDeepStrictEqual(combination[key], value));
  for (const entry of exclude) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new Error('strategy.matrix.exclude: each entry is a mapping');
    combinations = combinations.filter((combination) => !matches(combination, entry));
  }
  const originals = combinations.map((combination) => ({ ...combination }));
  const additions: Combination[] = [];
  for (const entry of include) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new Error('strategy.matrix.include: each entry is a mapping');
    let merged = false;
    combinations.forEach((combination, index) => {
      const original = originals[index] as Combination;
      const overwrites = Object.entries(entry).some(([key, value]) => key in original && !isDeepStrictEqual(original[key], value));
      if (overwrites) return;
      Object.assign(combination, entry);
      merged = true;
    });
    if (!merged) additions.push({ ...entry });
  }
  const result = [...combinations, ...additions];
  if (result.length > MAX_MATRIX_JOBS) throw new Error(`strategy.matrix: ${result.length} jobs, GitHub allows at most ${MAX_MATRIX_JOBS}`);
  return result;
}

/** "build (linux, 20)": the job's name with the combination's values, as GitHub names matrix jobs. */
export function matrixJobName(name: string, combination: Combination): string {
  const values = Object.values(combination).map((value) => (value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value)));
  return values.length === 0 ? name : `${name} (${values.join(', ')})`;
}
