/**
 * The safe request function: policy checks, manual redirects, retries, limits and cancellation.
 *
 * @module
 */

import { Agent, fetch, type Response } from "undici";
import { findHttpToolError, HttpToolError } from "./errors.js";
import { HostPattern, NetworkPolicy, normalizeHost, type Resolver } from "./policy.js";

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
export const httpMethods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

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

/** Secret headers for some hosts only (the patterns are those of `allowedHosts`). */
export interface SecretHeaderRule {
  /** Host patterns (`api.example.com`, `*.example.com`) the headers are sent to. */
  hosts: readonly string[];
  /** The headers, e.g. `{ authorization: "Bearer ..." }`. */
  headers: Readonly<Record<string, string>>;
}

/** Options of {@link httpRequest}, {@link createHttpTool} and {@link createOpenApiTools}. */
export interface HttpRequestOptions {
  /**
   * Host patterns that may be requested: `api.example.com` (exactly) or `*.example.com` (any
   * subdomain, not `example.com` itself). Checked on the first URL and on every redirect.
   * @default undefined (any host whose addresses are public)
   */
  allowedHosts?: readonly string[] | undefined;
  /**
   * Host patterns that are refused, even when `allowedHosts` matches.
   * @default []
   */
  deniedHosts?: readonly string[] | undefined;
  /**
   * Allow private, loopback, link-local, shared (CGNAT), multicast and reserved addresses. Cloud
   * metadata addresses stay refused: list them in `allowedAddresses` if you really need them.
   * @default false
   */
  allowPrivateNetwork?: boolean | undefined;
  /**
   * Addresses and CIDR networks that may be connected to even though they are not public, e.g.
   * `["127.0.0.1"]` for a local service or `["10.0.0.0/8"]`. IPv4-mapped IPv6 forms match too.
   * @default []
   */
  allowedAddresses?: readonly string[] | undefined;
  /**
   * Resolves host names at connect time; every address it returns is checked before connecting.
   * Inject one in tests, or to use your own DNS.
   * @default dns.promises.lookup with all: true
   */
  lookup?: Resolver | undefined;
  /**
   * The methods that may be sent.
   * @default ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
   */
  methods?: readonly HttpMethod[] | undefined;
  /**
   * Headers added by the tool, never shown to the model nor echoed in results or errors (their values
   * are redacted from response bodies and headers too). A record applies to every host the tool may
   * reach; rules apply to the hosts they name. Re-evaluated on each redirect hop.
   * @default {}
   */
  secretHeaders?: Readonly<Record<string, string>> | readonly SecretHeaderRule[] | undefined;
  /**
   * Total time limit of the call, in ms: every attempt, redirect, backoff and the body read.
   * @default 30000
   */
  timeoutMs?: number | undefined;
  /**
   * Time limit to open one connection (TCP and TLS), in ms.
   * @default 10000
   */
  connectTimeoutMs?: number | undefined;
  /**
   * Response bytes read at most (after decompression); past it the body is cut and `truncated` is set.
   * @default 262144
   */
  maxResponseBytes?: number | undefined;
  /**
   * Request body bytes sent at most; a larger body is refused with `body-too-large`.
   * @default 1048576
   */
  maxRequestBytes?: number | undefined;
  /**
   * Redirects followed at most; one more fails with `too-many-redirects`. `0` does not follow
   * redirects and returns the 3xx response as is.
   * @default 5
   */
  maxRedirects?: number | undefined;
  /**
   * Retries of idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) after a network error or a
   * 408, 429, 500, 502, 503 or 504. POST and PATCH are never retried.
   * @default 2
   */
  retries?: number | undefined;
  /**
   * The first backoff delay in ms; doubled at each retry, with jitter (between half and all of it).
   * @default 500
   */
  retryDelayMs?: number | undefined;
  /**
   * The longest wait before a retry, in ms. A `Retry-After` longer than this is not waited for: the
   * response is returned as is.
   * @default 10000
   */
  maxRetryDelayMs?: number | undefined;
  /**
   * Response headers included in results (case-insensitive).
   * @default ["content-type", "content-length", "location", "retry-after", "etag", "last-modified", "link"]
   */
  responseHeaders?: readonly string[] | undefined;
  /**
   * The clock, for `Retry-After` dates and the deadline. Inject in tests.
   * @default Date.now
   */
  now?: (() => number) | undefined;
  /**
   * Waits before a retry; must reject with `signal.reason` when `signal` aborts. Inject in tests.
   * @default an abortable setTimeout
   */
  sleep?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
  /**
   * Random numbers in [0, 1) for the backoff jitter. Inject in tests.
   * @default Math.random
   */
  random?: (() => number) | undefined;
}

