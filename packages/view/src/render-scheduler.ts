/**
 * When the element draws itself again: at most once per 16 ms for a burst of events, and never
 * while a button is pressed (a click whose press and release land on two different drawings of the
 * same button would be lost; events come many times a second). A press holds drawing back for at
 * most 2 s; the release draws.
 *
 * @module
 */

/** Delay of a render after the change that asks for it, in ms. */
const FRAME_MS = 16;
/** Longest a press holds rendering back, in ms. */
const MAX_PRESS_MS = 2_000;

/** Schedules the renders of one element. */
export class RenderScheduler {
  readonly #render: () => void;
  #frame: ReturnType<typeof setTimeout> | undefined;
  #pressedAt: number | undefined;
  #heldBack = false;

  /** @param render - draws the element. */
  constructor(render: () => void) {
    this.#render = render;
  }

  /** Whether a render is scheduled. */
  get pending(): boolean {
    return this.#frame !== undefined;
  }

  /** Asks for a render. */
  schedule(): void {
    if (this.#frame) return;
    // A timer rather than requestAnimationFrame: a hidden tab still follows the run (the browser
    // slows its timers down), and a burst of events makes one render.
    this.#frame = setTimeout(() => {
      this.#frame = undefined;
      if (this.#pressing()) this.#heldBack = true;
      else this.#render();
    }, FRAME_MS);
  }

  /** A pointer went down in the element. */
  press(): void {
    this.#pressedAt = Date.now();
  }

  /** A pointer went up (or was cancelled) anywhere in the page. */
  release(): void {
    if (this.#pressedAt === undefined) return;
    this.#pressedAt = undefined;
    if (this.#heldBack) {
      this.#heldBack = false;
      // After the click that this release makes.
      setTimeout(() => this.schedule(), 0);
    }
  }

  /** Draws what a press held back when its release never came (called by the element's clock). */
  expire(): void {
    if (this.#heldBack && this.#pressedAt !== undefined && Date.now() - this.#pressedAt >= MAX_PRESS_MS) {
      this.#heldBack = false;
      this.schedule();
    }
  }

  #pressing(): boolean {
    return this.#pressedAt !== undefined && Date.now() - this.#pressedAt < MAX_PRESS_MS;
  }
}
