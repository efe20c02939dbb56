// What kind of runnable a value is: a chat model that can bind tools, or a compiled LangGraph
// graph with a `messages` key. Shared by the option rules and the executors.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";

/** Anything with LangGraph's compiled-graph `invoke` taking `{ messages }`. */
export interface MessagesGraph {
  invoke(
    input: { messages: BaseMessage[] },
    config?: { signal?: AbortSignal; metadata?: Record<string, unknown> },
  ): Promise<unknown>;
}

/** Whether a value is a chat model that can bind tools. */
export function isChatModel(value: unknown): value is BaseChatModel {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { bindTools?: unknown }).bindTools === "function" &&
    typeof (value as { invoke?: unknown }).invoke === "function"
  );
}

/** Whether a value is a compiled LangGraph graph (or an agent holding one as `.graph`). */
export function isMessagesGraph(value: unknown): value is MessagesGraph {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as { invoke?: unknown; lg_is_pregel?: unknown; graph?: { lg_is_pregel?: unknown } };
  return (
    typeof candidate.invoke === "function" &&
    (candidate.lg_is_pregel === true || candidate.graph?.lg_is_pregel === true)
  );
}
