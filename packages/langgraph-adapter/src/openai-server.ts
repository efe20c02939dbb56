/**
 * A scripted OpenAI-compatible HTTP server for tests and offline demos: point a real `ChatOpenAI`
 * (or any OpenAI client) at it, and it answers `POST /v1/chat/completions` from a script, in the
 * real wire format (JSON or server-sent events), and records every request.
 *
 * Built on `node:http` only.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ModelRole } from "@replan/core";
import { PlanExecuteError } from "./errors.js";
import { MODEL_ROLE_HEADER } from "./model-call.js";

/** A message of a chat-completion request, as sent on the wire. */
export interface ScriptedOpenAIMessage {
  role: string;
  /** Text, an array of content parts (`{ type: "text", text }`, ...), or null. */
  content?: unknown;
  name?: string;
  tool_call_id?: string;
  tool_calls?: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }>;
  [key: string]: unknown;
}

/** The JSON body of a chat-completion request (the fields the server reads; others are kept). */
export interface ScriptedOpenAIRequestBody {
  model?: string;
  messages?: ScriptedOpenAIMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  tools?: Array<{ type: string; function?: { name: string; description?: string; parameters?: unknown } }>;
  tool_choice?: unknown;
  response_format?: { type: string; json_schema?: { name?: string; schema?: unknown; strict?: boolean } };
  [key: string]: unknown;
}

/**
 * The kind of structured output a request asked for: `"jsonSchema"` (`response_format` of type
 * `json_schema`), `"jsonMode"` (`json_object`), `"functionCalling"` (`tool_choice` forces one
 * function, as `withStructuredOutput(..., { method: "functionCalling" })` sends), or `null`.
 */
export type ScriptedOpenAIStructuredMode = "jsonSchema" | "jsonMode" | "functionCalling" | null;

/**
 * A chat-completion request, as given to a reply function.
 *
 * @example
 * ```ts
 * const server = await startScriptedOpenAIServer({
 *   responses: (request) =>
 *     request.structuredOutput ? { structured: { steps: [] } } : `call #${request.index}: ${request.text.length} chars`,
 * });
 * ```
 */
export interface ScriptedOpenAIRequest {
  /** 0 for the server's first chat-completion request (requests refused with 401 are not counted). */
  index: number;
  /** The parsed JSON body. */
  body: ScriptedOpenAIRequestBody;
  /** The request's messages (`body.messages`, or `[]`). */
  messages: ScriptedOpenAIMessage[];
  /** The text of every message, joined with newlines (assertions, token counts). */
  text: string;
  /**
   * The call's role, from the `x-replan-role` header that this package's model layer sends with
   * `ChatOpenAI`: route on this, not on the prompt's text.
   */
  role: ModelRole | undefined;
  /** The structured output asked for; see {@link ScriptedOpenAIStructuredMode}. */
  structuredOutput: ScriptedOpenAIStructuredMode;
  /** The names of the functions offered in `tools`, in order. */
  tools: string[];
  /** Whether the answer is streamed (`stream: true`). */
  stream: boolean;
  /** The request's headers, names in lower case. */
  headers: Record<string, string>;
}

/**
 * One scripted answer to a chat-completion request:
 * - a string: the assistant's text;
 * - `{ toolCalls, content? }`: tool calls (`finish_reason: "tool_calls"`), with optional text;
 * - `{ structured }`: a value, answered the way the request asked for structured output: as the
 *   message's JSON text for `response_format` `json_schema` or `json_object`, else as a call of the
 *   tool forced by `tool_choice` (or of the first tool) with the value as arguments when the
 *   request has `tools`, else as JSON text;
 * - `{ error: { status, message } }`: that HTTP status with an OpenAI-style error body.
 *
 * @example
 * ```ts
 * const responses: ScriptedOpenAIReply[] = [
 *   { structured: { steps: [] } },
 *   { toolCalls: [{ name: "add", args: { a: 1, b: 2 } }] },
 *   "3",
 *   { error: { status: 503, message: "overloaded" } },
 * ];
 * ```
 */
export type ScriptedOpenAIReply =
  | string
  | {
      content?: string;
      toolCalls?: Array<{ name: string; args: Record<string, unknown>; id?: string }>;
    }
  | { structured: unknown }
  | {
      error: { status: number; message: string; type?: string; code?: string | null };
      /** Extra response headers, e.g. `{ "retry-after": "1" }`. */
      headers?: Record<string, string>;
    };

/** An HTTP request the server received, recorded in order. */
export interface ScriptedOpenAIRecordedRequest {
  method: string;
  /** The path, without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Headers, names in lower case (repeated headers joined with ", "). */
  headers: Record<string, string>;
  /** The parsed JSON body; `undefined` when there was none, the raw text when it was not JSON. */
  body: unknown;
}

