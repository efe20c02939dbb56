/**
 * `${id}` references from tool-step arguments to earlier steps' results.
 *
 * @module
 */
import { type CoreErrorCode, ReplanError } from "./errors.js";

const REFERENCE = /\$\{([A-Za-z0-9_-]{1,64})((?:\.[A-Za-z0-9_-]+)*)\}/g;
const WHOLE_REFERENCE = /^\$\{([A-Za-z0-9_-]{1,64})((?:\.[A-Za-z0-9_-]+)*)\}$/;
const MAX_DEPTH = 32;

/**
 * The step ids that `value` refers to with `${id}` or `${id.path}`, at any depth.
 *
 * @param value - tool arguments (any JSON value).
 * @returns the ids, each once, in order of appearance.
 * @example
 * ```ts
 * findReferences({ url: "${s1.next}", body: ["${s2}"] }); // ["s1", "s2"]
 * ```
 */
export function findReferences(value: unknown): string[] {
  const found = new Set<string>();
  visit(value, 0, (text) => {
    for (const match of text.matchAll(REFERENCE)) found.add(match[1]!);
  });
  return [...found];
}

/**
 * Replaces `${id}` references in `args` with the results of earlier steps. A string that is only
 * a reference takes the referenced value with its type; references inside longer strings are
 * interpolated as text (objects as JSON). Returns a new object; `args` is not changed.
 *
 * @param args - a tool step's arguments.
 * @param results - the results of done steps, by id.
 * @throws {ReplanError} `invalid-reference` when a referenced step has no result or a path does not exist.
 * @example
 * ```ts
 * resolveReferences({ id: "${s1.user.id}", note: "for ${s1.user.name}" }, { s1: { user: { id: 7, name: "Ada" } } });
 * // { id: 7, note: "for Ada" }
 * ```
 */
export function resolveReferences(
  args: Record<string, unknown>,
  results: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return transform(args, 0, (text) => {
    const whole = WHOLE_REFERENCE.exec(text);
    if (whole) return lookup(results, whole[1]!, whole[2]!);
    return text.replace(REFERENCE, (_match, id: string, path: string) => {
      const found = lookup(results, id, path);
      return typeof found === "string" ? found : JSON.stringify(found);
    });
  }) as Record<string, unknown>;
}

function lookup(results: Readonly<Record<string, unknown>>, id: string, path: string): unknown {
  if (!Object.hasOwn(results, id)) {
    throw new ReplanError<CoreErrorCode>(
      "invalid-reference",
      `Reference to step "${id}", which has no result`,
    );
  }
  let current: unknown = results[id];
  for (const key of path.split(".").slice(1)) {
    if (current !== null && typeof current === "object" && Object.hasOwn(current, key)) {
      current = (current as Record<string, unknown>)[key];
    } else {
      throw new ReplanError<CoreErrorCode>(
        "invalid-reference",
        `Reference "\${${id}${path}}": "${key}" is not in the result`,
      );
    }
  }
  return current;
}

function visit(value: unknown, depth: number, onString: (text: string) => void): void {
  if (depth > MAX_DEPTH) return;
  if (typeof value === "string") onString(value);
  else if (Array.isArray(value)) for (const item of value) visit(item, depth + 1, onString);
  else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) visit(item, depth + 1, onString);
  }
}

function transform(value: unknown, depth: number, onString: (text: string) => unknown): unknown {
  if (depth > MAX_DEPTH) return value;
  if (typeof value === "string") return value.includes("${") ? onString(value) : value;
  if (Array.isArray(value)) return value.map((item) => transform(item, depth + 1, onString));
  if (value !== null && typeof value === "object") {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = transform(item, depth + 1, onString);
    return copy;
  }
  return value;
}
