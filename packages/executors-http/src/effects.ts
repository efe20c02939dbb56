/**
 * Effect classes of HTTP tools: what a request does to the world. `GET`, `HEAD` and `OPTIONS` are
 * `read` (the safe methods of RFC 9110 §9.2.1); every other method is `write`, `PUT` and `DELETE`
 * included: RFC 9110 calls them idempotent, but an API is not bound to honour that, so only the
 * API's own document (`x-effect`) or the caller (`effect`, `effects`) can say so.
 *
 * @module
 */
import { EFFECT_CLASSES, type EffectClass } from "@replan/core";
import { HttpToolError } from "./errors.js";
import { type HttpMethod, httpMethods } from "./http-types.js";
import { fail, isObject, type Json } from "./json-schema.js";

/** The methods that change nothing (RFC 9110's safe methods). */
const READ_METHODS: ReadonlySet<HttpMethod> = new Set<HttpMethod>(["GET", "HEAD", "OPTIONS"]);

/**
 * The effect class of a request with this method: `read` for `GET`, `HEAD` and `OPTIONS`, `write`
 * for every other.
 *
 * @param method - the HTTP method (upper case, one of {@link httpMethods}).
 * @throws {HttpToolError} `invalid-options` for anything else (`"get"`, `null`).
 * @example
 * ```ts
 * effectOfMethod("GET"); // "read"
 * effectOfMethod("PUT"); // "write"
 * ```
 */
export function effectOfMethod(method: HttpMethod): EffectClass {
  checkMethod(method, "effectOfMethod: method");
  return READ_METHODS.has(method) ? "read" : "write";
}

/**
 * The class of a tool that may send any of `methods`: `read` when all are, else `write`.
 *
 * @param methods - the methods the tool may send.
 * @throws {HttpToolError} `invalid-options` for a list that is not an array of {@link httpMethods}.
 * @example
 * ```ts
 * effectOfMethods(["GET", "HEAD"]); // "read"
 * effectOfMethods(["GET", "POST"]); // "write"
 * ```
 */
export function effectOfMethods(methods: readonly HttpMethod[]): EffectClass {
  if (!Array.isArray(methods)) {
    throw new HttpToolError(
      "invalid-options",
      `effectOfMethods: methods must be an array of HTTP methods, got ${methods === null ? "null" : typeof methods}`,
    );
  }
  for (const [index, method] of methods.entries()) checkMethod(method, `effectOfMethods: methods[${index}]`);
  return methods.every((method) => READ_METHODS.has(method)) ? "read" : "write";
}

/** Refuses a method that is not one of {@link httpMethods} (`invalid-options`, naming where). */
function checkMethod(method: unknown, where: string): void {
  if (typeof method === "string" && (httpMethods as readonly string[]).includes(method)) return;
  const got = typeof method === "string" ? JSON.stringify(method) : method === null ? "null" : typeof method;
  throw new HttpToolError("invalid-options", `${where} must be one of ${httpMethods.join(", ")}, got ${got}`);
}

/**
 * The effect class of an OpenAPI operation: its `x-effect` extension (`"read"`, `"idempotent"` or
 * `"write"`) when present, else the class of its method.
 *
 * @throws {HttpToolError} `invalid-openapi` for an `x-effect` that is not one of the three.
 */
export function effectOfOperation(operation: Json, method: HttpMethod, where: string): EffectClass {
  if (!isObject(operation) || !Object.hasOwn(operation, "x-effect")) return effectOfMethod(method);
  const declared = operation["x-effect"];
  if (typeof declared === "string" && EFFECT_CLASSES.includes(declared as EffectClass)) {
    return declared as EffectClass;
  }
  return fail(`${where}: x-effect must be "read", "idempotent" or "write", got ${JSON.stringify(declared)}`);
}
