// Text that arrives in pieces, read line by line with a bound on each line's length: the compact
// plan parser's and the compact patch parser's one way of cutting a stream into lines.

/**
 * Cuts streamed text into lines of at most `maxChars` characters. A line is handed over when its
 * newline arrives (without it, and without a trailing `\r`); a longer line is reported once, with
 * its start, and skipped to its end.
 */
export class BoundedLines {
  private pieces: string[] = [];
  private length = 0;
  /** Set while the rest of an over-long line is skipped. */
  private skipping = false;

  /**
   * @param maxChars - the longest line read.
   * @param onTooLong - told of a line longer than that, with its start (its first ~200 characters).
   */
  constructor(
    private readonly maxChars: number,
    private readonly onTooLong: (start: string) => void,
  ) {}

  /**
   * Reads `delta`: each line it completes goes to `onLine`, until `stop()` is true.
   *
   * @param delta - the next piece of text.
   * @param onLine - receives each complete line that was not too long.
   * @param stop - checked before each line: true ends the reading of `delta`.
   */
  push(delta: string, onLine: (text: string) => void, stop: () => boolean): void {
    let from = 0;
    while (from < delta.length && !stop()) {
      const newline = delta.indexOf("\n", from);
      const end = newline < 0 ? delta.length : newline;
      this.add(delta.slice(from, end));
      if (newline < 0) break;
      this.end(onLine);
      from = newline + 1;
    }
  }

  /** The current line is complete (its newline came, or the text ended): hands it to `onLine`. */
  end(onLine: (text: string) => void): void {
    const text = this.pieces.join("").replace(/\r$/, "");
    const skipped = this.skipping;
    this.pieces = [];
    this.length = 0;
    this.skipping = false;
    if (!skipped) onLine(text);
  }

  /** Adds text to the current line, unless the line is too long (then it is skipped to its end). */
  private add(text: string): void {
    if (this.skipping || text === "") return;
    if (this.length + text.length <= this.maxChars) {
      this.pieces.push(text);
      this.length += text.length;
      return;
    }
    this.onTooLong(this.pieces.join("") + text.slice(0, 200));
    this.skipping = true;
    this.pieces = [];
    this.length = 0;
  }
}
