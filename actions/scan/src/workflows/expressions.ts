/**
 * Just enough of GitHub's expression language to tell which contexts an expression reads: string
 * literals are removed first (so `contains(x, 'github.event.issue.title')` reads nothing untrusted),
 * then every context path is normalised (`a['b']`, `a.*`, case-insensitive) to dotted lower case.
 */

export interface Expression {
  /** The text between `${{` and `}}`, trimmed. */
  source: string;
  /** Offset of `${{` in the scanned string. */
  offset: number;
}

/** Every `${{ ... }}` in a string, honouring quotes inside (a `}}` in a string literal does not close it). */
export function expressionsIn(text: string): Expression[] {
  const found: Expression[] = [];
  let index = text.indexOf('${{');
  while (index !== -1) {
    let cursor = index + 3;
    let quoted = false;
    let end = -1;
    while (cursor < text.length) {
      const char = text[cursor];
      if (char === "'") {
        // '' inside a literal is an escaped quote.
        if (quoted && text[cursor + 1] === "'") cursor += 1;
        else quoted = !quoted;
      } else if (!quoted && char === '}' && text[cursor + 1] === '}') {
        end = cursor;
        break;
      }
      cursor += 1;
    }
    if (end === -1) break;
    found.push({ source: text.slice(index + 3, end).trim(), offset: index });
    index = text.indexOf('${{', end + 2);
  }
  return found;
}

// String literals are already replaced by \u0000<hex>\u0000 when this runs, so a bracket holds one of those.
const CONTEXT_PATH = /(?<![\w.\-\]\u0000])([A-Za-z_][\w-]*(?:\s*\.\s*(?:[A-Za-z_*][\w-]*)|\s*\[\s*(?:\u0000[0-9a-f]*\u0000|\*|\d+)\s*\])*)/g;

/** The context paths an expression reads, normalised: `github.event.pull_request.title`, `steps.*.outputs.x`. */
export function contextPaths(source: string): string[] {
  const paths: string[] = [];
  const stripped = source.replace(/'(?:[^']|'')*'/g, (literal) => `\u0000${Buffer.from(literal).toString('hex')}\u0000`);
  for (const match of stripped.matchAll(CONTEXT_PATH)) {
    const raw = match[1] as string;
    const after = stripped.slice((match.index ?? 0) + raw.length).trimStart();
    // A function call (contains(...), format(...)) is not a context.
    if (after.startsWith('(')) continue;
    if (/^(?:true|false|null)$/i.test(raw)) continue;
    const normalised = raw
      .replace(/\s+/g, '')
      .replace(/\[\u0000([0-9a-f]*)\u0000\]/g, (_all, hex: string) => `.${Buffer.from(hex, 'hex').toString().slice(1, -1).replace(/''/g, "'")}`)
      .replace(/\[\*\]/g, '.*')
      .replace(/\[(\d+)\]/g, '.$1')
      .toLowerCase();
    paths.push(normalised);
  }
  return paths;
}

/**
 * The github.event fields a contributor cannot shape: numbers, ids, SHAs, timestamps, URLs and enums
 * GitHub fills in, flags, logins and repository names (GitHub restricts their characters), the base
 * side of a pull request, and what only people with write access set (pushed refs, tags, deployments,
 * dispatch inputs). Everything else under github.event (titles, bodies, labels, head branch names,
 * commit messages, file names, client payloads) is read as attacker-controlled: new payload fields
 * are unsafe until known safe, not the other way round.
 */
const SAFE_EVENT_FIELDS: RegExp[] = [
  /(?:^|\.)(?:id|node_id|number|sha|size|state|action|status|conclusion|event|fork|private|draft|merged|locked|mergeable|rebaseable|maintainer_can_modify|additions|deletions|changed_files|run_attempt|run_number|site_admin|author_association|visibility|archived|disabled|is_template|forced|created|deleted|before|after|login|full_name|compare|url|schedule)$/,
  /_(?:sha|at|url|count|id|number)$/,
  /(?:^|\.)(?:has|allow)_[a-z_]+$/,
  /(?:^|\.)base\.(?:ref|label|repo\.(?:name|default_branch))$/,
  /^(?:ref|base_ref|master_branch|pull_request\.commits|release\.tag_name|repository\.(?:name|default_branch)|pusher\.(?:name|email)|deployment\.(?:environment|ref|task)|inputs\..+)$/,
];

/** Contexts an outside contributor controls: github.event beyond the fields above, and github.head_ref. */
export function isUntrusted(path: string): boolean {
  if (path === 'github.head_ref') return true;
  if (path === 'github.event') return true;
  if (!path.startsWith('github.event.')) return false;
  const field = path.slice('github.event.'.length);
  return !SAFE_EVENT_FIELDS.some((pattern) => pattern.test(field));
}
