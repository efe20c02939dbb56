/**
 * Effect classes of HTTP tools: what a request does to the world. `GET`, `HEAD` and `OPTIONS` are
 * `read` (the safe methods of RFC 9110 §9.2.1); every other method is `write`, `PUT` and `DELETE`
 * included: RFC 9110 calls them idempotent, but an API is not bound to honour that, so only the
 * API's own document (`x-effect`) or the caller (`effect`, `effects`) can say so.
 *
 * @module
 */
import { EFFECT_CLASSES, type EffectClass } from "@replan/core";
import type { HttpMethod } from "./http-types.js";
import { fail, isObject, type Json } from "./json-schema.js";

/** The methods that change nothing (RFC 9110's safe methods). */
const READ_METHODS: ReadonlySet<HttpMethod> = new Set<HttpMethod>(["GET", "HEAD", "OPTIONS"]);

/**
 * The effect class of a request with this method: `read` for `GET`, `HEAD` and `OPTIONS`, `write`
 * for every other.
 *
 * @param method - the HTTP method.
 * @example
 * ```ts
 * effectOfMethod("GET"); // "read"
 * effectOfMethod("PUT"); // "write"
 * ```
 */
export function effectOfMethod(method: HttpMethod): EffectClass {
  return READ_METHODS.has(method) ? "read" : "write";
}

/** The class of a tool that may send any of `methods`: `read` when all are, else `write`. */
export function effectOfMethods(methods: readonly HttpMethod[]): EffectClass {
  return methods.every((method) => READ_METHODS.has(method)) ? "read" : "write";
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
