/**
 * Code that several bundles share and load only when a run needs it (dist/<name>/index.js, built
 * from LIBRARIES in .ci/build.ts): one copy in the repository instead of one per bundle, and
 * megabytes that a run which does not need them never parses. `callerUrl` is the caller's
 * import.meta.url: from source (tests, scripts) the module at `source`, relative to the caller, loads
 * directly; from a bundle, the library beside it.
 */
export async function loadLibrary<T>(name: 'ssh' | 'kubernetes' | 'cache' | 'artifact', source: string, callerUrl: string): Promise<T> {
  // Through a variable: a literal `new URL(..., import.meta.url)` is taken by ncc for an asset to copy.
  const here = import.meta.url;
  const url = callerUrl.endsWith('.ts') ? new URL(source, callerUrl) : new URL(`../${name}/index.js`, here);
  return (await import(/* webpackIgnore: true */ url.href)) as T;
}
