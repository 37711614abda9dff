/**
 * Secret masking. The runner hides every registered value in logs, but a webhook URL leaks just as
 * well through its path or one of its query values (Slack's and Discord's tokens sit in the path, a
 * Teams Workflows URL carries its signature in `sig=`), so those parts are registered too.
 */

/** Parts shorter than this are ordinary words ("api", "services", "webhooks") and would blind the log. */
const MIN_TOKEN_PART_LENGTH = 16;

/** The value and every token-like part of it, longest first (so redaction replaces whole values first). */
export function secretVariants(value: string): string[] {
  const variants = new Set<string>();
  const trimmed = value.trim();
  if (trimmed === '') return [];
  variants.add(trimmed);
  let url: URL | undefined;
  try {
    url = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? new URL(trimmed) : undefined;
  } catch {
    url = undefined;
  }
  if (url) {
    const pathAndQuery = `${url.pathname}${url.search}`;
    if (pathAndQuery.length >= MIN_TOKEN_PART_LENGTH) variants.add(pathAndQuery);
    if (url.pathname.length >= MIN_TOKEN_PART_LENGTH) variants.add(url.pathname);
    for (const segment of url.pathname.split('/')) {
      if (segment.length >= MIN_TOKEN_PART_LENGTH) variants.add(segment);
    }
    for (const part of [url.password, ...url.searchParams.values()]) {
      if (part.length >= MIN_TOKEN_PART_LENGTH) variants.add(part);
    }
  }
  return [...variants].sort((a, b) => b.length - a.length);
}

export function maskSecret(value: string, mask: (part: string) => void): void {
  for (const variant of secretVariants(value)) mask(variant);
}

/**
 * Replaces every secret (and its token-like parts) in text with ***. Used on anything this suite
 * writes that did not pass through the runner's masker: summaries, PR comments, messages to other
 * services, error bodies returned by those services.
 */
export function redact(text: string, secrets: Iterable<string>): string {
  const variants = [...secrets].flatMap(secretVariants).sort((a, b) => b.length - a.length);
  let result = text;
  for (const variant of variants) result = result.split(variant).join('***');
  return result;
}
