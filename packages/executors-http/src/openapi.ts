/**
 * OpenAPI 3.x documents turned into one tool per operation, calling through the safe request function.
 *
 * @module
 */

import type { StructuredTool } from "@langchain/core/tools";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { HttpToolError } from "./errors.js";
import {
  type CallOptions,
  createRequester,
  type HttpMethod,
  type HttpRequestOptions,
  type HttpResponse,
  httpMethods,
} from "./request.js";
import { toToolOutput } from "./tool.js";

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
   * `allowedHosts` defaults to the base URL's host here, so that redirects cannot leave the API.
   * @default [host of baseUrl]
   */
  allowedHosts?: readonly string[] | undefined;
}

/** One operation of an OpenAPI document, ready to call. */
export interface OpenApiOperation {
  /** The tool name: the sanitized `operationId` (or `method_path`), unique in the document. */
  name: string;
  /** `METHOD /path: summary. description`, for the model. */
  description: string;
  /** The HTTP method. */
  method: HttpMethod;
  /** The path template, e.g. `/pets/{id}`. */
  path: string;
  /** The operation's own `operationId`, if any. */
  operationId: string | undefined;
  /** The arguments: one key per path, query and header parameter, and `body` for a JSON request body. */
  schema: z.ZodObject;
  /**
   * Validates `args` against {@link OpenApiOperation.schema}, builds the request and sends it.
   *
   * @param args - the arguments.
   * @param callOptions - `signal`, to cancel.
   * @throws {@link HttpToolError} `invalid-request` when `args` do not match the schema, and every refusal of `httpRequest`.
   */
  call(args: unknown, callOptions?: CallOptions): Promise<HttpResponse>;
}

type Json = Record<string, unknown>;
type Location = "path" | "query" | "header";

const operationMethods = ["get", "put", "post", "delete", "options", "head", "patch"] as const;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(message: string): never {
  throw new HttpToolError("invalid-openapi", message);
}

/** Resolves local `$ref`s (`#/components/...`) of one document. */
class RefResolver {
  constructor(private readonly document: Json) {}

  /** Follows `$ref` chains; returns the target and the refs followed. */
  deref(
    value: unknown,
    seen: ReadonlySet<string> = new Set(),
  ): { value: unknown; seen: ReadonlySet<string> } {
    let current = value;
    const followed = new Set(seen);
    while (isObject(current) && typeof current.$ref === "string") {
      const ref = current.$ref;
      if (followed.has(ref)) return { value: undefined, seen: followed };
      followed.add(ref);
      current = this.pointer(ref);
    }
    return { value: current, seen: followed };
  }

  private pointer(ref: string): unknown {
    if (!ref.startsWith("#/")) fail(`Only local $refs ("#/...") are supported, got "${ref}"`);
    let current: unknown = this.document;
    for (const raw of ref.slice(2).split("/")) {
      const key = decodeURIComponent(raw).replaceAll("~1", "/").replaceAll("~0", "~");
      if (!isObject(current) && !Array.isArray(current)) fail(`$ref "${ref}" does not resolve`);
      current = (current as Json)[key];
      if (current === undefined) fail(`$ref "${ref}" does not resolve`);
    }
    return current;
  }

  /** Converts a JSON Schema (OpenAPI 3.0 or 3.1 flavour) to zod; recursive refs become `unknown`. */
  toZod(schema: unknown, seen: ReadonlySet<string> = new Set()): z.ZodType {
    const resolved = this.deref(schema, seen);
    if (resolved.value === undefined && isObject(schema) && typeof schema.$ref === "string") {
      return z.unknown().describe(`(recursive ${schema.$ref})`);
    }
    const node = resolved.value;
    if (!isObject(node)) return z.unknown();
    let result = this.convert(node, resolved.seen);
    const types = Array.isArray(node.type) ? node.type : [node.type];
    if (node.nullable === true || types.includes("null")) result = result.nullable();
    if (typeof node.description === "string" && node.description !== "")
      result = result.describe(node.description);
    return result;
  }

