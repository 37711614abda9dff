import { dirname, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { errorMessage } from '../../../shared/errors.ts';
import { loadLibrary } from '../../../shared/library.ts';
import type { GitHubClient } from '../../../shared/github.ts';
import { isRequestError } from '../../../shared/github.ts';
import type { RunContext } from '../../../shared/context.ts';

/** Why code scanning cannot take this upload, before trying; undefined when it can. */
export function uploadBlocked(context: RunContext): string | undefined {
  const pr = context.event['pull_request'] as { head?: { repo?: { full_name?: string } | null } } | undefined;
  const head = pr?.head?.repo?.full_name;
  if (pr && head !== context.repository) return `this pull request comes from ${head ?? 'a deleted fork'}, and a fork's token cannot upload to code scanning`;
  return undefined;
}

export function encodeSarif(sarif: unknown): string {
  return gzipSync(Buffer.from(JSON.stringify(sarif))).toString('base64');
}

export type UploadOutcome = { uploaded: true; id: string } | { uploaded: false; reason: string };

/**
 * POST /repos/{owner}/{repo}/code-scanning/sarifs. A 403 or 404 (no code scanning on this repository,
 * or a token without security-events: write) is an outcome, not a failure: the caller falls back to
 * the summary and the SARIF file.
 */
export async function uploadSarif(client: GitHubClient, context: RunContext, sarif: unknown, category: string): Promise<UploadOutcome> {
  const pr = context.event['pull_request'] as { number?: number; head?: { sha?: string } } | undefined;
  const commitSha = pr?.head?.sha ?? context.sha;
  const ref = pr?.number ? `refs/pull/${pr.number}/head` : context.ref;
  try {
    const response = await client.request('POST /repos/{owner}/{repo}/code-scanning/sarifs', {
      owner: context.owner,
      repo: context.repo,
      commit_sha: commitSha,
      ref,
      sarif: encodeSarif(sarif),
      tool_name: category,
      started_at: new Date().toISOString(),
    });
    return { uploaded: true, id: String((response.data as { id?: string }).id ?? '') };
  } catch (error) {
    if (isRequestError(error) && (error.status === 403 || error.status === 404)) {
      return { uploaded: false, reason: `GitHub answered ${error.status} (code scanning is not enabled on this repository, or the token lacks security-events: write)` };
    }
    throw error;
  }
}

/** The deepest folder holding every one of `paths` (absolute): an artifact's root must contain its files. */
export function commonFolder(paths: string[]): string {
  const split = paths.map((path) => dirname(path).split(sep));
  const first = split[0] ?? [];
  let depth = 0;
  while (depth < first.length && split.every((parts) => parts[depth] === first[depth])) depth += 1;
  return first.slice(0, depth).join(sep) || sep;
}

/** An artifact name GitHub accepts: none of " : < > | * ? \ / or line breaks. */
export function artifactName(category: string, job: string | undefined): string {
  return [category, job].filter(Boolean).join('-').replace(/["':<>|*?\\/\r\n]+/g, '-');
}

export type ArtifactOutcome = { kept: true; name: string } | { kept: false; reason: string };

/**
 * Where code scanning cannot take the SARIF, it (and the JSON report) is kept as an artifact of the
 * run, downloadable from the run's page. Never throws: the caller says what happened in a notice.
 */
export async function keepAsArtifact(files: string[], name: string, env: NodeJS.ProcessEnv = process.env): Promise<ArtifactOutcome> {
  if (!env['ACTIONS_RUNTIME_TOKEN'] || !env['ACTIONS_RESULTS_URL']) return { kept: false, reason: 'no artifact service here (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL exist only inside a job)' };
  try {
    const library = await loadLibrary<typeof import('./artifact-client.ts')>('artifact', './artifact-client.ts', import.meta.url);
    await library.uploadArtifact(name, files, commonFolder(files));
    return { kept: true, name };
  } catch (error) {
    return { kept: false, reason: errorMessage(error) };
  }
}
