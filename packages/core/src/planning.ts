/**
 * The first plan: asking the planner, taking its plan (or sending an invalid one back for repair,
 * within `maxPlanAttempts`), and the approval of the plan when the run requires it.
 *
 * @module
 */
import type { CoreErrorCode, PlanIssue } from "./errors.js";
import { BUDGET_EXCEEDED, endIfNoCallLeft, llmCallRefusal } from "./budgets.js";
import type { Draft } from "./draft.js";
import type { InputOf } from "./run-messages.js";
import { endRun } from "./run-end.js";
import { keepStartedSteps, keptNote, sameSpec } from "./kept-steps.js";
import type { Plan, Step, StepError } from "./schemas.js";
import { newStep } from "./step-reports.js";
import { checkPlan, validatePlan } from "./validate.js";

/** Asks the planner (again, for a repair, when `planAttempts` > 0), unless no call is left. */
export function askPlanner(draft: Draft, at: number): void {
  if (draft.state.planAttempts > 0 && endIfNoCallLeft(draft, at)) return;
  const attempt = draft.state.planAttempts + 1;
  draft.set({ status: "planning", planAttempts: attempt, planStream: undefined });
  draft.effect({ type: "call-planner", attempt, feedback: draft.state.feedback });
  draft.emit({ type: "plan-start", at, attempt });
}

/**
 * `plan`: a valid plan is taken (waiting for approval if required); an invalid one is refused.
 * When steps are kept from an earlier call (a streamed plan that could not be completed), the
 * plan adds to them: it may depend on them, and a kept step written again is not taken twice.
 */
export function takePlan(draft: Draft, input: InputOf<"plan">): void {
  const { state } = draft;
  const kept = state.plan?.steps ?? [];
  const check = checkPlan(withoutKept(input.output, kept), { maxSteps: state.config.maxSteps, locked: kept });
  if (!check.ok) {
    refusePlan(draft, input.at, { error: invalidPlanError(check.issues), output: input.output });
    return;
  }
  const steps = [...kept, ...check.steps.map((spec) => newStep(spec, 0, state.config.effects))];
  const plan: Plan = { goal: state.goal, revision: 0, steps };
  draft.set({
    plan,
    status: state.config.requireApproval ? "approving" : "executing",
    feedback: null,
    planStream: undefined,
  });
  draft.emit({ type: "plan-end", at: input.at, plan });
}

/** The error of a planner's or replanner's answer that broke the plan's rules: every issue, in one sentence. */
export function invalidPlanError(issues: readonly PlanIssue[]): StepError {
  return {
    code: "invalid-plan" satisfies CoreErrorCode,
    message: issues.map((issue) => issue.message).join("; "),
  };
}

/** `plan-error`: the planner failed. */
export function plannerFailed(draft: Draft, input: InputOf<"plan-error">): void {
  refusePlan(draft, input.at, { error: input.error, retryable: input.retryable ?? true });
}

/** A plan's steps without those equal to a kept step (a planner writing them again). */
function withoutKept(output: unknown, kept: readonly Step[]): unknown {
  if (kept.length === 0) return output;
  const steps = Array.isArray(output) ? output : (output as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return output;
  const byId = new Map(kept.map((step) => [step.id, step]));
  return steps.filter((entry) => {
    const id = (entry as { id?: unknown } | null)?.id;
    const step = typeof id === "string" ? byId.get(id) : undefined;
    return !(step && sameSpec(step, entry));
  });
}

/**
 * A planner call gave no plan (it failed, or its plan was invalid): the planner is asked again
 * with the error as feedback while attempts are left; else the run ends (failed, cancelled when
 * the call was aborted, budget-exceeded when the budget refused it). Of a plan streamed so far,
 * the steps that have started are kept, and the next call is asked for the rest.
 */
export function refusePlan(
  draft: Draft,
  at: number,
  failure: { error: StepError; output?: unknown; retryable?: boolean },
): void {
  const { state } = draft;
  const exhausted = failure.error.code === BUDGET_EXCEEDED;
  const willRetry =
    failure.retryable !== false &&
    !exhausted &&
    state.planAttempts < state.config.maxPlanAttempts &&
    failure.error.code !== "aborted";
  draft.emit({ type: "plan-error", at, attempt: state.planAttempts, error: failure.error, willRetry });
  if (willRetry) keepStartedSteps(draft);
  const message = `${failure.error.message}${willRetry ? keptNote(draft.state.plan) : ""}`;
  draft.set({ feedback: { message, output: failure.output } });
  if (willRetry) askPlanner(draft, at);
  else if (exhausted) {
    endRun(draft, at, {
      status: "budget-exceeded",
      ...(llmCallRefusal(draft.state, 0) ?? { budget: "llmCalls", reason: failure.error.message }),
    });
  } else {
    endRun(draft, at, {
      status: failure.error.code === "aborted" ? "cancelled" : "failed",
      reason: `the planner gave no valid plan after ${state.planAttempts} attempt(s): ${failure.error.message}`,
      error: failure.error,
    });
  }
}

/**
 * `approve`: the plan waiting for approval is executed, or its edited replacement (validated:
 * an invalid edit throws `PlanValidationError` and the plan keeps waiting).
 */
export function approvePlan(draft: Draft, input: InputOf<"approve">): void {
  const { state } = draft;
  if (input.steps !== undefined) {
    const steps = validatePlan(input.steps, { maxSteps: state.config.maxSteps });
    const plan: Plan = {
      goal: state.goal,
      revision: 0,
      steps: steps.map((spec) => newStep(spec, 0, state.config.effects)),
    };
    draft.set({ plan });
    draft.emit({ type: "plan-end", at: input.at, plan });
  }
  draft.set({ status: "executing" });
}
