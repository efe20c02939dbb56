// Calling models: structured output with the raw message kept, usage, text.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { Usage } from "@replan/core";
import type { z } from "zod";

/**
 * How a model is asked for structured output: `"functionCalling"` (a tool call; works with most
 * servers, including Ollama, vLLM, llama.cpp and LM Studio), `"jsonSchema"` (OpenAI's
 * `response_format`, `ChatOpenAI`'s default) or `"jsonMode"`. Unset: the model's own default.
 */
export type StructuredOutputMethod = "functionCalling" | "jsonSchema" | "jsonMode";

export interface StructuredAnswer {
  /** The parsed value, or null when the model's answer could not be parsed. */
  parsed: unknown;
  /** The model's message, kept for repair prompts and error reports. */
  raw: BaseMessage;
  usage: Usage;
}

export async function callStructured(
  model: BaseChatModel,
  schema: z.ZodType,
  messages: BaseMessage[],
  options: { name: string; method?: StructuredOutputMethod | undefined; signal?: AbortSignal | undefined },
): Promise<StructuredAnswer> {
  const runnable = model
    .withStructuredOutput(schema, {
      name: options.name,
      includeRaw: true,
      ...(options.method ? { method: options.method } : {}),
    })
    // Plans are data, not chat: keep their tokens out of the "messages" stream.
    .withConfig({ tags: ["langsmith:nostream"] });
  const answer = (await runnable.invoke(messages, options.signal ? { signal: options.signal } : {})) as {
    parsed: unknown;
    raw: BaseMessage;
  };
  return { parsed: answer.parsed ?? null, raw: answer.raw, usage: usageOf(answer.raw) };
}

/** The usage a message reports (one LLM call, with its tokens when the provider gives them). */
export function usageOf(message: BaseMessage | undefined): Usage {
  const metadata = (
    message as { usage_metadata?: { input_tokens?: number; output_tokens?: number } } | undefined
  )?.usage_metadata;
  return {
    llmCalls: 1,
    promptTokens: metadata?.input_tokens ?? 0,
    completionTokens: metadata?.output_tokens ?? 0,
  };
}

/** A message's text, or its tool calls as JSON when it has no text (what the model "said"). */
export function rawText(message: BaseMessage | undefined): string {
  if (!message) return "";
  const text = message.text;
  if (text) return text;
  const calls = (message as { tool_calls?: Array<{ args: unknown }> }).tool_calls;
  return calls && calls.length > 0 ? JSON.stringify(calls[0]?.args) : "";
}

export function addUsage(total: Usage, more: Usage): Usage {
  return {
    llmCalls: total.llmCalls + more.llmCalls,
    promptTokens: total.promptTokens + more.promptTokens,
    completionTokens: total.completionTokens + more.completionTokens,
  };
}