/** Options of {@link startScriptedOpenAIServer}. */
export interface ScriptedOpenAIServerOptions {
  /**
   * The answers to `POST /v1/chat/completions`: a list used in order (the last one repeats, as with
   * `ScriptedChatModel`), or one function for every request. A function that throws gives a 500.
   */
  responses:
    | ScriptedOpenAIReply[]
    | ((request: ScriptedOpenAIRequest) => ScriptedOpenAIReply | Promise<ScriptedOpenAIReply>)
    | Partial<Record<ModelRole, ScriptedOpenAIReply[]>>;
  /**
   * Requests answered with nothing at all: the connection stays open, with no status line, until
   * the client gives up (the server's `close()` ends it). Zero-based request indexes, as `index`.
   * @default []
   */
  hang?: number[];
  /**
   * Requests answered with a 200 status line and headers, then nothing (the body never comes).
   * Zero-based request indexes.
   * @default []
   */
  hangAfterHeaders?: number[];
  /**
   * The interface to listen on.
   * @default "127.0.0.1"
   */
  host?: string;
  /**
   * The port; 0 picks a free one.
   * @default 0
   */
  port?: number;
  /**
   * When set, every request must carry `Authorization: Bearer <apiKey>`, else it gets a 401.
   * @default undefined (no check)
   */
  apiKey?: string;
  /**
   * Delay before each chat-completion answer, in ms (cut short when the client disconnects).
   * @default 0
   */
  latencyMs?: number;
  /**
   * The model ids listed by `GET /v1/models`.
   * @default ["gpt-4.1-mini"]
   */
  models?: string[];
}

/**
 * A running scripted server; see {@link startScriptedOpenAIServer}.
 *
 * @example
 * ```ts
 * const server = await startScriptedOpenAIServer({ responses: ["hi"] });
 * await fetch(`${server.url}/chat/completions`, { method: "POST", body: JSON.stringify({ messages: [] }) });
 * console.log(server.requests[0]?.body);
 * await server.close();
 * ```
 */
