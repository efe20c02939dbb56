// One model call, as the model layer makes it: tagged with its role, counted against the run's
// budget before it is made, bounded by a timeout, retried on transport errors only (by this
// layer, never by the client), with its raw message returned unparsed.
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { Runnable } from "@langchain/core/runnables";
import {
  errorMessage,
  type ModelCallReporter,
  type ModelRole,
  type StepError,
  type Usage,
} from "@replan/core";
import { planExecuteDefaults } from "./defaults.js";
import { PlanExecuteError } from "./errors.js";

/** The metadata key that carries a model call's role (`planner`, `replanner`, `executor`, `answer`). */
export const MODEL_ROLE_KEY = "replan_role";

/** The metadata key that carries the step id of an agent step's model calls. */
export const MODEL_STEP_KEY = "replan_step";

/** The HTTP header that carries a model call's role on OpenAI-compatible requests (`ChatOpenAI`). */
export const MODEL_ROLE_HEADER = "x-replan-role";

/**
 * How the model layer retries a request that failed in transport: HTTP 429 (unless the quota is
 * exhausted), HTTP 5xx, or a network error (no HTTP status). Nothing else is retried: not a 4xx,
 * not a timeout, not an answer that does not parse (that gets one repair request instead).
 * The delay is `initialDelayMs` doubled at each retry, or the server's `retry-after`; a
 * `retry-after` longer than `maxDelayMs` ends the retries at once.
 */
export interface RetryPolicy {
  /**
   * Retries of one call (so at most `maxRetries + 1` requests).
   * @default 2
   */
  maxRetries?: number;
  /**
   * Delay before the first retry, in ms; doubled for each further retry.
   * @default 1000
   */
  initialDelayMs?: number;
  /**
   * Longest delay, in ms.
   * @default 30000
   */
  maxDelayMs?: number;
}

/** Options of every model-layer building block: how its calls are bounded and retried. */
export interface ModelCallOptions {
  /**
   * Time limit of one request, in ms: past it the request is aborted and the call fails
   * (`model-timeout`, not retried).
   * @default 120000
   */
  timeoutMs?: number;
  /** Transport retries; see {@link RetryPolicy}. */
  retry?: RetryPolicy;
  /**
   * The clock (event times and durations).
   * @default Date.now
   */
  now?: () => number;
}

export interface ResolvedCallOptions {
  timeoutMs: number;
  maxRetries: number;
  initialDelayMs: number;
  maxDelayMs: number;
  now: () => number;
}

/** Longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function resolveCallOptions(options: ModelCallOptions): ResolvedCallOptions {
  const { timeoutMs = planExecuteDefaults.modelTimeoutMs, retry = {}, now = Date.now } = options;
  const {
    maxRetries = planExecuteDefaults.modelRetry.maxRetries,
    initialDelayMs = planExecuteDefaults.modelRetry.initialDelayMs,
    maxDelayMs = planExecuteDefaults.modelRetry.maxDelayMs,
  } = retry;
  const check = (option: string, value: number, integer: boolean, min: number) => {
    if (
      typeof value !== "number" ||
      Number.isNaN(value) ||
      value < min ||
      (integer && !Number.isInteger(value))
    ) {
      throw new PlanExecuteError(
        "invalid-options",
        `Option "${option}" must be ${integer ? "an integer" : "a number"} >= ${min}, got ${String(value)}`,
      );
    }
  };
  check("timeoutMs", timeoutMs, false, 1);
  check("retry.maxRetries", maxRetries, true, 0);
  check("retry.initialDelayMs", initialDelayMs, false, 0);
  check("retry.maxDelayMs", maxDelayMs, false, 0);
  if (maxRetries > 100) {
    throw new PlanExecuteError("invalid-options", 'Option "retry.maxRetries" must be at most 100');
  }
  return {
    timeoutMs: Math.min(timeoutMs, MAX_TIMER_MS),
    maxRetries,
    initialDelayMs,
    maxDelayMs: Math.min(maxDelayMs, MAX_TIMER_MS),
    now,
  };
}

/** One call to make. */
export interface CallRequest {
  role: ModelRole;
  /** For an agent step's calls. */
  stepId?: string | undefined;
  messages: BaseMessage[];
  signal?: AbortSignal | undefined;
  /** The run's side: budget, usage, events (absent when a building block is called on its own). */
  reporter?: Partial<ModelCallReporter> | undefined;
  /** Call options: `tool_choice`, `response_format`, ... */
  callOptions?: Record<string, unknown>;
  /** Stream the answer and put it together here (used for `response_format` `json_schema`). */
  stream?: boolean;
  /** Keep the tokens off LangGraph's `messages` stream (plans are data, not chat). */
  quiet?: boolean;
}

type ChatRunnable = Runnable<BaseLanguageModelInput, AIMessageChunk>;

/**
 * Whether the model is `ChatOpenAI` or one of its family (Azure, OpenAI-compatible subclasses):
 * they take `maxRetries` and request `options` per call.
 */
export function isOpenAIFamily(model: BaseChatModel): boolean {
  const candidate = model as unknown as { _llmType?: () => string; _getClientOptions?: unknown };
  let type = "";
  try {
    type = candidate._llmType?.() ?? "";
  } catch {
    type = "";
  }
  return type === "openai" || type === "azure_openai" || typeof candidate._getClientOptions === "function";
}

/**
 * Makes one model call: at most `maxRetries + 1` requests, each reserved against the budget
 * first, each reported (usage, start and end events), each bounded by the timeout. Returns the
 * model's message as it came, unparsed.
 *
 * @throws {PlanExecuteError} `budget-exceeded` (no request made), `model-timeout`,
 *   `model-call-failed` (with `status` and the cause); all with `retryable: false`. An abort of
 *   `signal` rejects with its reason.
 */
