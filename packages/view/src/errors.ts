/**
 * The errors `@replan/view` throws on purpose.
 *
 * @module
 */
import { hasMarker, markError, ReplanError } from "@replan/core";

const marker = Symbol.for("@replan/view/error");

/** Codes of {@link ViewError}. */
export type ViewErrorCode =
  /** An option was out of range or of the wrong type (a port, a run id). */
  | "invalid-options"
  /** The element's browser bundle is not where the server looks for it (the package is not built). */
  | "asset-missing"
  /** An approval answer could not be read or is invalid. */
  | "invalid-answer"
  /** A LangGraph server call made by the SDK bridge failed. */
  | "thread-failed";

/**
 * An error of `@replan/view`, a `ReplanError` with one of {@link ViewErrorCode}.
 *
 * @example
 * ```ts
 * try {
 *   await startViewServer({ port: 70000 });
 * } catch (error) {
 *   if (ViewError.isInstance(error)) console.log(error.code); // "invalid-options"
 * }
 * ```
 */
export class ViewError extends ReplanError<ViewErrorCode> {
  /**
   * @param code - the stable code.
   * @param message - what went wrong.
   * @param options - `cause`.
   */
  constructor(code: ViewErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = "ViewError";
    markError(this, marker);
  }

  /** Whether `value` is a ViewError from any copy of this package. */
  static override isInstance(value: unknown): value is ViewError {
    return hasMarker(value, marker);
  }
}
