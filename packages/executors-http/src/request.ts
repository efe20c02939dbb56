/**
 * The safe request function: options checked once, then every call prepared, sent (following
 * redirects), retried when worth it, bounded by a deadline, and read.
 *
 * @module
 */

import { Agent } from "undici";
import { httpDefaults } from "./defaults.js";
import { EFFECT_CLASSES, type EffectClass } from "@replan/core";
import { effectOfMethod } from "./effects.js";
import { HttpToolError } from "./errors.js";
import { nothingSent, outcomeUnknown, sentNothing, toHttpToolError } from "./failure.js";
import type { CallOptions, HttpRequestInput, HttpResponse, Requester } from "./http-types.js";
import { checkOptions, rules, sleep } from "@replan/core/internal";
import { checkSettings, type HttpRequestOptions, requestOptionRules } from "./options.js";
import { NetworkPolicy } from "./policy.js";
import { type PreparedRequest, prepareRequest } from "./prepare-request.js";
import { sendAttempt } from "./redirects.js";
import { readResponseBody, selectHeaders } from "./response-body.js";
import { isRetryableStatus, mayRepeat, retriesWithinCall, retryDelay } from "./retry.js";
import { type CompiledSecrets, compileSecrets } from "./secrets.js";

/** The options with their defaults, compiled: what every call of a requester reads. */
interface Settings {
  policy: NetworkPolicy;
  secrets: CompiledSecrets;
  allowedMethods: ReadonlySet<string>;
  timeoutMs: number;
  connectTimeoutMs: number;
  maxResponseBytes: number;
  maxRequestBytes: number;
  maxRedirects: number;
  retries: number;
  retryDelayMs: number;
  maxRetryDelayMs: number;
  /** Lowercased. */
  responseHeaders: readonly string[];
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
}

/** Waits `ms`, or rejects with `signal.reason` as soon as it is aborted (the default of `sleep`). */
async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (!(await sleep(ms, signal))) throw signal.reason;
}

/** Applies {@link httpDefaults} to checked options and compiles the policy and the secret headers. */
function settingsOf(checked: HttpRequestOptions): Settings {
  const defaults = httpDefaults;
  return {
    policy: new NetworkPolicy(checked),
    secrets: compileSecrets(checked.secretHeaders ?? defaults.secretHeaders),
    allowedMethods: new Set(checked.methods ?? defaults.methods),
    timeoutMs: checked.timeoutMs ?? defaults.timeoutMs,
    connectTimeoutMs: checked.connectTimeoutMs ?? defaults.connectTimeoutMs,
    maxResponseBytes: checked.maxResponseBytes ?? defaults.maxResponseBytes,
    maxRequestBytes: checked.maxRequestBytes ?? defaults.maxRequestBytes,
    maxRedirects: checked.maxRedirects ?? defaults.maxRedirects,
    retries: checked.retries ?? defaults.retries,
    retryDelayMs: checked.retryDelayMs ?? defaults.retryDelayMs,
    maxRetryDelayMs: checked.maxRetryDelayMs ?? defaults.maxRetryDelayMs,
    responseHeaders: (checked.responseHeaders ?? defaults.responseHeaders).map((name) => name.toLowerCase()),
    now: checked.now ?? Date.now,
    sleep: checked.sleep ?? abortableSleep,
    random: checked.random ?? Math.random,
  };
}

/** Sends `prepared` until it gets an answer worth returning, or a failure not worth retrying. */
async function sendWithRetries(
  prepared: PreparedRequest,
  settings: Settings,
  signal: AbortSignal | undefined,
  effect: EffectClass,
) {
  const { timeoutMs, retries, policy, secrets, maxRedirects } = settings;
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const failure = { signal, timeout, timeoutMs, redact: secrets.redact };
  const deadline = settings.now() + timeoutMs;
  const agent = new Agent({ connect: { lookup: policy.lookup, timeout: settings.connectTimeoutMs } });
  const repeatable = mayRepeat(effect);
  // Whether any attempt may have reached a server: only a first attempt can be known to have sent nothing.
  const progress = { answered: false };
  try {
    for (let attempt = 0; ; attempt++) {
      let delay: number | undefined;
      try {
        const context = { policy, secrets, maxRedirects, agent, signal: combined, progress };
        const sent = await sendAttempt(prepared, context);
        const { status, headers } = sent.response;
        delay =
          repeatable && attempt < retries && isRetryableStatus(status)
            ? retryDelay(headers.get("retry-after"), attempt, deadline, settings)
            : undefined;
        if (delay === undefined) return await responseOf(sent, prepared, settings, attempt + 1);
        await sent.response.body?.cancel().catch(() => {});
      } catch (error) {
        const refusal = toHttpToolError(error, failure);
        if (attempt === 0 && nothingSent(error, refusal, progress.answered)) {
          if (!(retriesWithinCall(refusal.code) && repeatable && retries > 0)) throw sentNothing(refusal);
        }
        if (!repeatable && refusal.code === "network-error") throw outcomeUnknown(error, refusal);
        delay =
          retriesWithinCall(refusal.code) && repeatable && attempt < retries
            ? retryDelay(undefined, attempt, deadline, settings)
            : undefined;
        if (delay === undefined) throw refusal;
      }
      try {
        await settings.sleep(delay, combined);
      } catch (error) {
        throw toHttpToolError(error, failure);
      }
    }
  } finally {
    agent.destroy().catch(() => {});
  }
}

