/**
 * What follows every input: a due replan is asked for, ready steps are started up to the
 * concurrency limit, and the run ends when nothing is left to run.
 *
 * @module
 */
import { BUDGET_EXCEEDED, llmCallRefusal } from "./budgets.js";
import type { Draft } from "./draft.js";
import { askReplanner, canReplan } from "./replanning.js";
import { endRun } from "./run-end.js";
import type { BudgetName } from "./schemas.js";
import { stepKey } from "./step-reports.js";
import { indexOf } from "./step-index.js";

/**
 * Moves an executing run forward after an input: asks for a replan when a step failed (and the
 * budget allows one), else starts ready steps, else ends the run (completed, failed, or out of
 * replans). A run that is not executing is left as it is.
 */
export function advance(draft: Draft, at: number): void {
  if (draft.state.status === "planning") {
    startWhileWriting(draft, at);
    return;
  }
  if (draft.state.status !== "executing" || !draft.state.plan) return;
  const steps = draft.state.plan.steps;
  const { running, done, pending, failed } = indexOf(steps).counts;
  const failedSteps = () => steps.filter((step) => step.status === "failed");
  // No room for another model call: no replan; what is in flight finishes, then the run ends.
  let exhausted: { budget: BudgetName; reason: string } | undefined;
  if (failed > 0) {
    const refused = failedSteps().some((step) => step.error?.code === BUDGET_EXCEEDED);
    if (refused || canReplan(draft.state)) {
      exhausted =
        llmCallRefusal(draft.state, 0) ??
        (refused ? { budget: "llmCalls", reason: "a model call was refused by the budget" } : undefined);
    }
  }
  if (exhausted) {
    if (running === 0) endRun(draft, at, { status: "budget-exceeded", ...exhausted });
    return;
  }
  if (failed > 0 && canReplan(draft.state)) {
    const failures = failedSteps();
    const unexpected = failures.filter((step) => step.error?.code === "unexpected-result");
    askReplanner(draft, at, {
      trigger: unexpected.length === failures.length ? "unexpected-result" : "step-failed",
      stepIds: failures.map((step) => step.id),
      message: failures.map((step) => `step "${step.id}": ${step.error?.message ?? "failed"}`).join("; "),
    });
    return;
  }
  const capacity = draft.state.config.concurrency - running;
  const started = pending > 0 && capacity > 0 ? startReadySteps(draft, at, capacity) : 0;
  if (running + started > 0) return;
  if (done === steps.length) {
    endRun(draft, at, { status: "completed", reason: `all ${steps.length} steps are done` });
    return;
  }
  const failedIds = failedSteps()
    .map((step) => step.id)
    .join(", ");
  const { config, replans } = draft.state;
  if (config.hasReplanner && config.maxReplans > 0 && replans >= config.maxReplans) {
    endRun(draft, at, {
      status: "budget-exceeded",
      budget: "replans",
      reason: `step(s) ${failedIds} failed and all ${config.maxReplans} replan(s) are used up`,
    });
  } else endRun(draft, at, { status: "failed", reason: `step(s) ${failedIds} failed` });
}

/**
 * While the planner is still writing the plan (a streamed plan): ready steps start, unless the
 * run requires approval; nothing else happens (no replan, no end) before the plan is complete.
 */
function startWhileWriting(draft: Draft, at: number): void {
  const { plan, config } = draft.state;
  if (!plan || config.requireApproval) return;
  const { running, pending } = indexOf(plan.steps).counts;
  const capacity = config.concurrency - running;
  if (pending > 0 && capacity > 0) startReadySteps(draft, at, capacity);
}

/**
 * Starts ready steps (pending, dependencies done) in plan order, at most `capacity` of them.
 * The steps' index keeps the ready set, so this costs O(started steps), not O(plan).
 *
 * @returns how many steps it started.
 */
export function startReadySteps(draft: Draft, at: number, capacity: number): number {
  const steps = draft.state.plan!.steps;
  const positions = indexOf(steps).readyPositions(capacity);
  for (const position of positions) {
    const step = steps[position]!;
    const running = draft.updateStep(
      step.id,
      { status: "running", attempts: step.attempts + 1, startedAt: step.startedAt ?? at },
      position,
    );
    const key = stepKey(draft.state, running);
    draft.effect({ type: "execute-step", stepId: step.id, attempt: running.attempts, key, delayMs: 0 });
    draft.emit({ type: "step-start", at, step: running, key });
  }
  return positions.length;
}
