// Helpers for this package's tests only (not exported from index.ts).
import type { RunState, StepSpecInput } from "./schemas.js";
import { createRun, type RunConfigInput, type TransitionResult, transition } from "./index.js";

/** A run that has been started and given `steps` as its plan, at time 0. */
export function startedRun(steps: StepSpecInput[], config: RunConfigInput = {}): TransitionResult {
  const started = transition(createRun({ runId: "r", goal: "g", budget: config }), { type: "start", at: 0 });
  return transition(started.state, { type: "plan", at: 1, output: steps });
}

export const agent = (id: string, dependsOn: string[] = []): StepSpecInput => ({
  id,
  kind: "agent",
  description: `do ${id}`,
  dependsOn,
});

export function statusOf(state: RunState): Record<string, string> {
  return Object.fromEntries((state.plan?.steps ?? []).map((step) => [step.id, step.status]));
}
