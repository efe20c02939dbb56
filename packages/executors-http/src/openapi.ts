/**
 * OpenAPI 3.x documents turned into one tool per operation, calling through the safe request function.
 *
 * @module
 */

import type { StructuredTool } from "@langchain/core/tools";
import { tool } from "@langchain/core/tools";
import { httpDefaults } from "./defaults.js";
import { HttpToolError } from "./errors.js";
import type { HttpMethod } from "./http-types.js";
import { checkOptions, rules } from "@replan/core/internal";
import { fail, isObject, type Json, RefResolver } from "./json-schema.js";
import { buildOperation, type DocumentContext, type OpenApiOperation } from "./openapi-operation.js";
import { EFFECT_CLASSES, type EffectClass } from "@replan/core";
import { checkSettings, type HttpRequestOptions, requestOptionRules } from "./options.js";
import { requesterOf } from "./request.js";
import { type ToolCallContext, toToolOutput } from "./tool-output.js";

/** Options of {@link openApiOperations} and {@link createOpenApiTools}. */
export interface OpenApiOptions extends HttpRequestOptions {
  /**
   * The API's base URL, to which each operation's path is appended.
   * @default the document's `servers[0].url`, with its variables at their defaults
   */
  baseUrl?: string | undefined;
  /**
   * Keeps only these operations (by generated tool name or by `operationId`).
   * @default undefined (every operation whose method is in `methods`)
   */
  operations?: readonly string[] | undefined;
  /**
   * Effect classes of operations (by generated tool name or by `operationId`), over the document's
   * `x-effect` and the method's class (`GET`, `HEAD`, `OPTIONS`: `read`; others: `write`).
   * @default {}
   */
  effects?: Readonly<Record<string, EffectClass>> | undefined;
  /**
   * `allowedHosts` defaults to the base URL's host here, so that redirects cannot leave the API.
   * @default [host of baseUrl]
   */
  allowedHosts?: readonly string[] | undefined;
}

/** The rules of {@link OpenApiOptions}: the request options, `baseUrl` and `operations`. */
const openApiOptionRules = {
  ...requestOptionRules,
  baseUrl: rules.secret(rules.string()),
  operations: rules.array(rules.string()),
  effects: rules.record(rules.oneOf(EFFECT_CLASSES)),
};

const operationMethods = ["get", "put", "post", "delete", "options", "head", "patch"] as const;

/** `servers[0].url` with its variables at their defaults, if the document has one. */
function serverUrl(document: Json): string | undefined {
  const server = Array.isArray(document.servers) ? document.servers[0] : undefined;
  if (!isObject(server) || typeof server.url !== "string") return undefined;
  const variables = isObject(server.variables) ? server.variables : {};
  return server.url.replace(/\{([^}]+)\}/g, (match, name: string) => {
    const variable = variables[name];
    return isObject(variable) && typeof variable.default === "string" ? variable.default : match;
  });
}

/** The base URL: the option, or the document's first server; an absolute http(s) URL. */
function baseUrlOf(document: Json, option: string | undefined): URL {
  const base = option ?? serverUrl(document);
  let baseUrl: URL;
  try {
    if (base === undefined) throw new Error("missing");
    baseUrl = new URL(base);
  } catch (error) {
    throw new HttpToolError(
      "invalid-options",
      `Option "baseUrl" is required: ${base === undefined ? "the document has no servers" : "the one given is not an absolute URL (not shown: it may hold a credential)"}`,
      { cause: error },
    );
  }
  if (baseUrl.protocol !== "http:" && baseUrl.protocol !== "https:") {
    throw new HttpToolError(
      "invalid-options",
      `Option "baseUrl" must be an http(s) URL, got a ${baseUrl.protocol} URL (not shown: it may hold a credential)`,
    );
  }
  return baseUrl;
}

/** Checks that `document` is an OpenAPI 3.x object with `paths`. */
function checkDocument(document: unknown): asserts document is Json & { paths: Json } {
  if (!isObject(document)) fail("The document must be a parsed JSON object");
  if (typeof document.openapi !== "string" || !document.openapi.startsWith("3.")) {
    fail(
      `Only OpenAPI 3.x documents are supported (the "openapi" field is ${JSON.stringify(document.openapi)})`,
    );
  }
  if (!isObject(document.paths)) fail('The document has no "paths" object');
}

