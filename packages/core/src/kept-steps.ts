/**
 * The steps kept when a streamed plan cannot be completed as written (it was invalid at its end,
 * the planner failed mid-stream, or the run resumed mid-stream): the steps that have started, and
 * how the next planner call is told about them.
 *
 * @module
 */
import type { Draft } from "./draft.js";
import { type Plan, type Step, type StepSpec, StepSpecSchema } from "./schemas.js";

/** Whether `output` is, once parsed, the same spec as `step`. */
export function sameSpec(step: Step, output: unknown): boolean {
  const parsed = StepSpecSchema.safeParse(output);
  return parsed.success && canonical(specOf(step)) === canonical(parsed.data);
}

/** The spec part of a step. */
export function specOf(step: Step): StepSpec {
  const { id, description, dependsOn } = step;
  return step.kind === "tool"
    ? { id, kind: "tool", description, dependsOn, tool: step.tool, args: step.args }
    : { id, kind: "agent", description, dependsOn };
}

/** JSON with object keys sorted, so that two equal specs compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/**
 * The plan reduced to the steps that have started (running, done or failed), before the planner
 * is asked for the rest of a plan that could not be completed as written; null when none has.
 */
export function keepStartedSteps(draft: Draft): void {
  const plan = draft.state.plan;
  if (!plan) return;
  const started = plan.steps.filter((step) => step.status !== "pending");
  draft.set({ plan: started.length > 0 ? { ...plan, steps: started } : null, planStream: undefined });
}

/** The feedback line that tells the planner which steps are kept, or "" when none is. */
export function keptNote(plan: Plan | null): string {
  if (!plan || plan.steps.length === 0) return "";
  const ids = plan.steps.map((step) => `"${step.id}"`).join(", ");
  return ` Steps ${ids} have started and are kept: write only the other steps (they may depend on the kept ones).`;
}
