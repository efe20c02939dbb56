/**
 * The model and the plan-and-execute agent a run uses. The agent comes from
 * `createPlanExecuteAgent`, so its durability (`"sync"`: each step's outcome is saved before the
 * next superstep), its recursion limit and its watched checkpointer are the adapter's, set in one
 * place.
 *
 * @module
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { createPlanExecuteAgent, type PlanExecuteAgent } from "@replan/langgraph";
import type { CliOptions } from "./args.js";
import { createOnlineModel } from "./model.js";
import { createOfflineModel } from "./offline-model.js";
import type { Scenario } from "./scenarios.js";
import type { ModelSettings } from "./settings.js";
import { httpChecker } from "./tools.js";

/** The budget of every demo run. */
export const BUDGET = Object.freeze({ concurrency: 4, maxReplans: 3, maxSteps: 20 } as const);

/** The offline model's thinking time at `--speed 1`, in ms. */
const OFFLINE_LATENCY_MS = 600;

/**
 * The model of a run: `ChatOpenAI` when the environment asks for a real one, else the offline
 * model playing `scenario`.
 *
 * @param settings - the environment's model settings.
 * @param model - the model name (`--model`, or the default).
 * @param scenario - the scenario the offline model plays.
 * @param speed - `--speed`: divides the offline model's thinking time.
 * @example
 * ```ts
 * const model = await createDemoModel(modelSettings(process.env, options), "gpt-4.1-mini", scenario, 1);
 * ```
 */
export async function createDemoModel(
  settings: ModelSettings,
  model: string,
  scenario: Scenario | undefined,
  speed: number,
): Promise<BaseChatModel> {
  if (settings.online)
    return createOnlineModel({ model, apiKey: settings.apiKey, baseURL: settings.baseURL });
  return createOfflineModel({ scenario: scenario!, latencyMs: Math.round(OFFLINE_LATENCY_MS / speed) });
}

/** Options of {@link createDemoAgent}. */
export interface DemoAgentOptions {
  /** The model that plans, replans, answers and carries out agent steps. */
  model: BaseChatModel;
  /** The service's operations, the HTTP tool and the shell tool. */
  tools: StructuredToolInterface[];
  /** Where checkpoints go. */
  checkpointer: BaseCheckpointSaver;
  /** A real model (its prompts show shorter results than the offline model's). */
  online: boolean;
  /** `--approve` and `--structured-output`. */
  options: Pick<CliOptions, "approve" | "structuredOutput">;
}

/**
 * Creates the agent: the plan-and-execute graph compiled by the adapter, with the demo's budget,
 * its checker of HTTP answers and its checkpointer.
 *
 * @param agentOptions - model, tools, checkpointer and the flags that shape the graph.
 * @example
 * ```ts
 * const agent = createDemoAgent({ model, tools, checkpointer: new MemorySaver(), online: false, options });
 * ```
 */
export function createDemoAgent(agentOptions: DemoAgentOptions): PlanExecuteAgent {
  const { model, tools, checkpointer, online, options } = agentOptions;
  return createPlanExecuteAgent({
    model,
    tools,
    checker: httpChecker,
    requireApproval: options.approve,
    budget: BUDGET,
    stepTimeoutMs: 60_000,
    resultPreviewChars: online ? 1000 : 4000,
    ...(options.structuredOutput ? { structuredOutputMethod: options.structuredOutput } : {}),
    checkpointer,
    name: "replan_demo",
  });
}
