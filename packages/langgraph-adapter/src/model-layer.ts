// The model layer: @replan/core's Planner, Replanner and Executor (and the final answer) on a
// LangChain chat model. Each owns its prompt, the parsing of the raw answer, the repair request,
// transport retries, the per-call timeout and the usage of every request.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import {
  type AIMessage,
  type BaseMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import {
  DEFAULT_MAX_STEPS,
  type Executor,
  type Feedback,
  type ModelCallReporter,
  type Plan,
  type Planner,
  type PlanRequest,
  ReplanError,
  type Replanner,
  type ReplanRequest,
  type RunOutcome,
  type StepContext,
  type StepSpecInput,
  type Usage,
} from "@replan/core";
import { PlanExecuteError } from "./errors.js";
import {
  type CallRequest,
  callModel,
  isOpenAIFamily,
  type ModelCallOptions,
  type ResolvedCallOptions,
  resolveCallOptions,
} from "./model-call.js";
import { excerpt, ModelPlanSchema, parsePlan, rawText } from "./parse.js";
import {
  answerMessage,
  DEFAULT_PROMPTS,
  describeTools,
  executorMessage,
  type PlanExecutePrompts,
  renderPrompt,
  replanMessage,
} from "./prompts.js";

/**
 * How a plan is asked for: `"functionCalling"` (the default: one forced tool call; OpenAI and
 * most local servers: Ollama, vLLM, llama.cpp, LM Studio), `"jsonSchema"` (OpenAI's
 * `response_format` `json_schema`; the answer is streamed, so that the client does not parse it
 * inside the call) or `"jsonMode"` (`response_format` `json_object`, the schema in the prompt).
 * Whatever the method, the answer is parsed by this package, from the tool call or the text.
 */
export type StructuredOutputMethod = "functionCalling" | "jsonSchema" | "jsonMode";

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

const PLAN_TOOL = "plan";

interface Settings {
  model: BaseChatModel;
  openAI: boolean;
  call: ResolvedCallOptions;
  prompts: Required<PlanExecutePrompts>;
  tools: readonly StructuredToolInterface[];
  maxSteps: number;
  method: StructuredOutputMethod;
  resultPreviewChars: number;
}

function settingsOf(model: BaseChatModel, options: ModelLayerOptions, name: string): Settings {
  if (!isChatModel(model)) {
    throw new PlanExecuteError(
      "invalid-options",
      `${name}: the model must be a chat model with bindTools (e.g. ChatOpenAI)`,
    );
  }
  const {
    tools = [],
    prompts = {},
    maxSteps = DEFAULT_MAX_STEPS,
    structuredOutputMethod = "functionCalling",
    resultPreviewChars = 1000,
  } = options;
  if (!["functionCalling", "jsonSchema", "jsonMode"].includes(structuredOutputMethod)) {
    throw new PlanExecuteError(
      "invalid-options",
      `Option "structuredOutputMethod" must be "functionCalling", "jsonSchema" or "jsonMode", got ${String(structuredOutputMethod)}`,
    );
  }
  if (!Number.isInteger(resultPreviewChars) || resultPreviewChars < 1) {
    throw new PlanExecuteError("invalid-options", 'Option "resultPreviewChars" must be a positive integer');
  }
  return {
    model,
    openAI: isOpenAIFamily(model),
    call: resolveCallOptions(options),
    prompts: { ...DEFAULT_PROMPTS, ...prompts },
    tools,
    maxSteps,
    method: structuredOutputMethod,
    resultPreviewChars,
  };
}

/** What a plan call returns: the steps and the model's raw message. */
export interface PlanAnswer {
  steps: StepSpecInput[];
  message: AIMessage;
}

/** Asks for a plan (planner or replanner) and parses it; errors carry `rawOutput` and `retryable`. */
export type PlanCaller = (
  request: { messages: BaseMessage[]; signal?: AbortSignal | undefined },
  reporter: Partial<ModelCallReporter>,
) => Promise<PlanAnswer>;

