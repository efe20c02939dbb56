/**
 * The rules of `@replan/view`'s options, checked with `@replan/core/internal`'s `checkOptions`:
 * unknown options are refused, and every bad value throws a {@link ViewError} `invalid-options`
 * saying `Option "x" must ..., got ...`. Browser-safe: the element uses it too.
 *
 * @module
 */
import { type CheckOptionsSettings, rules } from "@replan/core/internal";
import { ViewError } from "./errors.js";

/** A run's id in URLs: letters, digits, `.`, `_`, `-` (1 to 100). */
export const RUN_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** The settings of `checkOptions` for the options of `where`: a `ViewError` `invalid-options`. */
export function checking(where: string): CheckOptionsSettings {
  return { where, error: (message) => new ViewError("invalid-options", message) };
}

/** A run id: 1 to 100 letters, digits, `.`, `_` or `-`. */
export const runIdRule = rules.custom(
  'be 1 to 100 letters, digits, ".", "_" or "-"',
  (value): value is string => typeof value === "string" && RUN_ID.test(value),
);

/** The most steps an edited plan may have. */
export const maxStepsRule = rules.integer({ min: 1, max: 100_000 });

/** A plain object (not `null`, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
