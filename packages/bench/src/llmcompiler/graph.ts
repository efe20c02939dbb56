// LLMCompiler on LangGraph.js, as the LangGraph tutorial wires it: a `plan_and_schedule` node
// streams the planner's numbered task list and hands each task to the task fetching unit the
// moment its line is complete (so tasks run while the planner still writes), then returns every
// task's output as a FunctionMessage; a `join` node asks the model to answer or to replan; the
// graph ends on an answer and goes back to `plan_and_schedule` on a replan.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import {
  AIMessage,
  type BaseMessage,
  FunctionMessage,
  HumanMessage,
  SystemMessage,
} from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { type BaseCheckpointSaver, END, MessagesAnnotation, START, StateGraph } from "@langchain/langgraph";
import { z } from "zod";
import { PlanStreamParser } from "./plan-parser.js";
import {
  JOINER_DECISION_PROMPT,
  JOINER_SYSTEM_PROMPT,
  PLANNER_FORMAT_REMINDER,
  plannerSystemPrompt,
} from "./prompts.js";
import { type FinishedTask, TaskFetchingUnit } from "./task-fetching-unit.js";

/** The joiner's answer: a thought, then either the final response or why to plan again. */
export const JoinOutputsSchema = z
  .object({
    thought: z.string().describe("The reasoning behind the chosen action"),
    action: z.union([
      z.object({ response: z.string() }).describe("The final answer"),
      z.object({
        feedback: z
          .string()
          .describe("What went wrong in the previous attempt, and what the next plan must do"),
      }),
    ]),
  })
  .describe("Decide whether to answer now or to plan again.");

/** Options of {@link createLLMCompilerGraph}. */
export interface LLMCompilerOptions {
  /**
   * Plans at most (the first and the replans): past it, a replan decision ends the run with the
   * joiner's feedback as the answer.
   * @default 3
   */
  maxPlans?: number;
  checkpointer?: BaseCheckpointSaver;
}

const REPLAN_CONTEXT = "Context from last attempt: ";

/** The metadata that tells the scripted model the role of a call (as replan's model layer does). */
const withRole = (config: RunnableConfig, role: string): RunnableConfig => ({
  ...config,
  metadata: { ...config.metadata, replan_role: role },
});

/** The outputs of the tasks of earlier plans, by task number. */
function observationsOf(messages: BaseMessage[]): Map<number, string> {
  const observations = new Map<number, string>();
  for (const message of messages) {
    const idx = (message as FunctionMessage).additional_kwargs?.idx;
    if (message.getType() === "function" && typeof idx === "number") observations.set(idx, message.text);
  }
  return observations;
}

const toFunctionMessage = (task: FinishedTask) =>
  new FunctionMessage({
    name: task.tool,
    content: task.observation,
    additional_kwargs: { idx: task.idx, args: task.args },
  });

/**
 * Builds LLMCompiler as a compiled LangGraph graph. Invoke it with `{ messages: [new HumanMessage(question)] }`;
 * the answer is the text of the last message.
 *
 * @param model - the chat model of the planner and the joiner (the planner's answer is streamed).
 * @param tools - the tools the tasks call.
 * @param options - the bound on plans, and an optional checkpointer.
 */
export function createLLMCompilerGraph(
  model: BaseChatModel,
  tools: readonly StructuredToolInterface[],
  options: LLMCompilerOptions = {},
) {
  const { maxPlans = 3, checkpointer } = options;
  const joiner = model.withStructuredOutput(JoinOutputsSchema, { name: "join_outputs" });

  async function planAndSchedule(state: typeof MessagesAnnotation.State, config: RunnableConfig) {
    const { messages } = state;
    const last = messages.at(-1);
    const replanning = last !== undefined && SystemMessage.isInstance(last);
    const observations = observationsOf(messages);
    const next = Math.max(0, ...observations.keys()) + 1;
    const context = replanning
      ? [...messages.slice(0, -1), new SystemMessage(`${last.text} - Begin counting at : ${next}`)]
      : messages;
    const prompt = [
      new SystemMessage(plannerSystemPrompt(tools, replanning)),
      ...context,
      new SystemMessage(PLANNER_FORMAT_REMINDER),
    ];
    const parser = new PlanStreamParser();
    const unit = new TaskFetchingUnit({ tools, observations, config });
    const stream = await model.stream(prompt, withRole(config, replanning ? "replanner" : "planner"));
    for await (const chunk of stream) {
      for (const task of parser.push(chunk.text)) unit.add(task);
    }
    for (const task of parser.end()) unit.add(task);
    const finished = await unit.close();
    return { messages: finished.map(toFunctionMessage) };
  }

  async function join(state: typeof MessagesAnnotation.State, config: RunnableConfig) {
    // The joiner sees the question and everything after it (the outputs, earlier thoughts).
    const start = state.messages.findLastIndex((message) => HumanMessage.isInstance(message));
    const recent = state.messages.slice(Math.max(0, start));
    const decision = await joiner.invoke(
      [new SystemMessage(JOINER_SYSTEM_PROMPT), ...recent, new SystemMessage(JOINER_DECISION_PROMPT)],
      withRole(config, "answer"),
    );
    const thought = new AIMessage(`Thought: ${decision.thought}`);
    if ("response" in decision.action)
      return { messages: [thought, new AIMessage(decision.action.response)] };
    const plans = state.messages.filter(
      (message) => SystemMessage.isInstance(message) && message.text.startsWith(REPLAN_CONTEXT),
    ).length;
    if (plans + 1 >= maxPlans) {
      return {
        messages: [thought, new AIMessage(`No answer after ${maxPlans} plans: ${decision.action.feedback}`)],
      };
    }
    return { messages: [thought, new SystemMessage(`${REPLAN_CONTEXT}${decision.action.feedback}`)] };
  }

  const shouldContinue = (state: typeof MessagesAnnotation.State) =>
    AIMessage.isInstance(state.messages.at(-1)) ? END : "plan_and_schedule";

  return new StateGraph(MessagesAnnotation)
    .addNode("plan_and_schedule", planAndSchedule)
    .addNode("join", join)
    .addEdge(START, "plan_and_schedule")
    .addEdge("plan_and_schedule", "join")
    .addConditionalEdges("join", shouldContinue, ["plan_and_schedule", END])
    .compile(checkpointer ? { checkpointer } : {});
}
