import { DefaultArtifactClient } from '@actions/artifact';

/**
 * The edge to GitHub's artifact service, through @actions/artifact itself. A library bundle of its
 * own (dist/artifact/), loaded only when a SARIF upload falls back to an artifact: the Azure SDK it
 * brings is megabytes a scan that needs none of it should not parse.
 */
export async function uploadArtifact(name: string, files: string[], rootDirectory: string): Promise<{ id: number; size: number }> {
  const result = await new DefaultArtifactClient().uploadArtifact(name, files, rootDirectory);
  return { id: result.id ?? 0, size: result.size ?? 0 };
}
