/**
 * The real model: `ChatOpenAI` against OpenAI or any OpenAI-compatible server, and plain words
 * for the ways it fails (unknown model, refused key, unreachable server).
 *
 * @module
 */
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { planExecuteDefaults } from "@replan/langgraph";

/** The model used when `--model` is not given: the one replan's apps use (`planExecuteDefaults.modelName`). */
export const DEFAULT_MODEL = planExecuteDefaults.modelName;

/** Options of {@link createOnlineModel}. */
export interface OnlineModelOptions {
  /** The model name. */
  model: string;
  /** The API key; local servers often need none (a placeholder is sent). */
  apiKey: string | undefined;
  /** The server's base URL (ending in `/v1`); OpenAI's when undefined. */
  baseURL: string | undefined;
}

/**
 * Creates the real model. Its own retries and timeout do not apply: @replan/langgraph's model
 * layer turns the client's retries off per call and bounds each request itself (`modelRetry`,
 * `modelTimeoutMs`), so a wrong URL or model fails in seconds.
 *
 * @param options - model name, key, base URL.
 * @example
 * ```ts
 * const model = await createOnlineModel({ model: "gpt-4.1-mini", apiKey: process.env.OPENAI_API_KEY, baseURL: undefined });
 * ```
 */
export async function createOnlineModel(options: OnlineModelOptions): Promise<BaseChatModel> {
  const { model, apiKey, baseURL } = options;
  // Loaded only when needed: offline runs start faster without it.
  const { ChatOpenAI } = await import("@langchain/openai");
  return new ChatOpenAI({
    model,
    apiKey: apiKey ?? "not-needed",
    ...(baseURL ? { configuration: { baseURL } } : {}),
  });
}

/** The errors of one failure: the error and its causes, outermost first. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/**
 * Says in plain words why a model call failed, when it is the model's or the server's fault:
 * an HTTP status from the API (404 unknown model, 401 bad key, ...) or a connection that failed.
 *
 * @param error - what the run threw.
 * @param context - the model name and base URL, for the message.
 * @returns the explanation, or `undefined` when the error is not a model error.
 * @example
 * ```ts
 * describeModelError(error, { model: "gpt-9", baseURL: "http://127.0.0.1:11434/v1" });
 * // 'the server does not know the model "gpt-9" (HTTP 404: ...)'
 * ```
 */
export function describeModelError(
  error: unknown,
  context: { model: string; baseURL: string | undefined },
): string | undefined {
  const where = context.baseURL ?? "https://api.openai.com/v1";
  for (const item of causes(error)) {
    const candidate = item as { status?: unknown; message?: unknown; name?: unknown; code?: unknown };
    const message = typeof candidate.message === "string" ? candidate.message : String(item);
    if (typeof candidate.status === "number") {
      if (candidate.status === 404)
        return `the server at ${where} does not know the model "${context.model}" (HTTP 404: ${message}); pick another with --model`;
      if (candidate.status === 401 || candidate.status === 403)
        return `the server at ${where} refused the API key (HTTP ${candidate.status}: ${message}); check OPENAI_API_KEY`;
      return `the model server at ${where} answered HTTP ${candidate.status}: ${message}`;
    }
    if (
      candidate.name === "APIConnectionError" ||
      candidate.name === "APIConnectionTimeoutError" ||
      /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|Connection error|fetch failed/i.test(
        `${message} ${String(candidate.code ?? "")}`,
      )
    ) {
      return `cannot reach the model server at ${where} (${message}); check OPENAI_BASE_URL`;
    }
  }
  return undefined;
}
