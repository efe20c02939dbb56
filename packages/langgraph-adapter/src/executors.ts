// The three kinds of agent-step executors, and LangChain tools as tool-step functions.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { type BaseMessage, HumanMessage, isAIMessage, ToolMessage } from "@langchain/core/messages";
import { type StructuredToolInterface, ToolInputParsingException } from "@langchain/core/tools";
import type { Executor, StepContext, ToolFunction } from "@replan/core";
import { checkOptions, rules } from "@replan/core/internal";
import { PlanExecuteError } from "./errors.js";
import { MODEL_ROLE_KEY, MODEL_STEP_KEY, messageUsage } from "./model-call.js";
import { modelExecutor } from "./model-executor.js";
import type { ModelExecutorOptions } from "./model-settings.js";
import { addUsage } from "./models.js";
import { tools as toolsRule } from "./options.js";
import { executorMessage } from "./prompts.js";
import { isChatModel, isMessagesGraph, type MessagesGraph } from "./runnable-kinds.js";

export type { MessagesGraph } from "./runnable-kinds.js";
export { isMessagesGraph } from "./runnable-kinds.js";

/**
 * What carries out agent steps: a chat model (run in a tool-calling loop with the graph's tools),
 * an existing compiled LangGraph agent with a `messages` key (e.g. `createAgent(...)` from
 * `langchain`, or its `.graph`), or a plain async function `(step, context) => result`.
 */
export type AgentStepExecutor = BaseChatModel | MessagesGraph | Executor;

export type ExecutorSettings = ModelExecutorOptions & { resultPreviewChars: number };

/** Turns any accepted executor into a core {@link Executor}. */
export function toExecutor(executor: AgentStepExecutor, settings: ExecutorSettings): Executor {
  if (isChatModel(executor)) return modelExecutor(executor, settings);
  if (isMessagesGraph(executor)) return graphExecutor(executor, settings);
  if (typeof executor === "function") return executor;
  throw new PlanExecuteError(
    "invalid-options",
    'Option "executor" must be a chat model, a compiled LangGraph agent with a messages key, or a function',
  );
}

/** An existing agent graph: the step goes in as a human message, the last AI message is the result. */
function graphExecutor(graph: MessagesGraph, settings: ExecutorSettings): Executor {
  return async (step, context) => {
    const input = new HumanMessage(
      executorMessage(context.goal, step, context.plan, settings.resultPreviewChars),
    );
    // The role goes down to the agent's own model calls (metadata is inherited).
    const output = (await graph.invoke(
      { messages: [input] },
      { signal: context.signal, metadata: { [MODEL_ROLE_KEY]: "executor", [MODEL_STEP_KEY]: step.id } },
    )) as {
      messages?: BaseMessage[];
    };
    const messages = output?.messages ?? [];
    const start = messages.findIndex((message) => message.id !== undefined && message.id === input.id) + 1;
    let usage = { llmCalls: 0, promptTokens: 0, completionTokens: 0 };
    for (const message of messages.slice(start))
      if (isAIMessage(message)) usage = addUsage(usage, messageUsage(message));
    context.reportUsage(usage);
    const last = messages.at(-1);
    if (!last || !isAIMessage(last)) {
      throw new PlanExecuteError(
        "executor-failed",
        `step "${step.id}": the agent graph returned no AI message`,
        { retryable: true },
      );
    }
    return last.text;
  };
}

/**
 * LangChain tools as core tool functions for tool steps: called with no LLM, with the step's
 * idempotency key as the tool call id. Bad arguments fail the step without retry
 * (`invalid-tool-args`); a `ToolMessage` with `status: "error"` fails it (`tool-error`).
 *
 * @param tools - LangChain tools with distinct names.
 * @throws {PlanExecuteError} `invalid-options` when `tools` is not an array of such tools.
 */
export function toToolFunctions(tools: readonly StructuredToolInterface[]): Record<string, ToolFunction> {
  checkOptions(
    { tools },
    { tools: rules.required(toolsRule) },
    {
      where: "toToolFunctions",
      error: (message) => new PlanExecuteError("invalid-options", message),
    },
  );
  const functions: Record<string, ToolFunction> = {};
  for (const tool of tools) {
    functions[tool.name] = async (args: Record<string, unknown>, context: StepContext) => {
      let answer: unknown;
      try {
        answer = await tool.invoke(
          { type: "tool_call", id: context.key, name: tool.name, args },
          {
            signal: context.signal,
            metadata: { replanStepKey: context.key, replanAttempt: context.attempt },
          },
        );
      } catch (error) {
        if (error instanceof ToolInputParsingException) {
          throw new PlanExecuteError(
            "invalid-tool-args",
            `tool "${tool.name}" rejected its arguments: ${(error as Error).message}`,
            { cause: error },
          );
        }
        throw error;
      }
      if (!ToolMessage.isInstance(answer)) return answer;
      if (answer.status === "error")
        throw new PlanExecuteError("tool-error", `tool "${tool.name}": ${answer.text}`, { retryable: true });
      if (answer.artifact !== undefined) return answer.artifact;
      return parseContent(answer.text);
    };
  }
  return functions;
}

/** Tool output arrives as text: JSON (objects, arrays, numbers, booleans) is parsed back, other text kept. */
function parseContent(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
