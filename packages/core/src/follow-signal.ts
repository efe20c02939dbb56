/**
 * Abort plumbing for step attempts: a controller per attempt that follows the run's signal, with
 * one listener per run signal however many steps run at once.
 *
 * @module
 */

import { MAX_DELAY_MS } from "./options.js";

/** Controllers that follow each run signal: one listener per signal, however many steps run. */
const followers = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * Aborts `controller` (with the signal's reason) when `signal` aborts, at once if it already has.
 * One listener per signal: EventTarget checks every listener for a duplicate on each add, so a
 * listener per step would make N concurrent steps cost O(N²); and unlike `AbortSignal.any`, it
 * leaves no weak reference per step on the run's signal.
 *
 * @returns the function that stops following (call it when the attempt ends).
 */
export function followSignal(signal: AbortSignal, controller: AbortController): () => void {
  if (signal.aborted) {
    controller.abort(signal.reason);
    return () => {};
  }
  let set = followers.get(signal);
  if (!set) {
    const created = new Set<AbortController>();
    signal.addEventListener(
      "abort",
      () => {
        for (const follower of created) follower.abort(signal.reason);
        created.clear();
      },
      { once: true },
    );
    followers.set(signal, created);
    set = created;
  }
  set.add(controller);
  const following = set;
  return () => following.delete(controller);
}

/** Longest delay `setTimeout` honours (a longer one fires at once); longer limits mean no limit. */
export const MAX_TIMER_MS = MAX_DELAY_MS;
