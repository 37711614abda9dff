import { appendFileSync } from 'node:fs';

/**
 * Markdown builders for job summaries and PR comments (GitHub-flavoured: tables, <details>, mermaid).
 * Pure strings, so the same text can go to a summary, a comment or a test.
 */

/** GitHub allows 1 MiB of summary per step. */
export const MAX_SUMMARY_BYTES = 1024 * 1024;
/** GitHub refuses issue and PR comment bodies over 65,536 characters. */
export const MAX_COMMENT_CHARS = 65_536;

/** Escapes characters that would start Markdown or HTML formatting inside running text. */
export function escapeText(text: string): string {
  return text.replace(/[\\`*_{}[\]<>|#~]/g, (character) => `\\${character}`).replace(/@(?=\w)/g, '@\u200b');
}

/** A table cell: escaped, on one line (a newline would end the row). */
export function escapeCell(text: string): string {
  return escapeText(text).replace(/\r?\n/g, '<br>');
}

export function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  return `${fence}${text.replace(/\r?\n/g, ' ')}${fence}`;
}

export function link(text: string, url: string): string {
  return `[${escapeText(text)}](${url.replace(/[()\s]/g, encodeURIComponent)})`;
}

/** Cells are Markdown already (use escapeCell for plain text). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replace(/\r?\n/g, '<br>')).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function details(summary: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

export function mermaid(diagram: string): string {
  return `\`\`\`mermaid\n${diagram.trim()}\n\`\`\``;
}

/** Text inside a mermaid label: quotes and brackets would end the label. */
export function mermaidLabel(text: string): string {
  return text.replace(/["[\]{}()<>#;]/g, ' ').replace(/\s+/g, ' ').trim();
}

/** One line of text cut to at most `max` characters, an ellipsis marking the cut. */
export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Cuts text to fit a limit, saying so at the end, without splitting a surrogate pair. */
export function truncate(text: string, maxChars: number, note = '\n\n_(truncated)_'): string {
  if (text.length <= maxChars) return text;
  let cut = Math.max(0, maxChars - note.length);
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return `${text.slice(0, cut)}${note}`;
}

export function truncateBytes(text: string, maxBytes: number, note = '\n\n_(truncated)_'): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let chars = Math.min(text.length, maxBytes);
  while (chars > 0 && Buffer.byteLength(text.slice(0, chars)) + Buffer.byteLength(note) > maxBytes) {
    chars = Math.floor(chars * 0.95);
  }
  return truncate(text, chars + note.length, note);
}

/** Appends Markdown to the step summary (GITHUB_STEP_SUMMARY); a no-op outside a runner. */
export function appendSummary(markdown: string, env: Record<string, string | undefined> = process.env): boolean {
  const path = env['GITHUB_STEP_SUMMARY'];
  if (!path) return false;
  appendFileSync(path, `${truncateBytes(markdown, MAX_SUMMARY_BYTES - 1)}\n`, 'utf8');
  return true;
}
