// What the graph's approval requests forecast: core's forecastPlan, told what each kind of work
// costs in this graph (its executor, its checker, its final answer, its prompts).
import type { StructuredToolInterface } from "@langchain/core/tools";
import {
  type CallRange,
  type Checker,
  type EffectDeclarations,
  type ForecastOptions,
  forecastPlan,
  type Plan,
  type PlanForecast,
  type Usage,
} from "@replan/core";
import type { AgentStepExecutor } from "./executors.js";
import { DEFAULT_PROMPTS, describeTools, type PlanExecutePrompts, renderPrompt } from "./prompts.js";
import { isChatModel, isMessagesGraph } from "./runnable-kinds.js";

/** What the graph's forecast depends on: a part of its options, resolved. */
export interface ForecastSources {
  executor: AgentStepExecutor;
  tools: readonly StructuredToolInterface[];
  prompts: PlanExecutePrompts;
  checker: Checker | undefined;
  finalAnswer: boolean;
  maxToolIterations: number;
  resultPreviewChars: number;
  maxSteps: number;
}

/** The forecast's options of a graph, but for what the run knows (its usage so far, its effect declarations). */
export type GraphForecastOptions = Omit<ForecastOptions, "usage" | "effects">;

/**
 * The model calls of one agent step by executor: the default executor (a chat model) makes at
 * least 1 call (an answer without tools) and at most `maxToolIterations`; a compiled agent makes
 * at least 1, at most an unknown number; a function makes calls this package cannot see
 * (0 known, no known bound).
 */
function agentStepCalls(sources: ForecastSources): CallRange {
  if (isChatModel(sources.executor)) return { least: 1, most: sources.maxToolIterations };
  if (isMessagesGraph(sources.executor)) return { least: 1 };
  return { least: 0 };
}

/**
 * How the graph's forecast counts: agent steps by executor (see {@link agentStepCalls}); a checker
 * is a function whose model calls are not known (0, no known bound); the final answer is 1 call
 * unless `finalAnswer` is false. Tokens: each call's fixed part is the default executor's system
 * prompt and the tools' descriptions (sent with every call), a result as a prompt shows it is
 * `resultPreviewChars` long (the most a prompt shows: an estimate on the high side).
 */
export function graphForecastOptions(sources: ForecastSources): GraphForecastOptions {
  const tools = describeTools(sources.tools);
  const template = sources.prompts.executor ?? DEFAULT_PROMPTS.executor;
  let system = "";
  try {
    system = renderPrompt(template, { tools, maxSteps: sources.maxSteps });
  } catch {
    // a prompt function that throws fails its own calls; the estimate just leaves it out
  }
  return {
    agentStepCalls: agentStepCalls(sources),
    checkCalls: sources.checker ? { least: 0 } : 0,
    answerCalls: sources.finalAnswer ? 1 : 0,
    tokens: { promptChars: system.length + tools.length, resultChars: sources.resultPreviewChars },
  };
}

/**
 * The forecast of `plan` in this graph, with what the run spent so far and its effect declarations.
 *
 * @param plan - the plan to approve.
 * @param run - the run's usage so far (the planner's or replanner's calls included) and its declarations.
 * @param options - from {@link graphForecastOptions}.
 */
export function graphForecast(
  plan: Plan,
  run: { usage: Usage; effects: EffectDeclarations | undefined },
  options: GraphForecastOptions,
): PlanForecast {
  return forecastPlan(plan, {
    ...options,
    usage: run.usage,
    ...(run.effects ? { effects: run.effects } : {}),
  });
}
