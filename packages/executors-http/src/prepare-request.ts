/**
 * A request as given (typed, or a model's untyped arguments) checked field by field and turned into
 * what is sent: method, checked URL with its query, headers and body.
 *
 * @module
 */

import { HttpToolError } from "./errors.js";
import { readHeaders, reservedHeaders } from "./headers.js";
import { type HttpMethod, type HttpRequest, type HttpRequestInput, httpMethods } from "./http-types.js";
import type { NetworkPolicy } from "./policy.js";

/** A checked request, ready to send. */
export interface PreparedRequest {
  method: HttpMethod;
  url: URL;
  /** The caller's headers, lowercased, without those the secret headers replace. */
  headers: Map<string, string>;
  body: string | undefined;
}

/** What {@link prepareRequest} checks a request against. */
export interface RequestLimits {
  policy: NetworkPolicy;
  allowedMethods: ReadonlySet<string>;
  /** The names of the secret headers, which win over the caller's. */
  secretNames: ReadonlySet<string>;
  maxRequestBytes: number;
}

function invalid(message: string): HttpToolError {
  return new HttpToolError("invalid-request", message);
}

function checkMethod(value: unknown, allowedMethods: ReadonlySet<string>): HttpMethod {
  if (value !== undefined && typeof value !== "string") throw invalid("method must be a string");
  const method = (value ?? "GET").toUpperCase() as HttpMethod;
  if (!httpMethods.includes(method)) throw invalid(`Unknown method ${JSON.stringify(value)}`);
  if (!allowedMethods.has(method)) {
    throw new HttpToolError(
      "method-not-allowed",
      `Method ${method} is not allowed; allowed: ${[...allowedMethods].join(", ")}`,
    );
  }
  return method;
}

function appendQuery(url: URL, query: unknown): void {
  if (query === undefined) return;
  if (typeof query !== "object" || query === null) throw invalid("query must be an object");
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === null || item === undefined) continue;
      if (!["string", "number", "boolean"].includes(typeof item)) {
        throw invalid(`query.${key} must be a string, number, boolean or an array of them`);
      }
      url.searchParams.append(key, String(item));
    }
  }
}

/** The body and its default content type: `json` serialized, or the text `body`. */
function bodyOf(request: HttpRequest): { body: string; contentType: string } | undefined {
  if (request.json !== undefined && request.body !== undefined)
    throw invalid("Give either json or body, not both");
  if (request.json !== undefined) {
    try {
      return { body: JSON.stringify(request.json), contentType: "application/json" };
    } catch (error) {
      throw new HttpToolError("invalid-request", "json could not be serialized", { cause: error });
    }
  }
  if (request.body === undefined) return undefined;
  if (typeof request.body !== "string") throw invalid("body must be a string");
  return { body: request.body, contentType: "text/plain;charset=utf-8" };
}

/**
 * Checks `input` and builds the request to send; throws the refusal (`invalid-request`,
 * `invalid-url`, `method-not-allowed`, a policy refusal, `body-too-large`).
 *
 * @param input - the request, typed or not.
 * @param limits - the policy, the allowed methods, the secret headers' names, the body cap.
 */
export function prepareRequest(input: HttpRequestInput, limits: RequestLimits): PreparedRequest {
  if (typeof input !== "object" || input === null) throw invalid("request must be an object");
  const request = input as HttpRequest;
  const method = checkMethod(request.method, limits.allowedMethods);
  if (typeof request.url !== "string") throw new HttpToolError("invalid-url", "url must be a string");
  const url = limits.policy.checkUrl(request.url);
  appendQuery(url, request.query);
  const headers = readHeaders(request.headers, (problem) => {
    throw invalid(`headers ${problem}`);
  });
  for (const name of headers.keys()) {
    if (reservedHeaders.has(name)) throw invalid(`Header "${name}" may not be set`);
    // The developer's secret headers win over the caller's.
    if (limits.secretNames.has(name)) headers.delete(name);
  }
  const content = bodyOf(request);
  if (content !== undefined && !headers.has("content-type")) headers.set("content-type", content.contentType);
  const body = content?.body;
  if (body !== undefined && (method === "GET" || method === "HEAD")) {
    throw invalid(`A ${method} request cannot have a body`);
  }
  if (body !== undefined && Buffer.byteLength(body) > limits.maxRequestBytes) {
    throw new HttpToolError(
      "body-too-large",
      `The request body is ${Buffer.byteLength(body)} bytes; the limit (maxRequestBytes) is ${limits.maxRequestBytes}`,
    );
  }
  return { method, url, headers, body };
}
