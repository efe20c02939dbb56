/**
 * One operation of an OpenAPI document turned into a callable: its name, description, arguments
 * schema (path, query and header parameters, and the request body) and the call that fills the
 * path template and sends the request.
 *
 * @module
 */

import type { EffectClass } from "@replan/core";
import { z } from "zod";
import { effectOfOperation } from "./effects.js";
import { HttpToolError } from "./errors.js";
import type { CallOptions, HttpMethod, HttpResponse, Requester } from "./http-types.js";
import { fail, isObject, type Json, type RefResolver } from "./json-schema.js";

/** One operation of an OpenAPI document, ready to call. */
export interface OpenApiOperation {
  /** The tool name: the sanitized `operationId` (or `method_path`), unique in the document. */
  name: string;
  /** `METHOD /path: summary. description`, for the model. */
  description: string;
  /** The HTTP method. */
  method: HttpMethod;
  /**
   * What calling it does: the operation's `x-effect` (`read`, `idempotent`, `write`), else `read`
   * for `GET`, `HEAD` and `OPTIONS` and `write` for every other method; the `effects` option wins.
   */
  effect: EffectClass;
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
   * @param callOptions - `signal`, to cancel; `effect`, the class for retries (default: {@link effect}).
   * @throws {@link HttpToolError} `invalid-request` when `args` do not match the schema, and every refusal of `httpRequest`.
   */
  call(args: unknown, callOptions?: CallOptions): Promise<HttpResponse>;
}

/** A parameter as the call fills it: its key among the arguments, its name and where it goes. */
interface Parameter {
  key: string;
  name: string;
  in: "path" | "query" | "header";
}

/** An operation of the document, as found under `paths`. */
export interface OperationSource {
  path: string;
  method: HttpMethod;
  /** The path item (its parameters apply to every operation under it). */
  item: Json;
  operation: Json;
}

/** What every operation of a document shares. */
export interface DocumentContext {
  resolver: RefResolver;
  /** Sends the requests, under the caller's policy. */
  request: Requester;
  /** The base URL, without a trailing slash. */
  prefix: string;
  /** The names given so far (made unique with `_2`, `_3`). */
  used: Set<string>;
}

/** The parameters of the path item and of the operation (which overrides same name and location). */
function declaredParameters(source: OperationSource, resolver: RefResolver, where: string): Json[] {
  const declared = new Map<string, Json>();
  for (const list of [source.item.parameters, source.operation.parameters]) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) fail(`${where}: "parameters" is not an array`);
    for (const raw of list) {
      const parameter = resolver.deref(raw).value;
      if (!isObject(parameter) || typeof parameter.name !== "string" || typeof parameter.in !== "string") {
        fail(`${where}: a parameter has no "name" or "in"`);
      }
      declared.set(`${parameter.in}:${parameter.name}`, parameter);
    }
  }
  return [...declared.values()];
}

/** The request body's schema: JSON, or text; `"unsupported"` for other content types. */
function requestBodyOf(
  operation: Json,
  resolver: RefResolver,
  where: string,
): { schema: z.ZodType; json: boolean; required: boolean } | "unsupported" | undefined {
  if (operation.requestBody === undefined) return undefined;
  const requestBody = resolver.deref(operation.requestBody).value;
  if (!isObject(requestBody) || !isObject(requestBody.content))
    fail(`${where}: "requestBody" has no "content"`);
  const content = requestBody.content;
  const jsonType = Object.keys(content).find((type) => /^application\/(.+\+)?json\b/i.test(type));
  const json = jsonType !== undefined;
  let schema: z.ZodType;
  if (jsonType) schema = resolver.toZod((content[jsonType] as Json | undefined)?.schema);
  else if (Object.keys(content).some((type) => type.startsWith("text/"))) schema = z.string();
  else return "unsupported";
  if (typeof requestBody.description === "string") schema = schema.describe(requestBody.description);
  return { schema, json, required: requestBody.required === true };
}

/** The arguments schema: `body`, then one key per parameter (prefixed by its location on a clash). */
function argumentsOf(
  declared: readonly Json[],
  body: { schema: z.ZodType; required: boolean } | undefined,
  resolver: RefResolver,
): { schema: z.ZodObject; parameters: Parameter[] } {
  const shape: Record<string, z.ZodType> = {};
  const parameters: Parameter[] = [];
  if (body) shape.body = body.required ? body.schema : body.schema.optional();
  for (const parameter of declared) {
    const location = parameter.in as string;
    if (location !== "path" && location !== "query" && location !== "header") continue;
    const name = parameter.name as string;
    const key = name in shape ? `${location}_${name}` : name;
    let schema = resolver.toZod(parameter.schema);
    if (typeof parameter.description === "string") schema = schema.describe(parameter.description);
    shape[key] = location === "path" || parameter.required === true ? schema : schema.optional();
    parameters.push({ key, name, in: location });
  }
  return { schema: z.object(shape), parameters };
}