export async function callModel(
  runnable: ChatRunnable,
  openAI: boolean,
  settings: ResolvedCallOptions,
  request: CallRequest,
): Promise<AIMessage> {
  const { role, stepId, messages, signal, reporter = {}, callOptions = {} } = request;
  const { now, timeoutMs, maxRetries } = settings;
  const where = stepId === undefined ? {} : { stepId };
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    if (reporter.reserveLlmCall && !reporter.reserveLlmCall()) {
      throw Object.assign(
        new PlanExecuteError("budget-exceeded", `the run's budget has no room for another ${role} call`),
        { retryable: false },
      );
    }
    const started = now();
    reporter.emit?.({ type: "model-call-start", at: started, role, attempt, ...where });
    const timeout = new AbortController();
    const timer = setTimeout(() => {
      timeout.abort(new DOMException(`the ${role} call took longer than ${timeoutMs} ms`, "TimeoutError"));
    }, timeoutMs);
    const callSignal = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
    const config: Record<string, unknown> = {
      ...callOptions,
      signal: callSignal,
      runName: role,
      metadata: { [MODEL_ROLE_KEY]: role, ...(stepId === undefined ? {} : { [MODEL_STEP_KEY]: stepId }) },
      tags: [`replan:${role}`, ...(request.quiet ? ["langsmith:nostream"] : [])],
      // ChatOpenAI retries inside the call by default (maxRetries 6, with backoff, parse errors
      // included): per call, it is told not to, so that this layer's policy is the only one.
      // The role header: `options.headers` reaches the request in ChatOpenAI's plain path,
      // `headers` in its streamed path (there the call options are the request options).
      ...(openAI
        ? {
            maxRetries: 0,
            options: { headers: { [MODEL_ROLE_HEADER]: role } },
            headers: { [MODEL_ROLE_HEADER]: role },
          }
        : {}),
    };
    let message: AIMessage | undefined;
    let failure: unknown;
    try {
      // The signal cancels the request; the wait also ends with it, for a model that ignores it.
      message = await untilAborted(
        request.stream
          ? collect(runnable, messages, config, callSignal)
          : runnable.invoke(messages, config).then(toAIMessage),
        callSignal,
      );
    } catch (error) {
      failure = error;
    } finally {
      clearTimeout(timer);
    }
    const usage = usageOf(message);
    reporter.reportUsage?.(usage);
    const ended = now();
    if (message) {
      reporter.emit?.({
        type: "model-call-end",
        at: ended,
        role,
        attempt,
        durationMs: ended - started,
        usage,
        ...where,
      });
      return message;
    }
    const error = classify(failure, role, timeoutMs, signal, timeout.signal);
    reporter.emit?.({
      type: "model-call-end",
      at: ended,
      role,
      attempt,
      durationMs: ended - started,
      usage,
      error: { code: error.code, message: error.message },
      ...where,
    });
    if (signal?.aborted) throw signal.reason;
    const delayMs = error.retry ? retryDelay(failure, attempt, settings) : undefined;
    if (delayMs === undefined || attempt > maxRetries) throw error.thrown;
    reporter.emit?.({
      type: "model-call-retry",
      at: now(),
      role,
      error: { code: error.code, message: error.message },
      delayMs,
      ...where,
    });
    if (!(await wait(delayMs, signal))) throw signal?.reason;
  }
}

/** Streams the answer and concatenates the chunks into one message. */
async function collect(
  runnable: ChatRunnable,
  messages: BaseMessage[],
  config: Record<string, unknown>,
  signal: AbortSignal,
): Promise<AIMessage> {
  let whole: AIMessageChunk | undefined;
  for await (const chunk of await runnable.stream(messages, config)) {
    whole = whole ? whole.concat(chunk) : chunk;
  }
  // ChatOpenAI ends an aborted stream quietly: an abort must not pass for a short answer.
  signal.throwIfAborted();
  return toAIMessage(whole ?? new AIMessageChunk({ content: "" }));
}

function toAIMessage(message: unknown): AIMessage {
  if (AIMessage.isInstance(message) || AIMessageChunk.isInstance(message)) return message as AIMessage;
  return new AIMessage({ content: typeof message === "string" ? message : "" });
}

/** The usage a message reports: one LLM call, with its tokens when the server gave them. */
export function usageOf(message: BaseMessage | undefined): Usage {
  const metadata = (
    message as { usage_metadata?: { input_tokens?: number; output_tokens?: number } } | undefined
  )?.usage_metadata;
  const count = (value: unknown) =>
    typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
  return {
    llmCalls: 1,
    promptTokens: count(metadata?.input_tokens),
    completionTokens: count(metadata?.output_tokens),
  };
}

interface Classified {
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

function classify(
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
      thrown: Object.assign(new PlanExecuteError("model-timeout", message, { cause: error }), {
        retryable: false,
      }),
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
    thrown: Object.assign(new PlanExecuteError("model-call-failed", message, { cause: error }), {
      retryable: false,
      status,
    }),
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
function retryDelay(error: unknown, attempt: number, settings: ResolvedCallOptions): number | undefined {
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

/** Resolves with `promise`, or rejects with the signal's reason as soon as it aborts (the promise's own rejection is then ignored). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => {});
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Waits `ms`, or less if `signal` aborts first; true if the time passed. */
function wait(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** A step error for a thrown value. */
export function toStepError(error: unknown, fallback: string): StepError {
  const code = (error as { code?: unknown } | null)?.code;
  return { code: typeof code === "string" ? code : fallback, message: errorMessage(error) };
}
