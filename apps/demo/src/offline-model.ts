/**
 * The offline model: a `ScriptedChatModel` (from `@replan/langgraph/testing`) that plays the
 * planner, the replanner and the writer of the final answer for one built-in scenario. It answers
 * in the same structured-output and tool-call format as a real model, so the graph runs exactly
 * as it would with `ChatOpenAI`; only the text comes from a script.
 *
 * @module
 */
import { type ScriptedReply, type ScriptedRequest, ScriptedChatModel } from "@replan/langgraph/testing";
import type { Scenario, ScenarioStep } from "./scenarios.js";

/** Options of {@link createOfflineModel}. */
export interface OfflineModelOptions {
  /** The scenario to play. */
  scenario: Scenario;
  /**
   * The time the model "thinks" before each answer, in ms.
   * @default 600
   */
  latencyMs?: number;
}

/** The plan as the model writes it (`ModelPlanSchema`: tool arguments as JSON text). */
function toModelPlan(steps: ScenarioStep[]): { structured: unknown } {
  return {
    structured: {
      steps: steps.map((step) => ({
        id: step.id,
        description: step.description,
        dependsOn: step.dependsOn,
        tool: step.tool,
        args: JSON.stringify(step.args),
      })),
    },
  };
}

/**
 * Reads the steps' statuses and results back from a replanner or answer prompt, where each step
 * is a line `- id [status] (...)` followed by `  result: <JSON>` when it is done.
 *
 * @param text - the prompt.
 * @returns the statuses and the (parsed) results, by step id.
 */
export function readSteps(text: string): {
  statuses: Record<string, string>;
  results: Record<string, unknown>;
} {
  const statuses: Record<string, string> = {};
  const results: Record<string, unknown> = {};
  let current: string | undefined;
  for (const line of text.split("\n")) {
    const step = /^- ([A-Za-z0-9_-]+) \[([a-z]+)\]/.exec(line);
    if (step) {
      current = step[1]!;
      statuses[current] = step[2]!;
      continue;
    }
    const result = /^ {2}result: (.*)$/.exec(line);
    if (result && current !== undefined) {
      try {
        results[current] = JSON.parse(result[1]!);
      } catch {
        results[current] = result[1];
      }
    }
  }
  return { statuses, results };
}

/**
 * The scripted revision for the first failed step that has one, as a careful replanner would
 * write it: steps that are done or running are left out (they are kept anyway), and pending steps
 * the script does not mention are carried over unless they need a failed step.
 *
 * @param scenario - the scenario.
 * @param statuses - the statuses read from the replanner's prompt.
 * @param used - failed steps already replanned (updated).
 * @returns the steps that replace everything not done.
 */
export function revise(
  scenario: Scenario,
  statuses: Record<string, string>,
  used: Set<string>,
): ScenarioStep[] {
  const failed = Object.keys(statuses).filter((id) => statuses[id] === "failed");
  const id = failed.find((candidate) => scenario.replans[candidate] && !used.has(candidate));
  if (id === undefined) return [];
  used.add(id);
  const specs = new Map<string, ScenarioStep>();
  for (const step of [...scenario.plan, ...Object.values(scenario.replans).flat()]) specs.set(step.id, step);
  const locked = (stepId: string) => statuses[stepId] === "done" || statuses[stepId] === "running";
  const replacement = scenario.replans[id]!.filter((step) => !locked(step.id));
  const chosen = new Set(replacement.map((step) => step.id));
  const blocked = (stepId: string, seen: Set<string>): boolean => {
    if (statuses[stepId] === "failed") return true;
    if (seen.has(stepId)) return false;
    seen.add(stepId);
    return (specs.get(stepId)?.dependsOn ?? []).some((dependency) => blocked(dependency, seen));
  };
  const carried = Object.keys(statuses)
    .filter((stepId) => statuses[stepId] === "pending" && !chosen.has(stepId) && specs.has(stepId))
    .filter((stepId) => !blocked(stepId, new Set()))
    .map((stepId) => specs.get(stepId)!);
  return [...replacement, ...carried];
}

/**
 * Creates the offline model for a scenario.
 *
 * @param options - the scenario and the simulated latency.
 * @returns a chat model to give to `createPlanExecuteGraph({ model })`.
 * @example
 * ```ts
 * const model = createOfflineModel({ scenario: findScenario("inventory")!, latencyMs: 50 });
 * ```
 */
export function createOfflineModel(options: OfflineModelOptions): ScriptedChatModel {
  const { scenario, latencyMs = 600 } = options;
  const used = new Set<string>();
  const respond = (request: ScriptedRequest): ScriptedReply => {
    // The role comes with the call (its metadata, set by @replan/langgraph's model layer).
    const role = request.role;
    const prompt = request.messages
      .slice(1)
      .map((message) => message.text)
      .join("\n");
    if (role === "planner") return toModelPlan(scenario.plan);
    if (role === "replanner") return toModelPlan(revise(scenario, readSteps(prompt).statuses, used));
    if (role === "executor") {
      const step = /Your step \(([^)]+)\): (.*)/.exec(prompt);
      return `The offline model cannot carry out free-form steps; "${step?.[2] ?? "this step"}" was not done. Set OPENAI_API_KEY to use a real model.`;
    }
    if (role === "answer") {
      const { results } = readSteps(prompt);
      const ending = /How the plan ended: ([a-z-]+)/.exec(prompt)?.[1];
      const answer = scenario.answer(results);
      return ending === "completed"
        ? answer
        : `The run ended ${ending ?? "early"}. What is known:\n${answer}`;
    }
    return "I am the offline demo model; I only know the built-in scenarios.";
  };
  return new ScriptedChatModel({ responses: respond, latencyMs });
}
