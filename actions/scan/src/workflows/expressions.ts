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
 * Contexts an outside contributor controls: titles, bodies, branch names, commit messages and author
 * fields of issues, pull requests, comments, reviews, discussions, pushes and workflow runs.
 */
const UNTRUSTED: RegExp[] = [
  /^github\.event\.(?:issue|pull_request|discussion)\.(?:title|body)$/,
  /^github\.event\.(?:comment|review|review_comment)\.body$/,
  /^github\.event\.pages\.[^.]+\.page_name$/,
  /^github\.event\.(?:commits\.[^.]+|head_commit)\.(?:message|author\.(?:email|name)|committer\.(?:email|name))$/,
  /^github\.event\.pull_request\.head\.(?:ref|label|repo\.default_branch)$/,
  /^github\.event\.workflow_run\.(?:head_branch|display_title|head_commit\.(?:message|author\.(?:email|name)))$/,
  /^github\.event\.workflow_run\.pull_requests\.[^.]+\.head\.ref$/,
  /^github\.head_ref$/,
  /^github\.event\.(?:issue|pull_request|discussion|comment|review)$/,
  /^github\.event$/,
];

export function isUntrusted(path: string): boolean {
  return UNTRUSTED.some((pattern) => pattern.test(path));
}
