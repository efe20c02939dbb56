/**
 * What a failed fetch becomes: the caller's abort reason, or an {@link HttpToolError} (`timeout`,
 * `network-error`, or the policy's own refusal found in the chain of causes).
 *
 * @module
 */

import { findHttpToolError, HttpToolError } from "./errors.js";

/** What {@link toHttpToolError} needs to tell a timeout from a cancellation from a network error. */
export interface FailureContext {
  /** The caller's signal: when aborted, its reason is thrown as is. */
  signal: AbortSignal | undefined;
  /** The call's own timeout signal. */
  timeout: AbortSignal;
  /** The call's time limit, for the message. */
  timeoutMs: number;
  /** Removes secret values from the message. */
  redact: (text: string) => string;
}

/**
 * Turns whatever a fetch (or a backoff wait) threw into an HttpToolError, or rethrows the caller's
 * abort reason.
 *
 * @param error - what was thrown.
 * @param context - the call's signals and limits.
 */
export function toHttpToolError(
  error: unknown,
  { signal, timeout, timeoutMs, redact }: FailureContext,
): HttpToolError {
  if (signal?.aborted) throw signal.reason;
  const own = findHttpToolError(error);
  if (own) return own;
  if (timeout.aborted)
    return new HttpToolError("timeout", `The request took longer than ${timeoutMs} ms (timeoutMs)`, {
      cause: error,
    });
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if ((current as { code?: unknown }).code === "UND_ERR_CONNECT_TIMEOUT") {
      return new HttpToolError("timeout", "Connecting took longer than connectTimeoutMs", { cause: error });
    }
    messages.push(current.message);
    current = current.cause;
  }
  const detail = messages.length > 1 ? messages.slice(1).join(": ") : (messages[0] ?? String(error));
  return new HttpToolError("network-error", `Network error: ${redact(detail)}`, { cause: error });
}

/** The error codes of a connection that failed before any byte of the request was sent. */
const beforeSendingCodes: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
]);

/** Whether `error` (or one of its causes) says the connection failed before the request was sent. */
function failedBeforeSending(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (beforeSendingCodes.has(String((current as { code?: unknown }).code))) return true;
    current = current.cause;
  }
  return false;
}

/**
 * What a network error of a `write` call becomes: the `network-error` itself when the connection
 * failed before the request was sent (nothing happened), else `outcome-unknown` (the server may have
 * acted; the call is not sent again).
 *
 * @param error - what the send threw.
 * @param networkError - its `network-error` translation.
 */
export function outcomeUnknown(error: unknown, networkError: HttpToolError): HttpToolError {
  if (failedBeforeSending(error)) return networkError;
  return new HttpToolError(
    "outcome-unknown",
    `${networkError.message}; the request may have been received and acted on: a write request is not sent again`,
    { cause: error },
  );
}

/**
 * Whether a failed call is known to have sent nothing (no byte of the request reached a server):
 * no response came back, and the failure is a refusal of the policy (a host, an address, a URL),
 * a connection that could not be opened (refused, no such host), or a connection that timed out.
 * Then its error carries `effectHappened: false` (see `@replan/core`'s `effectRuledOut`), and a
 * `write` step may be retried.
 *
 * @param error - what the send threw.
 * @param refusal - its translation.
 * @param answered - whether a response (a redirect) came back before it.
 */
export function nothingSent(error: unknown, refusal: HttpToolError, answered: boolean): boolean {
  if (answered) return false;
  if (refusal.code === "network-error") return failedBeforeSending(error);
  if (refusal.code === "timeout") return refusal.message.startsWith("Connecting took longer");
  return refusal.code !== "outcome-unknown" && refusal.code !== "too-many-redirects";
}

/** The same error, marked as raised before anything was sent (`effectHappened: false`). */
export function sentNothing(error: HttpToolError): HttpToolError {
  if (error.effectHappened === false) return error;
  return new HttpToolError(error.code, error.message, {
    cause: error.cause,
    retryable: error.retryable,
    effectHappened: false,
  });
}