  private convert(node: Json, seen: ReadonlySet<string>): z.ZodType {
    if (Array.isArray(node.allOf)) return this.allOf(node, seen);
    for (const key of ["oneOf", "anyOf"] as const) {
      const options = node[key];
      if (Array.isArray(options) && options.length > 0) {
        const members = options.map((option) => this.toZod(option, seen));
        return members.length === 1
          ? members[0]!
          : z.union(members as [z.ZodType, z.ZodType, ...z.ZodType[]]);
      }
    }
    if (Array.isArray(node.enum) && node.enum.length > 0) {
      const values = node.enum.filter((value) => value !== null);
      if (values.every((value) => typeof value === "string")) return z.enum(values as [string, ...string[]]);
      const literals = values.map((value) => z.literal(value as string | number | boolean));
      return literals.length === 1
        ? literals[0]!
        : z.union(literals as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);
    }
    const type = Array.isArray(node.type) ? node.type.find((entry) => entry !== "null") : node.type;
    switch (type) {
      case "string": {
        let result = z.string();
        if (typeof node.minLength === "number") result = result.min(node.minLength);
        if (typeof node.maxLength === "number") result = result.max(node.maxLength);
        return result;
      }
      case "integer":
      case "number": {
        let result = type === "integer" ? z.number().int() : z.number();
        if (typeof node.minimum === "number") result = result.min(node.minimum);
        if (typeof node.maximum === "number") result = result.max(node.maximum);
        return result;
      }
      case "boolean":
        return z.boolean();
      case "array":
        return z.array(this.toZod(node.items, seen));
      default:
        if (type === "object" || isObject(node.properties)) return this.object(node, seen);
        return z.unknown();
    }
  }

  private object(node: Json, seen: ReadonlySet<string>): z.ZodType {
    const properties = isObject(node.properties) ? node.properties : {};
    const required = new Set(Array.isArray(node.required) ? node.required : []);
    if (Object.keys(properties).length === 0 && isObject(node.additionalProperties)) {
      return z.record(z.string(), this.toZod(node.additionalProperties, seen));
    }
    const shape: Record<string, z.ZodType> = {};
    for (const [key, property] of Object.entries(properties)) {
      const converted = this.toZod(property, seen);
      shape[key] = required.has(key) ? converted : converted.optional();
    }
    return node.additionalProperties === false || Object.keys(shape).length > 0
      ? z.object(shape)
      : z.looseObject({});
  }

  private allOf(node: Json, seen: ReadonlySet<string>): z.ZodType {
    // Merge object parts (the usual `allOf: [{ $ref: Base }, { properties }]`); intersect the rest.
    const merged: Json = { type: "object", properties: {}, required: [] };
    const others: z.ZodType[] = [];
    const visit = (part: unknown, partSeen: ReadonlySet<string>) => {
      const { value, seen: nextSeen } = this.deref(part, partSeen);
      if (!isObject(value)) return;
      if (Array.isArray(value.allOf)) for (const inner of value.allOf) visit(inner, nextSeen);
      if (isObject(value.properties) || value.type === "object") {
        Object.assign(merged.properties as Json, value.properties ?? {});
        (merged.required as unknown[]).push(...(Array.isArray(value.required) ? value.required : []));
      } else if (!Array.isArray(value.allOf)) others.push(this.toZod(value, nextSeen));
    };
    for (const part of node.allOf as unknown[]) visit(part, seen);
    if (isObject(node.properties)) Object.assign(merged.properties as Json, node.properties);
    const base = Object.keys(merged.properties as Json).length > 0 ? this.object(merged, seen) : undefined;
    const parts = base ? [base, ...others] : others;
    if (parts.length === 0) return z.unknown();
    return parts.reduce((left, right) => z.intersection(left, right));
  }
}

