// The baseline: the LangGraph.js plan-and-execute tutorial's graph, written from its published
// description. A planner with structured output writes a list of steps; a ReAct agent
// (`createReactAgent`) carries out ONE step at a time, seeing only that step's text; after EVERY
// step the replanner sees the objective, the original plan and all past steps with their full
// outputs, and either responds to the user or returns the remaining plan.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import {
  Annotation,
  type BaseCheckpointSaver,
  END,
  type LangGraphRunnableConfig,
  START,
  StateGraph,
} from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { z } from "zod";

/** The tutorial's state: input, plan (remaining steps), past steps with outputs, response. */
export const BaselineState = Annotation.Root({
  input: Annotation<string>({ reducer: (x, y) => y ?? x ?? "", default: () => "" }),
  plan: Annotation<string[]>({ reducer: (x, y) => y ?? x ?? [], default: () => [] }),
  pastSteps: Annotation<[string, string][]>({ reducer: (x, y) => x.concat(y), default: () => [] }),
  response: Annotation<string | undefined>({ reducer: (x, y) => y ?? x, default: () => undefined }),
});

const PLAN_RULES = `For the given objective, come up with a simple step by step plan. \
This plan should involve individual tasks, that if executed correctly will yield the correct answer. Do not add any superfluous steps. \
The result of the final step should be the final answer. Make sure that each step has all the information needed - do not skip steps.`;

const plannerPrompt = (objective: string) => `${PLAN_RULES}

${objective}`;

const replannerPrompt = (input: string, plan: string, pastSteps: string) => `${PLAN_RULES}

Your objective was this:
${input}

Your original plan was this:
${plan}

You have currently done the follow steps:
${pastSteps}

Update your plan accordingly. If no more steps are needed and you can return to the user, then respond with that and use the 'response' function.
Otherwise, fill out the plan.
Only add steps to the plan that still NEED to be done. Do not return previously done steps as part of the plan.`;

const PlanSchema = z
  .object({
    steps: z.array(z.string()).describe("different steps to follow, should be in sorted order"),
  })
  .describe("This tool is used to plan the steps to follow");

const planTool = {
  type: "function" as const,
  function: {
    name: "plan",
    description: "This tool is used to plan the steps to follow",
    parameters: z.toJSONSchema(PlanSchema),
  },
};

const responseTool = {
  type: "function" as const,
  function: {
    name: "response",
    description: "Response to user.",
    parameters: z.toJSONSchema(z.object({ response: z.string().describe("Response to user.") })),
  },
};

/**
 * Builds the tutorial's plan-and-execute graph, compiled.
 *
 * @param model - the chat model of the planner, the agent and the replanner.
 * @param tools - the agent's tools.
 * @param checkpointer - an optional checkpointer.
 */
export function createBaselineGraph(
  model: BaseChatModel,
  tools: StructuredToolInterface[],
  checkpointer?: BaseCheckpointSaver,
) {
  const agentExecutor = createReactAgent({ llm: model, tools });
  // Each call carries its role in its metadata (the scripted model answers by it).
  const role = (name: string) => ({ metadata: { replan_role: name } });
  const planner = model.withStructuredOutput(PlanSchema, { name: "plan" }).withConfig(role("planner"));
  const replanner = model.bindTools!([planTool, responseTool]).withConfig(role("replanner"));

  async function planStep(state: typeof BaselineState.State) {
    const plan = await planner.invoke([new HumanMessage(plannerPrompt(state.input))]);
    return { plan: plan.steps };
  }

  async function executeStep(state: typeof BaselineState.State, config: LangGraphRunnableConfig) {
    const task = state.plan[0]!;
    const { messages } = await agentExecutor.invoke(
      { messages: [new HumanMessage(task)] },
      { ...config, metadata: { ...config.metadata, replan_role: "executor" } },
    );
    return { pastSteps: [[task, messages.at(-1)!.text] as [string, string]], plan: state.plan.slice(1) };
  }

  async function replanStep(state: typeof BaselineState.State) {
    const output = await replanner.invoke([
      new HumanMessage(
        replannerPrompt(
          state.input,
          state.plan.join("\n"),
          state.pastSteps.map(([step, result]) => `${step}: ${result}`).join("\n"),
        ),
      ),
    ]);
    const call = output.tool_calls?.[0];
    if (call?.name === "response") return { response: String(call.args.response) };
    return { plan: (call?.args.steps as string[] | undefined) ?? [] };
  }

  const shouldEnd = (state: typeof BaselineState.State) => (state.response ? "true" : "false");

  return new StateGraph(BaselineState)
    .addNode("planner", planStep)
    .addNode("agent", executeStep)
    .addNode("replan", replanStep)
    .addEdge(START, "planner")
    .addEdge("planner", "agent")
    .addEdge("agent", "replan")
    .addConditionalEdges("replan", shouldEnd, { true: END, false: "agent" })
    .compile(checkpointer ? { checkpointer } : {});
}

/** A recursion limit for `steps` steps: two supersteps per step, plus the planner and a margin. */
export const baselineRecursionLimit = (steps: number) => 2 * steps + 10;
