/**
 * The typed error of this package: every refusal and failure has a stable {@link HttpErrorCode}.
 *
 * @module
 */

import { ReplanError, type ReplanErrorOptions } from "@replan/core";
import { hasMarker, markError } from "@replan/core/internal";
import { isTransient } from "./retry.js";

const marker = Symbol.for("@replan/executors-http/HttpToolError");

/**
 * Codes of the errors thrown by `@replan/executors-http`.
 *
 * An HTTP error status (4xx, 5xx) is not an error: it is an {@link HttpResponse} with `ok: false`.
 * A response larger than the cap is not an error either: it comes back with `truncated: true`.
 * Cancellation through the caller's `AbortSignal` rejects with the signal's own `reason`.
 */
export type HttpErrorCode =
  /** An option given to `httpRequest`, `createHttpTool` or `createOpenApiTools` was invalid; the message names it. */
  | "invalid-options"
  /** The request itself was malformed: unknown method, body on GET, both `json` and `body`, a reserved header. */
  | "invalid-request"
  /** The URL (or a redirect's `Location`) could not be parsed. */
  | "invalid-url"
  /** The URL's scheme is not `http:` or `https:`. */
  | "scheme-not-allowed"
  /** The URL carries a user name or password (`user:pass@host`). */
  | "credentials-in-url"
  /** The host is not on the allowlist, is on the denylist, or is a cloud metadata name. */
  | "host-not-allowed"
  /** The address (literal, or resolved by DNS at connect time) is private, loopback, metadata... */
  | "address-not-allowed"
  /** The method is not in the `methods` option. */
  | "method-not-allowed"
  /** More redirects than `maxRedirects`. */
  | "too-many-redirects"
  /** The request took longer than `timeoutMs` (or the connection longer than `connectTimeoutMs`). */
  | "timeout"
  /** The request body is larger than `maxRequestBytes`. */
  | "body-too-large"
  /** The connection failed (refused, reset, DNS failure, TLS failure) after the retries. */
  | "network-error"
  /**
   * A `write` request failed after it may have been sent (connection reset or closed before the
   * answer): the server may have acted. It is not sent again, and not `retryable`: find out first.
   */
  | "outcome-unknown"
  /** The OpenAPI document could not be turned into tools; the message names the part. */
  | "invalid-openapi"
  /**
   * Never thrown: the code the LangChain tools write in `{"error":{"code","message"}}` for a failure
   * that is not an {@link HttpToolError} (a bug).
   */
  | "unexpected-error";

/**
 * A refusal or failure of the HTTP tool, with a stable {@link HttpErrorCode}. Match on `error.code`;
 * `error.retryable` says whether the same call may succeed later. Messages never contain the values
 * of secret headers.
 *
 * @example
 * ```ts
 * import { httpRequest, HttpToolError } from "@replan/executors-http";
 *
 * try {
 *   await httpRequest({ url: "http://169.254.169.254/latest/meta-data/" });
 * } catch (error) {
 *   if (HttpToolError.isInstance(error)) console.log(error.code); // "address-not-allowed"
 * }
 * ```
 */
export class HttpToolError extends ReplanError<HttpErrorCode> {
  /**
   * @param code - the stable code.
   * @param message - a sentence for people (and for a model), naming the refused URL, host or option.
   * @param options - `cause`, the underlying error, kept as is; `retryable`, which defaults to what
   *   the package's retry policy says of `code` (`true` for `network-error` and `timeout` only).
   */
  constructor(code: HttpErrorCode, message: string, options: ReplanErrorOptions = {}) {
    super(code, message, { ...options, retryable: options.retryable ?? isTransient(code) });
    this.name = "HttpToolError";
    markError(this, marker);
  }

  /** Whether `value` is an HttpToolError from any copy of this package (no other error class's instance is). */
  static override isInstance(value: unknown): value is HttpToolError {
    return hasMarker(value, marker);
  }
}

/** Finds an HttpToolError in `error` or its chain of causes (undici wraps connect errors in `TypeError: fetch failed`). */
export function findHttpToolError(error: unknown): HttpToolError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    if (HttpToolError.isInstance(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