/** The operations of `document` and `options`, checked; for both public functions. */
function operationsOf(document: unknown, options: OpenApiOptions, where: string): OpenApiOperation[] {
  checkDocument(document);
  const checked = checkOptions(options, openApiOptionRules, checkSettings(where));
  const { baseUrl: baseUrlOption, operations: only, effects = {}, ...requestOptions } = checked;
  const baseUrl = baseUrlOf(document, baseUrlOption);
  const context: DocumentContext = {
    resolver: new RefResolver(document),
    request: requesterOf({
      ...requestOptions,
      allowedHosts: requestOptions.allowedHosts ?? [baseUrl.hostname],
    }),
    prefix: baseUrl.href.replace(/\/+$/, ""),
    used: new Set(),
  };
  const allowedMethods = new Set<string>(requestOptions.methods ?? httpDefaults.methods);
  const result: OpenApiOperation[] = [];
  const known: string[] = [];
  for (const [path, rawItem] of Object.entries(document.paths)) {
    const item = context.resolver.deref(rawItem).value;
    if (!isObject(item)) fail(`paths["${path}"] is not an object`);
    for (const lower of operationMethods) {
      const operation = item[lower];
      const method = lower.toUpperCase() as HttpMethod;
      if (!isObject(operation) || !allowedMethods.has(method)) continue;
      const built = buildOperation({ path, method, item, operation }, context);
      if (built === undefined) continue;
      const { name, operationId } = built;
      known.push(operationId && operationId !== name ? `${name} (${operationId})` : name);
      if (only && !only.includes(name) && !(operationId && only.includes(operationId))) continue;
      const effect = Object.hasOwn(effects, name)
        ? effects[name]
        : operationId && Object.hasOwn(effects, operationId)
          ? effects[operationId]
          : undefined;
      // the effects option wins for retries too: the call carries the class it was given
      result.push(
        effect
          ? {
              ...built,
              effect,
              call: (args, callOptions) =>
                built.call(args, { signal: callOptions?.signal, effect: callOptions?.effect ?? effect }),
            }
          : built,
      );
    }
  }
  if (only) refuseUnknownOperations("operations", only, result, known);
  // effects may only name operations that are kept: list those, not the ones `operations` left out
  const kept = result.map(({ name, operationId }) =>
    operationId && operationId !== name ? `${name} (${operationId})` : name,
  );
  refuseUnknownOperations("effects", Object.keys(effects), result, kept);
  return result;
}

/** Refuses the names in `only` that no operation has, naming the operations there are. */
function refuseUnknownOperations(
  option: "operations" | "effects",
  only: readonly string[],
  kept: OpenApiOperation[],
  known: string[],
): void {
  only.forEach((wanted, index) => {
    if (kept.some(({ name, operationId }) => name === wanted || operationId === wanted)) return;
    throw new HttpToolError(
      "invalid-options",
      `Option "${option === "operations" ? `operations[${index}]` : `effects.${wanted}`}" must name an operation of the document whose method is allowed${option === "effects" ? " and that is kept" : ""} ` +
        `(by tool name or operationId): ${known.join(", ") || "none"}; got ${JSON.stringify(wanted)}`,
    );
  });
}

/**
 * Turns an OpenAPI 3.x document (a parsed JSON object) into one callable operation per path and
 * method, with zod schemas built from the parameters (path, query, header) and the JSON request body
 * (as `body`), local `$ref`s resolved. Calls go through the same safe request function as
 * {@link httpRequest}, on `baseUrl`. Operations whose method is not in `methods`, and those whose
 * request body has no JSON or text content, are left out; cookie parameters are ignored.
 *
 * @param document - the OpenAPI document, as parsed JSON (`JSON.parse` it, or parse YAML first).
 * @param options - `baseUrl`, `operations`, and the policy and limits of {@link HttpRequestOptions}.
 * @returns the operations, in document order.
 * @throws {@link HttpToolError} `invalid-openapi` for a malformed document, `invalid-options` for bad options.
 *
 * @example
 * ```ts
 * import { openApiOperations } from "@replan/executors-http";
 *
 * const document = await (await fetch("https://petstore3.swagger.io/api/v3/openapi.json")).json();
 * const operations = openApiOperations(document, { baseUrl: "https://petstore3.swagger.io/api/v3" });
 * const getPetById = operations.find((operation) => operation.name === "getPetById")!;
 * console.log((await getPetById.call({ petId: 1 })).status);
 * ```
 */
export function openApiOperations(document: unknown, options: OpenApiOptions = {}): OpenApiOperation[] {
  return operationsOf(document, options, "openApiOperations");
}

/**
 * Turns an OpenAPI 3.x document into one LangChain tool per operation (see {@link openApiOperations}),
 * so that a planner can emit tool steps against a real API. Each tool answers like
 * {@link createHttpTool}: the response as JSON text, refusals and failures as `{ error: { code, message } }`.
 *
 * @param document - the OpenAPI document, as parsed JSON.
 * @param options - `baseUrl`, `operations`, and the policy and limits of {@link HttpRequestOptions}.
 * @returns the tools, in document order.
 * @throws {@link HttpToolError} `invalid-openapi` for a malformed document, `invalid-options` for bad options.
 *
 * @example
 * ```ts
 * import { readFileSync } from "node:fs";
 * import { createOpenApiTools } from "@replan/executors-http";
 *
 * const document = JSON.parse(readFileSync("petstore-expanded.json", "utf8"));
 * const tools = createOpenApiTools(document, {
 *   baseUrl: "https://petstore.example.com/api",
 *   secretHeaders: { authorization: `Bearer ${process.env.PETSTORE_TOKEN}` },
 * });
 * console.log(tools.map((tool) => tool.name)); // ["findPets", "addPet", "find_pet_by_id", "deletePet"]
 * ```
 */
export function createOpenApiTools(document: unknown, options: OpenApiOptions = {}): StructuredTool[] {
  return operationsOf(document, options, "createOpenApiTools").map(
    (operation) =>
      tool(
        (input, config) =>
          toToolOutput(operation.name, config as ToolCallContext, (signal) =>
            operation.call(input, { signal }),
          ),
        {
          name: operation.name,
          description: operation.description,
          schema: operation.schema,
          metadata: { effect: operation.effect },
        },
      ) as unknown as StructuredTool,
  );
}