/** What a compiled requester needs per call. */
export interface CallOptions {
  /** Cancels the call; it then rejects with `signal.reason`. */
  signal?: AbortSignal | undefined;
}

/**
 * What the request functions accept: an {@link HttpRequest}, or untyped arguments (a planner's tool
 * step, a model's tool call) that are validated field by field at run time.
 */
export type HttpRequestInput = HttpRequest | Readonly<Record<string, unknown>>;

/** A request function with options validated once. */
export type Requester = (request: HttpRequestInput, callOptions?: CallOptions) => Promise<HttpResponse>;

const defaultResponseHeaders = [
  "content-type",
  "content-length",
  "location",
  "retry-after",
  "etag",
  "last-modified",
  "link",
];
const idempotentMethods = new Set<HttpMethod>(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);
const retryStatuses = new Set([408, 429, 500, 502, 503, 504]);
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
/** Headers the caller may not set: the client manages them, or they would smuggle requests or proxies. */
const reservedHeaders = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "proxy-authorization",
  "proxy-connection",
]);
/** Headers dropped from the caller's headers when a redirect leaves the origin (as browsers do). */
const crossOriginDropped = new Set(["authorization", "cookie"]);
const headerName = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/i;

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function checkCount(name: string, value: unknown, minimum: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || !Number.isInteger(value) || value < minimum) {
    throw new HttpToolError(
      "invalid-options",
      `${name} must be an integer >= ${minimum}, got ${String(value)}`,
    );
  }
  return value;
}

function checkHeaders(
  value: unknown,
  where: string,
  code: "invalid-options" | "invalid-request",
): Map<string, string> {
  const headers = new Map<string, string>();
  if (value === undefined) return headers;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpToolError(code, `${where} must be an object of header names to strings`);
  }
  for (const [name, headerValue] of Object.entries(value)) {
    if (!headerName.test(name))
      throw new HttpToolError(code, `${where}: "${name}" is not a valid header name`);
    if (typeof headerValue !== "string" || /[\r\n\0]/.test(headerValue)) {
      throw new HttpToolError(code, `${where}: the value of "${name}" must be a string without line breaks`);
    }
    headers.set(name.toLowerCase(), headerValue);
  }
  return headers;
}

interface CompiledSecrets {
  rules: { hosts: HostPattern[] | undefined; headers: Map<string, string> }[];
  names: Set<string>;
  values: string[];
}

