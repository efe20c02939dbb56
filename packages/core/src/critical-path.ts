/**
 * The critical path of a plan: the longest chain of dependencies among the steps still to run,
 * the part of a run that no concurrency can shorten.
 *
 * @module
 */
import { type CoreErrorCode, ReplanError } from "./errors.js";
import type { Step } from "./schemas.js";

/** The longest chain of dependencies among the steps still to run. */
export interface CriticalPath {
  /** The steps on it, in the order they run (each depends on the one before). */
  steps: string[];
  /** How many steps it holds: the least number of rounds of steps the run needs, however wide. */
  depth: number;
}

/** Whether a step is still to run (or running): pending or running. Its calls are still to come. */
export function isToCome(step: Pick<Step, "status">): boolean {
  return step.status === "pending" || step.status === "running";
}

/**
 * The critical path among the steps still to run (pending or running): a dependency on a step that
 * ended (done, or any other end) or that is not in the plan counts as met. Every step weighs one.
 * Among paths of the same depth, the one ending at the earliest step of the plan, and then
 * following each step's first deepest dependency (in `dependsOn` order), is chosen. O(steps + edges).
 *
 * @param steps - the plan's steps.
 * @throws {ReplanError} `invalid-plan` when `steps` is not an array of steps, or when steps still to
 *   run depend on each other in a cycle.
 */
export function criticalPath(steps: readonly Step[]): CriticalPath {
  if (!Array.isArray(steps) || !steps.every(isStepLike)) {
    throw new ReplanError(
      "invalid-plan",
      "criticalPath: steps must be an array of steps, each with an id, a status and dependsOn",
    );
  }
  const toCome = new Map(steps.filter(isToCome).map((step) => [step.id, step]));
  const depth = depthsOf(toCome);
  let end: Step | undefined;
  for (const step of toCome.values()) {
    if (end === undefined || depth.get(step.id)! > depth.get(end.id)!) end = step;
  }
  const path: string[] = [];
  for (let step = end; step !== undefined; ) {
    path.push(step.id);
    const wanted = depth.get(step.id)! - 1;
    const previous: string | undefined = step.dependsOn.find(
      (id) => toCome.has(id) && depth.get(id) === wanted,
    );
    step = previous === undefined ? undefined : toCome.get(previous);
  }
  return { steps: path.reverse(), depth: path.length };
}

/**
 * Each step's depth: 1 plus the deepest of its dependencies still to come (Kahn's order, so that
 * deep plans need no recursion).
 */
function depthsOf(toCome: ReadonlyMap<string, Step>): Map<string, number> {
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const step of toCome.values()) {
    const open = new Set(step.dependsOn.filter((id) => toCome.has(id)));
    waiting.set(step.id, open.size);
    for (const id of open) {
      const list = dependents.get(id);
      if (list) list.push(step.id);
      else dependents.set(id, [step.id]);
    }
  }
  const depth = new Map<string, number>();
  const ready = [...toCome.keys()].filter((id) => waiting.get(id) === 0);
  for (const id of ready) depth.set(id, 1);
  for (let index = 0; index < ready.length; index++) {
    const id = ready[index]!;
    for (const next of dependents.get(id) ?? []) {
      depth.set(next, Math.max(depth.get(next) ?? 0, depth.get(id)! + 1));
      const left = waiting.get(next)! - 1;
      waiting.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (ready.length < toCome.size) {
    const stuck = [...toCome.keys()].filter((id) => waiting.get(id)! > 0);
    throw new ReplanError<CoreErrorCode>(
      "invalid-plan",
      `steps ${stuck.join(", ")} depend on each other in a cycle: the plan has no critical path`,
    );
  }
  return depth;
}

/** Whether `value` has what {@link criticalPath} reads of a step: `id`, `status` and `dependsOn`. */
function isStepLike(value: unknown): value is Step {
  const step = value as Partial<Step> | null;
  return (
    typeof step === "object" &&
    step !== null &&
    typeof step.id === "string" &&
    typeof step.status === "string" &&
    Array.isArray(step.dependsOn)
  );
}
