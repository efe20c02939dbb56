/**
 * The defaults of every option of the package, in one frozen object.
 *
 * @module
 */

import { httpMethods } from "./http-types.js";

/**
 * The defaults of `HttpRequestOptions` (and of the tool's `name`), read by every entry point.
 * `allowedHosts` has none (any host whose addresses are public; the OpenAPI functions default it
 * to the base URL's host), nor do `lookup` (`dns.promises.lookup` with `all: true`), `now`
 * (`Date.now`), `sleep` (an abortable `setTimeout`) and `random` (`Math.random`).
 *
 * @example
 * ```ts
 * import { createHttpTool, httpDefaults } from "@replan/executors-http";
 *
 * const patient = createHttpTool({ timeoutMs: httpDefaults.timeoutMs * 4, retries: httpDefaults.retries + 1 });
 * ```
 */
export const httpDefaults = Object.freeze({
  deniedHosts: Object.freeze([] as string[]),
  allowPrivateNetwork: false,
  secretHeaders: Object.freeze({}),
  allowedAddresses: Object.freeze([] as string[]),
  methods: httpMethods,
  timeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  maxResponseBytes: 262_144,
  maxRequestBytes: 1_048_576,
  maxRedirects: 5,
  retries: 2,
  retryDelayMs: 500,
  maxRetryDelayMs: 10_000,
  responseHeaders: Object.freeze([
    "content-type",
    "content-length",
    "location",
    "retry-after",
    "etag",
    "last-modified",
    "link",
  ]),
  name: "http_request",
} as const);
