// The scripted model's answers for replan-langgraph with the compact plan format: the planner and
// the replanner write the scenario's steps as core's `formatPlan(steps, "compact")` writes them
// (one line a step, numbered: step ids "1".."N", the replan's new steps numbered on from there;
// tool steps without a description, as the compact prompt allows; the replanner's answer is a
// patch: its steps, then a `remove:` line), the final answer is the same text as for every other
// system.
import { formatPlan, type StepSpecInput } from "@replan/core";
import { roleOf, type Script } from "./model.js";
import { finalAnswerText, type Scenario, type StepDefinition } from "./scenarios.js";

/**
 * The number of each of the scenario's step ids, as a planner numbers them: the plan's steps in
 * order, then the replacement's new steps (a replacement reusing a plan's id keeps its number).
 */
export function stepNumbers(scenario: Scenario): Map<string, string> {
  const numbers = new Map<string, string>();
  for (const step of [...scenario.steps, ...(scenario.failure?.replacement ?? [])]) {
    if (!numbers.has(step.id)) numbers.set(step.id, String(numbers.size + 1));
  }
  return numbers;
}

/** `value` with its `${id...}` references renumbered. */
function renumber(value: unknown, numbers: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z0-9_-]{1,64})/g, (whole, id: string) => {
      const number = numbers.get(id);
      return number === undefined ? whole : `\${${number}`;
    });
  }
  if (Array.isArray(value)) return value.map((item) => renumber(item, numbers));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renumber(item, numbers)]));
  }
  return value;
}

/**
 * The scenario's steps as core step specs: tool steps, each a call of its tool, without a
 * description, with the step ids (and references to them) numbered by `numbers`.
 */
export function compactSteps(
  steps: readonly StepDefinition[],
  numbers: ReadonlyMap<string, string>,
): StepSpecInput[] {
  const number = (id: string) => numbers.get(id) ?? id;
  return steps.map((step) => ({
    id: number(step.id),
    description: step.tool, // described by its tool's name: nothing is written after the call
    kind: "tool" as const,
    tool: step.tool,
    args: renumber(step.args, numbers) as Record<string, unknown>,
    dependsOn: step.dependsOn.map(number),
  }));
}

/** A plan of some of the scenario's steps in the compact format (numbered as {@link stepNumbers}). */
export function compactPlanText(scenario: Scenario, steps: readonly StepDefinition[]): string {
  return formatPlan(compactSteps(steps, stepNumbers(scenario)), "compact");
}

/**
 * The script for replan-langgraph in the compact format (tool scenarios only).
 *
 * @param scenario - the scenario.
 */
export function compactScript(scenario: Scenario): Script {
  return async (request) => {
    const role = roleOf(request);
    if (role === "planner") return compactPlanText(scenario, scenario.steps);
    if (role === "replanner") return compactReplanText(scenario);
    if (role === "answer") return finalAnswerText(scenario);
    return new Error(`scripted model: replan-langgraph makes no ${role} call on tool steps`);
  };
}

/** The replanner's answer in the compact format: numbered steps, then `remove:` and `reason:` lines. */
export function compactReplanText(scenario: Scenario): string {
  const failure = scenario.failure;
  if (!failure) return "";
  const numbers = stepNumbers(scenario);
  const number = (id: string) => numbers.get(id) ?? id;
  const patch = failure.patch;
  const steps = patch ? [...patch.add, ...patch.replace] : failure.replacement;
  const removed = patch ? patch.remove : [failure.stepId];
  const lines = compactPlanText(scenario, steps);
  return `${lines}remove: ${removed.map(number).join(", ")}\n${patch ? `reason: ${patch.reason}\n` : ""}`;
}
