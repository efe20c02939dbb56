/**
 * Steps whose attempt's outcome is unknown: in flight when a run stopped (a crash, a kill), or a
 * `write` attempt that failed without ruling its effect out. A `read` or `idempotent` step runs
 * again, with the same idempotency key. A `write` step is never run again blindly: it waits,
 * `unsettled`, for a `step-settle` input (from its tool's `reconcile` hook or from a person) that
 * says whether its effect happened.
 *
 * @module
 */
import type { CoreErrorCode } from "./errors.js";
import type { Draft } from "./draft.js";
import { effectOf, isRepeatable } from "./effects.js";
import type { InputOf } from "./run-messages.js";
import type { RunState, Step } from "./schemas.js";
import { reportMismatch, stepKey } from "./step-reports.js";
import { unsettle } from "./unknown-effect.js";

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
  if (step.settlement !== "unsettled" && isRepeatable(effectOf(step, draft.state.config.effects))) {
    runAgain(draft, step, at, "re-run");
    return;
  }
  unsettle(draft, step, at, step.unknownEffect ?? { key: stepKey(draft.state, step), cause: "crash" });
}

/** Starts the next attempt of a step whose last one was lost or found not to have happened. */
function runAgain(
  draft: Draft,
  step: Step,
  at: number,
  settlement: "re-run" | "reconciled" | "settled-by-person",
): void {
  const updated = draft.updateStep(step.id, {
    attempts: step.attempts + 1,
    settlement,
    unknownEffect: undefined,
  });
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
export function settleMismatch(
  state: RunState,
  input: InputOf<"step-settle" | "settle-error">,
): string | undefined {
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
  // A step failed by a person keeps its unknown effect: a replan that writes it again settles first.
  const patch: Partial<Step> =
    outcome.type === "ran"
      ? { status: "done", result: outcome.result, settlement, endedAt: at, unknownEffect: undefined }
      : { status: "failed", error: outcome.error, settlement, endedAt: at };
  const settled = draft.updateStep(step.id, patch);
  draft.emit({ type: "step-settle", at, step: settled, settlement, outcome: outcome.type });
  draft.emit({ type: "step-end", at, step: settled });
}

/** `settle-error`: the reconcile hook could not tell; the step waits for someone who can, with why. */
export function settleFailed(draft: Draft, input: InputOf<"settle-error">): void {
  const step = draft.updateStep(input.stepId, { error: input.error });
  draft.emit({ type: "step-settle", at: input.at, step, settlement: "unsettled" });
}

/**
 * The error of a `write` step that nothing could settle (`unsettled-effect`).
 *
 * @param step - the step (its `unknownEffect` says what cut its attempt short; its `error`, how).
 * @param why - why nothing could settle it ("its tool has no reconcile hook", ...).
 */
export function unsettledError(step: Step, why: string): { code: CoreErrorCode; message: string } {
  const cause = step.unknownEffect?.cause ?? "crash";
  const what =
    cause === "crash"
      ? "was in flight when the run stopped"
      : step.attempts === 0
        ? `is written again after an attempt whose effect is unknown (key ${step.unknownEffect?.key})`
        : `failed without ruling its effect out${step.error ? ` (${step.error.code}: ${step.error.message})` : ""}`;
  return {
    code: "unsettled-effect",
    message: `step "${step.id}" is a write step that ${what}, and ${why}: it is not run again blindly`,
  };
}
