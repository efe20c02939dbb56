/**
 * What a run may choose through its `configurable` (model, endpoint, budgets, approval), checked
 * against what the server's environment allows.
 *
 * Secrets never travel in a run's configuration: a run names the environment variable that holds
 * its API key (`apiKeyEnv`), and may only send it to a base URL the server allows.
 *
 * @module
 */
import {
  type PlanExecuteBudget,
  planExecuteDefaults,
  STRUCTURED_OUTPUT_METHODS,
  type StructuredOutputMethod,
} from "@replan/langgraph";
import { z } from "zod";
import { ServerConfigError } from "./errors.js";

/** The tools the server can offer, by name. */
export const TOOL_NAMES = ["http_request", "shell"] as const;

/** The name of a tool the server can offer. */
export type ToolName = (typeof TOOL_NAMES)[number];

/** The environment the server reads its defaults and limits from (usually `process.env`). */
export type ServerEnvironment = Readonly<Record<string, string | undefined>>;

/** The model used when neither the run nor `REPLAN_MODEL` names one. */
export const DEFAULT_MODEL: string = planExecuteDefaults.modelName;

const integer = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * The keys of a run's `configurable` that the graph reads; all optional. Other keys (LangGraph's
 * own `thread_id`, `run_id`, `x-*` headers, ...) are ignored.
 */
export const RunConfigurableSchema = z.object({
  /** The chat model's name. @default `REPLAN_MODEL`, else `"gpt-4.1-mini"` */
  model: z.string().min(1).max(200).optional(),
  /** An OpenAI-compatible base URL; must be `OPENAI_BASE_URL` or listed in `REPLAN_ALLOWED_BASE_URLS`. */
  baseUrl: z.string().min(1).optional(),
  /** The name of the environment variable that holds the API key (`*_API_KEY`). @default "OPENAI_API_KEY" */
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*_API_KEY$/, "must be the name of an environment variable ending in _API_KEY")
    .optional(),
  /** How the planner and replanner ask for structured output. @default `REPLAN_STRUCTURED_OUTPUT_METHOD`, else the model's default */
  structuredOutputMethod: z.enum(STRUCTURED_OUTPUT_METHODS).optional(),
  /** Pause after planning for approval (resume with `command: { resume }`). @default false */
  requireApproval: z.boolean().optional(),
  /** Replanner calls. @default 3 */
  maxReplans: integer(0, 20).optional(),
  /** Steps running at once. @default 4 */
  concurrency: integer(1, 32).optional(),
  /** Steps in a plan. @default 50 */
  maxSteps: integer(1, 200).optional(),
  /** Attempts per step. @default 1 */
  maxAttempts: integer(1, 10).optional(),
  /** LLM calls in the whole run. @default unlimited */
  maxLlmCalls: integer(1, 10_000).optional(),
  /** Tokens in the whole run. @default unlimited */
  maxTokens: integer(1, 100_000_000).optional(),
  /** Wall-clock limit of the run, in ms. @default unlimited */
  maxWallTimeMs: integer(1, 86_400_000).optional(),
  /** Time limit of one attempt of one step, in ms. @default 300000 */
  stepTimeoutMs: integer(1, 3_600_000).optional(),
  /** Write the final answer with the model (`false`: a plain summary, no LLM call). @default true */
  finalAnswer: z.boolean().optional(),
  /** The tools offered to this run: a subset of those the server enables (`REPLAN_TOOLS`). @default all enabled */
  tools: z.array(z.enum(TOOL_NAMES)).optional(),
});

/** A run's `configurable`, as the graph reads it. */
export type RunConfigurable = z.input<typeof RunConfigurableSchema>;

/** Everything the graph factory needs for one run, resolved from the run and the environment. */
export interface RunOptions {
  model: string;
  /** `undefined`: the OpenAI client's default (api.openai.com). */
  baseUrl: string | undefined;
  apiKeyEnv: string;
  /** `undefined` when the variable is not set (local servers that need no key). */
  apiKey: string | undefined;
  structuredOutputMethod: StructuredOutputMethod | undefined;
  requireApproval: boolean;
  budget: PlanExecuteBudget;
  stepTimeoutMs: number | undefined;
  finalAnswer: boolean;
  tools: ToolName[];
}

/**
 * Resolves a run's options from its `configurable` and the server's environment.
 *
 * Environment: `REPLAN_MODEL`, `OPENAI_BASE_URL`, `REPLAN_ALLOWED_BASE_URLS` (comma-separated base
 * URLs a run may choose besides `OPENAI_BASE_URL`), the API key variables,
 * `REPLAN_STRUCTURED_OUTPUT_METHOD`, `REPLAN_TOOLS` (comma-separated; default `http_request,shell`).
 *
 * @param configurable - the run's `config.configurable` (unknown keys are ignored).
 * @param env - the environment. @default process.env
 * @returns the resolved options.
 * @throws ServerConfigError (`invalid-config`) naming the option that cannot be used.
 * @example
 * ```ts
 * const options = resolveRunOptions({ model: "gpt-4.1", maxReplans: 1 }, { OPENAI_API_KEY: "sk-..." });
 * console.log(options.budget); // { maxReplans: 1 }
 * ```
 */
