/**
 * The shapes of an exchange: the methods, a request as a model (or your code) describes it, and the
 * response the request functions resolve with.
 *
 * @module
 */
import type { EffectClass } from "@replan/core";

/**
 * The HTTP methods the tool can send (the default of the `methods` option).
 *
 * @example
 * ```ts
 * import { createHttpTool, httpMethods } from "@replan/executors-http";
 *
 * const readOnly = createHttpTool({ methods: httpMethods.filter((method) => method === "GET" || method === "HEAD") });
 * ```
 */
export const httpMethods = Object.freeze([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
] as const);

/** One of {@link httpMethods}. */
export type HttpMethod = (typeof httpMethods)[number];

/** A query parameter's value; arrays repeat the key (`?tag=a&tag=b`), `null` and `undefined` are skipped. */
export type QueryValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly (string | number | boolean)[];

/** A request, as a model (or your code) describes it. */
export interface HttpRequest {
  /** The method. @default "GET" */
  method?: HttpMethod | undefined;
  /** An absolute `http:` or `https:` URL. */
  url: string;
  /** Request headers. Secret headers configured by the developer take precedence over these. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Query parameters appended to the URL's own. */
  query?: Readonly<Record<string, QueryValue>> | undefined;
  /** A JSON body (sent with `content-type: application/json` unless a content type is given). */
  json?: unknown;
  /** A text body (sent with `content-type: text/plain;charset=utf-8` unless a content type is given). */
  body?: string | undefined;
}

/** The outcome of a request that got a response, whatever its status. */
export interface HttpResponse {
  /** Whether the status is 2xx. A 4xx or 5xx is a result too: treat it as a failed step if you wish. */
  ok: boolean;
  /** The HTTP status of the last response. */
  status: number;
  /** The URL of the last response (after redirects). */
  url: string;
  /** The response headers in the `responseHeaders` allowlist, lowercased. */
  headers: Record<string, string>;
  /**
   * The body: parsed JSON when the content type says JSON (and it parses), text for textual content
   * types, `null` for an empty body, a HEAD request or a binary content type (which is not read).
   */
  body: unknown;
  /** Whether the body was cut at `maxResponseBytes` (the text then ends with a marker, and JSON is not parsed). */
  truncated: boolean;
  /** How many redirects were followed. */
  redirects: number;
  /** How many attempts were made (1 + retries). */
  attempts: number;
}

/** What a compiled requester needs per call. */
export interface CallOptions {
  /** Cancels the call; it then rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
  /**
   * What the call does to the world (`read`, `idempotent` or `write`): only a `read` or
   * `idempotent` call is sent again (`retries`); a `write` one is sent once.
   * @default the method's class: `read` for GET, HEAD and OPTIONS, `write` for every other
   */
  effect?: EffectClass | undefined;
}

/**
 * What the request functions accept: an {@link HttpRequest}, or untyped arguments (a planner's tool
 * step, a model's tool call) that are validated field by field at run time.
 */
export type HttpRequestInput = HttpRequest | Readonly<Record<string, unknown>>;

/** A request function with options validated once. */
export type Requester = (request: HttpRequestInput, callOptions?: CallOptions) => Promise<HttpResponse>;
