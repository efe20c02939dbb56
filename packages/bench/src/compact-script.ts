// The scripted model's answers for replan-langgraph with the compact plan format: the planner and
// the replanner write the scenario's steps as core's `formatPlan(steps, "compact")` writes them
// (one line a step, numbered: step ids "1".."N", the replan's new steps numbered on from there;
// tool steps without a description, as the compact prompt allows); the replanner answers a patch:
// the scenario's own (its steps, then `remove:` and `reason:` lines), else the failed step replaced
// in place (one numbered line whose number is in the plan, then a `reason:` line); the final
// answer is the same text as for every other system.
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

/** What a replan writes and what runs after it (see {@link inPlaceReplan}). */
export interface InPlaceReplan {
  /** The steps the replanner writes (one: the failed step's replacement, under its id). */
  written: StepDefinition[];
  /** The steps that run after the replan, in order: the written ones, and the plan's steps that wait on them. */
  run: StepDefinition[];
}

/** `value` with its references to `from` renamed to `to`. */
function renamed(value: unknown, from: string, to: string): unknown {
  return JSON.parse(JSON.stringify(value).replaceAll(`\${${from}`, `\${${to}`));
}

/**
 * The scenario's failure as replan answers it, a patch that replaces the failed step in place: the
 * replacement's stand-in for the failed step (a new step with the failed step's dependencies, the
 * mirror fetch) takes the failed step's id, so the replacement's other steps, which only pointed
 * to the stand-in instead of the failed step, are the plan's steps as they are and are not
 * written. The same work as the scenario's replacement (the mirror fetch, then the last fetch).
 *
 * @param scenario - the scenario (undefined without a failure, with a patch of its own, or when no
 *   stand-in exists).
 */
export function inPlaceReplan(scenario: Scenario): InPlaceReplan | undefined {
  const failure = scenario.failure;
  const failed = scenario.steps.find((step) => step.id === failure?.stepId);
  if (!failure || !failed || failure.patch) return undefined; // a scenario's own patch is written as it is
  const planned = new Map(scenario.steps.map((step) => [step.id, step]));
  const standIn = failure.replacement.find(
    (step) => !planned.has(step.id) && step.dependsOn.join() === failed.dependsOn.join(),
  );
  if (!standIn) return undefined;
  const written: StepDefinition[] = [{ ...standIn, id: failed.id, description: failed.description }];
  const run = [...written];
  for (const step of failure.replacement) {
    if (step === standIn) continue;
    const pointed = {
      ...(renamed(step, standIn.id, failed.id) as StepDefinition),
      dependsOn: step.dependsOn.map((id) => (id === standIn.id ? failed.id : id)),
    };
    const same = planned.get(step.id);
    const unchanged =
      same !== undefined &&
      JSON.stringify({ ...pointed, description: "" }) === JSON.stringify({ ...same, description: "" });
    if (!unchanged) written.push(pointed);
    run.push(unchanged ? same : pointed);
  }
  return { written, run };
}

/** Why the scripted replanner replans (its `reason:` line). */
export const REPLAN_REASON = "the primary source answered 503; fetch the record from the mirror";

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

/**
 * The replanner's answer in the compact format: the failed step replaced in place and a `reason:`
 * line (see {@link inPlaceReplan}); else (a scenario's own patch, or no stand-in) numbered steps,
 * then `remove:` and `reason:` lines.
 *
 * @param scenario - the scenario.
 */
export function compactReplanText(scenario: Scenario): string {
  const failure = scenario.failure;
  if (!failure) return "";
  const inPlace = inPlaceReplan(scenario);
  if (inPlace) return `${compactPlanText(scenario, inPlace.written)}reason: ${REPLAN_REASON}\n`;
  const numbers = stepNumbers(scenario);
  const number = (id: string) => numbers.get(id) ?? id;
  const patch = failure.patch;
  const steps = patch ? [...patch.add, ...patch.replace] : failure.replacement;
  const removed = patch ? patch.remove : [failure.stepId];
  const lines = compactPlanText(scenario, steps);
  return `${lines}remove: ${removed.map(number).join(", ")}\n${patch ? `reason: ${patch.reason}\n` : ""}`;
}
