/**
 * The words of the options checker's messages: a value described safely (a secret's kind only),
 * and the closest known option to a misspelt one.
 *
 * @module
 */

/** A value a message must not show: {@link describe} names its kind only. */
export class Hidden {
  constructor(readonly value: unknown) {}
}

/** A short, safe description of a value for a message: `"lots"`, `NaN`, `null`, `a function`. */
export function describe(value: unknown): string {
  if (value instanceof Hidden) return kindOf(value.value);
  if (typeof value === "string")
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return value.toString();
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

/** The kind of a value, never the value: `a string`, `a number`, `an object`, `null`. */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array (not shown: secret)";
  const kind = typeof value === "object" ? "an object" : `a ${typeof value}`;
  return `${kind} (not shown: secret)`;
}

/** The known option closest to a misspelt `key` (within 2 edits, case aside), if any. */
export function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const distance =
      candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate, bestDistance);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, given up (returning `limit`) once it reaches `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      rowMin = Math.min(rowMin, current[j]!);
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return Math.min(previous[b.length]!, limit);
}