function planCaller(settings: Settings, role: "planner" | "replanner"): PlanCaller {
  const { model, openAI, call, method } = settings;
  const schema = toJsonSchema(ModelPlanSchema) as Record<string, unknown>;
  const description = ModelPlanSchema.description ?? "A plan";
  const runnable =
    method === "functionCalling"
      ? model.bindTools!(
          [{ type: "function", function: { name: PLAN_TOOL, description, parameters: schema } }],
          { tool_choice: PLAN_TOOL } as never,
        )
      : model;
  const callOptions: Record<string, unknown> =
    method === "jsonSchema"
      ? { response_format: { type: "json_schema", json_schema: { name: PLAN_TOOL, description, schema } } }
      : method === "jsonMode"
        ? { response_format: { type: "json_object" } }
        : {};
  const schemaNote =
    method === "jsonMode"
      ? `\n\nAnswer with one JSON object that follows this JSON schema:\n${JSON.stringify(schema)}`
      : "";
  return async ({ messages, signal }, reporter) => {
    const [system, ...rest] = messages;
    const request: CallRequest = {
      role,
      messages: schemaNote && system ? [new SystemMessage(`${system.text}${schemaNote}`), ...rest] : messages,
      signal,
      reporter,
      callOptions,
      stream: method === "jsonSchema",
      quiet: true,
    };
    const message = await callModel(runnable as never, openAI, call, request);
    return { steps: parsePlan(message, PLAN_TOOL), message };
  };
}

