// The arguments of the model layer's entry points (modelPlanner, modelReplanner, modelExecutor,
// modelAnswer), checked where they are given with the graph's own rules, with PlanExecuteError
// (`invalid-options`).
import { budgetRules, checkOptions, rules } from "@replan/core/internal";
import { PLAN_FORMATS, STRUCTURED_OUTPUT_METHODS } from "./defaults.js";
import { PlanExecuteError } from "./errors.js";
import {
  chatModel,
  maxToolIterations,
  modelTimeout,
  prompts,
  resultPreviewChars,
  retryPolicy,
  tools,
} from "./options.js";

/** The rules of the options of {@link modelPlanner}, {@link modelReplanner} and {@link modelAnswer}. */
export const modelLayerRules = {
  tools,
  prompts,
  maxSteps: budgetRules.maxSteps,
  structuredOutputMethod: rules.oneOf(STRUCTURED_OUTPUT_METHODS),
  planFormat: rules.oneOf(PLAN_FORMATS),
  resultPreviewChars,
  timeoutMs: modelTimeout,
  retry: retryPolicy("retry"),
  now: rules.func(),
} as const;

/** The rules of the options of {@link modelExecutor}: the layer's and `maxToolIterations`. */
export const modelExecutorRules = { ...modelLayerRules, maxToolIterations } as const;

/**
 * Checks the model and the options of the model layer's entry point `where`.
 *
 * @throws {PlanExecuteError} `invalid-options`: `Option "model" must be a chat model ...`, an
 *   unknown option (with the closest known name), or a bad value.
 */
export function checkModelLayerArguments(
  where: "modelPlanner" | "modelReplanner" | "modelExecutor" | "modelAnswer",
  model: unknown,
  options: unknown,
): void {
  const settings = { where, error: (message: string) => new PlanExecuteError("invalid-options", message) };
  checkOptions({ model }, { model: rules.required(chatModel) }, settings);
  checkOptions(options, where === "modelExecutor" ? modelExecutorRules : modelLayerRules, settings);
}
