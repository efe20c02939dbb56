/**
 * The compact format's lean tool-step body, `tool(key=value, ...)`: keyword arguments whose values
 * are JSON literals or bare references `$id` / `$id.path` (the same as the strings `"${id}"` /
 * `"${id.path}"`). About two thirds of the tokens of `tool {"key":value}`.
 *
 * @module
 */
import { stringEnd } from "./plan-text.js";

/** A bare reference: `$id` or `$id.path`, ids and path keys as in `${id.path}`. */
const BARE_REFERENCE = /\$([A-Za-z0-9_-]{1,64})((?:\.[A-Za-z0-9_-]+)*)/y;
/** A string that is one whole `${id.path}` reference. */
const WHOLE_REFERENCE = /^\$\{([A-Za-z0-9_-]{1,64})((?:\.[A-Za-z0-9_-]+)*)\}$/;
/** An argument's name, written bare before `=`. */
const KEYWORD = /[A-Za-z_][A-Za-z0-9_]*/y;
/** A whole bare name. */
const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /(?:true|false|null)(?![A-Za-z0-9_])/y;

/** Why the arguments could not be read (caught, then reported as the line's syntax error). */
class LeanSyntaxError extends Error {}

/** Sets an own property, `__proto__` included (as `JSON.parse` does). */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A cursor over one line's arguments. */
class LeanReader {
  position: number;

  constructor(
    private readonly text: string,
    start: number,
    private readonly maxDepth: number,
  ) {
    this.position = start;
  }

  /** The next character after spaces, without taking it. */
  peek(): string | undefined {
    while (this.text[this.position] === " " || this.text[this.position] === "\t") this.position++;
    return this.text[this.position];
  }

  /** Takes `char` when it comes next. */
  eat(char: string): boolean {
    if (this.peek() !== char) return false;
    this.position++;
    return true;
  }

  /** Takes what the sticky `pattern` matches next, if it does. */
  match(pattern: RegExp): RegExpExecArray | undefined {
    this.peek();
    pattern.lastIndex = this.position;
    const found = pattern.exec(this.text);
    if (found) this.position += found[0].length;
    return found ?? undefined;
  }

  /** Reads `key=value, ...)`; the reader stands after the `(`. */
  keywordArguments(): Record<string, unknown> {
    const args: Record<string, unknown> = {};
    this.sequence(")", () => {
      const key = this.match(KEYWORD)?.[0];
      if (key === undefined) throw new LeanSyntaxError("an argument without a name (write name=value)");
      if (!this.eat("=")) throw new LeanSyntaxError(`argument ${key} without "="`);
      if (Object.hasOwn(args, key)) throw new LeanSyntaxError(`argument ${key} given twice`);
      define(args, key, this.value(2)); // depth 2: as inside the JSON body's object
    });
    return args;
  }

  /** Items up to `close`, separated by commas (a trailing comma is allowed). */
  private sequence(close: string, item: () => void): void {
    // Bounded by the line (at most maxStepChars): every item takes at least one character or throws.
    while (!this.eat(close)) {
      if (this.peek() === undefined) throw new LeanSyntaxError(`no closing "${close}"`);
      item();
      if (this.peek() === undefined) throw new LeanSyntaxError(`no closing "${close}"`);
      if (!this.eat(",") && this.peek() !== close) {
        throw new LeanSyntaxError(`expected "," or "${close}"`);
      }
    }
  }

  private value(depth: number): unknown {
    const char = this.peek();
    if (char === '"') return this.string();
    if (char === "[" || char === "{") {
      if (depth > this.maxDepth) throw new LeanSyntaxError(`nesting deeper than ${this.maxDepth} levels`);
      this.position++;
      return char === "[" ? this.array(depth) : this.object(depth);
    }
    const reference = this.match(BARE_REFERENCE);
    if (reference) return `\${${reference[1]}${reference[2]}}`;
    const number = this.match(NUMBER);
    if (number) return Number(number[0]);
    const word = this.match(WORD);
    if (word) return word[0] === "null" ? null : word[0] === "true";
    throw new LeanSyntaxError(
      char === undefined ? "the line ends inside them" : `unexpected ${JSON.stringify(char)}`,
    );
  }

  private string(): string {
    const end = stringEnd(this.text, this.position);
    if (end < 0) throw new LeanSyntaxError("an unterminated string");
    try {
      const value = JSON.parse(this.text.slice(this.position, end)) as string;
      this.position = end;
      return value;
    } catch {
      throw new LeanSyntaxError("a string that is not valid JSON");
    }
  }

  private array(depth: number): unknown[] {
    const items: unknown[] = [];
    this.sequence("]", () => items.push(this.value(depth + 1)));
    return items;
  }

  private object(depth: number): Record<string, unknown> {
    const entries: Record<string, unknown> = {};
    this.sequence("}", () => {
      if (this.peek() !== '"') throw new LeanSyntaxError("an object key that is not a JSON string");
      const key = this.string();
      if (!this.eat(":")) throw new LeanSyntaxError('an object key without ":"');
      define(entries, key, this.value(depth + 1));
    });
    return entries;
  }
}

/**
 * Reads the keyword arguments of a lean body.
 *
 * @param text - the line.
 * @param start - the index just after the `(`.
 * @param maxDepth - deepest nesting of arrays and objects in a value.
 * @returns the arguments and the index after the `)`, or why they could not be read.
 */
export function readLeanArguments(
  text: string,
  start: number,
  maxDepth: number,
): { args: Record<string, unknown>; end: number } | { error: string } {
  const reader = new LeanReader(text, start, maxDepth);
  try {
    const args = reader.keywordArguments();
    return { args, end: reader.position };
  } catch (error) {
    if (error instanceof LeanSyntaxError)
      return { error: `has arguments that do not read: ${error.message}` };
    throw error;
  }
}

/**
 * Writes arguments as a lean body's `key=value, ...` (without the parentheses), or undefined when
 * a key is not a bare name (then the JSON body is written).
 *
 * @param args - a tool step's arguments (JSON values).
 */
export function formatLeanArguments(args: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined) continue;
    if (!BARE_NAME.test(key)) return undefined;
    parts.push(`${key}=${leanValue(value)}`);
  }
  return parts.join(", ");
}

/** A value as a lean body writes it: JSON, with whole references bare. */
function leanValue(value: unknown): string {
  if (typeof value === "string") {
    const whole = WHOLE_REFERENCE.exec(value);
    return whole ? `$${whole[1]}${whole[2]}` : JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? "null" : leanValue(item))).join(", ")}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}: ${leanValue(item)}`).join(", ")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
