/**
 * How a run ends: the final statuses, and the one function that ends a run (every path to an
 * outcome goes through {@link endRun}, so there is exactly one `run-end` event).
 *
 * @module
 */
import type { Draft } from "./draft.js";
import type { RunOutcome, RunState, RunStatus } from "./schemas.js";

const TERMINAL: ReadonlySet<RunStatus> = new Set(["completed", "failed", "cancelled", "budget-exceeded"]);

/**
 * Whether a run has ended (completed, failed, cancelled or out of budget).
 *
 * @param state - a run state.
 * @example
 * ```ts
 * if (isTerminal(state)) console.log(state.outcome?.reason);
 * ```
 */
export function isTerminal(state: Pick<RunState, "status">): boolean {
  return TERMINAL.has(state.status);
}

/**
 * Ends the run with `outcome`: running steps are cancelled, pending ones skipped (cancelled when
 * the run is), work in flight is aborted (an `abort` effect) and `run-end` is published.
 */
export function endRun(draft: Draft, at: number, outcome: RunOutcome): void {
  const { state } = draft;
  const inFlight =
    state.status === "planning" ||
    state.status === "replanning" ||
    (state.plan?.steps.some((step) => step.status === "running") ?? false);
  if (state.plan) {
    for (const step of state.plan.steps) {
      if (step.status === "running") draft.updateStep(step.id, { status: "cancelled", endedAt: at });
      else if (step.status === "pending") {
        draft.updateStep(step.id, {
          status: outcome.status === "cancelled" ? "cancelled" : "skipped",
          endedAt: at,
        });
      }
    }
  }
  draft.set({ status: outcome.status, outcome, endedAt: at, replan: null });
  draft.ended = true;
  if (inFlight) draft.effect({ type: "abort", reason: outcome.reason });
  draft.emit({ type: "run-end", at, outcome, usage: draft.state.usage });
}
