import type { GitHubDouble } from '../doubles/github/server.ts';
import { DEFAULT_TOKEN } from '../doubles/github/server.ts';
import { ActionHarness } from '../harness/run-action.ts';

/**
 * A dora-metrics summary of the deployments a GitHub double holds (the demo's, a test stage's):
 * the action runs from its bundle against the double, as a workflow step would at the end of the
 * run, and its job summary, chat digest and figures come back. Lead time needs the deployed
 * commits in `github.git` (with their dates); without them the summary says so and counts none.
 *
 *   const { summary } = await doraSummary(stage.github);
 *   console.log(summary);
 */
export async function doraSummary(
  github: GitHubDouble,
  options: { environments?: string[]; window?: string; until?: Date; harness?: ActionHarness } = {},
): Promise<{ exitCode: number; summary: string; report: string; metrics: unknown; log: string }> {
  const harness = options.harness ?? new ActionHarness();
  try {
    const { main } = await harness.run('dora-metrics', {
      inputs: {
        environments: (options.environments ?? ['production']).join(', '),
        window: options.window ?? '1d',
        ...(options.until ? { until: options.until.toISOString() } : {}),
      },
      github: { apiUrl: github.apiUrl, token: DEFAULT_TOKEN, repository: `${github.owner}/${github.repo}` },
    });
    return { exitCode: main.exitCode, summary: main.summary, report: main.outputs['report'] ?? '', metrics: main.outputs['metrics'] ? JSON.parse(main.outputs['metrics']) : undefined, log: main.log };
  } finally {
    if (!options.harness) harness.cleanup();
  }
}
