/**
 * Settling an interrupted `write` step with its `reconcile` hook, as every driver does it: the hook
 * runs under a time limit and the run's signal, and what it says (or that it failed, or that there
 * is none) becomes the input to feed to `transition`.
 *
 * @module
 */
import { untilAborted } from "./abort.js";
import type { Reconcile } from "./effect-declaration.js";
import { errorMessage } from "./errors.js";
import { followSignal, MAX_TIMER_MS } from "./follow-signal.js";
import { jsonProblem } from "./json-check.js";
import type { SettleOutcome } from "./run-messages.js";
import type { Step, StepError } from "./schemas.js";
import { unsettledError } from "./settlement.js";

/**
 * What settling a step comes to: a `step-settle` by the hook, or a `step-fail` (nothing could
 * tell), with `hookError` when the step has a hook and it failed (it threw, timed out or answered
 * garbage): `{ code: "reconcile-failed", message }`, the message the hook's own.
 */
export type Settling =
  | { type: "step-settle"; by: "reconcile"; outcome: SettleOutcome }
  | { type: "step-fail"; error: StepError; retryable: false; hookError?: StepError };

/**
 * Asks a step's `reconcile` hook whether its interrupted effect happened. Never throws: no hook, a
 * hook that throws, times out or answers something else than a `ReconcileResult`, and a result
 * that is not JSON, all give a `step-fail` with `unsettled-effect` (and, for a hook that failed,
 * `hookError`). The hook's result is only read when it is `happened: true`: a getter that throws
 * counts as the hook failing.
 *
 * @param step - the interrupted step.
 * @param reconcile - its tool's (or executor's) hook, if any.
 * @param options - the key, the goal, the run's signal and the time limit of the hook.
 */
export async function reconcileStep(
  step: Step,
  reconcile: Reconcile | undefined,
  options: { key: string; goal: string; signal: AbortSignal; timeoutMs: number },
): Promise<Settling> {
  const fail = (why: string, hookMessage?: string): Settling => ({
    type: "step-fail",
    error: unsettledError(step, why),
    retryable: false,
    ...(hookMessage === undefined ? {} : { hookError: { code: "reconcile-failed", message: hookMessage } }),
  });
  if (!reconcile) return fail("its tool has no reconcile hook");
  const controller = new AbortController();
  const unfollow = followSignal(options.signal, controller);
  const timer =
    options.timeoutMs <= MAX_TIMER_MS
      ? setTimeout(
          () => controller.abort(new Error(`reconcile took longer than ${options.timeoutMs} ms`)),
          options.timeoutMs,
        )
      : undefined;
  try {
    const context = { step, goal: options.goal, attempt: step.attempts, signal: controller.signal };
    const found: unknown = await untilAborted(
      Promise.resolve(reconcile(options.key, context)),
      controller.signal,
    );
    const happened = (found as { happened?: unknown } | null)?.happened;
    if (happened === false) return { type: "step-settle", by: "reconcile", outcome: { type: "run-again" } };
    if (happened !== true) {
      const garbage = "it answered neither { happened: true, result } nor { happened: false }";
      return fail(`its reconcile hook could not tell (${garbage})`, garbage);
    }
    const result = (found as { result?: unknown }).result;
    const problem = jsonProblem(result);
    if (problem !== undefined) {
      const message = `it gave a result that is not JSON (${problem})`;
      return fail(`its reconcile hook could not tell (${message})`, message);
    }
    return { type: "step-settle", by: "reconcile", outcome: { type: "ran", result } };
  } catch (error) {
    const message = errorMessage(error);
    return fail(`its reconcile hook failed: ${message}`, message);
  } finally {
    clearTimeout(timer);
    unfollow();
  }
}
