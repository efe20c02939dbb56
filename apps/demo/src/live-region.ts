/**
 * The live region of a terminal: the last lines of the screen, redrawn in place under the lines
 * logged above them, with a spinner that ticks.
 *
 * @module
 */
import { ESC, fit } from "./ansi.js";
import type { Output } from "./view.js";

/** How often the spinner turns, in ms. */
const TICK_MS = 90;

/**
 * Keeps the lines it draws at the bottom of the terminal: a logged line is written above them, and
 * they are redrawn after it. Outside a terminal (`live` false) it only writes the logged lines.
 */
export class LiveRegion {
  /** The spinner's frame, one more at each tick. */
  frame = 0;
  #drawn = 0;
  #closed = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param stdout - the terminal.
   * @param live - whether stdout is a terminal to redraw in place.
   * @param lines - what the region shows now (fitted to the width here).
   */
  constructor(
    private readonly stdout: Output,
    private readonly live: boolean,
    private readonly lines: () => string[],
  ) {
    if (!live) return;
    stdout.write(`${ESC}?25l`); // the cursor would blink over the tree
    this.#timer = setInterval(() => {
      this.frame++;
      if (this.#drawn > 0) this.redraw();
    }, TICK_MS);
    this.#timer.unref();
  }

  /** Whether the region is on the screen now. */
  get shown(): boolean {
    return this.#drawn > 0;
  }

  /** Whether {@link LiveRegion.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The width lines are cut to, or undefined when stdout is not a terminal. */
  width(): number | undefined {
    return this.stdout.columns ? Math.max(20, this.stdout.columns - 1) : undefined;
  }

  /** Erases the region from the screen. */
  clear(): void {
    if (this.live && this.#drawn > 0) this.stdout.write(`${ESC}${this.#drawn}F${ESC}0J`);
    this.#drawn = 0;
  }

  /** Draws the region (after a {@link LiveRegion.clear}). */
  draw(): void {
    if (!this.live || this.#closed) return;
    const columns = this.width() ?? 99;
    const lines = this.lines().map((line) => fit(line, columns));
    if (lines.length > 0) this.stdout.write(`${lines.join("\n")}\n`);
    this.#drawn = lines.length;
  }

  /** Draws the region again, as it is now. */
  redraw(): void {
    this.clear();
    this.draw();
  }

  /** Writes a line above the region. */
  log(text: string): void {
    this.clear();
    this.stdout.write(`${text}\n`);
    this.draw();
  }

  /** Stops the spinner; what is drawn stays on the screen. */
  stopTicking(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Stops the spinner and gives the cursor back; nothing is drawn after this. Idempotent. */
  close(): void {
    this.stopTicking();
    if (this.#closed) return;
    this.#closed = true;
    if (this.live) this.stdout.write(`${ESC}?25h`);
  }
}
