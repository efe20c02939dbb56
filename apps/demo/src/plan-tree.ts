/**
 * A plan laid out as a tree, for the text views.
 *
 * @module
 */
import type { Plan, Step } from "@replan/core";

/** A line of a plan tree: the step, its tree prefix (`├─ `, `│  └─ `, ...) and its other dependencies. */
export interface TreeRow {
  step: Step;
  prefix: string;
  others: string[];
}

/**
 * Lays a plan out as a tree: each step is drawn under the dependency it waits for longest (the
 * deepest one, then the latest in the plan); its other dependencies are listed beside it.
 *
 * @param plan - the plan.
 * @returns the rows, in drawing order.
 * @example
 * ```ts
 * planTree(plan).map((row) => `${row.prefix}${row.step.id}`); // ["a", "├─ c", "└─ d", "b"]
 * ```
 */
export function planTree(plan: Plan): TreeRow[] {
  const parent = parentsOf(plan.steps);
  const children = new Map<string | undefined, Step[]>();
  for (const step of plan.steps) {
    const key = parent.get(step.id);
    children.set(key, [...(children.get(key) ?? []), step]);
  }
  const rows: TreeRow[] = [];
  const visit = (step: Step, lead: string, branch: string) => {
    const main = parent.get(step.id);
    rows.push({ step, prefix: lead + branch, others: step.dependsOn.filter((id) => id !== main) });
    const kids = children.get(step.id) ?? [];
    const next = lead + (branch === "├─ " ? "│  " : branch === "└─ " ? "   " : "");
    kids.forEach((kid, position) => {
      visit(kid, next, position === kids.length - 1 ? "└─ " : "├─ ");
    });
  };
  for (const root of children.get(undefined) ?? []) visit(root, "", "");
  return rows;
}

/** Each step's parent in the tree: of its dependencies, the deepest, then the latest in the plan. */
function parentsOf(steps: readonly Step[]): Map<string, string> {
  const index = new Map(steps.map((step, position) => [step.id, position]));
  const depth = new Map<string, number>();
  const depthOf = (step: Step, seen: Set<string>): number => {
    const known = depth.get(step.id);
    if (known !== undefined) return known;
    if (seen.has(step.id)) return 0;
    seen.add(step.id);
    let value = 0;
    for (const id of step.dependsOn) {
      const dependency = steps[index.get(id) ?? -1];
      if (dependency) value = Math.max(value, depthOf(dependency, seen) + 1);
    }
    depth.set(step.id, value);
    return value;
  };
  const parent = new Map<string, string>();
  for (const step of steps) {
    depthOf(step, new Set());
    let best: string | undefined;
    for (const id of step.dependsOn) {
      if (!index.has(id)) continue;
      if (
        best === undefined ||
        depth.get(id)! > depth.get(best)! ||
        (depth.get(id) === depth.get(best) && index.get(id)! > index.get(best)!)
      )
        best = id;
    }
    if (best !== undefined) parent.set(step.id, best);
  }
  return parent;
}
