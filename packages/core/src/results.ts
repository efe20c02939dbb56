/**
 * The results of done steps, by id.
 *
 * @module
 */
import type { Plan } from "./schemas.js";

/**
 * The results of a plan's done steps, by id.
 *
 * @param plan - a plan.
 * @example
 * ```ts
 * const { report } = resultsOf(result.plan!);
 * ```
 */
export function resultsOf(plan: Plan): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const step of plan.steps) if (step.status === "done") setOwn(results, step.id, step.result);
  return results;
}

/** Sets an own property, even for ids such as `__proto__` (an assignment would set the prototype). */
export function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
