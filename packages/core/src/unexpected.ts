/**
 * Unexpected results: an executor or tool wraps a result with {@link unexpected} to say it is not
 * what the plan needs; the step fails as `unexpected-result` (its result kept) and a replan follows.
 *
 * @module
 */

const unexpectedMarker = Symbol.for("@replan/core/unexpected");

/** A result wrapped by {@link unexpected}. */
export interface UnexpectedResult {
  readonly result: unknown;
  readonly reason: string;
}

/**
 * Wraps an executor's or tool's result to report it as unexpected: the result is kept, the step
 * is marked failed with code `unexpected-result`, and a replan is triggered.
 *
 * @param result - what the step produced.
 * @param reason - why it is not what the plan needs.
 * @example
 * ```ts
 * const executor: Executor = async (step) => {
 *   const rows = await query(step.description);
 *   return rows.length === 0 ? unexpected(rows, "no rows: the table is empty") : rows;
 * };
 * ```
 */
export function unexpected(result: unknown, reason: string): UnexpectedResult {
  return Object.defineProperty({ result, reason }, unexpectedMarker, { value: true });
}

/** Whether `value` was made by {@link unexpected}. */
export function isUnexpected(value: unknown): value is UnexpectedResult {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[unexpectedMarker] === true
  );
}