export function resolveRunOptions(
  configurable: Readonly<Record<string, unknown>> = {},
  env: ServerEnvironment = process.env,
): RunOptions {
  const known = Object.fromEntries(
    Object.keys(RunConfigurableSchema.shape)
      .filter((key) => configurable[key] !== undefined && configurable[key] !== null)
      .map((key) => [key, configurable[key]]),
  );
  const parsed = RunConfigurableSchema.safeParse(known);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join(".") || "configurable";
    throw new ServerConfigError(`configurable "${name}": ${issue?.message ?? "invalid value"}`, {
      cause: parsed.error,
    });
  }
  const run = parsed.data;

  const enabled = enabledTools(env);
  if (run.tools) {
    const refused = run.tools.filter((tool) => !enabled.includes(tool));
    if (refused.length > 0)
      throw new ServerConfigError(
        `configurable "tools": ${refused.join(", ")} not enabled on this server (REPLAN_TOOLS)`,
      );
  }

  const defaultBaseUrl = optionalEnv(env, "OPENAI_BASE_URL");
  let baseUrl = defaultBaseUrl;
  if (run.baseUrl !== undefined) {
    const allowed = [defaultBaseUrl, ...listEnv(env, "REPLAN_ALLOWED_BASE_URLS")]
      .filter((url): url is string => url !== undefined)
      .map(normalizeUrl);
    if (!allowed.includes(normalizeUrl(run.baseUrl)))
      throw new ServerConfigError(
        `configurable "baseUrl": ${run.baseUrl} is neither OPENAI_BASE_URL nor listed in REPLAN_ALLOWED_BASE_URLS`,
      );
    baseUrl = run.baseUrl;
  }

  const structuredDefault = optionalEnv(env, "REPLAN_STRUCTURED_OUTPUT_METHOD");
  let structuredOutputMethod = run.structuredOutputMethod;
  if (structuredOutputMethod === undefined && structuredDefault !== undefined) {
    const method = RunConfigurableSchema.shape.structuredOutputMethod.safeParse(structuredDefault);
    if (!method.success)
      throw new ServerConfigError(
        `REPLAN_STRUCTURED_OUTPUT_METHOD must be ${STRUCTURED_OUTPUT_METHODS.join(", ")}, not "${structuredDefault}"`,
      );
    structuredOutputMethod = method.data;
  }

  const apiKeyEnv = run.apiKeyEnv ?? "OPENAI_API_KEY";
  const budget: PlanExecuteBudget = {};
  for (const key of ["maxReplans", "concurrency", "maxSteps", "maxAttempts", "maxLlmCalls"] as const) {
    if (run[key] !== undefined) budget[key] = run[key];
  }
  if (run.maxTokens !== undefined) budget.maxTokens = run.maxTokens;
  if (run.maxWallTimeMs !== undefined) budget.maxWallTimeMs = run.maxWallTimeMs;

  return {
    model: run.model ?? optionalEnv(env, "REPLAN_MODEL") ?? DEFAULT_MODEL,
    baseUrl,
    apiKeyEnv,
    apiKey: optionalEnv(env, apiKeyEnv),
    structuredOutputMethod,
    requireApproval: run.requireApproval ?? planExecuteDefaults.requireApproval,
    budget,
    stepTimeoutMs: run.stepTimeoutMs,
    finalAnswer: run.finalAnswer ?? planExecuteDefaults.finalAnswer,
    tools: run.tools ? enabled.filter((tool) => run.tools?.includes(tool)) : enabled,
  };
}

/**
 * The tools the server enables: `REPLAN_TOOLS` (comma-separated, may be empty), else all of them.
 *
 * @param env - the environment.
 * @throws ServerConfigError when `REPLAN_TOOLS` names an unknown tool.
 */
export function enabledTools(env: ServerEnvironment): ToolName[] {
  if (env.REPLAN_TOOLS === undefined) return [...TOOL_NAMES];
  const names = listEnv(env, "REPLAN_TOOLS");
  const unknown = names.filter((name) => !(TOOL_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0)
    throw new ServerConfigError(
      `REPLAN_TOOLS: unknown tool ${unknown.join(", ")} (known: ${TOOL_NAMES.join(", ")})`,
    );
  return TOOL_NAMES.filter((name) => names.includes(name));
}

/** A variable's value, `undefined` when unset or blank. */
export function optionalEnv(env: ServerEnvironment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A comma-separated variable as a list of non-empty, trimmed items. */
export function listEnv(env: ServerEnvironment, name: string): string[] {
  return (env[name] ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

function normalizeUrl(url: string): string {
  return url.trim().replace(/\/+$/, "");
}
