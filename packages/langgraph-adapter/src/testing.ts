/**
 * Scripted chat models for tests and offline demos: they speak the same structured-output and
 * tool-call format as real models, answer from a script, and record every call.
 *
 * @module
 */
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BaseChatModelCallOptions } from "@langchain/core/language_models/chat_models";
import { AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { sleep } from "@replan/core";

/** A tool as bound to the model (OpenAI function format). */
export interface BoundTool {
  type: "function";
  function: { name: string; description?: string; parameters?: unknown };
}

/** What a scripted model is asked. */
export interface ScriptedRequest {
  /** The messages of the call. */
  messages: BaseMessage[];
  /** The tools bound to the call (for `withStructuredOutput`, the single schema tool). */
  tools: BoundTool[];
  /** 0 for the model's first call. */
  index: number;
  /** The text of every message, joined: handy for routing on prompt content. */
  text: string;
}

/**
 * One scripted answer: text, tool calls, a structured value (sent as a call of the bound schema
 * tool, as `withStructuredOutput` expects), or an `Error` to throw.
 */
export type ScriptedReply =
  | string
  | Error
  | { content?: string; toolCalls?: Array<{ name: string; args: Record<string, unknown>; id?: string }> }
  | { structured: unknown };

/** A reply, or a function of the request that returns one. */
export type ScriptedResponse =
  | ScriptedReply
  | ((request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>);

/** Options of {@link ScriptedChatModel}. */
export interface ScriptedChatModelOptions {
  /**
   * The answers: a list used in order (the last one repeats), or one function for every call.
   */
  responses: ScriptedResponse[] | ((request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>);
  /**
   * Simulated latency of every call, in ms (aborted by the call's signal).
   * @default 0
   */
  latencyMs?: number;
}

/**
 * A chat model that answers from a script and records its calls. It supports `bindTools`,
 * `withStructuredOutput` (function calling), usage metadata (tokens counted as words) and
 * abort signals, so it can stand in for a real model in tests and offline demos.
 *
 * @example
 * ```ts
 * const model = new ScriptedChatModel({
 *   responses: [{ structured: { steps: [{ id: "a", description: "Say hi", dependsOn: [], tool: null, args: null }] } }, "Hi!"],
 * });
 * ```
 */
export class ScriptedChatModel extends BaseChatModel {
  /** Every call made so far, in order. */
  readonly calls: ScriptedRequest[] = [];
  private readonly responses: ScriptedChatModelOptions["responses"];
  private readonly latencyMs: number;

  /** @param options - the script and the latency. */
  constructor(options: ScriptedChatModelOptions) {
    super({});
    this.responses = options.responses;
    this.latencyMs = options.latencyMs ?? 0;
  }

  _llmType(): string {
    return "scripted";
  }

  override bindTools(tools: unknown[], kwargs?: Partial<BaseChatModelCallOptions>) {
    return this.withConfig({ tools: tools.map(toBoundTool), ...kwargs } as Partial<BaseChatModelCallOptions>);
  }

  async _generate(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const tools = ((options as { tools?: BoundTool[] }).tools ?? []) as BoundTool[];
    const request: ScriptedRequest = {
      messages,
      tools,
      index: this.calls.length,
      text: messages.map((message) => message.text).join("\n"),
    };
    this.calls.push(request);
    if (this.latencyMs > 0) {
      const signal = options.signal ?? new AbortController().signal;
      if (!(await sleep(this.latencyMs, signal))) throw signal.reason;
    }
    options.signal?.throwIfAborted();
    const script = this.responses;
    const response =
      typeof script === "function" ? script : script[Math.min(request.index, script.length - 1)];
    if (response === undefined) throw new Error("ScriptedChatModel: the script is empty");
    const reply = typeof response === "function" ? await response(request) : response;
    if (reply instanceof Error) throw reply;
    const message = toMessage(reply, tools, request);
    return { generations: [{ text: message.text, message }] };
  }
}

let callCounter = 0;

function toMessage(
  reply: Exclude<ScriptedReply, Error>,
  tools: BoundTool[],
  request: ScriptedRequest,
): AIMessageChunk {
  const promptTokens = countWords(request.text);
  const usage = (content: string, calls: unknown) => {
    const completion = countWords(content) + countWords(calls === undefined ? "" : JSON.stringify(calls));
    return { input_tokens: promptTokens, output_tokens: completion, total_tokens: promptTokens + completion };
  };
  if (typeof reply === "string") {
    return new AIMessageChunk({ content: reply, usage_metadata: usage(reply, undefined) });
  }
  if ("structured" in reply) {
    const name = tools[0]?.function.name ?? "extract";
    const toolCalls = [
      {
        name,
        args: reply.structured as Record<string, unknown>,
        id: `call_${++callCounter}`,
        type: "tool_call" as const,
      },
    ];
    return new AIMessageChunk({
      content: "",
      tool_calls: toolCalls,
      usage_metadata: usage("", reply.structured),
    });
  }
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({
    name: call.name,
    args: call.args,
    id: call.id ?? `call_${++callCounter}`,
    type: "tool_call" as const,
  }));
  const content = reply.content ?? "";
  return new AIMessageChunk({
    content,
    tool_calls: toolCalls,
    usage_metadata: usage(content, reply.toolCalls),
  });
}

function toBoundTool(tool: unknown): BoundTool {
  const candidate = tool as {
    type?: string;
    function?: BoundTool["function"];
    name?: string;
    description?: string;
    schema?: unknown;
  };
  if (candidate.type === "function" && candidate.function) return candidate as BoundTool;
  return {
    type: "function",
    function: {
      name: candidate.name ?? "tool",
      description: candidate.description ?? "",
      parameters: candidate.schema,
    },
  };
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

export type {
  ScriptedOpenAIMessage,
  ScriptedOpenAIRecordedRequest,
  ScriptedOpenAIReply,
  ScriptedOpenAIRequest,
  ScriptedOpenAIRequestBody,
  ScriptedOpenAIServer,
  ScriptedOpenAIServerOptions,
  ScriptedOpenAIStructuredMode,
} from "./openai-server.js";
export { startScriptedOpenAIServer } from "./openai-server.js";
