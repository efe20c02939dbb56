// The settings every building block of the model layer resolves from its options once.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { DEFAULT_MAX_STEPS } from "@replan/core";
import { type PlanFormat, planExecuteDefaults, type StructuredOutputMethod } from "./defaults.js";
import {
  isOpenAIFamily,
  type ModelCallOptions,
  type ResolvedCallOptions,
  resolveCallOptions,
} from "./model-call.js";
import { defaultPromptsFor, describeTools, type PlanExecutePrompts } from "./prompts.js";

/** Options shared by {@link modelPlanner}, {@link modelReplanner}, {@link modelExecutor} and {@link modelAnswer}. */
export interface ModelLayerOptions extends ModelCallOptions {
  /**
   * The tools: listed (names, descriptions, argument schemas) in the planner's and replanner's
   * prompts; bound to the executor's calls.
   * @default []
   */
  tools?: readonly StructuredToolInterface[];
  /** Replacements for the system prompts (see `DEFAULT_PROMPTS`). */
  prompts?: PlanExecutePrompts;
  /**
   * The plan size limit named in the prompts (`{maxSteps}`); keep it equal to `budget.maxSteps`.
   * @default 50
   */
  maxSteps?: number;
  /**
   * How plans are asked for; see {@link StructuredOutputMethod}.
   * @default "functionCalling"
   */
  structuredOutputMethod?: StructuredOutputMethod;
  /**
   * How the model writes a plan: `"json"` (structured output) or `"compact"` (core's compact text
   * format, fewer output tokens); see {@link PlanFormat}.
   * @default "json"
   */
  planFormat?: PlanFormat;
  /**
   * Longest text of one result shown in a prompt.
   * @default 1000
   */
  resultPreviewChars?: number;
}

/** Options of {@link modelExecutor}. */
export interface ModelExecutorOptions extends ModelLayerOptions {
  /**
   * Most model calls for one attempt of one agent step (tool-calling rounds and the repair of an
   * empty answer included).
   * @default 8
   */
  maxToolIterations?: number;
}

/** What a building block of the model layer works with, resolved from its options. */
export interface Settings {
  model: BaseChatModel;
  openAI: boolean;
  call: ResolvedCallOptions;
  prompts: Required<PlanExecutePrompts>;
  tools: readonly StructuredToolInterface[];
  maxSteps: number;
  method: StructuredOutputMethod;
  format: PlanFormat;
  resultPreviewChars: number;
}

/** The settings of a building block, from its options (checked by its entry point) and their defaults. */
export function settingsOf(model: BaseChatModel, options: ModelLayerOptions): Settings {
  const {
    tools = [],
    prompts = {},
    maxSteps = DEFAULT_MAX_STEPS,
    structuredOutputMethod = planExecuteDefaults.structuredOutputMethod,
    planFormat = planExecuteDefaults.planFormat,
    resultPreviewChars = planExecuteDefaults.resultPreviewChars,
  } = options;
  return {
    model,
    openAI: isOpenAIFamily(model),
    call: resolveCallOptions(options),
    prompts: { ...defaultPromptsFor(planFormat), ...prompts },
    tools,
    maxSteps,
    method: structuredOutputMethod,
    format: planFormat,
    resultPreviewChars,
  };
}

/** The variables of the system prompts (`{tools}`, `{maxSteps}`). */
export function variablesOf(settings: Settings) {
  return { tools: describeTools(settings.tools), maxSteps: settings.maxSteps };
}

export { isChatModel } from "./runnable-kinds.js";
