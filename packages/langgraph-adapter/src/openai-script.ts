// The script of the scripted OpenAI-compatible server: what it is asked, what it answers, its options.
import type { ModelRole } from "@replan/core";

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
   * Delay between two chunks of a streamed answer (`stream: true`), in ms: the answer then arrives
   * over time, as a real model writes it (text in pieces of at most 16 characters).
   * @default 0
   */
  chunkDelayMs?: number;
  /**
   * Streamed answers cut short: at request `request` (zero-based, as `index`), the connection is
   * destroyed after `afterChunks` chunks of the answer (the stream ends mid-answer).
   * @default []
   */
  cutStreams?: Array<{ request: number; afterChunks: number }>;
  /**
   * Streamed answers that stall: at request `request` (zero-based), nothing more is written after
   * `afterChunks` chunks, and the connection stays open until the client goes away (a model that
   * stops mid-answer; a process killed while it reads).
   * @default []
   */
  stallStreams?: Array<{ request: number; afterChunks: number }>;
  /**
   * Requests answered with a whole JSON completion even when they ask for `stream: true`, as some
   * OpenAI-compatible servers do (zero-based request indexes; `true` for every request).
   * @default []
   */
  ignoreStream?: number[] | true;
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
