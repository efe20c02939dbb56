/**
 * Steps that were in flight when a run stopped (a crash, a kill): what happens to them on resume.
 * A `read` or `idempotent` step runs again, with the same idempotency key. A `write` step is never
 * run again blindly: it waits, `unsettled`, for a `step-settle` input (from its tool's `reconcile`
 * hook or from a person) that says whether its effect happened.
 *
 * @module
 */
import type { CoreErrorCode } from "./errors.js";
import type { Draft } from "./draft.js";
import { effectOf, isRepeatable } from "./effects.js";
import type { InputOf } from "./run-messages.js";
import type { RunState, Step } from "./schemas.js";
import { reportMismatch, stepKey } from "./step-reports.js";

/** `step-lost`: the attempt's outcome is unknown; see {@link settleLost}. */
export function loseStep(draft: Draft, input: InputOf<"step-lost">): void {
  settleLost(draft, draft.step(input.stepId)!, input.at);
}

/**
 * What `resume` does to every running step: each was in flight when the state was saved. A step
 * already waiting to be settled is asked about again.
 */
export function settleInFlight(draft: Draft, at: number): void {
  for (const step of draft.state.plan?.steps ?? []) {
    if (step.status === "running") settleLost(draft, step, at);
  }
}

/**
 * A running step whose attempt's outcome is unknown: run again when repeatable (`re-run`), else
 * `unsettled` with a `settle-step` effect.
 */
function settleLost(draft: Draft, step: Step, at: number): void {
  const key = stepKey(draft.state, step);
  if (step.settlement !== "unsettled" && isRepeatable(effectOf(step, draft.state.config.effects))) {
    runAgain(draft, step, at, "re-run");
    return;
  }
  const unsettled = draft.updateStep(step.id, { settlement: "unsettled" });
  draft.effect({ type: "settle-step", stepId: step.id, attempt: step.attempts, key });
  draft.emit({ type: "step-settle", at, step: unsettled, settlement: "unsettled" });
}

/** Starts the next attempt of a step whose last one was lost or found not to have happened. */
function runAgain(
  draft: Draft,
  step: Step,
  at: number,
  settlement: "re-run" | "reconciled" | "settled-by-person",
): void {
  const updated = draft.updateStep(step.id, { attempts: step.attempts + 1, settlement });
  const key = stepKey(draft.state, updated);
  draft.emit({
    type: "step-settle",
    at,
    step: updated,
    settlement,
    ...(settlement === "re-run" ? {} : { outcome: "run-again" as const }),
  });
  draft.effect({ type: "execute-step", stepId: step.id, attempt: updated.attempts, key, delayMs: 0 });
  draft.emit({ type: "step-start", at, step: updated, key });
}

/** Why a `step-settle` does not fit: the step must be running that attempt, and waiting to be settled. */
export function settleMismatch(state: RunState, input: InputOf<"step-settle">): string | undefined {
  const mismatch = reportMismatch(state, input);
  if (mismatch !== undefined) return mismatch;
  const step = state.plan!.steps.find((candidate) => candidate.id === input.stepId)!;
  return step.settlement === "unsettled" ? undefined : `step "${input.stepId}" is not waiting to be settled`;
}

/** `step-settle`: the effect happened (done, with the result), did not (run again), or the step fails. */
export function settleStep(draft: Draft, input: InputOf<"step-settle">): void {
  const step = draft.step(input.stepId)!;
  const settlement = input.by === "reconcile" ? "reconciled" : "settled-by-person";
  const { outcome, at } = input;
  if (outcome.type === "run-again") {
    runAgain(draft, step, at, settlement);
    return;
  }
  const patch: Partial<Step> =
    outcome.type === "ran"
      ? { status: "done", result: outcome.result, settlement, endedAt: at }
      : { status: "failed", error: outcome.error, settlement, endedAt: at };
  const settled = draft.updateStep(step.id, patch);
  draft.emit({ type: "step-settle", at, step: settled, settlement, outcome: outcome.type });
  draft.emit({ type: "step-end", at, step: settled });
}

/** The error of a `write` step that nothing could settle (`unsettled-effect`). */
export function unsettledError(stepId: string, why: string): { code: CoreErrorCode; message: string } {
  return {
    code: "unsettled-effect",
    message: `step "${stepId}" is a write step that was in flight when the run stopped, and ${why}: it is not run again blindly`,
  };
}
