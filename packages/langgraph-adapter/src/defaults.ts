// Every default of this package, in one place.

/**
 * How the planner and replanner can ask for structured output; see {@link StructuredOutputMethod}.
 *
 * @example
 * ```ts
 * const method = STRUCTURED_OUTPUT_METHODS.find((name) => name === process.env.METHOD) ?? "functionCalling";
 * ```
 */
export const STRUCTURED_OUTPUT_METHODS = Object.freeze([
  "functionCalling",
  "jsonSchema",
  "jsonMode",
] as const);

/**
 * How a plan is asked for: `"functionCalling"` (the default: one forced tool call; OpenAI and
 * most local servers: Ollama, vLLM, llama.cpp, LM Studio), `"jsonSchema"` (OpenAI's
 * `response_format` `json_schema`; the answer is streamed, so that the client does not parse it
 * inside the call) or `"jsonMode"` (`response_format` `json_object`, the schema in the prompt).
 * Whatever the method, the answer is parsed by this package, from the tool call or the text.
 */
export type StructuredOutputMethod = (typeof STRUCTURED_OUTPUT_METHODS)[number];

/**
 * The formats a plan can be written in; see {@link PlanFormat}.
 *
 * @example
 * ```ts
 * const format = PLAN_FORMATS.find((name) => name === process.env.PLAN_FORMAT) ?? "json";
 * ```
 */
export const PLAN_FORMATS = Object.freeze(["json", "compact"] as const);

/**
 * How the model writes a plan: `"json"` (the default: structured output in the
 * `structuredOutputMethod`, a JSON object per step) or `"compact"` (`@replan/core`'s compact text
 * format, one line per step: about a third of the output tokens, so a plan is written about three
 * times faster; plain text, so the server needs no structured-output support).
 */
export type PlanFormat = (typeof PLAN_FORMATS)[number];

/**
 * The defaults of `createPlanExecuteGraph`, `createPlanExecuteAgent` and the model layer, read
 * from here wherever they apply. `modelName` is the model that replan's apps use when none is
 * named (this package itself takes a model instance, never a name).
 *
 * @example
 * ```ts
 * console.log(planExecuteDefaults.stepTimeoutMs); // 300000
 * ```
 */
export const planExecuteDefaults = Object.freeze({
  /** The model name replan's apps (demo, server) use when none is named. */
  modelName: "gpt-4.1-mini",
  structuredOutputMethod: "functionCalling",
  /** How the model writes a plan (see `PlanFormat`). */
  planFormat: "json",
  /** Whether the planner's steps start while the plan is written (when the model streams). */
  planStreaming: true,
  /** Time limit of one model request, in ms. */
  modelTimeoutMs: 120_000,
  /** Transport retries of one model call. */
  modelRetry: Object.freeze({ maxRetries: 2, initialDelayMs: 1000, maxDelayMs: 30_000 }),
  /** Time limit of one attempt of one step, in ms. */
  stepTimeoutMs: 300_000,
  requireApproval: false,
  /** When a replan waits for a person's approval again: never (`reapprove`). */
  reapprove: "never",
  finalAnswer: true,
  /** Longest text of one result shown in a prompt. */
  resultPreviewChars: 1000,
  /** Most model calls of the default executor for one attempt of one agent step. */
  maxToolIterations: 8,
  /** The compiled graph's name (`createPlanExecuteAgent`). */
  name: "plan_execute",
} as const);
