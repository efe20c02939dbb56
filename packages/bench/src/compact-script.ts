// The scripted model's answers for replan-langgraph with the compact plan format: the planner and
// the replanner write the scenario's steps as core's `formatPlan(steps, "compact")` writes them
// (one line a step; tool steps without a description, as the compact prompt allows), the final
// answer is the same text as for every other system.
import { formatPlan, type StepSpecInput } from "@replan/core";
import { roleOf, type Script } from "./model.js";
import { finalAnswerText, type Scenario, type StepDefinition } from "./scenarios.js";

/** The scenario's steps as core step specs: tool steps, each a call of its tool, without a description. */
export function compactSteps(steps: readonly StepDefinition[]): StepSpecInput[] {
  return steps.map((step) => ({
    id: step.id,
    description: step.tool, // described by its tool's name: nothing is written after the call
    kind: "tool" as const,
    tool: step.tool,
    args: step.args,
    dependsOn: step.dependsOn,
  }));
}

/** A plan of the scenario's steps in the compact format. */
export function compactPlanText(steps: readonly StepDefinition[]): string {
  return formatPlan(compactSteps(steps), "compact");
}

/**
 * The script for replan-langgraph in the compact format (tool scenarios only).
 *
 * @param scenario - the scenario.
 */
export function compactScript(scenario: Scenario): Script {
  return async (request) => {
    const role = roleOf(request);
    if (role === "planner") return compactPlanText(scenario.steps);
    if (role === "replanner") return compactPlanText(scenario.failure?.replacement ?? []);
    if (role === "answer") return finalAnswerText(scenario);
    return new Error(`scripted model: replan-langgraph makes no ${role} call on tool steps`);
  };
}
