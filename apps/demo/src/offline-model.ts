/**
 * The offline model: a `ScriptedChatModel` (from `@replan/langgraph/testing`) that plays the
 * planner, the replanner and the writer of the final answer for one built-in scenario. It answers
 * in the same structured-output and tool-call format as a real model, so the graph runs exactly
 * as it would with `ChatOpenAI`; only the text comes from a script.
 *
 * @module
 */
import { getCurrentTaskInput } from "@langchain/langgraph";
import type { Plan } from "@replan/core";
import type { PlanExecuteStateType } from "@replan/langgraph";
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
 * The scripted revision for the first failed step that has one, as a careful replanner would
 * write it: steps that are done or running are left out (they are kept anyway), and pending steps
 * the script does not mention are carried over unless they need a failed step.
 *
 * @param scenario - the scenario.
 * @param statuses - the steps' statuses when the replanner is called, by step id.
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
 * The state of the run the model is called in: the input of the graph node that makes the call
 * (LangGraph's `getCurrentTaskInput`), which is the adapter's public state, `PlanExecuteStateType`
 * (the plan with every step's status and result, the results, the outcome).
 */
function runState(role: string): PlanExecuteStateType {
  try {
    return getCurrentTaskInput<PlanExecuteStateType>();
  } catch (error) {
    throw new Error(`the offline model plays the ${role} inside the plan-and-execute graph only`, {
      cause: error,
    });
  }
}

/**
 * The steps' statuses as the replanner's request lists them (`- east [failed] (...)`, one line a
 * step, as `@replan/langgraph`'s replanner prompt writes the plan), by step id.
 *
 * @param text - the request's text.
 */
export function statusesInRequest(text: string): Record<string, string> {
  const statuses: Record<string, string> = {};
  for (const match of text.matchAll(/^- ([A-Za-z0-9_-]{1,64}) \[([a-z-]+)\] \(/gm)) {
    statuses[match[1]!] = match[2]!;
  }
  return statuses;
}

/**
 * The statuses of a plan's steps, by step id.
 *
 * @param plan - the plan, or null.
 * @example
 * ```ts
 * statusesOf(state.plan); // { north: "done", east: "failed", report: "pending" }
 * ```
 */
export function statusesOf(plan: Plan | null | undefined): Record<string, string> {
  return Object.fromEntries((plan?.steps ?? []).map((step) => [step.id, step.status]));
}

/**
 * Creates the offline model for a scenario. It tells its calls apart by their role (the
 * `replan_role` metadata that `@replan/langgraph`'s model layer sets). The replanner's revision
 * follows the steps' statuses in its request (the replanner runs inside the node that runs the
 * steps, whose graph input is older than the call); the answer is read from the graph's state
 * (the results and the outcome).
 *
 * @param options - the scenario and the simulated latency.
 * @returns a chat model to give to `createPlanExecuteAgent({ model })`.
 * @example
 * ```ts
 * const model = createOfflineModel({ scenario: findScenario("inventory")!, latencyMs: 50 });
 * ```
 */
export function createOfflineModel(options: OfflineModelOptions): ScriptedChatModel {
  const { scenario, latencyMs = 600 } = options;
  const used = new Set<string>();
  const respond = (request: ScriptedRequest): ScriptedReply => {
    switch (request.role) {
      case "planner":
        return toModelPlan(scenario.plan);
      case "replanner":
        return toModelPlan(revise(scenario, statusesInRequest(request.text), used));
      case "executor":
        return `The offline model cannot carry out free-form steps; step "${request.stepId ?? "?"}" was not done. Set OPENAI_API_KEY to use a real model.`;
      case "answer": {
        const state = runState("answer");
        const answer = scenario.answer(state.results ?? {});
        const ending = state.outcome?.status;
        return ending === "completed"
          ? answer
          : `The run ended ${ending ?? "early"}. What is known:\n${answer}`;
      }
      default:
        return "I am the offline demo model; I only know the built-in scenarios.";
    }
  };
  return new ScriptedChatModel({ responses: respond, latencyMs });
}
