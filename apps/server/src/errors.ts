/**
 * The typed error of the server app: a run's configuration that cannot be used.
 *
 * @module
 */
import { ReplanError } from "@replan/core";
import { hasMarker, markError } from "@replan/core/internal";

const marker = Symbol.for("@replan/server/ServerConfigError");

/** Codes of the errors thrown by `@replan/server`. */
export type ServerErrorCode =
  /** A `configurable` value of the run, or an environment variable, is invalid; the message names it. */
  "invalid-config";

/**
 * A configuration the server refuses, with a stable {@link ServerErrorCode}. Match on `error.code`.
 *
 * @example
 * ```ts
 * try {
 *   resolveRunOptions({ maxReplans: -1 }, process.env);
 * } catch (error) {
 *   if (ServerConfigError.isInstance(error)) console.log(error.code, error.message);
 * }
 * ```
 */
export class ServerConfigError extends ReplanError<ServerErrorCode> {
  /**
   * @param message - a sentence naming the offending option.
   * @param options - `cause`, the underlying error, kept as is.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super("invalid-config", message, options);
    this.name = "ServerConfigError";
    markError(this, marker);
  }

  /** Whether `value` is a ServerConfigError from any copy of this package. */
  static override isInstance(value: unknown): value is ServerConfigError {
    return hasMarker(value, marker);
  }
}