export interface ScriptedOpenAIServer {
  /** The base URL for OpenAI clients, ending in `/v1`, e.g. `http://127.0.0.1:53211/v1`. */
  readonly url: string;
  /** Every HTTP request received so far, in order, with headers and parsed body. */
  readonly requests: ScriptedOpenAIRecordedRequest[];
  /** Stops listening and destroys open connections; resolves within about a second. Idempotent. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 1000;

/**
 * Starts a scripted OpenAI-compatible server: `POST /v1/chat/completions` (JSON, or server-sent
 * events with `stream: true`, tool-call deltas and a final usage chunk when
 * `stream_options.include_usage`), `GET /v1/models`, and OpenAI-style JSON errors (404 for
 * unknown routes, 401 for a wrong key, 400 for a body that is not JSON).
 *
 * Token counts in `usage` are whitespace-separated words: `prompt_tokens` counts the words of all
 * the messages' text, `completion_tokens` those of the answer's text plus its tool calls'
 * argument JSON.
 *
 * @param options - see {@link ScriptedOpenAIServerOptions}.
 * @returns the running server, once it listens.
 * @example
 * ```ts
 * import { ChatOpenAI } from "@langchain/openai";
 * import { startScriptedOpenAIServer } from "@replan/langgraph/testing";
 *
 * const server = await startScriptedOpenAIServer({
 *   apiKey: "test-key",
 *   responses: [{ toolCalls: [{ name: "add", args: { a: 2, b: 3 } }] }, "5"],
 * });
 * try {
 *   const model = new ChatOpenAI({
 *     model: "gpt-4.1-mini",
 *     apiKey: "test-key",
 *     configuration: { baseURL: server.url },
 *     maxRetries: 0,
 *   });
 *   const reply = await model.invoke("What is 2 + 3?");
 *   console.log(reply.tool_calls, server.requests.length);
 * } finally {
 *   await server.close();
 * }
 * ```
 */
export async function startScriptedOpenAIServer(
  options: ScriptedOpenAIServerOptions,
): Promise<ScriptedOpenAIServer> {
  const {
    responses,
    host = "127.0.0.1",
    port = 0,
    apiKey,
    latencyMs = 0,
    models = ["gpt-4.1-mini"],
  } = options;
  if (typeof responses !== "function" && (typeof responses !== "object" || responses === null)) {
    throw new PlanExecuteError(
      "invalid-options",
      'Option "responses" must be an array of replies, a function, or replies by role',
    );
  }
  const hanging = new Set(options.hang ?? []);
  const stalling = new Set(options.hangAfterHeaders ?? []);
  const roleCalls = new Map<string, number>();
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new PlanExecuteError("invalid-options", 'Option "latencyMs" must be a finite number >= 0');
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new PlanExecuteError("invalid-options", 'Option "port" must be an integer from 0 to 65535');
  }
  if (apiKey !== undefined && (typeof apiKey !== "string" || apiKey === "")) {
    throw new PlanExecuteError("invalid-options", 'Option "apiKey" must be a non-empty string');
  }
  const script = Array.isArray(responses)
    ? [...responses]
    : typeof responses === "function"
      ? responses
      : { ...responses };
  const modelIds = [...models];
  const requests: ScriptedOpenAIRecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let completions = 0;

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const method = request.method ?? "GET";
    const headers = headersOf(request);
    let raw: string;
    try {
      raw = await readBody(request);
    } catch (error) {
      const tooLarge = (error as { code?: string }).code === "body-too-large";
      if (tooLarge) sendError(response, 413, "Request body too large");
      else response.destroy();
      return;
    }
    let body: unknown;
    let invalidJson = false;
    if (raw !== "") {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        invalidJson = true;
      }
    }
    requests.push({ method, path, headers, body });

    if (apiKey !== undefined && headers.authorization !== `Bearer ${apiKey}`) {
      sendError(response, 401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
      return;
    }
    const route = path.replace(/\/+$/, "");
    if (method === "GET" && route === "/v1/models") {
      sendJson(response, 200, {
        object: "list",
        data: modelIds.map((id) => ({ id, object: "model", created: 0, owned_by: "replan-scripted" })),
      });
      return;
    }
    if (method !== "POST" || route !== "/v1/chat/completions") {
      sendError(
        response,
        404,
        `Unknown request URL: ${method} ${path}.`,
        "invalid_request_error",
        "unknown_url",
      );
      return;
    }
    if (invalidJson || typeof body !== "object" || body === null || Array.isArray(body)) {
      sendError(response, 400, "The request body must be a JSON object.", "invalid_request_error");
      return;
    }
    const chat = toChatRequest(body as ScriptedOpenAIRequestBody, completions++, headers);
    if (hanging.has(chat.index)) return; // never answered: the client's timeout, or close(), ends it
    if (stalling.has(chat.index)) {
      response.writeHead(200, { "content-type": chat.stream ? "text/event-stream" : "application/json" });
      response.flushHeaders();
      return;
    }
    if (latencyMs > 0 && !(await waitUnlessClosed(latencyMs, response))) return;
    let reply: ScriptedOpenAIReply | undefined;
    try {
      if (typeof script === "function") reply = await script(chat);
      else if (Array.isArray(script)) reply = script[Math.min(chat.index, script.length - 1)];
      else {
        const key = chat.role ?? "executor";
        const list = script[key];
        const position = roleCalls.get(key) ?? 0;
        roleCalls.set(key, position + 1);
        reply = list?.[Math.min(position, list.length - 1)];
        if (reply === undefined) throw new Error(`no reply for role ${key}`);
      }
      if (reply === undefined) throw new Error("the script is empty");
    } catch (error) {
      sendError(
        response,
        500,
        `Scripted server: ${(error as Error)?.message ?? String(error)}`,
        "server_error",
      );
      return;
    }
    if (response.destroyed) return;
    if (typeof reply === "object" && reply !== null && "error" in reply) {
      const { status, message, type, code } = reply.error;
      sendError(response, status, message, type ?? defaultErrorType(status), code ?? null, reply.headers);
      return;
    }
    const answer = toAnswer(reply, chat);
    if (chat.stream) sendStream(response, chat, answer);
    else sendJson(response, 200, completionBody(chat, answer), { "x-request-id": answer.id });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendError(response, 500, `Scripted server: ${(error as Error)?.message}`, "server_error");
      else response.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.address.includes(":") ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${hostInUrl}:${address.port}/v1`,
    requests,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/** What the server answers, independent of streaming. */
interface Answer {
  id: string;
  created: number;
  content: string | null;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finishReason: "stop" | "tool_calls";
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function toChatRequest(
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

function toAnswer(
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

function completionBody(request: ScriptedOpenAIRequest, answer: Answer) {
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
function sendStream(response: ServerResponse, request: ScriptedOpenAIRequest, answer: Answer): void {
  const includeUsage = request.body.stream_options?.include_usage === true;
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "x-request-id": answer.id,
  });
  const send = (delta: Record<string, unknown>, finishReason: string | null = null) => {
    const chunk = {
      id: answer.id,
      object: "chat.completion.chunk",
      created: answer.created,
      model: request.body.model ?? "scripted",
      system_fingerprint: null,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    };
    response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };
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
  if (includeUsage) {
    const chunk = {
      id: answer.id,
      object: "chat.completion.chunk",
      created: answer.created,
      model: request.body.model ?? "scripted",
      system_fingerprint: null,
      choices: [],
      usage: answer.usage,
    };
    response.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  response.end("data: [DONE]\n\n");
}

/** Text cut into a few pieces (at most 16 characters each), so that clients really reassemble it. */
function pieces(text: string): string[] {
  const parts: string[] = [];
  for (let start = 0; start < text.length; start += 16) parts.push(text.slice(start, start + 16));
  return parts;
}

function sendJson(
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

function sendError(
  response: ServerResponse,
  status: number,
  message: string,
  type: string = defaultErrorType(status),
  code: string | null = null,
  headers: Record<string, string> = {},
): void {
  sendJson(response, status, { error: { message, type, param: null, code } }, headers);
}

function defaultErrorType(status: number): string {
  if (status === 401) return "invalid_request_error";
  if (status === 429) return "rate_limit_exceeded";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners("data");
        request.resume();
        reject(Object.assign(new Error("body too large"), { code: "body-too-large" }));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** Waits `ms`; false when the client went away first (the timer is then cleared). */
function waitUnlessClosed(ms: number, response: ServerResponse): Promise<boolean> {
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
