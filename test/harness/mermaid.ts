/**
 * Mermaid's own parser as the judge of the charts our summaries and comments write. mermaid needs a
 * DOM even to parse (DOMPurify, and the xychart and timeline diagrams); jsdom gives it one, set up
 * once per process before mermaid is first imported.
 *
 *   const problems = await mermaidProblems(markdown);   // [] when every ```mermaid block parses
 */

interface MermaidApi {
  parse(text: string, options?: { suppressErrors?: boolean }): Promise<{ diagramType: string } | false>;
}

let loaded: Promise<MermaidApi> | undefined;

async function loadMermaid(): Promise<MermaidApi> {
  const { JSDOM } = await import('jsdom');
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { pretendToBeVisual: true });
  const global = globalThis as Record<string, unknown>;
  global['window'] ??= dom.window;
  global['document'] ??= dom.window.document;
  global['DOMParser'] ??= dom.window.DOMParser;
  global['Element'] ??= dom.window.Element;
  global['HTMLElement'] ??= dom.window.HTMLElement;
  const module = (await import('mermaid')) as unknown as { default: MermaidApi };
  return module.default;
}

/** The ```mermaid fenced blocks of a Markdown text, in order. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\r?\n([\s\S]*?)\r?\n```$/gm)].map((match) => match[1] as string);
}

/** The diagram's type as mermaid reads it; throws mermaid's parse error for a diagram it refuses. */
export async function parseMermaid(diagram: string): Promise<string> {
  loaded ??= loadMermaid();
  const mermaid = await loaded;
  const result = await mermaid.parse(diagram);
  if (!result) throw new Error('mermaid did not recognise the diagram');
  return result.diagramType;
}

/** Every mermaid block of the Markdown that mermaid refuses, with its error; empty when all parse. */
export async function mermaidProblems(markdown: string): Promise<Array<{ diagram: string; error: string }>> {
  const problems: Array<{ diagram: string; error: string }> = [];
  for (const diagram of mermaidBlocks(markdown)) {
    try {
      await parseMermaid(diagram);
    } catch (error) {
      problems.push({ diagram, error: (error as Error).message });
    }
  }
  return problems;
}
