/**
 * The errors `@replan/view` throws on purpose.
 *
 * @module
 */
import { ReplanError, type ReplanErrorOptions } from "@replan/core";
import { hasMarker, markError } from "@replan/core/internal";

const marker = Symbol.for("@replan/view/ViewError");

/** Codes of {@link ViewError}: every code `@replan/view` throws. */
export type ViewErrorCode =
  /** An option was unknown, out of range or of the wrong type (a port, a run id, a property of the element). */
  | "invalid-options"
  /** The element's browser bundle is not where the server looks for it (the package is not built). */
  | "asset-missing"
  /** `startViewServer` could not listen on its host and port (unknown host, port in use, no permission); `cause` is the system error. */
  | "listen-failed"
  /** An approval answer came when the thread waited for none (shown in the page, not thrown to you). */
  | "invalid-answer"
  /** A LangGraph server call made by the SDK bridge failed (`serveThread`'s `done` rejects with it). */
  | "thread-failed";

/**
 * An error of `@replan/view`, a `ReplanError` with one of {@link ViewErrorCode}.
 *
 * @example
 * ```ts
 * import { startViewServer, ViewError } from "@replan/view";
 *
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
   * @param options - the `cause`, and whether the failure is `retryable` (default false).
   */
  constructor(code: ViewErrorCode, message: string, options?: ReplanErrorOptions) {
    super(code, message, options);
    this.name = "ViewError";
    markError(this, marker);
  }

  /** Whether `value` is a ViewError from any copy of this package (no other replan error is). */
  static override isInstance(value: unknown): value is ViewError {
    return hasMarker(value, marker);
  }
}
