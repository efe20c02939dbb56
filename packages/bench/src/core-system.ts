// replan-core: `runPlan` from @replan/core with the model layer of @replan/langgraph (planner,
// replanner and agent-step executor on the scripted model, the same prompts as the graph), then
// one final-answer call.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { type RunResult, runPlan, type ToolFunction } from "@replan/core";
import { modelAnswer, modelExecutor, modelPlanner, modelReplanner } from "@replan/langgraph";

export interface CoreRunOptions {
  goal: string;
  model: BaseChatModel;
  /** The tools as LangChain tools: their descriptions go into the prompts and to the model. */
  tools: StructuredToolInterface[];
  /** The same tools as plain functions, for tool steps. */
  functions: Record<string, ToolFunction>;
  concurrency: number;
  maxSteps: number;
}

/** Runs a goal with `runPlan`, then writes the final answer with one model call. */
export async function runCore(options: CoreRunOptions): Promise<{ result: RunResult; answer: string }> {
  const { goal, model, tools, functions, concurrency, maxSteps } = options;
  const layer = { tools, maxSteps };
  const result = await runPlan({
    goal,
    planner: modelPlanner(model, layer),
    replanner: modelReplanner(model, layer),
    executor: modelExecutor(model, layer),
    tools: functions,
    budget: { concurrency, maxSteps },
  });
  const { text } = await modelAnswer(model, layer)({ goal, plan: result.plan, outcome: result.outcome });
  return { result, answer: text };
}
