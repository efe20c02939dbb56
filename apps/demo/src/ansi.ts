/**
 * ANSI escape codes for the terminal view: colours, the spinner, and fitting a coloured line to
 * the terminal's width.
 *
 * @module
 */

/** The Control Sequence Introducer that starts every escape code. */
export const ESC = "\u001b[";

/** The frames of the spinner of a running step. */
export const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Wraps text in one colour or style (or leaves it as it is, without colours). */
export type Paint = (text: string) => string;

/** The colours and styles of the view. */
export interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  blue: Paint;
  magenta: Paint;
  cyan: Paint;
}

/**
 * The view's colours.
 *
 * @param color - whether to colour at all; without, every paint returns its text.
 * @example
 * ```ts
 * palette(true).red("✖"); // "\u001b[31m✖\u001b[39m"
 * ```
 */
export function palette(color: boolean): Palette {
  const wrap =
    (open: number, close: number): Paint =>
    (text) =>
      color ? `${ESC}${open}m${text}${ESC}${close}m` : text;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    magenta: wrap(35, 39),
    cyan: wrap(36, 39),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape codes
const ESCAPE_CODE = /^\u001b\[[0-9;?]*[A-Za-z]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape codes
const ESCAPE_CODES = /\u001b\[[0-9;?]*[A-Za-z]/g;

/**
 * The number of characters a line shows, escape codes left out.
 *
 * @param text - a line, maybe with escape codes.
 */
export function visibleLength(text: string): number {
  return [...text.replace(ESCAPE_CODES, "")].length;
}

/**
 * Cuts a line with ANSI codes to `width` visible characters (so that the live region never wraps).
 *
 * @param text - the line.
 * @param width - the visible characters it may take.
 * @example
 * ```ts
 * fit("a long line", 6); // "a lon…\u001b[0m"
 * ```
 */
export function fit(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let out = "";
  let seen = 0;
  for (let position = 0; position < text.length; ) {
    if (text.startsWith(ESC, position)) {
      const code = ESCAPE_CODE.exec(text.slice(position));
      if (code) {
        out += code[0];
        position += code[0].length;
        continue;
      }
    }
    const char = String.fromCodePoint(text.codePointAt(position)!);
    if (seen >= width - 1) {
      out += "…";
      break;
    }
    out += char;
    seen++;
    position += char.length;
  }
  return `${out}${ESC}0m`;
}