/** Sanitizes to the tool-name pattern `^[a-zA-Z0-9_-]{1,64}$`. */
function sanitizeName(text: string): string {
  const name = text
    .replace(/[^a-zA-Z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 64);
  return name === "" ? "operation" : name;
}

function serverUrl(document: Json): string | undefined {
  const server = Array.isArray(document.servers) ? document.servers[0] : undefined;
  if (!isObject(server) || typeof server.url !== "string") return undefined;
  const variables = isObject(server.variables) ? server.variables : {};
  return server.url.replace(/\{([^}]+)\}/g, (match, name: string) => {
    const variable = variables[name];
    return isObject(variable) && typeof variable.default === "string" ? variable.default : match;
  });
}

interface Parameter {
  key: string;
  name: string;
  in: Location;
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
  if (!isObject(document)) fail("The document must be a parsed JSON object");
  if (typeof document.openapi !== "string" || !document.openapi.startsWith("3.")) {
    fail(
      `Only OpenAPI 3.x documents are supported (the "openapi" field is ${JSON.stringify(document.openapi)})`,
    );
  }
  if (!isObject(document.paths)) fail('The document has no "paths" object');
  const { baseUrl: baseUrlOption, operations: only, ...requestOptions } = options;
  const base = baseUrlOption ?? serverUrl(document);
  let baseUrl: URL;
  try {
    if (base === undefined) throw new Error("missing");
    baseUrl = new URL(base);
  } catch (error) {
    throw new HttpToolError(
      "invalid-options",
      `baseUrl is required: ${base === undefined ? "the document has no servers" : `"${base}" is not an absolute URL`}`,
      { cause: error },
    );
  }
  if (baseUrl.protocol !== "http:" && baseUrl.protocol !== "https:") {
    throw new HttpToolError("invalid-options", `baseUrl must be an http(s) URL, got "${base}"`);
  }
  if (only !== undefined && (!Array.isArray(only) || only.some((entry) => typeof entry !== "string"))) {
    throw new HttpToolError("invalid-options", "operations must be an array of names");
  }
  const request = createRequester({
    ...requestOptions,
    allowedHosts: requestOptions.allowedHosts ?? [baseUrl.hostname],
  });
  const allowedMethods = new Set<string>(requestOptions.methods ?? httpMethods);
  const resolver = new RefResolver(document);
  const prefix = baseUrl.href.replace(/\/+$/, "");
  const used = new Set<string>();
  const result: OpenApiOperation[] = [];

