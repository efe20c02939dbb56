/**
 * Turning whatever a planner, an executor or a tool threw into the data a step records.
 *
 * @module
 */

import { errorMessage, ReplanError } from "./errors.js";
import type { StepError, Usage } from "./schemas.js";

/**
 * Whether another attempt of the same call may succeed. A {@link ReplanError} says so in its typed
 * `retryable` field; another object may carry a boolean `retryable` of its own (a user's tool
 * error); anything else is retryable, within the step's `maxAttempts`.
 *
 * @param error - anything thrown.
 */
export function isRetryable(error: unknown): boolean {
  if (ReplanError.isInstance(error)) return error.retryable;
  const retryable = (error as { retryable?: unknown } | null)?.retryable;
  return typeof retryable === "boolean" ? retryable : true;
}

/**
 * Whether what a step's call threw says that the call failed before its effect could happen: an
 * own `effectHappened` property that is `false` (a {@link ReplanError}'s option, or any object a
 * tool throws). Only then is a failed `write` attempt retried; anything else leaves its effect
 * unknown.
 *
 * @param error - anything thrown.
 * @example
 * ```ts
 * effectRuledOut(Object.assign(new Error("refused"), { effectHappened: false })); // true
 * effectRuledOut(new Error("connection reset")); // false
 * ```
 */
export function effectRuledOut(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  try {
    return (
      Object.hasOwn(error, "effectHappened") &&
      (error as { effectHappened?: unknown }).effectHappened === false
    );
  } catch {
    return false; // a hostile proxy or getter: nothing is ruled out
  }
}

/**
 * A step error from anything thrown: its string `code` if it has one (else `fallbackCode`) and its
 * message.
 *
 * @param error - anything thrown.
 * @param fallbackCode - the code when the error carries none, e.g. `"executor-failed"`.
 * @example
 * ```ts
 * toStepError(new Error("boom"), "executor-failed"); // { code: "executor-failed", message: "boom" }
 * ```
 */
export function toStepError(error: unknown, fallbackCode: string): StepError {
  const code =
    error !== null && typeof error === "object" && typeof (error as { code?: unknown }).code === "string"
      ? (error as { code: string }).code
      : fallbackCode;
  return { code, message: errorMessage(error) };
}

/**
 * The token usage a planner's or an executor's output reports in a `usage` field, if any.
 *
 * @param output - what the planner or executor returned.
 */
export function usageOf(output: unknown): Partial<Usage> | undefined {
  if (output !== null && typeof output === "object" && !Array.isArray(output) && "usage" in output) {
    const usage = (output as { usage?: unknown }).usage;
    if (usage !== null && typeof usage === "object") return usage as Partial<Usage>;
  }
  return undefined;
}

/**
 * The names a tool may have: what the chat-model APIs accept for a function name (letters,
 * digits, `_` and `-`, 1 to 64 characters).
 */
export const TOOL_NAME_PATTERN: RegExp = /^[A-Za-z0-9_-]{1,64}$/;
