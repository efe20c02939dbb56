// The run config a compiled plan-and-execute graph needs: durable supersteps and a recursion limit
// that fits its budget (createPlanExecuteAgent compiles them in; a graph compiled by hand takes them).
import { coreDefaults } from "@replan/core";
import type { PlanExecuteBudget } from "./graph.js";
import { checkBudget } from "./options.js";

/**
 * The recursion limit under which a legal run of the graph never hits `GraphRecursionError`:
 * planner, approval, one executor pass per revision, one replanner pass per replan, answer.
 *
 * @param budget - the graph's budget (only `maxReplans` matters).
 * @throws {PlanExecuteError} `invalid-options` for a budget `createPlanExecuteGraph` would refuse.
 */
export function recursionLimitFor(budget: PlanExecuteBudget = {}): number {
  checkBudget(budget, "recursionLimitFor");
  const maxReplans = budget.maxReplans ?? coreDefaults.maxReplans;
  return Math.max(25, 2 * maxReplans + 10);
}

/**
 * The run config that {@link createPlanExecuteAgent} compiles in, for a graph you compile
 * yourself: `durability: "sync"` (each superstep's checkpoint is saved before the next starts:
 * with LangGraph's default `"async"`, a step's saved outcome can start the steps that need it
 * before the checkpoint it belongs to is written, and a crash then loses it) and
 * `recursionLimit: recursionLimitFor(budget)`.
 *
 * @param budget - the graph's budget.
 * @throws {PlanExecuteError} `invalid-options` for a budget `createPlanExecuteGraph` would refuse.
 * @example
 * ```ts
 * const compiled = createPlanExecuteGraph({ model, budget }).compile().withConfig(planExecuteRunConfig(budget));
 * ```
 */
export function planExecuteRunConfig(budget: PlanExecuteBudget = {}): {
  durability: "sync";
  recursionLimit: number;
} {
  checkBudget(budget, "planExecuteRunConfig");
  return { durability: "sync", recursionLimit: recursionLimitFor(budget) };
}