/** Reads the last response of a call into an {@link HttpResponse}. */
async function responseOf(
  { response, url, redirects }: Awaited<ReturnType<typeof sendAttempt>>,
  prepared: PreparedRequest,
  { maxResponseBytes, responseHeaders, secrets }: Settings,
  attempts: number,
): Promise<HttpResponse> {
  const { body, truncated } = await readResponseBody(
    response,
    prepared.method,
    maxResponseBytes,
    secrets.redact,
  );
  return {
    ok: response.status >= 200 && response.status < 300,
    status: response.status,
    url: secrets.redact(url.href),
    headers: selectHeaders(response, responseHeaders, secrets.redact),
    body,
    truncated,
    redirects,
    attempts,
  };
}

/**
 * The request function of options already checked (by `checkOptions` with {@link requestOptionRules}).
 *
 * @param checked - the request options (without the entry point's own, such as a tool's `name`).
 */
export function requesterOf(checked: HttpRequestOptions): Requester {
  const settings = settingsOf(checked);
  const limits = {
    policy: settings.policy,
    allowedMethods: settings.allowedMethods,
    secretNames: settings.secrets.names,
    maxRequestBytes: settings.maxRequestBytes,
  };
  return async (input: HttpRequestInput, { signal, effect }: CallOptions = {}) => {
    if (signal?.aborted) throw signal.reason;
    if (effect !== undefined && !EFFECT_CLASSES.includes(effect)) {
      throw new HttpToolError(
        "invalid-request",
        `effect must be "read", "idempotent" or "write", got ${JSON.stringify(effect)}`,
        { effectHappened: false },
      );
    }
    let prepared: PreparedRequest;
    try {
      prepared = prepareRequest(input, limits);
    } catch (error) {
      throw HttpToolError.isInstance(error) ? sentNothing(error) : error; // refused before sending
    }
    return sendWithRetries(prepared, settings, signal, effect ?? effectOfMethod(prepared.method));
  };
}

/**
 * Validates `options` once and returns a request function that applies them to every call; the
 * tool factories use it, and so can you when sending many requests with the same policy.
 *
 * @param options - see {@link HttpRequestOptions}; the defaults are {@link httpDefaults}.
 * @returns `(request, { signal }) => Promise<HttpResponse>`, behaving as {@link httpRequest}.
 * @throws {@link HttpToolError} `invalid-options` when an option is unknown or malformed; the message names it.
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
  return requesterOf(checkOptions(options, requestOptionRules, checkSettings("createRequester")));
}

const httpRequestRules = {
  ...requestOptionRules,
  signal: rules.signal(),
  effect: rules.oneOf(EFFECT_CLASSES),
};

/**
 * Sends one HTTP request under the safety policy: only http/https to allowed hosts and public
 * addresses (checked again on the address DNS returns at connect time, and on each redirect), with a
 * total timeout, a response size cap, retries of `read` and `idempotent` calls (never of a `write`
 * one: see `effect`), and secret headers added out of
 * the caller's sight. An HTTP error status is a result (`ok: false`), not an exception.
 *
 * @param request - method, URL, headers, query and a `json` or text `body` (untyped input is validated).
 * @param options - the policy and limits (see {@link HttpRequestOptions}), the `signal` that cancels
 *   the call, and its `effect` (see {@link CallOptions}).
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
    const { signal, effect, ...checked } = checkOptions(
      options,
      httpRequestRules,
      checkSettings("httpRequest"),
    );
    return requesterOf(checked)(request, { signal, effect });
  } catch (error) {
    return Promise.reject(error);
  }
}
