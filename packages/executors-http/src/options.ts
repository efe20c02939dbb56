/**
 * The options of the request functions: their type, their defaults ({@link httpDefaults}) and
 * their eager check, shared by every entry point of the package.
 *
 * @module
 */

import { type CheckOptionsSettings, rules, MAX_DELAY_MS } from "@replan/core/internal";
import { HttpToolError } from "./errors.js";
import { type HttpMethod, httpMethods } from "./http-types.js";
import { isAddressOrNetwork } from "./address.js";
import { HostPattern, type Resolver } from "./policy.js";
import { secretHeadersRule } from "./secrets.js";

/** Secret headers for some hosts only (the patterns are those of `allowedHosts`). */
export interface SecretHeaderRule {
  /** Host patterns (`api.example.com`, `*.example.com`) the headers are sent to. */
  hosts: readonly string[];
  /** The headers, e.g. `{ authorization: "Bearer ..." }`. */
  headers: Readonly<Record<string, string>>;
}

/** Options of `httpRequest`, `createRequester`, `createHttpTool` and the OpenAPI functions; every default is in {@link httpDefaults}. */
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
   * Retries of `read` and `idempotent` requests after a network error or a 408, 429, 500, 502, 503
   * or 504. A request's class is the one declared for it (a tool's `effect`, an operation's
   * `x-effect` or `effects` entry, `httpRequest`'s `effect`), else its method's: GET, HEAD and
   * OPTIONS are retried; POST, PUT, PATCH and DELETE are `write`, sent once.
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

function isHostPattern(value: unknown): value is string {
  return typeof value === "string" && HostPattern.tryParse(value) !== undefined;
}

function isAddressEntry(value: unknown): value is string {
  return typeof value === "string" && isAddressOrNetwork(value);
}

const hostPatterns = rules.array(
  rules.custom('be a host name, an IP address or a "*.example.com" pattern', isHostPattern),
);

/** The rules of {@link HttpRequestOptions}, which every entry point extends with its own. */
export const requestOptionRules = {
  allowedHosts: hostPatterns,
  deniedHosts: hostPatterns,
  allowPrivateNetwork: rules.boolean(),
  allowedAddresses: rules.array(
    rules.custom('be an IP address or a CIDR network such as "10.0.0.0/8"', isAddressEntry),
  ),
  lookup: rules.func<Resolver>(),
  methods: rules.array(rules.oneOf(httpMethods), { minLength: 1 }),
  secretHeaders: rules.secret(secretHeadersRule),
  timeoutMs: rules.integer({ min: 1, max: MAX_DELAY_MS }),
  connectTimeoutMs: rules.integer({ min: 1, max: MAX_DELAY_MS }),
  maxResponseBytes: rules.integer({ min: 1 }),
  maxRequestBytes: rules.integer({ min: 0 }),
  maxRedirects: rules.integer({ min: 0 }),
  retries: rules.integer({ min: 0 }),
  retryDelayMs: rules.integer({ min: 0, max: MAX_DELAY_MS }),
  maxRetryDelayMs: rules.integer({ min: 0, max: MAX_DELAY_MS }),
  responseHeaders: rules.array(rules.string()),
  now: rules.func<() => number>(),
  sleep: rules.func<(ms: number, signal: AbortSignal) => Promise<void>>(),
  random: rules.func<() => number>(),
};

/** The settings of `checkOptions` for this package: the entry point's name, and `invalid-options`. */
export function checkSettings(where: string): CheckOptionsSettings {
  return { where, error: (message) => new HttpToolError("invalid-options", message) };
}