function compileSecrets(secretHeaders: HttpRequestOptions["secretHeaders"]): CompiledSecrets {
  const list = Array.isArray(secretHeaders)
    ? (secretHeaders as readonly SecretHeaderRule[]).map((rule, index) => {
        if (typeof rule !== "object" || rule === null || !Array.isArray(rule.hosts)) {
          throw new HttpToolError(
            "invalid-options",
            `secretHeaders[${index}] must be { hosts: string[], headers: {...} }`,
          );
        }
        return {
          hosts: rule.hosts.map((host) => HostPattern.parse(host, `secretHeaders[${index}].hosts`)),
          headers: checkHeaders(rule.headers, `secretHeaders[${index}].headers`, "invalid-options"),
        };
      })
    : [{ hosts: undefined, headers: checkHeaders(secretHeaders ?? {}, "secretHeaders", "invalid-options") }];
  const names = new Set<string>();
  const values = new Set<string>();
  for (const rule of list) {
    for (const [name, value] of rule.headers) {
      if (reservedHeaders.has(name) && name !== "proxy-authorization") {
        throw new HttpToolError("invalid-options", `secretHeaders: "${name}" is managed by the HTTP client`);
      }
      names.add(name);
      if (value.length > 0) values.add(value);
      // A bearer token also appears without its scheme; redact the token alone too.
      const token = /^\S+\s+(\S{6,})$/.exec(value)?.[1];
      if (token) values.add(token);
    }
  }
  // Longest first, so that a value containing another is redacted whole.
  return { rules: list, names, values: [...values].sort((a, b) => b.length - a.length) };
}

function redactor(values: readonly string[]): (text: string) => string {
  if (values.length === 0) return (text) => text;
  return (text) => values.reduce((result, value) => result.split(value).join("[redacted]"), text);
}

/**
 * Validates `options` once and returns a request function that applies them to every call; the
 * tool factories use it, and so can you when sending many requests with the same policy.
 *
 * @param options - see {@link HttpRequestOptions}.
 * @returns `(request, { signal }) => Promise<HttpResponse>`, behaving as {@link httpRequest}.
 * @throws {@link HttpToolError} `invalid-options` when an option is malformed.
 *
 * @example
 * ```ts
 * import { createRequester } from "@replan/executors-http";
 *
 * const request = createRequester({ allowedHosts: ["api.github.com"], retries: 1 });
 * const { status, body } = await request({ url: "https://api.github.com/rate_limit" });
 * console.log(status, body);
 * ```
 */
