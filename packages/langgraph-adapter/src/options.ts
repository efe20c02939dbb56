// The options of createPlanExecuteGraph and createPlanExecuteAgent, and the input of a run,
// checked where they are given, with PlanExecuteError (`invalid-options`, `invalid-input`).
import { type BaseMessageLike, coerceMessageLikeToMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import {
  budgetRules,
  type CheckContext,
  checkOptions,
  describe,
  errorMessage,
  type Rule,
  rules,
  TOOL_NAME_PATTERN,
  MAX_DELAY_MS,
} from "@replan/core/internal";
import { PLAN_FORMATS, STRUCTURED_OUTPUT_METHODS } from "./defaults.js";
import { REAPPROVE_MODES } from "./reapproval.js";
import { PlanExecuteError } from "./errors.js";
import { isChatModel, isMessagesGraph } from "./runnable-kinds.js";

/** A time limit in ms: a number from 1 to the longest timer. */
const milliseconds = rules.number({ min: 1, max: MAX_DELAY_MS });

/** A delay in ms that may be 0 (`Infinity` is taken as the longest timer). */
const delay = rules.custom(
  "be a number >= 0",
  (value): value is number => typeof value === "number" && value >= 0,
);

/** A chat model that can bind tools. */
export const chatModel = rules.custom(
  "be a chat model with bindTools (e.g. ChatOpenAI)",
  (value): value is object => isChatModel(value),
);

/** One system prompt: a template or a function of the prompt variables. */
const prompt = rules.custom(
  "be a string or a function of the prompt variables",
  (value): value is string | ((...args: never[]) => string) =>
    typeof value === "string" || typeof value === "function",
);

/** A LangChain tool: an object with a `name` that the chat-model APIs accept, and `invoke`. */
const tool: Rule<StructuredToolInterface> = {
  must: "be a LangChain tool (e.g. from tool() of @langchain/core/tools)",
  required: false,
  check(value: unknown, path: string, context: CheckContext): StructuredToolInterface {
    if (
      typeof value !== "object" ||
      value === null ||
      typeof (value as { invoke?: unknown }).invoke !== "function"
    )
      return context.fail(path, this.must, value);
    const name = (value as { name?: unknown }).name;
    if (typeof name !== "string" || !TOOL_NAME_PATTERN.test(name) || name === "__proto__") {
      return context.fail(
        `${path}.name`,
        "be a tool name of 1 to 64 letters, digits, _ or - (not __proto__)",
        name,
      );
    }
    return value as StructuredToolInterface;
  },
};

/** The tools: LangChain tools with distinct names. */
export const tools: Rule<StructuredToolInterface[]> = {
  must: "be an array of LangChain tools with distinct names",
  required: false,
  check(value: unknown, path: string, context: CheckContext): StructuredToolInterface[] {
    const checked = rules.array(tool).check(value, path, context);
    const seen = new Set<string>();
    checked.forEach((item, index) => {
      if (seen.has(item.name))
        context.fail(`${path}[${index}].name`, "differ from the other tools' names", item.name);
      seen.add(item.name);
    });
    return checked;
  },
};

/** The run's limits (`budget`): core's rules; `requireApproval` and `hasReplanner` are set by the graph. */
const { hasReplanner: _setByTheGraph, requireApproval: _anOptionOfItsOwn, ...budgetFields } = budgetRules;
export const budget = rules.object(budgetFields, "budget");

/** Replacements for the system prompts. */
export const prompts = rules.object(
  { planner: prompt, replanner: prompt, executor: prompt, answer: prompt },
  "prompts",
);

/** Time limit of one model request, in ms (`Infinity` is taken as the longest timer). */
export const modelTimeout = rules.custom(
  "be a number >= 1",
  (value): value is number => typeof value === "number" && value >= 1,
);

/** Transport retries of a model call; `name` is the option's name. */
export function retryPolicy(name: string) {
  return rules.object(
    { maxRetries: rules.integer({ min: 0, max: 100 }), initialDelayMs: delay, maxDelayMs: delay },
    name,
  );
}

/** Longest text of one result shown in a prompt. */
export const resultPreviewChars = rules.integer({ min: 1 });

/** Most model calls of the default executor for one attempt of one agent step. */
export const maxToolIterations = rules.integer({ min: 1, max: 1000 });

/** Whether a value is a LangGraph checkpointer: an object with `getTuple`, `put` and `putWrites`. */
function isSaver(value: unknown): value is object {
  return (
    typeof value === "object" &&
    value !== null &&
    ["getTuple", "put", "putWrites"].every(
      (method) => typeof (value as Record<string, unknown>)[method] === "function",
    )
  );
}

/** A LangGraph checkpointer. */
export const saver = rules.custom("be a LangGraph checkpointer (e.g. MemorySaver, PostgresSaver)", isSaver);

/** The rules of {@link createPlanExecuteGraph}'s options. */
export const graphOptionRules = {
  model: rules.required(chatModel),
  tools,
  executor: rules.custom(
    "be a chat model, a compiled LangGraph agent with a messages key, or a function",
    (value): value is object => isChatModel(value) || isMessagesGraph(value) || typeof value === "function",
  ),
  replannerModel: chatModel,
  structuredOutputMethod: rules.oneOf(STRUCTURED_OUTPUT_METHODS),
  planFormat: rules.oneOf(PLAN_FORMATS),
  planStreaming: rules.boolean(),
  modelTimeoutMs: modelTimeout,
  modelRetry: retryPolicy("modelRetry"),
  budget,
  stepTimeoutMs: milliseconds,
  requireApproval: rules.boolean(),
  reapprove: rules.oneOf(REAPPROVE_MODES),
  checker: rules.func(),
  prompts,
  finalAnswer: rules.boolean(),
  resultPreviewChars,
  maxToolIterations,
  now: rules.func(),
  generateId: rules.func(),
} as const;

/** The rules of {@link createPlanExecuteAgent}'s options: the graph's, and how it is compiled. */
export const agentOptionRules = {
  ...graphOptionRules,
  checkpointer: rules.custom(
    "be true, false or a LangGraph checkpointer (e.g. MemorySaver, PostgresSaver)",
    (value): value is object => typeof value === "boolean" || isSaver(value),
  ),
  store: rules.custom(
    "be a LangGraph store (e.g. InMemoryStore)",
    (value): value is object =>
      typeof value === "object" &&
      value !== null &&
      ["get", "put", "batch"].every(
        (method) => typeof (value as Record<string, unknown>)[method] === "function",
      ),
  ),
  name: rules.string({ nonEmpty: true }),
} as const;

/**
 * Checks the options of `where` against `shape`, with `PlanExecuteError` (`invalid-options`).
 *
 * @returns the options as given (checked).
 */
export function checkPlanExecuteOptions<Options>(
  options: Options,
  where: "createPlanExecuteGraph" | "createPlanExecuteAgent",
): Options {
  if (typeof options === "object" && options !== null && Object.hasOwn(options, "approvePlan")) {
    throw new PlanExecuteError(
      "invalid-options",
      `Option "approvePlan" must be renamed "requireApproval" (the same option, named as in @replan/core), got ${describe((options as { approvePlan?: unknown }).approvePlan)}`,
    );
  }
  checkOptions(options, where === "createPlanExecuteGraph" ? graphOptionRules : agentOptionRules, {
    where,
    error: (message) => new PlanExecuteError("invalid-options", message),
  });
  return options;
}

/**
 * Checks a budget given on its own (to `recursionLimitFor`, `planExecuteRunConfig`) by the rules
 * of the graph's `budget` option.
 *
 * @throws {PlanExecuteError} `invalid-options`, e.g. `Option "budget.maxReplans" must be an integer >= 0, got "10"`.
 */
export function checkBudget(value: unknown, where: string): void {
  checkOptions(
    { budget: value },
    { budget },
    {
      where,
      error: (message) => new PlanExecuteError("invalid-options", message),
    },
  );
}

/**
 * Refuses a resume value the checkpointer could not save (a cycle, a BigInt, a getter or `toJSON`
 * that throws): LangGraph would fail inside the saver, and the answer read as a database fault.
 */
function checkResume(resume: unknown): void {
  try {
    JSON.stringify(resume);
  } catch (error) {
    throw new PlanExecuteError(
      "invalid-input",
      `Input "resume" must be a value the checkpointer can save (plain JSON): ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/** What one message of a run's input must be. */
const MESSAGE = 'be a message (a LangChain message, a string, { role, content } or ["human", "text"])';

/** Whether LangChain can turn `value` into a message, as LangGraph's messages reducer does. */
function isMessageLike(value: unknown): boolean {
  if (typeof value !== "string" && (typeof value !== "object" || value === null)) return false;
  try {
    coerceMessageLikeToMessage(value as BaseMessageLike);
    return true;
  } catch {
    return false;
  }
}

/** What a run may be invoked with (besides `null` to resume, and a `Command`). */
const inputRules = {
  goal: rules.string(),
  messages: {
    must: "be an array of messages, or one message",
    required: false,
    check(value: unknown, path: string, context: CheckContext): unknown {
      if (!Array.isArray(value)) return isMessageLike(value) ? value : context.fail(path, this.must, value);
      value.forEach((item, index) => {
        if (!isMessageLike(item)) context.fail(`${path}[${index}]`, MESSAGE, item);
      });
      return value;
    },
  } satisfies Rule<unknown>,
  plan: rules.custom("be a plan", (_value): _value is unknown => true),
  results: rules.custom("be an object", (value): value is object => typeof value === "object"),
  outcome: rules.custom("be a run outcome", (_value): _value is unknown => true),
  answer: rules.custom(
    "be a string or null",
    (value): value is string | null => value === null || typeof value === "string",
  ),
  run: rules.custom("be a run state", (_value): _value is unknown => true),
  pendingReplan: rules.custom("be a held replan or null", (_value): _value is unknown => true),
} as const;

/**
 * Checks what a run of the agent is invoked with: `null` (resume the thread), a LangGraph
 * `Command` (whose `resume` value the checkpointer must be able to save), or the state's keys
 * (`goal` a string, `messages` a message or an array of them).
 *
 * @throws {PlanExecuteError} `invalid-input`, naming the key.
 */
export function checkRunInput(input: unknown): void {
  if (input === null || input === undefined) return;
  if (typeof input === "object" && (input as { lg_name?: unknown }).lg_name === "Command") {
    checkResume((input as { resume?: unknown }).resume);
    return;
  }
  checkOptions(input, inputRules, {
    where: "invoke",
    error: (message) => new PlanExecuteError("invalid-input", message.replace(/^Option /, "Input ")),
  });
}
