/**
 * Replanning: asking the replanner for a patch of the plan (while the steps that do not depend on
 * a failed one keep running), applying its answer as a new revision of the plan, and what a
 * failed replan leads to.
 *
 * @module
 */
import { applyAnswer } from "./apply-patch.js";
import type { CoreErrorCode } from "./errors.js";
import { BUDGET_EXCEEDED, endIfNoCallLeft } from "./budgets.js";
import type { Draft } from "./draft.js";
import type { InputOf } from "./run-messages.js";
import { endRun } from "./run-end.js";
import type { Plan, ReplanReason, RunState, StepError } from "./schemas.js";
import { invalidPlanError } from "./planning.js";
import { unknownEffects } from "./unknown-effect.js";

/** Whether the run may call its replanner (it has one, and replans are left). */
export function canReplan(state: RunState): boolean {
  return state.config.hasReplanner && state.replans < state.config.maxReplans;
}

/**
 * Asks the replanner for a new revision, locking the steps that are done or running (they are
 * kept as they are), unless the budget leaves no call for it. Steps outside the failed steps'
 * downstream cone keep being started while the replanner answers.
 */
export function askReplanner(draft: Draft, at: number, reason: ReplanReason): void {
  if (endIfNoCallLeft(draft, at)) return;
  const { state } = draft;
  const locked = (state.plan?.steps ?? [])
    .filter((step) => step.status === "done" || step.status === "running")
    .map((step) => step.id);
  const attempt = state.replans + 1;
  draft.set({ status: "replanning", replan: { reason, locked }, replans: attempt });
  draft.effect({ type: "call-replanner", attempt, reason, feedback: state.feedback });
  draft.emit({ type: "replan-start", at, revision: state.plan?.revision ?? 0, reason, attempt });
}

/** `replan-request`: a replan on demand, when replans are left (else nothing happens). */
export function requestReplan(draft: Draft, input: InputOf<"replan-request">): void {
  if (draft.state.replans < draft.state.config.maxReplans) {
    askReplanner(draft, input.at, { trigger: "requested", stepIds: [], message: input.reason });
  }
}

/** `replan-error`: the replanner failed. */
export function replannerFailed(draft: Draft, input: InputOf<"replan-error">): void {
  refuseReplan(draft, input.at, { error: input.error, retryable: input.retryable ?? true });
}

/**
 * `replan`: the replanner's answer (a patch, or the remaining steps rewritten) is applied to the
 * plan as it is now, as a new revision (the replaced plan goes to `history`). An invalid answer
 * is refused; one that leaves a failed step with nothing new means the replanner gives up, and
 * the run fails with its reason.
 */
export function takeReplan(draft: Draft, input: InputOf<"replan">): void {
  const { state } = draft;
  const current = state.plan!;
  const replan = state.replan!;
  const revision = current.revision + 1;
  const outcome = applyAnswer(input.output, {
    steps: current.steps,
    locked: replan.locked,
    failed: current.steps
      .filter((step) => step.status === "failed" && replan.reason.stepIds.includes(step.id))
      .map((step) => step.id),
    revision,
    maxSteps: state.config.maxSteps,
    effects: state.config.effects,
    unknownEffects: unknownEffects(current, state.history),
  });
  if (outcome.type === "invalid") {
    refuseReplan(draft, input.at, { error: invalidPlanError(outcome.issues), output: input.output });
    return;
  }
  if (outcome.type === "gave-up") {
    giveUp(draft, input.at, outcome.failed, outcome.reason);
    return;
  }
  const plan: Plan = { goal: state.goal, revision, steps: outcome.steps };
  const replaced = {
    revision: current.revision,
    steps: current.steps,
    reason: replan.reason,
    replacedAt: input.at,
  };
  draft.set({
    plan,
    status: "executing",
    replan: null,
    feedback: null,
    history: [...state.history, replaced],
  });
  const reason = outcome.reason === undefined ? {} : { reason: outcome.reason };
  draft.emit({ type: "replan-end", at: input.at, plan, ...reason, ...outcome.diff });
}

/** The replanner gave up on failed steps (nothing to replace them): the run fails with its reason. */
export function giveUp(
  draft: Draft,
  at: number,
  failed: readonly string[],
  reason: string | undefined,
): void {
  const why = reason ? `: ${reason}` : "";
  draft.set({ status: "executing", replan: null, feedback: null });
  endRun(draft, at, {
    status: "failed",
    reason: `the replanner gave up on failed step(s) ${failed.join(", ")}${why}`,
    error: {
      code: "replanner-gave-up" satisfies CoreErrorCode,
      message: reason ?? "the replanner returned nothing to replace the failed step(s)",
    },
  });
}

/**
 * A replanner call gave no plan (it failed, or its plan was invalid): it counts as a replan, and
 * the replanner is asked again with the error as feedback while replans are left; else the run
 * goes on executing what it has. A replanner that cannot succeed (`retryable: false`, e.g. a
 * rejected API key) is not asked again in this run.
 */
export function refuseReplan(
  draft: Draft,
  at: number,
  failure: { error: StepError; output?: unknown; retryable?: boolean },
): void {
  const { state } = draft;
  const willRetry =
    failure.retryable !== false &&
    canReplan(state) &&
    failure.error.code !== "aborted" &&
    failure.error.code !== BUDGET_EXCEEDED;
  draft.set({
    failedReplans: state.failedReplans + 1,
    feedback: { message: failure.error.message, output: failure.output },
    ...(failure.retryable === false ? { config: { ...state.config, hasReplanner: false } } : {}),
  });
  draft.emit({ type: "replan-error", at, error: failure.error, willRetry });
  if (willRetry) askReplanner(draft, at, state.replan!.reason);
  else draft.set({ status: "executing", replan: null });
}
