/**
 * A step's downstream cone: the steps that depend on it, directly or through others. While a
 * replan is pending, only the failed steps' cone waits for it; every other step keeps running.
 *
 * @module
 */
import type { Step } from "./schemas.js";

/**
 * The ids of the steps that depend, directly or transitively, on any of `ids` (not `ids`
 * themselves), in plan order. O(steps + dependencies).
 *
 * @param steps - a plan's steps.
 * @param ids - the steps whose cone is wanted (e.g. the failed ones).
 * @example
 * ```ts
 * downstreamOf(state.plan!.steps, ["fetch"]); // ["parse", "report"]: they wait for a replan of "fetch"
 * ```
 */
export function downstreamOf(
  steps: readonly Pick<Step, "id" | "dependsOn">[],
  ids: readonly string[],
): string[] {
  const dependents = new Map<string, string[]>();
  for (const step of steps) {
    for (const dependency of step.dependsOn) {
      const list = dependents.get(dependency);
      if (list) list.push(step.id);
      else dependents.set(dependency, [step.id]);
    }
  }
  const sources = new Set(ids);
  const reached = new Set<string>();
  const stack = [...sources];
  while (stack.length > 0) {
    for (const dependent of dependents.get(stack.pop()!) ?? []) {
      if (reached.has(dependent) || sources.has(dependent)) continue;
      reached.add(dependent);
      stack.push(dependent);
    }
  }
  return steps.filter((step) => reached.has(step.id)).map((step) => step.id);
}
