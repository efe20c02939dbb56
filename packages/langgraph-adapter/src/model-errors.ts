// What a failed model request was: aborted, timed out, or failed in transport (and then whether it
// is worth another request, and after how long).
import { errorMessage } from "@replan/core/internal";
import type { ModelRole } from "@replan/core";
import { PlanExecuteError } from "./errors.js";
import type { ResolvedCallOptions } from "./model-call.js";

/** A failed request, classified. */
export interface Classified {
  code: string;
  message: string;
  retry: boolean;
  thrown: unknown;
}

/** HTTP status of a client error (OpenAI's `APIError`, LangChain's wrappers), if any. */
export function statusOf(error: unknown): number | undefined {
  const candidate = error as { status?: unknown; response?: { status?: unknown } } | null;
  const status = candidate?.status ?? candidate?.response?.status;
  return typeof status === "number" ? status : undefined;
}

/** Classifies a failed request: the error to report and throw, and whether a retry may help. */
export function classify(
  error: unknown,
  role: ModelRole,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  timeout: AbortSignal,
): Classified {
  if (signal?.aborted)
    return { code: "aborted", message: errorMessage(signal.reason), retry: false, thrown: signal.reason };
  if (timeout.aborted) {
    const message = `the ${role} call took longer than ${timeoutMs} ms`;
    return {
      code: "model-timeout",
      message,
      retry: false,
      thrown: new PlanExecuteError("model-timeout", message, { cause: error }),
    };
  }
  const status = statusOf(error);
  const code = (error as { code?: unknown; error?: { code?: unknown } } | null)?.code;
  const quota =
    code === "insufficient_quota" ||
    (error as { error?: { code?: unknown } } | null)?.error?.code === "insufficient_quota";
  const retry =
    status === undefined
      ? isNetworkError(error)
      : (status === 429 && !quota) || status === 408 || (status >= 500 && status <= 599);
  // A 200 whose body the client could not read as a chat completion (not JSON, no `choices`):
  // the client throws a SyntaxError or TypeError from its own code; said plainly (not retried).
  const malformed =
    status === undefined && !retry && (error instanceof SyntaxError || error instanceof TypeError);
  const detail = malformed
    ? `the server's answer is not a valid chat completion (${errorMessage(error)})`
    : errorMessage(error);
  const message = `the ${role} call failed${status === undefined ? "" : ` (HTTP ${status})`}: ${detail}`;
  return {
    code: "model-call-failed",
    message,
    retry,
    thrown: new PlanExecuteError("model-call-failed", message, { cause: error, status }),
  };
}

/** A connection that failed or broke (no HTTP status): refused, reset, DNS, socket closed, fetch failed. */
function isNetworkError(error: unknown): boolean {
  const chain: unknown[] = [];
  for (let current = error; current && chain.length < 5 && !chain.includes(current); ) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain.some((item) => {
    const candidate = item as { name?: unknown; code?: unknown; message?: unknown };
    const name = typeof candidate.name === "string" ? candidate.name : "";
    const code = typeof candidate.code === "string" ? candidate.code : "";
    const message = typeof candidate.message === "string" ? candidate.message : "";
    return (
      name === "APIConnectionError" ||
      name === "APIConnectionTimeoutError" ||
      /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|UND_ERR_\w+)$/.test(
        code,
      ) ||
      /fetch failed|socket hang up|Connection error|terminated|other side closed|ECONNRESET|ECONNREFUSED/i.test(
        message,
      )
    );
  });
}

/** The wait before retry `attempt` (1-based: after the first request failed), or undefined to stop. */
export function retryDelay(
  error: unknown,
  attempt: number,
  settings: ResolvedCallOptions,
): number | undefined {
  const hinted = retryAfterMs(error);
  if (hinted !== undefined) return hinted > settings.maxDelayMs ? undefined : hinted;
  return Math.min(settings.initialDelayMs * 2 ** (attempt - 1), settings.maxDelayMs);
}

/** `retry-after-ms` or `retry-after` (seconds or an HTTP date) from the error's response headers. */
function retryAfterMs(error: unknown): number | undefined {
  const headers =
    (error as { headers?: unknown; response?: { headers?: unknown } } | null)?.headers ??
    (error as { response?: { headers?: unknown } } | null)?.response?.headers;
  const read = (name: string): string | undefined => {
    if (!headers || typeof headers !== "object") return undefined;
    const getter = (headers as { get?: unknown }).get;
    const value =
      typeof getter === "function"
        ? (getter as (key: string) => unknown).call(headers, name)
        : (headers as Record<string, unknown>)[name];
    return typeof value === "string" ? value : undefined;
  };
  const milliseconds = Number(read("retry-after-ms"));
  if (read("retry-after-ms") !== undefined && Number.isFinite(milliseconds) && milliseconds >= 0)
    return milliseconds;
  const value = read("retry-after")?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
