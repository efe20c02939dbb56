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
import type { ModelRole } from "@replan/core";
import { checkOptions, rules, sleep } from "@replan/core/internal";
import { PlanExecuteError } from "./errors.js";
import { MODEL_ROLE_KEY, MODEL_STEP_KEY } from "./model-call.js";

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
  /**
   * The role of the call (`planner`, `replanner`, `executor`, `answer`), from its metadata
   * (`replan_role`, set by this package's model layer): route on this, not on the prompt's text.
   */
  role: ModelRole | undefined;
  /** For an agent step's calls: the step's id, from the call's metadata (`replan_step`). */
  stepId: string | undefined;
  /** The text of every message, joined (token counts, assertions). */
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

/** Answers by role: each role's list is used in order (its last answer repeats). */
export type ScriptedResponsesByRole = Partial<Record<ModelRole, ScriptedResponse[]>>;

/** Options of {@link ScriptedChatModel}. */
export interface ScriptedChatModelOptions {
  /**
   * The answers: a list used in order (the last one repeats), one function for every call, or a
   * list per role (`{ planner: [...], executor: [...] }`, chosen by the call's role).
   */
  responses:
    | ScriptedResponse[]
    | ((request: ScriptedRequest) => ScriptedReply | Promise<ScriptedReply>)
    | ScriptedResponsesByRole;
  /**
   * Simulated latency of every call, in ms (aborted by the call's signal).
   * @default 0
   */
  latencyMs?: number;
}

/** The rules of {@link ScriptedChatModelOptions}. */
const scriptedModelRules = {
  responses: rules.required(
    rules.custom(
      "be a list of answers, a function, or lists by role",
      (value): value is object =>
        typeof value === "function" || (typeof value === "object" && value !== null),
    ),
  ),
  latencyMs: rules.number({ min: 0 }),
} as const;

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
  private readonly roleCalls = new Map<string, number>();

  /**
   * @param options - the script and the latency.
   * @throws {PlanExecuteError} `invalid-options` for a missing script, a bad latency or an unknown option.
   */
  constructor(options: ScriptedChatModelOptions) {
    checkOptions(options, scriptedModelRules, {
      where: "ScriptedChatModel",
      error: (message) => new PlanExecuteError("invalid-options", message),
    });
    // A handler, so that every call has a run manager, which carries the call's metadata (its role).
    super({ callbacks: [{ handleChatModelStart() {} }] });
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
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const tools = ((options as { tools?: BoundTool[] }).tools ?? []) as BoundTool[];
    const metadata = (runManager as { metadata?: Record<string, unknown> } | undefined)?.metadata;
    const role = metadata?.[MODEL_ROLE_KEY];
    const stepId = metadata?.[MODEL_STEP_KEY];
    const request: ScriptedRequest = {
      messages,
      tools,
      index: this.calls.length,
      role: typeof role === "string" ? (role as ModelRole) : undefined,
      stepId: typeof stepId === "string" ? stepId : undefined,
      text: messages.map((message) => message.text).join("\n"),
    };
    this.calls.push(request);
    if (this.latencyMs > 0) {
      const signal = options.signal ?? new AbortController().signal;
      if (!(await sleep(this.latencyMs, signal))) throw signal.reason;
    }
    options.signal?.throwIfAborted();
    const script = this.responses;
    let response: ScriptedResponse | undefined;
    if (typeof script === "function") response = script;
    else if (Array.isArray(script)) response = script[Math.min(request.index, script.length - 1)];
    else {
      const list = script[request.role ?? "executor"];
      const key = request.role ?? "executor";
      const position = this.roleCalls.get(key) ?? 0;
      this.roleCalls.set(key, position + 1);
      response = list?.[Math.min(position, list.length - 1)];
      if (response === undefined) throw new Error(`ScriptedChatModel: no answer for role ${key}`);
    }
    if (response === undefined) throw new Error("ScriptedChatModel: the script is empty");
    const reply = typeof response === "function" ? await response(request) : response;
    if (reply instanceof Error) throw reply;
    const asText = (options as { response_format?: unknown }).response_format !== undefined;
    const message = toMessage(reply, tools, request, asText);
    return { generations: [{ text: message.text, message }] };
  }
}

let callCounter = 0;

function toMessage(
  reply: Exclude<ScriptedReply, Error>,
  tools: BoundTool[],
  request: ScriptedRequest,
  asText: boolean,
): AIMessageChunk {
  const promptTokens = countWords(request.text);
  const usage = (content: string, calls: unknown) => {
    const completion = countWords(content) + countWords(calls === undefined ? "" : JSON.stringify(calls));
    return { input_tokens: promptTokens, output_tokens: completion, total_tokens: promptTokens + completion };
  };
  if (typeof reply === "string") {
    return new AIMessageChunk({ content: reply, usage_metadata: usage(reply, undefined) });
  }
  if ("structured" in reply && asText) {
    const json = JSON.stringify(reply.structured ?? null);
    return new AIMessageChunk({ content: json, usage_metadata: usage(json, undefined) });
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
} from "./openai-script.js";
export { startScriptedOpenAIServer } from "./openai-server.js";