export function createRequester(options: HttpRequestOptions = {}): Requester {
  if (typeof options !== "object" || options === null)
    throw new HttpToolError("invalid-options", "options must be an object");
  const {
    allowedHosts,
    deniedHosts,
    allowPrivateNetwork,
    allowedAddresses,
    lookup,
    methods = httpMethods,
    secretHeaders = {},
    timeoutMs = 30_000,
    connectTimeoutMs = 10_000,
    maxResponseBytes = 262_144,
    maxRequestBytes = 1_048_576,
    maxRedirects = 5,
    retries = 2,
    retryDelayMs = 500,
    maxRetryDelayMs = 10_000,
    responseHeaders = defaultResponseHeaders,
    now = Date.now,
    sleep = defaultSleep,
    random = Math.random,
  } = options;
  const policy = new NetworkPolicy({
    allowedHosts,
    deniedHosts,
    allowPrivateNetwork,
    allowedAddresses,
    lookup,
  });
  if (
    !Array.isArray(methods) ||
    methods.length === 0 ||
    methods.some((method) => !httpMethods.includes(method))
  ) {
    throw new HttpToolError(
      "invalid-options",
      `methods must be a non-empty subset of ${httpMethods.join(", ")}`,
    );
  }
  checkCount("timeoutMs", timeoutMs, 1);
  checkCount("connectTimeoutMs", connectTimeoutMs, 1);
  checkCount("maxResponseBytes", maxResponseBytes, 1);
  checkCount("maxRequestBytes", maxRequestBytes, 0);
  checkCount("maxRedirects", maxRedirects, 0);
  checkCount("retries", retries, 0);
  checkCount("retryDelayMs", retryDelayMs, 0);
  checkCount("maxRetryDelayMs", maxRetryDelayMs, 0);
  if (!Array.isArray(responseHeaders) || responseHeaders.some((name) => typeof name !== "string")) {
    throw new HttpToolError("invalid-options", "responseHeaders must be an array of header names");
  }
  for (const [name, value] of [
    ["now", now],
    ["sleep", sleep],
    ["random", random],
  ] as const) {
    if (typeof value !== "function") throw new HttpToolError("invalid-options", `${name} must be a function`);
  }
  const allowedMethods = new Set<string>(methods);
  const exposedHeaders = responseHeaders.map((name) => name.toLowerCase());
  const secrets = compileSecrets(secretHeaders);
  const redact = redactor(secrets.values);

  function secretHeadersFor(url: URL): Map<string, string> {
    const host = normalizeHost(url.hostname);
    const headers = new Map<string, string>();
    for (const rule of secrets.rules) {
      if (rule.hosts && !rule.hosts.some((pattern) => pattern.matches(host))) continue;
      for (const [name, value] of rule.headers) headers.set(name, value);
    }
    return headers;
  }

  function prepare(input: HttpRequestInput) {
    if (typeof input !== "object" || input === null) {
      throw new HttpToolError("invalid-request", "request must be an object");
    }
    const request = input as HttpRequest;
    if (request.method !== undefined && typeof request.method !== "string") {
      throw new HttpToolError("invalid-request", "method must be a string");
    }
    const method = (request.method ?? "GET").toUpperCase() as HttpMethod;
    if (!httpMethods.includes(method)) {
      throw new HttpToolError("invalid-request", `Unknown method ${JSON.stringify(request.method)}`);
    }
    if (!allowedMethods.has(method)) {
      throw new HttpToolError(
        "method-not-allowed",
        `Method ${method} is not allowed; allowed: ${[...allowedMethods].join(", ")}`,
      );
    }
    if (typeof request.url !== "string") throw new HttpToolError("invalid-url", "url must be a string");
    const url = policy.checkUrl(request.url);
    if (request.query !== undefined) {
      if (typeof request.query !== "object" || request.query === null) {
        throw new HttpToolError("invalid-request", "query must be an object");
      }
      for (const [key, value] of Object.entries(request.query)) {
        for (const item of Array.isArray(value) ? value : [value]) {
          if (item === null || item === undefined) continue;
          if (!["string", "number", "boolean"].includes(typeof item)) {
            throw new HttpToolError(
              "invalid-request",
              `query.${key} must be a string, number, boolean or an array of them`,
            );
          }
          url.searchParams.append(key, String(item));
        }
      }
    }
    const headers = checkHeaders(request.headers, "headers", "invalid-request");
    for (const name of headers.keys()) {
      if (reservedHeaders.has(name))
        throw new HttpToolError("invalid-request", `Header "${name}" may not be set`);
      // The developer's secret headers win over the caller's.
      if (secrets.names.has(name)) headers.delete(name);
    }
    if (request.json !== undefined && request.body !== undefined) {
      throw new HttpToolError("invalid-request", "Give either json or body, not both");
    }
    let body: string | undefined;
    if (request.json !== undefined) {
      try {
        body = JSON.stringify(request.json);
      } catch (error) {
        throw new HttpToolError("invalid-request", "json could not be serialized", { cause: error });
      }
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    } else if (request.body !== undefined) {
      if (typeof request.body !== "string")
        throw new HttpToolError("invalid-request", "body must be a string");
      body = request.body;
      if (!headers.has("content-type")) headers.set("content-type", "text/plain;charset=utf-8");
    }
    if (body !== undefined && (method === "GET" || method === "HEAD")) {
      throw new HttpToolError("invalid-request", `A ${method} request cannot have a body`);
    }
    if (body !== undefined && Buffer.byteLength(body) > maxRequestBytes) {
      throw new HttpToolError(
        "body-too-large",
        `The request body is ${Buffer.byteLength(body)} bytes; the limit (maxRequestBytes) is ${maxRequestBytes}`,
      );
    }
    return { method, url, headers, body };
  }

  async function readBody(
    response: Response,
    method: HttpMethod,
  ): Promise<{ body: unknown; truncated: boolean }> {
    const stream = response.body;
    if (method === "HEAD" || stream === null) return { body: null, truncated: false };
    const contentType = response.headers.get("content-type") ?? "";
    const textual =
      contentType === "" ||
      /^text\/|json|xml|javascript|ecmascript|x-www-form-urlencoded|yaml|csv|graphql/i.test(contentType);
    if (!textual) {
      await stream.cancel().catch(() => {});
      return { body: null, truncated: false };
    }
    const reader = stream.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    let truncated = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (size + value.byteLength > maxResponseBytes) {
          chunks.push(value.subarray(0, maxResponseBytes - size));
          size = maxResponseBytes;
          truncated = true;
          // Stop reading: cancelling the stream aborts the request and closes the connection.
          await reader.cancel().catch(() => {});
          break;
        }
        chunks.push(value);
        size += value.byteLength;
      }
    } finally {
      reader.releaseLock();
    }
    if (size === 0) return { body: null, truncated: false };
    const text = redact(new TextDecoder().decode(Buffer.concat(chunks)));
    if (truncated)
      return {
        body: `${text}\n[truncated: the response is larger than ${maxResponseBytes} bytes]`,
        truncated,
      };
    if (/\bjson\b|\+json/i.test(contentType)) {
      try {
        return { body: JSON.parse(text), truncated };
      } catch {
        return { body: text, truncated };
      }
    }
    return { body: text, truncated };
  }

  function selectHeaders(response: Response): Record<string, string> {
    const selected: Record<string, string> = {};
    for (const name of exposedHeaders) {
      const value = response.headers.get(name);
      if (value !== null) selected[name] = redact(value);
    }
    return selected;
  }

  /** Sends one attempt, following redirects; resolves with the last response, its body unread. */
  async function send(prepared: ReturnType<typeof prepare>, agent: Agent, signal: AbortSignal) {
    let { method, url, body } = prepared;
    const headers = new Map(prepared.headers);
    const origin = url.origin;
    for (let redirects = 0; ; redirects++) {
      const sent = new Map(headers);
      for (const [name, value] of secretHeadersFor(url)) sent.set(name, value);
      const response = await fetch(url, {
        method,
        headers: [...sent],
        body: body ?? null,
        redirect: "manual",
        dispatcher: agent,
        signal,
      });
      const location = response.headers.get("location");
      if (!redirectStatuses.has(response.status) || location === null || maxRedirects === 0) {
        return { response, url, redirects };
      }
      await response.body?.cancel().catch(() => {});
      if (redirects >= maxRedirects) {
        throw new HttpToolError(
          "too-many-redirects",
          `More than ${maxRedirects} redirects (maxRedirects) from ${prepared.url.origin}`,
        );
      }
      url = policy.checkUrl(location, url);
      if (
        response.status === 303
          ? method !== "HEAD"
          : (response.status === 301 || response.status === 302) && method === "POST"
      ) {
        method = "GET";
        body = undefined;
        headers.delete("content-type");
      }
      if (url.origin !== origin) for (const name of crossOriginDropped) headers.delete(name);
    }
  }

  function retryDelay(response: Response | undefined, attempt: number, deadline: number): number | undefined {
    let delay = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** attempt);
    delay = delay / 2 + random() * (delay / 2);
    const retryAfter = response?.headers.get("retry-after")?.trim();
    const asked = !retryAfter
      ? Number.NaN
      : /^\d+$/.test(retryAfter)
        ? Number(retryAfter) * 1000
        : Date.parse(retryAfter) - now();
    // An unreadable Retry-After falls back to the backoff; one too long is not waited for.
    if (!Number.isNaN(asked)) {
      delay = Math.max(0, asked);
      if (delay > maxRetryDelayMs) return undefined;
    }
    return now() + delay >= deadline ? undefined : Math.round(delay);
  }

  return async function request(input, { signal } = {}) {
    if (signal?.aborted) throw signal.reason;
    const prepared = prepare(input);
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const deadline = now() + timeoutMs;
    const agent = new Agent({ connect: { lookup: policy.lookup, timeout: connectTimeoutMs } });
    const retriable = idempotentMethods.has(prepared.method);
    try {
      for (let attempt = 0; ; attempt++) {
        let delay: number | undefined;
        try {
          const { response, url, redirects } = await send(prepared, agent, combined);
          delay =
            retriable && attempt < retries && retryStatuses.has(response.status)
              ? retryDelay(response, attempt, deadline)
              : undefined;
          if (delay === undefined) {
            const { body, truncated } = await readBody(response, prepared.method);
            return {
              ok: response.status >= 200 && response.status < 300,
              status: response.status,
              url: redact(url.href),
              headers: selectHeaders(response),
              body,
              truncated,
              redirects,
              attempts: attempt + 1,
            };
          }
          await response.body?.cancel().catch(() => {});
        } catch (error) {
          const failure = toHttpToolError(error, signal, timeout, timeoutMs, redact);
          delay =
            failure.code === "network-error" && retriable && attempt < retries
              ? retryDelay(undefined, attempt, deadline)
              : undefined;
          if (delay === undefined) throw failure;
        }
        try {
          await sleep(delay, combined);
        } catch (error) {
          throw toHttpToolError(error, signal, timeout, timeoutMs, redact);
        }
      }
    } finally {
      agent.destroy().catch(() => {});
    }
  };
}

