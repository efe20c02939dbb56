// Reading a JSON plan while it is written: the text comes in pieces (tool-call argument deltas,
// content deltas), and each element of the plan's step array is handed over the moment its closing
// brace arrives, long before the whole document is complete.

/** Longest text one scanner reads (a longer stream is not a plan: the rest is ignored). */
const MAX_SCANNED_CHARS = 1_000_000;

/**
 * An incremental scanner for a JSON plan (`{"steps": [{...}, {...}]}`, a bare array of steps, or
 * either amid prose or a code fence): {@link push} takes the next piece of text and returns the
 * step objects completed by it, parsed. It tracks strings and bracket depth only, so its work is
 * linear in the text; a step object that is not valid JSON is skipped (the final parse of the whole
 * answer reports it).
 *
 * @example
 * ```ts
 * const scanner = new JsonStepScanner();
 * scanner.push('{"steps":[{"id":"a","dependsOn":[]},{"id"'); // [{ id: "a", dependsOn: [] }]
 * ```
 */
export class JsonStepScanner {
  private text = "";
  private position = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** The depth of the array that holds the steps, once known. */
  private stepsDepth: number | undefined;
  /** Where the step object being read starts. */
  private stepStart = -1;
  /** Containers open, innermost last: "{" or "[". */
  private readonly open: string[] = [];

  /** Takes the next piece of the answer; returns the step objects it completed, in order. */
  push(delta: string): unknown[] {
    if (this.text.length >= MAX_SCANNED_CHARS) return [];
    this.text += delta.slice(0, MAX_SCANNED_CHARS - this.text.length);
    const steps: unknown[] = [];
    for (; this.position < this.text.length; this.position++) {
      const char = this.text[this.position]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (char === "\\") this.escaped = true;
        else if (char === '"') this.inString = false;
        continue;
      }
      if (char === '"') this.inString = true;
      else if (char === "{" || char === "[") this.openContainer(char);
      else if (char === "}" || char === "]") {
        const step = this.closeContainer();
        if (step !== undefined) steps.push(step);
      }
    }
    return steps;
  }

  private openContainer(char: "{" | "["): void {
    this.open.push(char);
    this.depth++;
    // The steps' array: the first array, at the root or as a value of the root object.
    if (char === "[" && this.stepsDepth === undefined && this.depth <= 2) this.stepsDepth = this.depth;
    if (char === "{" && this.stepsDepth !== undefined && this.depth === this.stepsDepth + 1) {
      this.stepStart = this.position;
    }
  }

  /** Closes a container; returns the step object it ended, if it ended one that parses. */
  private closeContainer(): unknown {
    const closed = this.open.pop();
    this.depth = Math.max(0, this.depth - 1);
    if (closed === "[" && this.stepsDepth !== undefined && this.depth < this.stepsDepth) {
      this.stepsDepth = Number.POSITIVE_INFINITY; // the array ended: nothing after it is a step
      return undefined;
    }
    if (closed !== "{" || this.stepStart < 0 || this.depth !== this.stepsDepth) return undefined;
    const source = this.text.slice(this.stepStart, this.position + 1);
    this.stepStart = -1;
    try {
      const value: unknown = JSON.parse(source);
      return typeof value === "object" && value !== null ? value : undefined;
    } catch {
      return undefined;
    }
  }
}
