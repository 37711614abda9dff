import { loadLibrary } from '../../../shared/library.ts';
import type { CacheClient } from './cache-client.ts';

/** @actions/cache and the Azure SDK it brings are one library bundle (dist/cache/) for the main, post and save bundles. */
export async function loadCacheClient(): Promise<CacheClient> {
  const library = await loadLibrary<typeof import('./cache-client.ts')>('cache', './cache-client.ts', import.meta.url);
  return library.actionsCache;
}
