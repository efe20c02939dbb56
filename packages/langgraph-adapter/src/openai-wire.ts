// The OpenAI chat-completion wire format, as the scripted server reads requests and writes answers
// (JSON or server-sent events, OpenAI-style errors).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ModelRole } from "@replan/core";
import { MODEL_ROLE_HEADER } from "./model-call.js";
import type {
  ScriptedOpenAIMessage,
  ScriptedOpenAIReply,
  ScriptedOpenAIRequest,
  ScriptedOpenAIRequestBody,
  ScriptedOpenAIStructuredMode,
} from "./openai-script.js";

/** What the server answers, independent of streaming. */
export interface Answer {
  id: string;
  created: number;
  content: string | null;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finishReason: "stop" | "tool_calls";
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export function toChatRequest(
  body: ScriptedOpenAIRequestBody,
  index: number,
  headers: Record<string, string>,
): ScriptedOpenAIRequest {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const tools = (Array.isArray(body.tools) ? body.tools : [])
    .map((tool) => tool?.function?.name)
    .filter((name): name is string => typeof name === "string");
  return {
    index,
    body,
    messages,
    text: messages.map(messageText).join("\n"),
    structuredOutput: structuredModeOf(body),
    role: roleOf(headers[MODEL_ROLE_HEADER]),
    tools,
    stream: body.stream === true,
    headers,
  };
}

function roleOf(header: string | undefined): ModelRole | undefined {
  return header === "planner" || header === "replanner" || header === "executor" || header === "answer"
    ? header
    : undefined;
}

function structuredModeOf(body: ScriptedOpenAIRequestBody): ScriptedOpenAIStructuredMode {
  const format = body.response_format?.type;
  if (format === "json_schema") return "jsonSchema";
  if (format === "json_object") return "jsonMode";
  return forcedTool(body.tool_choice) !== undefined ? "functionCalling" : null;
}

/** The function named by `tool_choice` (`{ type: "function", function: { name } }`), if any. */
function forcedTool(choice: unknown): string | undefined {
  const name = (choice as { function?: { name?: unknown } } | null | undefined)?.function?.name;
  return typeof name === "string" ? name : undefined;
}

export function toAnswer(
  reply: Exclude<ScriptedOpenAIReply, { error: unknown }>,
  request: ScriptedOpenAIRequest,
): Answer {
  let content: string | null;
  let calls: Array<{ name: string; args: unknown; id?: string | undefined }> = [];
  if (typeof reply === "string") content = reply;
  else if ("structured" in reply) {
    const json = JSON.stringify(reply.structured ?? null);
    const asText = request.structuredOutput === "jsonSchema" || request.structuredOutput === "jsonMode";
    const tool = forcedTool(request.body.tool_choice) ?? request.tools[0];
    if (!asText && tool !== undefined) {
      content = null;
      calls = [{ name: tool, args: reply.structured ?? {} }];
    } else content = json;
  } else {
    calls = reply.toolCalls ?? [];
    content = reply.content ?? (calls.length > 0 ? null : "");
  }
  const toolCalls = calls.map((call) => ({
    id: call.id ?? `call_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
    name: call.name,
    arguments: JSON.stringify(call.args ?? {}),
  }));
  const promptTokens = countWords(request.text);
  const completionTokens =
    countWords(content ?? "") + toolCalls.reduce((sum, call) => sum + countWords(call.arguments), 0);
  return {
    id: `chatcmpl-${randomUUID().replaceAll("-", "")}`,
    created: Math.floor(Date.now() / 1000),
    content,
    toolCalls,
    finishReason: toolCalls.length > 0 ? "tool_calls" : "stop",
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

export function completionBody(request: ScriptedOpenAIRequest, answer: Answer) {
  return {
    id: answer.id,
    object: "chat.completion",
    created: answer.created,
    model: request.body.model ?? "scripted",
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: answer.content,
          refusal: null,
          ...(answer.toolCalls.length > 0
            ? {
                tool_calls: answer.toolCalls.map((call) => ({
                  id: call.id,
                  type: "function",
                  function: { name: call.name, arguments: call.arguments },
                })),
              }
            : {}),
        },
        logprobs: null,
        finish_reason: answer.finishReason,
      },
    ],
    usage: answer.usage,
  };
}

/** Sends the answer as `chat.completion.chunk` events: role, text in pieces, tool calls, finish, usage. */
export async function sendStream(
  response: ServerResponse,
  request: ScriptedOpenAIRequest,
  answer: Answer,
  pace: StreamPace = { chunkDelayMs: 0 },
): Promise<void> {
  const includeUsage = request.body.stream_options?.include_usage === true;
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-request-id": answer.id,
  });
  const chunks: string[] = [];
  const write = (fields: Record<string, unknown>) => {
    const chunk = {
      id: answer.id,
      object: "chat.completion.chunk",
      created: answer.created,
      model: request.body.model ?? "scripted",
      system_fingerprint: null,
      ...fields,
    };
    chunks.push(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  const send = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    write({
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    });
  send({ role: "assistant", content: answer.toolCalls.length > 0 ? null : "", refusal: null });
  for (const piece of pieces(answer.content ?? "")) send({ content: piece });
  answer.toolCalls.forEach((call, index) => {
    send({
      tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }],
    });
    for (const piece of pieces(call.arguments))
      send({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  send({}, answer.finishReason);
  if (includeUsage) write({ choices: [], usage: answer.usage });
  if (pace.chunkDelayMs === 0 && pace.cutAfter === undefined && pace.stallAfter === undefined) {
    response.end(`${chunks.join("")}data: [DONE]\n\n`); // one write: thousands of small ones are slow
    return;
  }
  for (const [index, chunk] of chunks.entries()) {
    if (response.destroyed) return;
    if (index === pace.cutAfter) {
      response.destroy(); // cut mid-answer: the client sees the connection end
      return;
    }
    if (index === pace.stallAfter) {
      await new Promise((resolve) => response.once("close", resolve)); // stalled until the client goes
      return;
    }
    if (pace.chunkDelayMs > 0 && index > 0 && !(await pause(pace.chunkDelayMs, response))) return;
    response.write(chunk);
  }
  response.end("data: [DONE]\n\n");
}

/** How a streamed answer is sent: the delay between chunks, and where it is cut (if it is). */
export interface StreamPace {
  chunkDelayMs: number;
  /** Destroy the connection before this chunk (zero-based). */
  cutAfter?: number;
  /** Write nothing from this chunk on (zero-based), until the client goes away. */
  stallAfter?: number;
}

/** Waits `ms`; false when the client went away first (the timer is then cleared). */
export function pause(ms: number, response: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      response.off("close", onClose);
      resolve(!response.destroyed);
    }, ms);
    response.once("close", onClose);
  });
}

/** Text cut into a few pieces (at most 16 characters each), so that clients really reassemble it. */
function pieces(text: string): string[] {
  const parts: string[] = [];
  for (let start = 0; start < text.length; start += 16) parts.push(text.slice(start, start + 16));
  return parts;
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  if (response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...extraHeaders,
  });
  response.end(text);
}

export function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  type: string = defaultErrorType(status),
  code: string | null = null,
  headers: Record<string, string> = {},
): void {
  sendJson(response, status, { error: { message, type, param: null, code } }, headers);
}

export function defaultErrorType(status: number): string {
  if (status === 401) return "invalid_request_error";
  if (status === 429) return "rate_limit_exceeded";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

export function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** A message's text: its string content, or the text of its text parts. */
function messageText(message: ScriptedOpenAIMessage): string {
  const content = message?.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        typeof (part as { text?: unknown })?.text === "string" ? (part as { text: string }).text : "",
      )
      .filter(Boolean)
      .join("\n");
  }
  return "";
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
