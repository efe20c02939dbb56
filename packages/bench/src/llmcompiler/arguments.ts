// The arguments of an LLMCompiler task, `name="text", count=3, parts=["$1", "$2"]`: Python call
// syntax with literal values (strings in either quotes, numbers, True/False/None, lists, tuples,
// dicts) and bare `$N` references, which stay strings to be resolved when the task runs.

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'" };

class Reader {
  position = 0;
  constructor(readonly text: string) {}

  skipSpace() {
    while (/\s/.test(this.text[this.position] ?? "")) this.position++;
  }

  peek(): string | undefined {
    this.skipSpace();
    return this.text[this.position];
  }

  eat(char: string): boolean {
    if (this.peek() !== char) return false;
    this.position++;
    return true;
  }

  /** Reads what `pattern` (anchored with ^) matches at the position, if it does. */
  match(pattern: RegExp): string | undefined {
    this.skipSpace();
    const found = pattern.exec(this.text.slice(this.position));
    if (!found) return undefined;
    this.position += found[0].length;
    return found[0];
  }
}

class SyntaxFault extends Error {}

function readString(reader: Reader, quote: string): string {
  let value = "";
  for (;;) {
    const char = reader.text[reader.position++];
    if (char === undefined) throw new SyntaxFault("unterminated string");
    if (char === quote) return value;
    if (char !== "\\") {
      value += char;
      continue;
    }
    const escaped = reader.text[reader.position++] ?? "";
    if (escaped === "u") {
      value += String.fromCharCode(
        Number.parseInt(reader.text.slice(reader.position, reader.position + 4), 16),
      );
      reader.position += 4;
    } else value += ESCAPES[escaped] ?? `\\${escaped}`;
  }
}

function readSequence(reader: Reader, close: string, item: () => void) {
  while (!reader.eat(close)) {
    item();
    if (!reader.eat(",") && reader.peek() !== close) throw new SyntaxFault(`expected , or ${close}`);
  }
}

function readValue(reader: Reader): unknown {
  const char = reader.peek();
  if (char === '"' || char === "'") {
    reader.position++;
    return readString(reader, char);
  }
  if (char === "[" || char === "(") {
    reader.position++;
    const items: unknown[] = [];
    readSequence(reader, char === "[" ? "]" : ")", () => items.push(readValue(reader)));
    return items;
  }
  if (char === "{") {
    reader.position++;
    const entries: Record<string, unknown> = {};
    readSequence(reader, "}", () => {
      const key = readValue(reader);
      if (!reader.eat(":")) throw new SyntaxFault("expected :");
      entries[String(key)] = readValue(reader);
    });
    return entries;
  }
  const reference = reader.match(/^\$\{?\d+\}?/);
  if (reference) return reference;
  const number = reader.match(/^-?\d+(\.\d+)?([eE][-+]?\d+)?/);
  if (number) return Number(number);
  const word = reader.match(/^(True|False|None)\b/);
  if (word) return word === "True" ? true : word === "False" ? false : null;
  throw new SyntaxFault(`unexpected ${char ?? "end"}`);
}

/**
 * Parses the text between a task's parentheses. Keyword arguments become properties; positional
 * ones are keyed by their position. Returns `undefined` when the text is not an argument list.
 *
 * @param source - e.g. `id="s2", after="$1"`.
 */
export function parseArguments(source: string): Record<string, unknown> | undefined {
  const reader = new Reader(source);
  const args: Record<string, unknown> = {};
  let position = 0;
  try {
    while (reader.peek() !== undefined) {
      const start = reader.position;
      const name = reader.match(/^[A-Za-z_]\w*\s*=(?!=)/);
      if (name && !["True", "False", "None"].includes(name.replace(/\s*=$/, ""))) {
        args[name.replace(/\s*=$/, "")] = readValue(reader);
      } else {
        reader.position = start;
        args[String(position++)] = readValue(reader);
      }
      if (!reader.eat(",") && reader.peek() !== undefined) return undefined;
    }
  } catch (error) {
    if (error instanceof SyntaxFault) return undefined;
    throw error;
  }
  return args;
}

/** Writes a value as an LLMCompiler planner writes it (Python literals, double quotes). */
export function formatValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "object") {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}: ${formatValue(item)}`)
      .join(", ")}}`;
  }
  return String(value);
}

/** Writes keyword arguments: `id="s2", after="$1"`. */
export function formatArguments(args: Record<string, unknown>): string {
  return Object.entries(args)
    .map(([name, value]) => `${name}=${formatValue(value)}`)
    .join(", ");
}
