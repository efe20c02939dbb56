/**
 * Steps: a new step made from a planner's spec, its idempotency key, and what happens when a
 * driver reports one attempt's end (`step-finish`, `step-fail`: done, failed, or retried later).
 *
 * @module
 */
import { MAX_TIMER_MS } from "./follow-signal.js";
import type { CoreErrorCode } from "./errors.js";
import type { Draft } from "./draft.js";
import type { InputOf } from "./run-messages.js";
import { effectOf } from "./effects.js";
import type { EffectDeclarations, RunState, Step, StepSpec } from "./schemas.js";
import { unsettle } from "./unknown-effect.js";
import { findStep } from "./step-index.js";

/**
 * The idempotency key of a step: `runId:revision:stepId`, the same for every attempt.
 *
 * @param state - the run (for its id).
 * @param step - the step (for its id and the revision that introduced it).
 * @example
 * ```ts
 * stepKey({ runId: "r1" }, { id: "fetch", revision: 0 }); // "r1:0:fetch"
 * ```
 */
export function stepKey(state: Pick<RunState, "runId">, step: Pick<Step, "id" | "revision">): string {
  return `${state.runId}:${step.revision}:${step.id}`;
}

/**
 * A pending step, not yet attempted, from a planner's spec and the plan revision it comes with,
 * with its effect class from the run's declarations (`state.config.effects`).
 */
export function newStep(spec: StepSpec, revision: number, effects: EffectDeclarations | undefined): Step {
  return { ...spec, status: "pending", attempts: 0, revision, effect: effectOf(spec, effects) };
}

/**
 * Why a step's report (`step-finish`, `step-fail`, `step-lost`, `step-settle`) does not fit the state: no such step, a step that is not
 * running, or an attempt that is not the current one. Undefined when it fits.
 */
export function reportMismatch(
  state: RunState,
  input: { stepId: string; attempt: number },
): string | undefined {
  const { stepId: id, attempt } = input;
  const step = state.plan ? findStep(state.plan, id) : undefined;
  if (!step) return `there is no step "${id}" in the plan`;
  if (step.status !== "running") return `step "${id}" is ${step.status}, not running`;
  if (step.attempts !== attempt) return `step "${id}" is on attempt ${step.attempts}, not ${attempt}`;
  return undefined;
}

/** `step-finish`: the step is done, or failed as `unexpected-result` (its result kept). */
export function finishStep(draft: Draft, input: InputOf<"step-finish">): void {
  const { unexpected } = input;
  const patch: Partial<Step> =
    unexpected === undefined
      ? { status: "done", result: input.result, endedAt: input.at }
      : {
          status: "failed",
          result: input.result,
          error: { code: "unexpected-result" satisfies CoreErrorCode, message: unexpected },
          endedAt: input.at,
        };
  draft.emit({ type: "step-end", at: input.at, step: draft.updateStep(input.stepId, patch) });
}

/**
 * `step-fail`: a retryable failure with attempts left is retried after a backoff (doubled each
 * time, capped); any other failure fails the step. A `write` step is retried blindly only when
 * the attempt is known not to have reached its effect (`effectHappened: false`): otherwise the
 * effect is unknown, and the step is settled (`settle-step`, its `reconcile` hook asked) instead
 * of retried, or, failed, keeps that unknown effect (`unknownEffect`) for whatever runs it again.
 */
export function failStep(draft: Draft, input: InputOf<"step-fail">): void {
  const { state } = draft;
  const step = draft.step(input.stepId)!;
  const { retryable = true, at, error } = input;
  if (step.settlement === "unsettled" && step.unknownEffect) {
    // Settling it failed (no hook, or it could not tell): it fails, its effect still unknown.
    draft.emit({
      type: "step-end",
      at,
      step: draft.updateStep(step.id, { status: "failed", error, endedAt: at }),
    });
    return;
  }
  const unknown =
    input.effectHappened !== false && effectOf(step, state.config.effects) === "write"
      ? { key: stepKey(state, step), cause: "failure" as const }
      : undefined;
  if (retryable && step.attempts < state.config.maxAttempts) {
    if (unknown) {
      unsettle(draft, step, at, unknown, { error });
      return;
    }
    const attempt = step.attempts + 1;
    const { retryBackoffMs, maxRetryBackoffMs } = state.config;
    const delayMs = Math.min(retryBackoffMs * 2 ** (step.attempts - 1), maxRetryBackoffMs, MAX_TIMER_MS);
    const updated = draft.updateStep(step.id, { attempts: attempt, error });
    draft.effect({ type: "execute-step", stepId: step.id, attempt, key: stepKey(state, updated), delayMs });
    draft.emit({ type: "step-retry", at, step: updated, error, delayMs });
    return;
  }
  const patch: Partial<Step> = unknown
    ? { status: "failed", error, endedAt: at, settlement: "unsettled", unknownEffect: unknown }
    : { status: "failed", error, endedAt: at };
  draft.emit({ type: "step-end", at, step: draft.updateStep(step.id, patch) });
}
