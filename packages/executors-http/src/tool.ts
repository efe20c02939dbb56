/**
 * The LangChain tool: the model describes a request, the tool sends it through {@link createRequester}.
 *
 * @module
 */

import { ToolMessage } from "@langchain/core/messages";
import { type DynamicStructuredTool, tool } from "@langchain/core/tools";
import { errorMessage } from "@replan/core";
import { z } from "zod";
import { findHttpToolError, HttpToolError } from "./errors.js";
import {
  createRequester,
  type HttpMethod,
  type HttpRequestOptions,
  type HttpResponse,
  httpMethods,
} from "./request.js";

/** Options of {@link createHttpTool}: the request options plus the tool's name and description. */
export interface HttpToolOptions extends HttpRequestOptions {
  /**
   * The tool's name, as the model sees it.
   * @default "http_request"
   */
  name?: string | undefined;
  /**
   * The tool's description, as the model sees it.
   * @default a sentence naming the allowed methods and hosts
   */
  description?: string | undefined;
}

const toolName = /^[a-zA-Z0-9_-]{1,64}$/;

/** Checks a tool name (the pattern OpenAI and Anthropic accept). */
export function checkToolName(name: unknown, option: string): string {
  if (typeof name !== "string" || !toolName.test(name)) {
    throw new HttpToolError(
      "invalid-options",
      `${option} must match ${toolName}, got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

interface ToolCallContext {
  signal?: AbortSignal | undefined;
  toolCall?: { id?: string | undefined } | undefined;
  toolCallId?: string | undefined;
}

/**
 * Runs `send` and turns the outcome into what a model reads: JSON text of the {@link HttpResponse}
 * (with a tool call id: a `ToolMessage` with the response as `artifact`, and `status: "error"` when
 * the HTTP status is not 2xx), or, for a refusal or failure, `{"error":{"code","message"}}` (a
 * `ToolMessage` with `status: "error"`). Cancellation rethrows the signal's reason.
 */
export async function toToolOutput(
  name: string,
  context: ToolCallContext | undefined,
  send: (signal: AbortSignal | undefined) => Promise<HttpResponse>,
): Promise<string | ToolMessage> {
  const signal = context?.signal;
  const toolCallId = context?.toolCall?.id ?? context?.toolCallId;
  try {
    const response = await send(signal);
    const content = JSON.stringify(response);
    return toolCallId
      ? new ToolMessage({
          content,
          tool_call_id: toolCallId,
          name,
          // An HTTP error status is an answer, but a failed call: a plan step using it fails (and replans).
          status: response.ok ? "success" : "error",
          artifact: response,
        })
      : content;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const own = findHttpToolError(error);
    const content = JSON.stringify({
      error: { code: own?.code ?? "unexpected-error", message: own?.message ?? errorMessage(error) },
    });
    return toolCallId
      ? new ToolMessage({ content, tool_call_id: toolCallId, name, status: "error" })
      : content;
  }
}

const queryValue = z.union([z.string(), z.number(), z.boolean()]);

/** The input schema of the HTTP tool, restricted to `methods`. */
function requestSchema(methods: readonly HttpMethod[]) {
  return z.object({
    method: z
      .enum(methods as [HttpMethod, ...HttpMethod[]])
      .optional()
      .describe("The HTTP method; GET when omitted."),
    url: z.string().describe("The absolute http(s) URL, e.g. https://api.example.com/items?page=2."),
    headers: z
      .record(z.string(), z.string())
      .optional()
      .describe("Request headers. Authentication is added for you."),
    query: z
      .record(z.string(), z.union([queryValue, z.array(queryValue)]))
      .optional()
      .describe("Query parameters added to the URL; an array repeats the key."),
    json: z.unknown().optional().describe("A JSON request body (sets content-type: application/json)."),
    body: z.string().optional().describe("A text request body, when not sending JSON."),
  });
}

/**
 * Creates a LangChain tool that sends HTTP requests under a safety policy (see
 * {@link HttpRequestOptions}: allowed hosts, private addresses refused, timeouts, size caps, retries,
 * secret headers). The model gets the response as JSON text `{ ok, status, url, headers, body,
 * truncated, redirects, attempts }`; refusals and failures come back as `{ error: { code, message } }`
 * (with `status: "error"` on the ToolMessage), never as an exception. Options are validated now.
 *
 * @param options - the policy, the limits, and the tool's `name` and `description`.
 * @returns a tool with schema `{ method?, url, headers?, query?, json?, body? }`.
 * @throws {@link HttpToolError} `invalid-options` when an option is malformed.
 *
 * @example
 * ```ts
 * import { createHttpTool } from "@replan/executors-http";
 *
 * const httpTool = createHttpTool({
 *   allowedHosts: ["api.github.com"],
 *   secretHeaders: [{ hosts: ["api.github.com"], headers: { authorization: `Bearer ${process.env.GITHUB_TOKEN}` } }],
 * });
 * const text = await httpTool.invoke({ url: "https://api.github.com/repos/nodejs/node" });
 * console.log(JSON.parse(text).status); // 200
 * ```
 */
export function createHttpTool(options: HttpToolOptions = {}): DynamicStructuredTool {
  const { name = "http_request", description, ...requestOptions } = options;
  checkToolName(name, "name");
  if (description !== undefined && typeof description !== "string") {
    throw new HttpToolError("invalid-options", "description must be a string");
  }
  const request = createRequester(requestOptions);
  const methods = requestOptions.methods ?? httpMethods;
  const hosts = requestOptions.allowedHosts;
  const defaultDescription =
    `Send an HTTP request (${methods.join(", ")}) and get back its status, main headers and body ` +
    `(JSON parsed, long bodies truncated). ` +
    (hosts ? `Only these hosts are allowed: ${hosts.join(", ")}. ` : "Only public hosts are reachable. ") +
    `Refusals and network failures come back as {"error":{"code","message"}}.`;
  return tool(
    (input, config) =>
      toToolOutput(name, config as ToolCallContext, (signal) =>
        request(input as Parameters<typeof request>[0], { signal }),
      ),
    { name, description: description ?? defaultDescription, schema: requestSchema(methods) },
  ) as unknown as DynamicStructuredTool;
}