/** Turns whatever a fetch threw into an HttpToolError, or rethrows the caller's abort reason. */
function toHttpToolError(
  error: unknown,
  signal: AbortSignal | undefined,
  timeout: AbortSignal,
  timeoutMs: number,
  redact: (text: string) => string,
): HttpToolError {
  if (signal?.aborted) throw signal.reason;
  const own = findHttpToolError(error);
  if (own) return own;
  if (timeout.aborted)
    return new HttpToolError("timeout", `The request took longer than ${timeoutMs} ms (timeoutMs)`, {
      cause: error,
    });
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if ((current as { code?: unknown }).code === "UND_ERR_CONNECT_TIMEOUT") {
      return new HttpToolError("timeout", "Connecting took longer than connectTimeoutMs", { cause: error });
    }
    messages.push(current.message);
    current = current.cause;
  }
  const detail = messages.length > 1 ? messages.slice(1).join(": ") : (messages[0] ?? String(error));
  return new HttpToolError("network-error", `Network error: ${redact(detail)}`, { cause: error });
}

/**
 * Sends one HTTP request under the safety policy: only http/https to allowed hosts and public
 * addresses (checked again on the address DNS returns at connect time, and on each redirect), with a
 * total timeout, a response size cap, retries of idempotent methods, and secret headers added out of
 * the caller's sight. An HTTP error status is a result (`ok: false`), not an exception.
 *
 * @param request - method, URL, headers, query and a `json` or text `body` (untyped input is validated).
 * @param options - the policy and limits (see {@link HttpRequestOptions}) and the `signal` that cancels the call.
 * @returns the status, the allowlisted headers and the (possibly truncated) body.
 * @throws {@link HttpToolError} for refusals and failures; the `signal`'s reason when cancelled.
 *
 * @example
 * ```ts
 * import { httpRequest } from "@replan/executors-http";
 *
 * const response = await httpRequest(
 *   { method: "GET", url: "https://api.github.com/repos/nodejs/node", headers: { accept: "application/json" } },
 *   { allowedHosts: ["api.github.com"], timeoutMs: 10_000 },
 * );
 * console.log(response.status, (response.body as { stargazers_count: number }).stargazers_count);
 * ```
 */
export function httpRequest(
  request: HttpRequestInput,
  options: HttpRequestOptions & CallOptions = {},
): Promise<HttpResponse> {
  try {
    const { signal, ...rest } = options;
    return createRequester(rest)(request, { signal });
  } catch (error) {
    return Promise.reject(error);
  }
}
