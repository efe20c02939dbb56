// The model layer: @replan/core's Planner, Replanner and Executor (and the final answer) on a
// LangChain chat model. Each owns its prompt, the parsing of the raw answer, the repair request,
// transport retries, the per-call timeout and the usage of every request.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { type AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import type {
  ModelCallReporter,
  Plan,
  Planner,
  PlanRequest,
  Replanner,
  ReplanRequest,
  RunOutcome,
  Usage,
} from "@replan/core";
import { callModel } from "./model-call.js";
import { checkModelLayerArguments } from "./model-options.js";
import { type ModelLayerOptions, settingsOf, variablesOf } from "./model-settings.js";
import { createPlanCaller, type PlanCaller } from "./plan-caller.js";
import { answerMessage, renderPrompt } from "./prompts.js";

/** What {@link modelAnswer}'s function is asked. */
export interface AnswerRequest extends Partial<ModelCallReporter> {
  goal: string;
  /** The final plan (null if there was none). */
  plan: Plan | null;
  /** How the run ended. */
  outcome: RunOutcome | null;
  signal?: AbortSignal;
}

/** What {@link modelAnswer}'s function returns. */
export interface Answer {
  /** The answer's text. */
  text: string;
  /** The model's message, as it came (its id is the one streamed in LangGraph's `messages` mode). */
  message: AIMessage;
  /** Usage of the call (also reported to the request's `reportUsage`). */
  usage: Usage;
}

/** Usage and events for a request: forwarded to the run, or summed here when there is no run. */
function forward(request: Partial<ModelCallReporter>): {
  reporter: Partial<ModelCallReporter>;
  usage: Usage;
} {
  const usage: Usage = { llmCalls: 0, promptTokens: 0, completionTokens: 0 };
  const reporter: Partial<ModelCallReporter> = {
    ...(request.reserveLlmCall ? { reserveLlmCall: () => request.reserveLlmCall!() } : {}),
    reportUsage: (more) => {
      usage.llmCalls += more.llmCalls ?? 0;
      usage.promptTokens += more.promptTokens ?? 0;
      usage.completionTokens += more.completionTokens ?? 0;
      request.reportUsage?.(more);
    },
    ...(request.emit ? { emit: (event) => request.emit!(event) } : {}),
  };
  return { reporter, usage };
}

/**
 * A `@replan/core` {@link Planner} on a chat model: one call that turns the goal into steps (the
 * tools are listed in the prompt). The answer is parsed by this package (see the README's parsing
 * rules); an answer that does not parse or validate is sent back once with what was wrong (core's
 * `maxPlanAttempts`, default 2). Transport errors are retried per `retry`; each request is
 * reserved against the run's budget before it is made, and reported with its usage and events.
 *
 * @param model - the chat model (e.g. `ChatOpenAI`).
 * @param options - tools, prompts, structured-output method, timeout and retry policy.
 * @example
 * ```ts
 * const result = await runPlan({
 *   goal: "Count the lines of README.md",
 *   planner: modelPlanner(model, { tools }),
 *   executor: modelExecutor(model, { tools }),
 *   tools: toToolFunctions(tools),
 * });
 * ```
 */
export function modelPlanner(model: BaseChatModel, options: ModelLayerOptions = {}): Planner {
  checkModelLayerArguments("modelPlanner", model, options);
  const ask = createPlanCaller(settingsOf(model, options), "planner");
  return async (request: PlanRequest) => {
    const { reporter, usage } = forward(request);
    const answer = await ask(request, reporter);
    return request.reportUsage ? answer.steps : { steps: answer.steps, usage };
  };
}

/**
 * A `@replan/core` {@link Replanner} on a chat model: one call that sees the plan with statuses
 * and results (cut to `resultPreviewChars`), why it must change and which steps wait for it, and
 * returns a patch (`{ remove, add, replace, reason }`; in the compact format, numbered steps and a
 * `remove:` line; a JSON answer of the remaining steps is understood too). Parsing, repair,
 * retries and budget as for {@link modelPlanner}.
 *
 * @param model - the chat model.
 * @param options - as for {@link modelPlanner}.
 * @example
 * ```ts
 * const replanner = modelReplanner(model, { tools, resultPreviewChars: 500 });
 * ```
 */
export function modelReplanner(model: BaseChatModel, options: ModelLayerOptions = {}): Replanner {
  checkModelLayerArguments("modelReplanner", model, options);
  const ask = createPlanCaller(settingsOf(model, options), "replanner");
  return async (request: ReplanRequest) => {
    const { reporter, usage } = forward(request);
    const { steps } = await ask(request, reporter);
    if (request.reportUsage) return steps;
    return Array.isArray(steps) ? { steps, usage } : { ...steps, usage };
  };
}

/**
 * Writes the final answer from a run's results with one model call (role `answer`), reserved
 * against the budget and reported like every call of the layer.
 *
 * @param model - the chat model.
 * @param options - prompts, `resultPreviewChars`, timeout and retry policy.
 * @returns a function of the goal, the final plan and the outcome.
 * @example
 * ```ts
 * const result = await runPlan({ goal, planner, executor });
 * const { text } = await modelAnswer(model)({ goal, plan: result.plan, outcome: result.outcome });
 * ```
 */
export function modelAnswer(
  model: BaseChatModel,
  options: ModelLayerOptions = {},
): (request: AnswerRequest) => Promise<Answer> {
  checkModelLayerArguments("modelAnswer", model, options);
  const settings = settingsOf(model, options);
  const system = renderPrompt(settings.prompts.answer, variablesOf(settings));
  return async (request) => {
    const { reporter, usage } = forward(request);
    const outcome = request.outcome ? `${request.outcome.status}: ${request.outcome.reason}` : "unknown";
    const message = await callModel(model as never, settings.openAI, settings.call, {
      role: "answer",
      messages: [
        new SystemMessage(system),
        new HumanMessage(answerMessage(request.goal, request.plan, outcome, settings.resultPreviewChars)),
      ],
      signal: request.signal,
      reporter,
    });
    return { text: message.text, message, usage };
  };
}

/**
 * The plan callers of the graph's planner and replanner nodes (the same as {@link modelPlanner}'s
 * and {@link modelReplanner}'s, raw message kept); the graph has checked the models and options.
 */
export function createPlanCallers(
  model: BaseChatModel,
  replannerModel: BaseChatModel,
  options: ModelLayerOptions,
): { plan: PlanCaller<"planner">; replan: PlanCaller<"replanner"> } {
  return {
    plan: createPlanCaller(settingsOf(model, options), "planner"),
    replan: createPlanCaller(settingsOf(replannerModel, options), "replanner"),
  };
}

export type { ModelExecutorOptions, ModelLayerOptions } from "./model-settings.js";
export { isChatModel } from "./model-settings.js";
export { modelExecutor } from "./model-executor.js";
