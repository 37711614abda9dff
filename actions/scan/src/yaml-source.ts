import { isNode, isScalar, LineCounter, parseAllDocuments, parseDocument, type Document, type YAMLError } from 'yaml';

export type YamlPath = ReadonlyArray<string | number>;

/** A YAML file parsed once: plain values for the rules, and the line of any node for the findings. */
export class YamlSource {
  readonly value: unknown;
  readonly #document: Document;
  readonly #lines: LineCounter;

  private constructor(document: Document, lines: LineCounter) {
    this.#document = document;
    this.#lines = lines;
    this.value = document.toJS({ maxAliasCount: 100 }) as unknown;
  }

  /** Parses one YAML document; a syntax error is thrown with its line. */
  static parse(text: string): YamlSource {
    const lines = new LineCounter();
    const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
    const error = document.errors[0];
    if (error) throw syntaxError(error, lines);
    return new YamlSource(document, lines);
  }

  /** Every document of a multi-document file (Kubernetes manifests). */
  static parseAll(text: string): YamlSource[] {
    const lines = new LineCounter();
    const documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
    if (!Array.isArray(documents)) return [];
    return documents.map((document) => {
      const error = document.errors[0];
      if (error) throw syntaxError(error, lines);
      return new YamlSource(document, lines);
    });
  }

  /** The 1-based line of the node at path, or of its nearest existing ancestor. */
  line(path: YamlPath): number {
    for (let length = path.length; length >= 0; length--) {
      const node = length === 0 ? this.#document.contents : this.#document.getIn(path.slice(0, length), true);
      if (isNode(node) && node.range) return this.#lines.linePos(node.range[0]).line;
    }
    return 1;
  }

  /**
   * The line of character `offset` of the string at path. A literal block (`run: |`) keeps its lines,
   * so the line is counted inside it; any other scalar gives its own first line.
   */
  lineWithin(path: YamlPath, offset: number): number {
    const node = this.#document.getIn(path, true);
    if (isScalar(node) && node.type === 'BLOCK_LITERAL' && node.range && typeof node.value === 'string') {
      const linesBefore = node.value.slice(0, offset).split('\n').length - 1;
      return this.#lines.linePos(node.range[0]).line + 1 + linesBefore;
    }
    return this.line(path);
  }
}

export class YamlSyntaxError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

function syntaxError(error: YAMLError, lines: LineCounter): YamlSyntaxError {
  return new YamlSyntaxError(error.message.split('\n')[0] as string, lines.linePos(error.pos[0]).line);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