/** Names every object has, which a tool may not take (`constructor` becomes `constructor_operation`). */
const reservedNames: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Sanitizes to the tool-name pattern `^[a-zA-Z0-9_-]{1,64}$`, away from the reserved names. */
function sanitizeName(text: string): string {
  const name = text
    .replace(/[^a-zA-Z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 64);
  if (name === "") return "operation";
  return reservedNames.has(name) ? `${name}_operation` : name;
}

/** A unique name from the `operationId` (or method and path); reserves it in `used`. */
function uniqueName(source: OperationSource, used: Set<string>): string {
  const { operationId } = source.operation;
  const base = sanitizeName(
    typeof operationId === "string" ? operationId : `${source.method.toLowerCase()} ${source.path}`,
  );
  let name = base;
  for (let index = 2; used.has(name); index++) name = `${base.slice(0, 60)}_${index}`;
  used.add(name);
  return name;
}

/** A query parameter's value as the request takes it: objects as JSON text. */
function queryValueOf(value: unknown): string | number | boolean | (string | number | boolean)[] {
  if (Array.isArray(value)) return value.map((entry) => (isObject(entry) ? JSON.stringify(entry) : entry));
  return isObject(value) ? JSON.stringify(value) : (value as string);
}

/** The URL path, query and headers that `values` fill in; throws on a `.`/`..`/empty path parameter. */
function fillParameters(path: string, parameters: readonly Parameter[], values: Json) {
  const query: Record<string, string | number | boolean | (string | number | boolean)[]> = {};
  const headers: Record<string, string> = {};
  let resolvedPath = path;
  for (const parameter of parameters) {
    const value = values[parameter.key];
    if (value === undefined || value === null) continue;
    if (parameter.in === "path") {
      const text = String(value);
      if (text === "" || text === "." || text === "..") {
        throw new HttpToolError("invalid-request", `Path parameter "${parameter.name}" cannot be "${text}"`);
      }
      resolvedPath = resolvedPath.replaceAll(`{${parameter.name}}`, encodeURIComponent(text));
    } else if (parameter.in === "query") query[parameter.name] = queryValueOf(value);
    else headers[parameter.name] = Array.isArray(value) ? value.join(",") : String(value);
  }
  return { path: resolvedPath, query, headers };
}

/**
 * Builds one operation; `undefined` when its request body is neither JSON nor text.
 *
 * @param source - the operation, its path item, path and method.
 * @param context - what the document's operations share.
 * @throws {@link HttpToolError} `invalid-openapi` for a malformed parameter or request body.
 */
export function buildOperation(
  source: OperationSource,
  context: DocumentContext,
): OpenApiOperation | undefined {
  const { path, method, operation } = source;
  const where = `${method} ${path}`;
  const declared = declaredParameters(source, context.resolver, where);
  const body = requestBodyOf(operation, context.resolver, where);
  if (body === "unsupported") return undefined;
  const { schema, parameters } = argumentsOf(declared, body, context.resolver);
  const name = uniqueName(source, context.used);
  const text = [operation.summary, operation.description]
    .filter((part): part is string => typeof part === "string" && part.trim() !== "")
    .join(". ");
  const effect = effectOfOperation(operation, method, where);
  const call = async (args: unknown, callOptions: CallOptions = {}): Promise<HttpResponse> => {
    const parsed = schema.safeParse(args ?? {});
    if (!parsed.success) {
      throw new HttpToolError(
        "invalid-request",
        `Invalid arguments for ${name}: ${z.prettifyError(parsed.error)}`,
        {
          cause: parsed.error,
        },
      );
    }
    const values = parsed.data as Json;
    const filled = fillParameters(path, parameters, values);
    const content =
      values.body === undefined
        ? {}
        : body?.json === false
          ? { body: values.body as string }
          : { json: values.body };
    return context.request(
      {
        method,
        url: `${context.prefix}${filled.path}`,
        headers: filled.headers,
        query: filled.query,
        ...content,
      },
      { signal: callOptions.signal, effect: callOptions.effect ?? effect },
    );
  };
  return {
    name,
    description: `${method} ${path}${text ? `: ${text}` : ""}`.slice(0, 1000),
    method,
    effect,
    path,
    operationId: typeof operation.operationId === "string" ? operation.operationId : undefined,
    schema,
    call,
  };
}