/** The repair request: what was wrong with the previous answer, and that answer. */
export function repairMessage(feedback: Feedback): string {
  const previous =
    feedback.output === undefined ? "" : `\nIt was:\n${excerpt(safeJson(feedback.output), 4000)}`;
  return `Your previous answer was invalid: ${excerpt(feedback.message, 2000)}${previous}\nReturn a corrected, complete answer in the same format.`;
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

/** The planner's messages: system prompt, the goal, and the repair request when there is feedback. */
export function plannerMessages(system: string, goal: string, feedback: Feedback | null): BaseMessage[] {
  return [
    new SystemMessage(system),
    new HumanMessage(feedback ? `${goal}\n\n${repairMessage(feedback)}` : goal),
  ];
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
  const settings = settingsOf(model, options, "modelPlanner");
  const system = renderPrompt(settings.prompts.planner, variablesOf(settings));
  const ask = planCaller(settings, "planner");
  return async (request: PlanRequest) => {
    const { reporter, usage } = forward(request);
    const answer = await ask(
      { messages: plannerMessages(system, request.goal, request.feedback), signal: request.signal },
      reporter,
    );
    return request.reportUsage ? answer.steps : { steps: answer.steps, usage };
  };
}

/** The replanner's messages: system prompt, the plan so far with why it must change, and the repair request. */
export function replannerMessages(
  system: string,
  request: Pick<ReplanRequest, "goal" | "plan" | "reason" | "feedback">,
  resultPreviewChars: number,
): BaseMessage[] {
  let text = replanMessage(request.goal, request.plan, request.reason, resultPreviewChars);
  if (request.feedback) text += `\n\n${repairMessage(request.feedback)}`;
  return [new SystemMessage(system), new HumanMessage(text)];
}

/**
 * A `@replan/core` {@link Replanner} on a chat model: one call that sees the plan with statuses
 * and results (cut to `resultPreviewChars`) and why it must change, and returns the steps that
 * replace everything not done. Parsing, repair, retries and budget as for {@link modelPlanner}.
 *
 * @param model - the chat model.
 * @param options - as for {@link modelPlanner}.
 * @example
 * ```ts
 * const replanner = modelReplanner(model, { tools, resultPreviewChars: 500 });
 * ```
 */
export function modelReplanner(model: BaseChatModel, options: ModelLayerOptions = {}): Replanner {
  const settings = settingsOf(model, options, "modelReplanner");
  const system = renderPrompt(settings.prompts.replanner, variablesOf(settings));
  const ask = planCaller(settings, "replanner");
  return async (request: ReplanRequest) => {
    const { reporter, usage } = forward(request);
    const answer = await ask(
      { messages: replannerMessages(system, request, settings.resultPreviewChars), signal: request.signal },
      reporter,
    );
    return request.reportUsage ? answer.steps : { steps: answer.steps, usage };
  };
}

/**
 * A `@replan/core` {@link Executor} on a chat model: carries out an agent step in a tool-calling
 * loop with the tools, and returns the model's final text. Tool errors and tool calls whose
 * arguments are not valid JSON go back to the model as error results; an empty answer is asked
 * again once, then fails the step (`invalid-answer`). Each request is reserved against the run's
 * budget (`context.reserveLlmCall`), reported (`context.reportUsage`, `context.emit`) and bounded by
 * the timeout; transport errors are retried per `retry`.
 *
 * @param model - the chat model.
 * @param options - the tools, prompts, `maxToolIterations`, timeout and retry policy.
 * @example
 * ```ts
 * const executor = modelExecutor(model, { tools, maxToolIterations: 4 });
 * ```
 */
export function modelExecutor(model: BaseChatModel, options: ModelExecutorOptions = {}): Executor {
  const settings = settingsOf(model, options, "modelExecutor");
  const { maxToolIterations = 8 } = options;
  if (!Number.isInteger(maxToolIterations) || maxToolIterations < 1) {
    throw new PlanExecuteError("invalid-options", 'Option "maxToolIterations" must be a positive integer');
  }
  const { tools, openAI, call, resultPreviewChars } = settings;
  const runnable = tools.length > 0 ? model.bindTools!([...tools]) : model;
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const system = renderPrompt(settings.prompts.executor, variablesOf(settings));
  return async (step, context: StepContext) => {
    const messages: BaseMessage[] = [
      new SystemMessage(system),
      new HumanMessage(executorMessage(context.goal, step, context.plan, resultPreviewChars)),
    ];
    let repaired = false;
    for (let iteration = 0; iteration < maxToolIterations; iteration++) {
      const reply = await callModel(runnable as never, openAI, call, {
        role: "executor",
        stepId: step.id,
        messages,
        signal: context.signal,
        reporter: context,
      });
      messages.push(reply);
      // Arguments sent as a JSON object where the wire has a string: LangChain files them as
      // invalid; they are taken as they are.
      const objectArgs = (reply.invalid_tool_calls ?? []).filter(
        (call) => typeof (call.args as unknown) === "object" && call.args !== null && call.name,
      );
      const calls = [
        ...(reply.tool_calls ?? []),
        ...objectArgs.map((call) => ({
          name: call.name!,
          args: call.args as unknown as Record<string, unknown>,
          id: call.id,
        })),
      ];
      const broken = (reply.invalid_tool_calls ?? []).filter((call) => !objectArgs.includes(call));
      if (calls.length > 0 || broken.length > 0) {
        const answers = await Promise.all(calls.map((call) => callTool(byName, call, context.signal)));
        for (const call of broken) {
          answers.push(
            new ToolMessage({
              content: `Error: the arguments of "${call.name ?? "?"}" are not valid JSON (${call.error ?? "unparseable"}); call it again with a JSON object.`,
              tool_call_id: call.id ?? call.name ?? "invalid",
              status: "error",
            }),
          );
        }
        messages.push(...answers);
        continue;
      }
      const text = reply.text;
      if (text.trim() !== "") return text;
      if (repaired) {
        throw Object.assign(
          new PlanExecuteError("invalid-answer", `step "${step.id}": the model's answer was empty, twice`),
          { retryable: false },
        );
      }
      repaired = true;
      messages.push(new HumanMessage("Your answer was empty. Answer with the step's result."));
    }
    throw new ReplanError(
      "step-iterations",
      `step "${step.id}": the model was still calling tools after ${maxToolIterations} rounds`,
    );
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
  const settings = settingsOf(model, options, "modelAnswer");
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

/** The plan caller of a planner or replanner, for the graph's nodes (raw message kept). */
export function createPlanCallers(
  model: BaseChatModel,
  replannerModel: BaseChatModel,
  options: ModelLayerOptions,
) {
  const planner = settingsOf(model, options, "model");
  const replanner = settingsOf(replannerModel, options, "replannerModel");
  return {
    plannerSystem: renderPrompt(planner.prompts.planner, variablesOf(planner)),
    replannerSystem: renderPrompt(replanner.prompts.replanner, variablesOf(replanner)),
    plan: planCaller(planner, "planner"),
    replan: planCaller(replanner, "replanner"),
  };
}

function variablesOf(settings: Settings) {
  return { tools: describeTools(settings.tools), maxSteps: settings.maxSteps };
}

/** Whether a value is a chat model that can bind tools. */
export function isChatModel(value: unknown): value is BaseChatModel {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { bindTools?: unknown }).bindTools === "function" &&
    typeof (value as { invoke?: unknown }).invoke === "function"
  );
}

async function callTool(
  byName: Map<string, StructuredToolInterface>,
  call: { name: string; args: Record<string, unknown>; id?: string | undefined },
  signal: AbortSignal,
): Promise<ToolMessage> {
  const id = call.id ?? call.name;
  const tool = byName.get(call.name);
  if (!tool) {
    const known = [...byName.keys()].join(", ") || "none";
    return new ToolMessage({
      content: `Unknown tool "${call.name}" (known: ${known})`,
      tool_call_id: id,
      status: "error",
    });
  }
  try {
    const answer = await tool.invoke({ type: "tool_call", id, name: call.name, args: call.args }, { signal });
    return ToolMessage.isInstance(answer)
      ? answer
      : new ToolMessage({ content: String(answer), tool_call_id: id });
  } catch (error) {
    if (signal.aborted) throw error;
    return new ToolMessage({
      content: `Tool error: ${(error as Error)?.message ?? String(error)}`,
      tool_call_id: id,
      status: "error",
    });
  }
}

function safeJson(value: unknown): string {
  try {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

export { rawText };
