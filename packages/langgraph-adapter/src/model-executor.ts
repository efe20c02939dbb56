// The default executor of agent steps: a chat model in a tool-calling loop with the graph's tools.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { type BaseMessage, HumanMessage, SystemMessage, ToolMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { Executor, StepContext } from "@replan/core";
import { planExecuteDefaults } from "./defaults.js";
import { PlanExecuteError } from "./errors.js";
import { callModel } from "./model-call.js";
import { checkModelLayerArguments } from "./model-options.js";
import { type ModelExecutorOptions, settingsOf, variablesOf } from "./model-settings.js";
import { executorMessage, renderPrompt } from "./prompts.js";

/**
 * A `@replan/core` {@link Executor} on a chat model: carries out an agent step in a tool-calling
 * loop with the tools, and returns the model's final text. Tool errors and tool calls whose
 * arguments are not valid JSON go back to the model as error results; an empty answer is asked
 * again once, then fails the step (`invalid-answer`). Each request is reserved against the run's
 * budget (`context.reserveLlmCall`), reported (`context.reportUsage`, `context.emit`) and bounded by
 * the timeout; transport errors are retried per `retry`.
 *
 * @param model - the chat model.
 * @param options - the tools, prompts, `maxToolIterations`, timeout and retry policy.
 * @example
 * ```ts
 * const executor = modelExecutor(model, { tools, maxToolIterations: 4 });
 * ```
 */
export function modelExecutor(model: BaseChatModel, options: ModelExecutorOptions = {}): Executor {
  checkModelLayerArguments("modelExecutor", model, options);
  const settings = settingsOf(model, options);
  const { maxToolIterations = planExecuteDefaults.maxToolIterations } = options;
  const { tools, openAI, call, resultPreviewChars } = settings;
  const runnable = tools.length > 0 ? model.bindTools!([...tools]) : model;
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const system = renderPrompt(settings.prompts.executor, variablesOf(settings));
  return async (step, context: StepContext) => {
    const messages: BaseMessage[] = [
      new SystemMessage(system),
      new HumanMessage(executorMessage(context.goal, step, context.plan, resultPreviewChars)),
    ];
    let repaired = false;
    for (let iteration = 0; iteration < maxToolIterations; iteration++) {
      const reply = await callModel(runnable as never, openAI, call, {
        role: "executor",
        stepId: step.id,
        messages,
        signal: context.signal,
        reporter: context,
      });
      messages.push(reply);
      // Arguments sent as a JSON object where the wire has a string: LangChain files them as
      // invalid; they are taken as they are.
      const objectArgs = (reply.invalid_tool_calls ?? []).filter(
        (call) => typeof (call.args as unknown) === "object" && call.args !== null && call.name,
      );
      const calls = [
        ...(reply.tool_calls ?? []),
        ...objectArgs.map((call) => ({
          name: call.name!,
          args: call.args as unknown as Record<string, unknown>,
          id: call.id,
        })),
      ];
      const broken = (reply.invalid_tool_calls ?? []).filter((call) => !objectArgs.includes(call));
      if (calls.length > 0 || broken.length > 0) {
        const answers = await Promise.all(calls.map((call) => callTool(byName, call, context.signal)));
        for (const call of broken) {
          answers.push(
            new ToolMessage({
              content: `Error: the arguments of "${call.name ?? "?"}" are not valid JSON (${call.error ?? "unparseable"}); call it again with a JSON object.`,
              tool_call_id: call.id ?? call.name ?? "invalid",
              status: "error",
            }),
          );
        }
        messages.push(...answers);
        continue;
      }
      const text = reply.text;
      if (text.trim() !== "") return text;
      if (repaired) {
        throw new PlanExecuteError(
          "invalid-answer",
          `step "${step.id}": the model's answer was empty, twice`,
        );
      }
      repaired = true;
      messages.push(new HumanMessage("Your answer was empty. Answer with the step's result."));
    }
    throw new PlanExecuteError(
      "step-iterations",
      `step "${step.id}": the model was still calling tools after ${maxToolIterations} rounds`,
      { retryable: true },
    );
  };
}

async function callTool(
  byName: Map<string, StructuredToolInterface>,
  call: { name: string; args: Record<string, unknown>; id?: string | undefined },
  signal: AbortSignal,
): Promise<ToolMessage> {
  const id = call.id ?? call.name;
  const tool = byName.get(call.name);
  if (!tool) {
    const known = [...byName.keys()].join(", ") || "none";
    return new ToolMessage({
      content: `Unknown tool "${call.name}" (known: ${known})`,
      tool_call_id: id,
      status: "error",
    });
  }
  try {
    const answer = await tool.invoke({ type: "tool_call", id, name: call.name, args: call.args }, { signal });
    return ToolMessage.isInstance(answer)
      ? answer
      : new ToolMessage({ content: String(answer), tool_call_id: id });
  } catch (error) {
    if (signal.aborted) throw error;
    return new ToolMessage({
      content: `Tool error: ${(error as Error)?.message ?? String(error)}`,
      tool_call_id: id,
      status: "error",
    });
  }
}
