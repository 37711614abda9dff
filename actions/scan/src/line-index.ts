/** Where each line of a text starts, built once, so that offset → line is a binary search. */
export class LineIndex {
  readonly #text: string;
  readonly #starts: number[] = [0];

  constructor(text: string) {
    this.#text = text;
    for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) this.#starts.push(index + 1);
  }

  /** The 0-based line holding an offset. */
  lineAt(offset: number): number {
    let low = 0;
    let high = this.#starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((this.#starts[middle] as number) <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  lineStart(line: number): number {
    return this.#starts[line] as number;
  }

  /** A 0-based line's text, newline included. */
  lineText(line: number): string {
    return this.#text.slice(this.#starts[line] as number, this.#starts[line + 1] ?? this.#text.length);
  }

  /** The 1-based line of the first occurrence of needle, or 1 when it does not occur. */
  lineOfFirst(needle: string): number {
    const index = this.#text.indexOf(needle);
    return index === -1 ? 1 : this.lineAt(index) + 1;
  }
}
