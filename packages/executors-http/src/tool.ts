/**
 * The LangChain tool: the model describes a request, the tool sends it through {@link createRequester}.
 *
 * @module
 */

import { type DynamicStructuredTool, tool } from "@langchain/core/tools";
import { z } from "zod";
import { EFFECT_CLASSES, type EffectClass } from "@replan/core";
import { httpDefaults } from "./defaults.js";
import { effectOfMethods } from "./effects.js";
import type { HttpMethod } from "./http-types.js";
import { checkOptions, rules } from "@replan/core/internal";
import { checkSettings, type HttpRequestOptions, requestOptionRules } from "./options.js";
import { requesterOf } from "./request.js";
import { type ToolCallContext, toToolOutput } from "./tool-output.js";

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
  /**
   * What a call does to the world, as a plan-and-execute run reads it (`metadata.effect`): `read`,
   * `idempotent` or `write`. A resumed run calls a `read` or `idempotent` tool again when a call was
   * cut short, never a `write` one. It is also the class of every request the tool sends, for
   * `retries`: when set, `read` and `idempotent` requests are retried and `write` ones sent once;
   * when not set, each request has its method's class (GET, HEAD, OPTIONS retried, others sent once).
   * @default "read" when `methods` are only GET, HEAD and OPTIONS, else "write"
   */
  effect?: EffectClass | undefined;
}

/** The rules of {@link HttpToolOptions}: the request options, the tool's name and its description. */
const toolOptionRules = {
  ...requestOptionRules,
  name: rules.toolName(),
  description: rules.string(),
  effect: rules.oneOf(EFFECT_CLASSES),
};

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
 * @throws {@link HttpToolError} `invalid-options` when an option is unknown or malformed; the message names it.
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
  const checked = checkOptions(options, toolOptionRules, checkSettings("createHttpTool"));
  const { name = httpDefaults.name, description, effect, ...requestOptions } = checked;
  const request = requesterOf(requestOptions);
  const methods = requestOptions.methods ?? httpDefaults.methods;
  const hosts = requestOptions.allowedHosts;
  const defaultDescription =
    `Send an HTTP request (${methods.join(", ")}) and get back its status, main headers and body ` +
    `(JSON parsed, long bodies truncated). ` +
    (hosts ? `Only these hosts are allowed: ${hosts.join(", ")}. ` : "Only public hosts are reachable. ") +
    `Refusals and network failures come back as {"error":{"code","message"}}.`;
  return tool(
    (input, config) =>
      toToolOutput(name, config as ToolCallContext, (signal) =>
        request(input as Parameters<typeof request>[0], { signal, effect }),
      ),
    {
      name,
      description: description ?? defaultDescription,
      schema: requestSchema(methods),
      // what a plan-and-execute run reads (@replan/langgraph): read when only safe methods are allowed
      metadata: { effect: effect ?? effectOfMethods(methods) },
    },
  ) as unknown as DynamicStructuredTool;
}
