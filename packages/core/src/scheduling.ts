/**
 * What follows every input: a due replan is asked for, ready steps are started up to the
 * concurrency limit (while a replan is pending too), and the run ends when nothing is left to run.
 *
 * @module
 */
import { BUDGET_EXCEEDED, llmCallRefusal } from "./budgets.js";
import type { Draft } from "./draft.js";
import { askReplanner, canReplan } from "./replanning.js";
import { endRun } from "./run-end.js";
import { branchEnded, replannableFailures } from "./failure-bound.js";
import type { BudgetName, Step } from "./schemas.js";
import { stepKey } from "./step-reports.js";
import { indexOf } from "./step-index.js";
import { unsettle } from "./unknown-effect.js";

/**
 * Moves a run forward after an input: asks for a replan when a step failed (and the budget
 * allows one), starts ready steps (also while a replan is pending: a failed step's dependents are
 * never ready, so only its downstream cone waits), and ends the run when nothing is left to run.
 * A run that is neither executing nor replanning is left as it is.
 */
export function advance(draft: Draft, at: number): void {
  if (draft.state.status === "planning") {
    startWhileWriting(draft, at);
    return;
  }
  const { status } = draft.state;
  if ((status !== "executing" && status !== "replanning") || !draft.state.plan) return;
  if (status === "executing") {
    const failures = draft.state.plan.steps.some((step) => step.status === "failed")
      ? replannableFailures(draft.state)
      : [];
    // No room for another model call: no replan; what is in flight finishes, then the run ends.
    const exhausted = exhaustion(draft, failures);
    if (exhausted) {
      if (indexOf(draft.state.plan.steps).counts.running === 0) {
        endRun(draft, at, { status: "budget-exceeded", ...exhausted });
      }
      return;
    }
    if (failures.length > 0 && canReplan(draft.state)) askForFix(draft, at, failures);
    if (draft.ended) return;
  }
  const { running, pending } = indexOf(draft.state.plan!.steps).counts;
  const capacity = draft.state.config.concurrency - running;
  const started = pending > 0 && capacity > 0 ? startReadySteps(draft, at, capacity) : 0;
  if (draft.state.status === "replanning" || running + started > 0) return;
  endWhenIdle(draft, at);
}

/** The budget that leaves no room for the model call a failure needs (its replan, or a refused call). */
function exhaustion(
  draft: Draft,
  failures: readonly Step[],
): { budget: BudgetName; reason: string } | undefined {
  const refused = draft.state.plan!.steps.some(
    (step) => step.status === "failed" && step.error?.code === BUDGET_EXCEEDED,
  );
  if (!refused && !(failures.length > 0 && canReplan(draft.state))) return undefined;
  return (
    llmCallRefusal(draft.state, 0) ??
    (refused ? { budget: "llmCalls", reason: "a model call was refused by the budget" } : undefined)
  );
}

/** Asks the replanner to fix these failed steps. */
function askForFix(draft: Draft, at: number, failures: readonly Step[]): void {
  const unexpected = failures.filter((step) => step.error?.code === "unexpected-result");
  askReplanner(draft, at, {
    trigger: unexpected.length === failures.length ? "unexpected-result" : "step-failed",
    stepIds: failures.map((step) => step.id),
    message: failures.map((step) => `step "${step.id}": ${step.error?.message ?? "failed"}`).join("; "),
  });
}

/** Ends a run with nothing running and nothing ready: completed, failed, or out of replans. */
function endWhenIdle(draft: Draft, at: number): void {
  const { config, replans, plan } = draft.state;
  const steps = plan!.steps;
  if (indexOf(steps).counts.done === steps.length) {
    endRun(draft, at, { status: "completed", reason: `all ${steps.length} steps are done` });
    return;
  }
  const failed = steps.filter((step) => step.status === "failed");
  const failedIds = failed.map((step) => step.id).join(", ");
  const ended = failed.filter((step) => branchEnded(draft.state, step)).map((step) => step.id);
  const outOfReplans = config.hasReplanner && config.maxReplans > 0 && replans >= config.maxReplans;
  if (outOfReplans && ended.length < failed.length) {
    endRun(draft, at, {
      status: "budget-exceeded",
      budget: "replans",
      reason: `step(s) ${failedIds} failed and all ${config.maxReplans} replan(s) are used up`,
    });
    return;
  }
  const bound =
    ended.length > 0 && config.hasReplanner
      ? ` (${ended.join(", ")} failed the same way ${config.maxIdenticalFailures} time(s): the branch ended)`
      : "";
  endRun(draft, at, { status: "failed", reason: `step(s) ${failedIds} failed${bound}` });
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
    if (step.unknownEffect) {
      // A replan wrote again an effect whose earlier attempt is unknown: settled before it runs.
      unsettle(draft, step, at, step.unknownEffect, { startedAt: step.startedAt ?? at });
      continue;
    }
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
