/**
 * The retry policy, in one place: which failures another attempt may get past (the errors'
 * `retryable`), which statuses and methods are sent again within a call, and how long to wait.
 *
 * @module
 */

import type { EffectClass } from "@replan/core";
import type { HttpErrorCode } from "./errors.js";

/**
 * The codes of failures that another call may get past: the connection failed (`network-error`)
 * or the time ran out (`timeout`). Their {@link HttpToolError}s have `retryable: true`; every other
 * code is a refusal that would fail again.
 */
const transientCodes: ReadonlySet<HttpErrorCode> = new Set(["network-error", "timeout"]);

/** Whether a failure with `code` may succeed when the call is made again (an error's `retryable`). */
export function isTransient(code: HttpErrorCode): boolean {
  return transientCodes.has(code);
}

/** Statuses after which an idempotent request is sent again: 408, 429 and the transient 5xx. */
const retryStatuses: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Whether a call may be sent more than once: only when its effect class is `read` or `idempotent`.
 * A `write` request is sent once: it is never repeated blindly (a failure after it may have been
 * sent is `outcome-unknown`).
 *
 * @param effect - the call's effect class: the one declared for it (a tool's `effect`, an
 *   operation's `x-effect` or `effects` entry), else its method's (`effectOfMethod`).
 */
export function mayRepeat(effect: EffectClass): boolean {
  return effect !== "write";
}

/** Whether a response with `status` is worth another attempt of the same call. */
export function isRetryableStatus(status: number): boolean {
  return retryStatuses.has(status);
}

/**
 * Whether a failure is tried again within the same call: a network error. A `timeout` is not: the
 * call's time is used up (or a connection could not be opened in time).
 */
export function retriesWithinCall(code: HttpErrorCode): boolean {
  return code === "network-error";
}

/** What {@link retryDelay} reads of the options. */
export interface BackoffSettings {
  retryDelayMs: number;
  maxRetryDelayMs: number;
  now: () => number;
  random: () => number;
}

/**
 * The wait before attempt `attempt + 1`: exponential backoff with jitter (between half and all of
 * `retryDelayMs * 2^attempt`, at most `maxRetryDelayMs`), or the response's `Retry-After` (seconds
 * or an HTTP date). `undefined` when it should not be waited for: a `Retry-After` longer than
 * `maxRetryDelayMs`, or a wait that would end past the deadline.
 *
 * @param retryAfter - the response's `Retry-After` header, if any.
 * @param attempt - the attempt that just failed, from 0.
 * @param deadline - the time (`now()`) at which the call times out.
 * @param settings - the backoff options.
 */
export function retryDelay(
  retryAfter: string | null | undefined,
  attempt: number,
  deadline: number,
  { retryDelayMs, maxRetryDelayMs, now, random }: BackoffSettings,
): number | undefined {
  let delay = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** attempt);
  delay = delay / 2 + random() * (delay / 2);
  const asked = retryAfter?.trim();
  const askedMs = !asked
    ? Number.NaN
    : /^\d+$/.test(asked)
      ? Number(asked) * 1000
      : Date.parse(asked) - now();
  // An unreadable Retry-After falls back to the backoff; one too long is not waited for.
  if (!Number.isNaN(askedMs)) {
    delay = Math.max(0, askedMs);
    if (delay > maxRetryDelayMs) return undefined;
  }
  return now() + delay >= deadline ? undefined : Math.round(delay);
}
