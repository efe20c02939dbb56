/**
 * A scripted OpenAI-compatible HTTP server for tests and offline demos: point a real `ChatOpenAI`
 * (or any OpenAI client) at it, and it answers `POST /v1/chat/completions` from a script, in the
 * real wire format (JSON or server-sent events), and records every request.
 *
 * Built on `node:http` only.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { checkOptions, readBody, rules } from "@replan/core/internal";
import { PlanExecuteError } from "./errors.js";

import type {
  ScriptedOpenAIRecordedRequest,
  ScriptedOpenAIReply,
  ScriptedOpenAIRequest,
  ScriptedOpenAIRequestBody,
  ScriptedOpenAIServer,
  ScriptedOpenAIServerOptions,
} from "./openai-script.js";
import {
  completionBody,
  defaultErrorType,
  headersOf,
  sendError,
  pause,
  sendJson,
  sendStream,
  type StreamPace,
  toAnswer,
  toChatRequest,
} from "./openai-wire.js";

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
 * @throws {PlanExecuteError} `invalid-options` (the promise rejects) for a bad or unknown option.
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
  const script = scriptOf(options);
  const requests: ScriptedOpenAIRecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    script.handle(request, response, requests).catch((error: unknown) => {
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
    server.listen(script.port, script.host, () => {
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

/** The server's options, checked, and its request handler. */
/** A zero-based request index. */
const requestIndexes = rules.array(rules.integer({ min: 0 }));

/** The rules of {@link ScriptedOpenAIServerOptions}. */
const serverOptionRules = {
  responses: rules.required(
    rules.custom(
      "be an array of replies, a function, or replies by role",
      (value): value is object =>
        typeof value === "function" || (typeof value === "object" && value !== null),
    ),
  ),
  hang: requestIndexes,
  hangAfterHeaders: requestIndexes,
  host: rules.string({ nonEmpty: true }),
  port: rules.integer({ min: 0, max: 65_535 }),
  apiKey: rules.string({ nonEmpty: true }),
  latencyMs: rules.number({ min: 0 }),
  chunkDelayMs: rules.number({ min: 0, max: 60_000 }),
  cutStreams: rules.array(
    rules.object(
      {
        request: rules.required(rules.integer({ min: 0 })),
        afterChunks: rules.required(rules.integer({ min: 0 })),
      },
      "cutStreams[]",
    ),
  ),
  stallStreams: rules.array(
    rules.object(
      {
        request: rules.required(rules.integer({ min: 0 })),
        afterChunks: rules.required(rules.integer({ min: 0 })),
      },
      "stallStreams[]",
    ),
  ),
  ignoreStream: rules.custom(
    "be true or an array of request indexes",
    (value): value is number[] | true =>
      value === true ||
      (Array.isArray(value) && value.every((index) => Number.isInteger(index) && index >= 0)),
  ),
  models: rules.array(rules.string({ nonEmpty: true })),
} as const;

function scriptOf(options: ScriptedOpenAIServerOptions) {
  checkOptions(options, serverOptionRules, {
    where: "startScriptedOpenAIServer",
    error: (message) => new PlanExecuteError("invalid-options", message),
  });
  const {
    responses,
    host = "127.0.0.1",
    port = 0,
    apiKey,
    latencyMs = 0,
    chunkDelayMs = 0,
    models = ["gpt-4.1-mini"],
  } = options;
  const cuts = new Map((options.cutStreams ?? []).map((cut) => [cut.request, cut.afterChunks]));
  const stalls = new Map((options.stallStreams ?? []).map((stall) => [stall.request, stall.afterChunks]));
  const replies = replier(responses);
  const hanging = new Set(options.hang ?? []);
  const stalling = new Set(options.hangAfterHeaders ?? []);
  const { ignoreStream = [] } = options;
  const streams = (index: number) => ignoreStream !== true && !ignoreStream.includes(index);
  const modelIds = [...models];
  let completions = 0;

  const handle = async (
    request: IncomingMessage,
    response: ServerResponse,
    requests: ScriptedOpenAIRecordedRequest[],
  ): Promise<void> => {
    const received = await receive(request, response);
    if (!received) return;
    const { path, method, headers, body, invalidJson } = received;
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
    const asked = toChatRequest(body as ScriptedOpenAIRequestBody, completions++, headers);
    const chat = streams(asked.index) ? asked : { ...asked, stream: false };
    if (hanging.has(chat.index)) return; // never answered: the client's timeout, or close(), ends it
    if (stalling.has(chat.index)) {
      response.writeHead(200, { "content-type": chat.stream ? "text/event-stream" : "application/json" });
      response.flushHeaders();
      return;
    }
    if (latencyMs > 0 && !(await pause(latencyMs, response))) return;
    const cutAfter = cuts.get(chat.index);
    const stallAfter = stalls.get(chat.index);
    await answer(response, chat, replies, {
      chunkDelayMs,
      ...(cutAfter === undefined ? {} : { cutAfter }),
      ...(stallAfter === undefined ? {} : { stallAfter }),
    });
  };
  return { host, port, handle };
}

/** Reads a request: its path, method, headers and body (parsed when JSON); undefined when it could not be read. */
async function receive(request: IncomingMessage, response: ServerResponse) {
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  const method = request.method ?? "GET";
  const headers = headersOf(request);
  let raw: string | undefined;
  try {
    raw = await readBody(request, { limitBytes: MAX_BODY_BYTES });
  } catch {
    response.destroy();
    return undefined;
  }
  if (raw === undefined) {
    sendError(response, 413, "Request body too large");
    return undefined;
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
  return { path, method, headers, body, invalidJson };
}

/** The reply the script gives a request: from a function, a list, or a list per role. */
function replier(responses: ScriptedOpenAIServerOptions["responses"]) {
  const script = Array.isArray(responses)
    ? [...responses]
    : typeof responses === "function"
      ? responses
      : { ...responses };
  const roleCalls = new Map<string, number>();
  return async (chat: ScriptedOpenAIRequest): Promise<ScriptedOpenAIReply> => {
    let reply: ScriptedOpenAIReply | undefined;
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
    return reply;
  };
}

/** Sends the script's reply to a chat completion: an error, a JSON completion or a stream. */
async function answer(
  response: ServerResponse,
  chat: ScriptedOpenAIRequest,
  replies: (chat: ScriptedOpenAIRequest) => Promise<ScriptedOpenAIReply>,
  pace: StreamPace,
): Promise<void> {
  let reply: ScriptedOpenAIReply;
  try {
    reply = await replies(chat);
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
  const completion = toAnswer(reply, chat);
  if (chat.stream) await sendStream(response, chat, completion, pace);
  else sendJson(response, 200, completionBody(chat, completion), { "x-request-id": completion.id });
}
