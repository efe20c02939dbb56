// One model call, as the model layer makes it: tagged with its role, counted against the run's
// budget before it is made, bounded by a timeout, retried on transport errors only (by this
// layer, never by the client), with its raw message returned unparsed.
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { type AIMessage, AIMessageChunk, type BaseMessage } from "@langchain/core/messages";
import type { Runnable } from "@langchain/core/runnables";
import type { ModelCallReporter, ModelRole, Usage } from "@replan/core";
import { sleep, untilAborted, MAX_DELAY_MS } from "@replan/core/internal";
import { planExecuteDefaults } from "./defaults.js";
import { PlanExecuteError } from "./errors.js";
import { classify, retryDelay } from "./model-errors.js";
import { concatAll, strictMessage, toAIMessage } from "./streamed-message.js";

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

/** The call options with their defaults (checked by the entry point), timers bounded. */
export function resolveCallOptions(options: ModelCallOptions): ResolvedCallOptions {
  const { timeoutMs = planExecuteDefaults.modelTimeoutMs, retry = {}, now = Date.now } = options;
  const {
    maxRetries = planExecuteDefaults.modelRetry.maxRetries,
    initialDelayMs = planExecuteDefaults.modelRetry.initialDelayMs,
    maxDelayMs = planExecuteDefaults.modelRetry.maxDelayMs,
  } = retry;
  return {
    timeoutMs: Math.min(timeoutMs, MAX_DELAY_MS),
    maxRetries,
    initialDelayMs,
    maxDelayMs: Math.min(maxDelayMs, MAX_DELAY_MS),
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
  /**
   * Sees each chunk of a streamed answer as it arrives (with `stream`), with the request's
   * attempt (a transport retry streams the answer again from its start).
   */
  onChunk?: (chunk: AIMessageChunk, attempt: number) => void;
  /**
   * With `stream`: the longest answer read, in characters of text and tool-call arguments; the
   * stream is closed there and the answer is what came before (its parse says what is wrong).
   */
  maxChars?: number;
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
  const { role, stepId, signal, reporter = {} } = request;
  const { now, timeoutMs, maxRetries } = settings;
  const where = stepId === undefined ? {} : { stepId };
  let stream = request.stream === true;
  let retries = 0;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    if (reporter.reserveLlmCall && !reporter.reserveLlmCall()) {
      throw new PlanExecuteError("budget-exceeded", `the run's budget has no room for another ${role} call`);
    }
    const started = now();
    reporter.emit?.({ type: "model-call-start", at: started, role, attempt, ...where });
    const { message, failure, timeout } = await requestOnce(
      runnable,
      openAI,
      timeoutMs,
      { ...request, stream },
      attempt,
    );
    const usage = messageUsage(message);
    reporter.reportUsage?.(usage);
    const ended = now();
    const end = {
      type: "model-call-end",
      at: ended,
      role,
      attempt,
      durationMs: ended - started,
      usage,
    } as const;
    if (message) {
      reporter.emit?.({ ...end, ...where });
      return message;
    }
    const error =
      failure instanceof StreamIgnored && !signal?.aborted
        ? { code: "stream-ignored", message: failure.message, retry: true, thrown: failure }
        : classify(failure, role, timeoutMs, signal, timeout);
    reporter.emit?.({ ...end, error: { code: error.code, message: error.message }, ...where });
    if (signal?.aborted) throw signal.reason;
    // A stream the server ignored is asked again at once, unstreamed (so at most once per call);
    // it is not one of the transport retries.
    const ignored = failure instanceof StreamIgnored;
    if (ignored) stream = false;
    const delayMs = ignored ? 0 : error.retry ? retryDelay(failure, attempt, settings) : undefined;
    if (delayMs === undefined || (!ignored && ++retries > maxRetries)) throw error.thrown;
    reporter.emit?.({
      type: "model-call-retry",
      at: now(),
      role,
      error: { code: error.code, message: error.message },
      delayMs,
      ...where,
    });
    if (!(await sleep(delayMs, signal ?? new AbortController().signal))) throw signal?.reason;
  }
}

/** One request, bounded by the timeout: its message, or what it failed with (and the timeout's signal). */
async function requestOnce(
  runnable: ChatRunnable,
  openAI: boolean,
  timeoutMs: number,
  request: CallRequest,
  attempt: number,
): Promise<{ message?: AIMessage; failure?: unknown; timeout: AbortSignal }> {
  const { role, stepId, messages, signal, callOptions = {} } = request;
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
  const work = request.stream
    ? collect(runnable, messages, config, callSignal, {
        onChunk: (chunk) => request.onChunk?.(chunk, attempt),
        maxChars: request.maxChars ?? Number.POSITIVE_INFINITY,
      })
    : // a model that streams inside invoke (LangGraph's `messages` mode) gives a chunk: read strictly too
      runnable
        .invoke(messages, config)
        .then((message) =>
          AIMessageChunk.isInstance(message) ? strictMessage(message, false) : toAIMessage(message),
        );
  work.catch(() => {}); // a rejection after the abort below is not unhandled
  try {
    // The signal cancels the request; the wait also ends with it, for a model that ignores it.
    return { message: await untilAborted(work, callSignal), timeout: timeout.signal };
  } catch (failure) {
    return { failure, timeout: timeout.signal };
  } finally {
    clearTimeout(timer);
  }
}

/** Streams the answer and concatenates the chunks into one message. */
async function collect(
  runnable: ChatRunnable,
  messages: BaseMessage[],
  config: Record<string, unknown>,
  signal: AbortSignal,
  reading: { onChunk: (chunk: AIMessageChunk) => void; maxChars: number },
): Promise<AIMessage> {
  const chunks: AIMessageChunk[] = [];
  let chars = 0;
  let cut = false;
  for await (const chunk of await runnable.stream(messages, config)) {
    chunks.push(chunk);
    // A chunk after the abort (a model that ignores the signal) is not seen.
    if (!signal.aborted) reading.onChunk(chunk);
    chars += chunk.text.length;
    for (const piece of chunk.tool_call_chunks ?? []) chars += piece.args?.length ?? 0;
    if (chars > reading.maxChars) {
      cut = true;
      break; // closes the stream (and its request)
    }
  }
  // ChatOpenAI ends an aborted stream quietly: an abort must not pass for a short answer.
  signal.throwIfAborted();
  const whole = concatAll(chunks);
  if (!whole) throw new StreamIgnored();
  return strictMessage(whole, cut);
}

/**
 * A streamed request that gave no chunk at all: not an answer a streaming server gives (even an
 * empty answer has a chunk), but what `ChatOpenAI` makes of a server that ignores `stream: true`
 * and sends one JSON body. The call then makes the same request once more without streaming.
 */
class StreamIgnored extends Error {
  constructor() {
    super(
      "the server answered a streamed request with no chunk (it may not stream): asking again unstreamed",
    );
  }
}

/** The usage a message reports: one LLM call, with its tokens when the server gave them. */
export function messageUsage(message: BaseMessage | undefined): Usage {
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
