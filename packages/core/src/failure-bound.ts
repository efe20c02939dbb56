/**
 * The bound on repeated failures: a step (by id) that fails the same way (same error code and
 * message) `maxIdenticalFailures` times across revisions ends its branch instead of being sent to
 * the replanner again. The count is read from the plan's history, so a saved state needs nothing
 * more to resume with the same bound.
 *
 * @module
 */
import type { RunState, Step } from "./schemas.js";

/**
 * How many times this failed step, or an earlier step with its id that it replaced, failed the
 * same way: 1 for a first failure. Each step instance (one revision's step) counts once.
 */
export function identicalFailures(state: Pick<RunState, "history">, step: Step): number {
  const { error } = step;
  if (step.status !== "failed" || !error) return 0;
  const instances = new Set<number>([step.revision]);
  for (const earlier of state.history) {
    const same = earlier.steps.find((candidate) => candidate.id === step.id);
    if (
      same?.status === "failed" &&
      same.error?.code === error.code &&
      same.error.message === error.message
    ) {
      instances.add(same.revision);
    }
  }
  return instances.size;
}

/** Whether a failed step's branch has ended: it failed the same way as often as the bound allows. */
export function branchEnded(state: Pick<RunState, "history" | "config">, step: Step): boolean {
  return identicalFailures(state, step) >= state.config.maxIdenticalFailures;
}

/** The failed steps that a replan may still fix (their branch has not ended), in plan order. */
export function replannableFailures(state: Pick<RunState, "history" | "config" | "plan">): Step[] {
  return (state.plan?.steps ?? []).filter((step) => step.status === "failed" && !branchEnded(state, step));
}
