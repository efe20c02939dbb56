/**
 * Waiting with an `AbortSignal`: a timer that a signal ends early, and a promise raced against a
 * signal. Every wait in replan goes through these two.
 *
 * @module
 */

/**
 * Waits `ms` milliseconds, or less if `signal` is aborted first; the timer is cleared either way.
 *
 * @param ms - how long to wait.
 * @param signal - ends the wait early.
 * @returns true if the time passed, false if the signal ended the wait.
 * @example
 * ```ts
 * if (!(await sleep(250, signal))) return; // cancelled
 * ```
 */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Settles as `promise` does, or rejects with the signal's reason as soon as `signal` is aborted
 * (the promise itself is not cancelled: pass the signal to whatever makes it, too).
 *
 * @param promise - the work to wait for.
 * @param signal - gives up the wait.
 * @example
 * ```ts
 * const answer = await untilAborted(approvalHook(request), signal);
 * ```
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