  for (const [path, rawItem] of Object.entries(document.paths)) {
    const item = resolver.deref(rawItem).value;
    if (!isObject(item)) fail(`paths["${path}"] is not an object`);
    for (const lower of operationMethods) {
      const operation = item[lower];
      if (!isObject(operation)) continue;
      const method = lower.toUpperCase() as HttpMethod;
      if (!allowedMethods.has(method)) continue;
      const where = `${method} ${path}`;

      // Path-level parameters, overridden by the operation's own (same name and location).
      const declared = new Map<string, Json>();
      for (const list of [item.parameters, operation.parameters]) {
        if (list === undefined) continue;
        if (!Array.isArray(list)) fail(`${where}: "parameters" is not an array`);
        for (const raw of list) {
          const parameter = resolver.deref(raw).value;
          if (
            !isObject(parameter) ||
            typeof parameter.name !== "string" ||
            typeof parameter.in !== "string"
          ) {
            fail(`${where}: a parameter has no "name" or "in"`);
          }
          declared.set(`${parameter.in}:${parameter.name}`, parameter);
        }
      }

      let bodySchema: z.ZodType | undefined;
      let bodyIsJson = true;
      let bodyRequired = false;
      if (operation.requestBody !== undefined) {
        const requestBody = resolver.deref(operation.requestBody).value;
        if (!isObject(requestBody) || !isObject(requestBody.content))
          fail(`${where}: "requestBody" has no "content"`);
        const content = requestBody.content;
        const jsonType = Object.keys(content).find((type) => /^application\/(.+\+)?json\b/i.test(type));
        bodyRequired = requestBody.required === true;
        if (jsonType) {
          bodySchema = resolver.toZod((content[jsonType] as Json | undefined)?.schema);
        } else if (Object.keys(content).some((type) => type.startsWith("text/"))) {
          bodySchema = z.string();
          bodyIsJson = false;
        } else {
          continue;
        }
        if (typeof requestBody.description === "string")
          bodySchema = bodySchema.describe(requestBody.description);
      }

      const shape: Record<string, z.ZodType> = {};
      const parameters: Parameter[] = [];
      if (bodySchema) shape.body = bodyRequired ? bodySchema : bodySchema.optional();
      for (const parameter of declared.values()) {
        const location = parameter.in as string;
        if (location !== "path" && location !== "query" && location !== "header") continue;
        const name = parameter.name as string;
        const key = name in shape ? `${location}_${name}` : name;
        let schema = resolver.toZod(parameter.schema);
        if (typeof parameter.description === "string") schema = schema.describe(parameter.description);
        shape[key] = location === "path" || parameter.required === true ? schema : schema.optional();
        parameters.push({ key, name, in: location });
      }
      const schema = z.object(shape);

      const base = sanitizeName(
        typeof operation.operationId === "string" ? operation.operationId : `${lower} ${path}`,
      );
      let name = base;
      for (let index = 2; used.has(name); index++) name = `${base.slice(0, 60)}_${index}`;
      used.add(name);
      const text = [operation.summary, operation.description]
        .filter((part): part is string => typeof part === "string" && part.trim() !== "")
        .join(". ");
      const description = `${method} ${path}${text ? `: ${text}` : ""}`.slice(0, 1000);
      const operationId = typeof operation.operationId === "string" ? operation.operationId : undefined;
      if (only && !only.includes(name) && !(operationId && only.includes(operationId))) continue;

      const call = (args: unknown, { signal }: CallOptions = {}): Promise<HttpResponse> => {
        const parsed = schema.safeParse(args ?? {});
        if (!parsed.success) {
          return Promise.reject(
            new HttpToolError(
              "invalid-request",
              `Invalid arguments for ${name}: ${z.prettifyError(parsed.error)}`,
              {
                cause: parsed.error,
              },
            ),
          );
        }
        const values = parsed.data as Json;
        const query: Record<string, string | number | boolean | (string | number | boolean)[]> = {};
        const headers: Record<string, string> = {};
        let resolvedPath = path;
        for (const parameter of parameters) {
          const value = values[parameter.key];
          if (value === undefined || value === null) continue;
          if (parameter.in === "path") {
            const text = String(value);
            if (text === "" || text === "." || text === "..") {
              return Promise.reject(
                new HttpToolError(
                  "invalid-request",
                  `Path parameter "${parameter.name}" cannot be "${text}"`,
                ),
              );
            }
            resolvedPath = resolvedPath.replaceAll(`{${parameter.name}}`, encodeURIComponent(text));
          } else if (parameter.in === "query") {
            query[parameter.name] = Array.isArray(value)
              ? value.map((entry) => (isObject(entry) ? JSON.stringify(entry) : (entry as string)))
              : isObject(value)
                ? JSON.stringify(value)
                : (value as string);
          } else {
            headers[parameter.name] = Array.isArray(value) ? value.join(",") : String(value);
          }
        }
        const body = values.body;
        return request(
          {
            method,
            url: `${prefix}${resolvedPath}`,
            headers,
            query,
            ...(body === undefined ? {} : bodyIsJson ? { json: body } : { body: body as string }),
          },
          { signal },
        );
      };
      result.push({ name, description, method, path, operationId, schema, call });
    }
  }
  return result;
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
  return openApiOperations(document, options).map(
    (operation) =>
      tool(
        (input, config) =>
          toToolOutput(operation.name, config as Parameters<typeof toToolOutput>[1], (signal) =>
            operation.call(input, { signal }),
          ),
        { name: operation.name, description: operation.description, schema: operation.schema },
      ) as unknown as StructuredTool,
  );
}
