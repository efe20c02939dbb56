/**
 * Replanning: asking the replanner for the steps that replace every step not done or running,
 * merging its answer into a new revision of the plan, and what a failed replan leads to.
 *
 * @module
 */
import type { CoreErrorCode } from "./errors.js";
import { BUDGET_EXCEEDED, endIfNoCallLeft } from "./budgets.js";
import type { Draft } from "./draft.js";
import type { InputOf } from "./run-messages.js";
import { endRun } from "./run-end.js";
import type { Plan, ReplanReason, RunState, StepError } from "./schemas.js";
import { invalidPlanError } from "./planning.js";
import { newStep } from "./step-reports.js";
import { checkPlan } from "./validate.js";

/** Whether the run may call its replanner (it has one, and replans are left). */
export function canReplan(state: RunState): boolean {
  return state.config.hasReplanner && state.replans < state.config.maxReplans;
}

/**
 * Asks the replanner for a new revision, locking the steps that are done or running (they are
 * kept as they are), unless the budget leaves no call for it.
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
 * `replan`: the replanner's steps replace every step that is not locked, as a new revision (the
 * replaced plan goes to `history`). An invalid answer is refused; an empty one while a step has
 * failed means the replanner gives up, and the run fails.
 */
export function takeReplan(draft: Draft, input: InputOf<"replan">): void {
  const { state } = draft;
  const current = state.plan!;
  const replan = state.replan!;
  const locked = new Set(replan.locked);
  const kept = current.steps.filter((step) => locked.has(step.id));
  const check = checkPlan(input.output, { maxSteps: state.config.maxSteps, locked: kept, allowEmpty: true });
  if (!check.ok) {
    refuseReplan(draft, input.at, { error: invalidPlanError(check.issues), output: input.output });
    return;
  }
  const failedIds = current.steps.filter((step) => step.status === "failed").map((step) => step.id);
  if (check.steps.length === 0 && failedIds.length > 0) {
    // No replacement for a failed step: the replanner gives up, and the goal is not reached.
    draft.set({ status: "executing", replan: null, feedback: null });
    endRun(draft, input.at, {
      status: "failed",
      reason: `the replanner gave up: it returned no steps to replace failed step(s) ${failedIds.join(", ")}`,
      error: {
        code: "replanner-gave-up" satisfies CoreErrorCode,
        message: "the replanner returned no steps",
      },
    });
    return;
  }
  const revision = current.revision + 1;
  const plan: Plan = {
    goal: state.goal,
    revision,
    steps: [...kept, ...check.steps.map((spec) => newStep(spec, revision, state.config.effects))],
  };
  const added = check.steps.map((step) => step.id);
  const addedIds = new Set(added);
  const removed = current.steps
    .filter((step) => !locked.has(step.id) && !addedIds.has(step.id))
    .map((step) => step.id);
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
  draft.emit({ type: "replan-end", at: input.at, plan, removed, added });
}

/**
 * A replanner call gave no plan (it failed, or its plan was invalid): it counts as a replan, and
 * the replanner is asked again with the error as feedback while replans are left; else the run
 * goes on executing what it has. A replanner that cannot succeed (`retryable: false`, e.g. a
 * rejected API key) is not asked again in this run.
 */
function refuseReplan(
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
