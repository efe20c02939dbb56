/**
 * The plan-and-execute graph as LangGraph's server serves it (`langgraph.json` points at
 * {@link graph}). The server calls the factory with each run's config, so a run chooses its model,
 * endpoint, budgets and plan approval through `configurable`, with no code edit.
 *
 * @module
 */
import type { RunnableConfig } from "@langchain/core/runnables";
import { ChatOpenAI } from "@langchain/openai";
import { createPlanExecuteGraph, planExecuteRunConfig } from "@replan/langgraph";
import { type ServerEnvironment, resolveRunOptions } from "./config.js";
import { serverTools } from "./tools.js";

/** The compiled graph's name. */
export const GRAPH_NAME = "plan_execute";

/**
 * Builds the compiled plan-and-execute graph for one run's `configurable`: a `ChatOpenAI` model
 * (any OpenAI-compatible endpoint) and the server's tools, run with the adapter's
 * `planExecuteRunConfig` (`durability: "sync"` and the recursion limit, as `createPlanExecuteAgent`
 * sets them). No checkpointer: LangGraph's server sets its own (in memory with `langgraphjs dev`,
 * Postgres when deployed). Not `createPlanExecuteAgent` itself: its abort guard lets the executor
 * save what ended before a cancellation, and LangGraph's dev server then ends the run's stream
 * without its `error` event.
 *
 * @param configurable - the run's `config.configurable`; see `RunConfigurableSchema`.
 * @param env - the environment for defaults and limits. @default process.env
 * @throws ServerConfigError (`invalid-config`) naming an option that cannot be used.
 * @example
 * ```ts
 * import { MemorySaver } from "@langchain/langgraph";
 *
 * const compiled = createServerGraph({ model: "gpt-4.1", maxReplans: 1, tools: ["shell"] });
 * compiled.checkpointer = new MemorySaver();
 * const state = await compiled.invoke({ goal: "List the files" }, { configurable: { thread_id: "1" } });
 * ```
 */
export function createServerGraph(
  configurable: Readonly<Record<string, unknown>> = {},
  env: ServerEnvironment = process.env,
) {
  const options = resolveRunOptions(configurable, env);
  const model = new ChatOpenAI({
    model: options.model,
    // A local endpoint may need no key; the OpenAI client refuses an empty one.
    apiKey: options.apiKey ?? (options.baseUrl !== undefined ? "unused" : undefined),
    ...(options.baseUrl !== undefined ? { configuration: { baseURL: options.baseUrl } } : {}),
  });
  return createPlanExecuteGraph({
    model,
    tools: serverTools(options.tools, env),
    budget: options.budget,
    requireApproval: options.requireApproval,
    finalAnswer: options.finalAnswer,
    ...(options.structuredOutputMethod !== undefined
      ? { structuredOutputMethod: options.structuredOutputMethod }
      : {}),
    ...(options.stepTimeoutMs !== undefined ? { stepTimeoutMs: options.stepTimeoutMs } : {}),
  })
    .compile({ name: GRAPH_NAME })
    .withConfig(planExecuteRunConfig(options.budget));
}

/**
 * The graph factory named in `langgraph.json` (`"./dist/graph.mjs:graph"`). LangGraph's server
 * detects an exported function and calls it with the run's config (assistant config, thread config
 * and run config merged) for every run and state read.
 *
 * @param config - the run's config; only `configurable` is read.
 * @returns the compiled graph for that configuration.
 * @example
 * ```ts
 * const compiled = await graph({ configurable: { model: "gpt-4.1-mini", requireApproval: true } });
 * ```
 */
export async function graph(config: RunnableConfig = {}) {
  return createServerGraph(config.configurable ?? {});
}
