// The plan-and-execute graph: planner → (approve) → executor ⇄ replanner → answer.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import type { StructuredToolInterface } from "@langchain/core/tools";
import {
  type BaseCheckpointSaver,
  type BaseStore,
  type CompiledStateGraph,
  END,
  interrupt,
  type LangGraphRunnableConfig,
  START,
  type StateDefinition,
  StateGraph,
} from "@langchain/langgraph";
import {
  type Checker,
  checkPlan,
  createRun,
  isTerminal,
  llmCallRefusal,
  type ModelCallReporter,
  type RunConfigInput,
  type RunState,
  type StepSpecInput,
  transition,
  type Usage,
} from "@replan/core";
import { z } from "zod";
import { watchCheckpointer } from "./checkpointer.js";
import { guardRuns } from "./durable-run.js";
import { PlanExecuteError } from "./errors.js";
import { createExecutorNode, publish, RUN_GUARD, type RunGuard } from "./executor-node.js";
import { type AgentStepExecutor, toExecutor, toToolFunctions } from "./executors.js";
import { type RetryPolicy, toStepError } from "./model-call.js";
import {
  createPlanCallers,
  isChatModel,
  modelAnswer,
  plannerMessages,
  replannerMessages,
  type StructuredOutputMethod,
} from "./model-layer.js";
import { addUsage } from "./models.js";
import { rawText } from "./parse.js";
import type { PlanExecutePrompts } from "./prompts.js";
import {
  assembleRun,
  PlanExecuteState,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
  runUpdate,
} from "./state.js";

/** Limits of a run; see `@replan/core`'s `RunConfigInput` for each. */
export type PlanExecuteBudget = Omit<RunConfigInput, "hasReplanner">;

/** Options of {@link createPlanExecuteGraph}. */
export interface PlanExecuteOptions {
  /** The chat model that plans, replans and writes the final answer (and runs agent steps by default). */
  model: BaseChatModel;
  /**
   * Tools: tool steps call them directly (no LLM), and the default executor gives them to the model.
   * The planner's prompt lists their names, descriptions and argument schemas.
   * @default []
   */
  tools?: StructuredToolInterface[];
  /**
   * What carries out agent steps: a chat model (tool-calling loop with `tools`), a compiled
   * LangGraph agent with a `messages` key (e.g. `createAgent(...)` from `langchain`), or a function
   * `(step, context) => result`.
   * @default model
   */
  executor?: AgentStepExecutor;
  /**
   * The model that replans.
   * @default model
   */
  replannerModel?: BaseChatModel;
  /**
   * How plans are asked for: `"functionCalling"` (a forced tool call: OpenAI and most local
   * servers), `"jsonSchema"` or `"jsonMode"`. The answer is parsed by this package either way.
   * @default "functionCalling"
   */
  structuredOutputMethod?: StructuredOutputMethod;
  /**
   * Time limit of one model request, in ms: past it the request is aborted (not retried).
   * @default 120000
   */
  modelTimeoutMs?: number;
  /**
   * Transport retries of a model call (HTTP 429, 5xx, network errors): `maxRetries` (2),
   * `initialDelayMs` (1000, doubled each time, or the server's `retry-after`), `maxDelayMs` (30000).
   * @default {}
   */
  modelRetry?: RetryPolicy;
  /**
   * Limits: `concurrency` (4), `maxSteps` (50), `maxReplans` (3), `maxAttempts` (1),
   * `maxPlanAttempts` (2: one repair), `maxLlmCalls`, `maxTokens`, `maxWallTimeMs`, `retryBackoffMs`.
   * @default {}
   */
  budget?: PlanExecuteBudget;
  /**
   * Time limit of one attempt of one step, in ms.
   * @default 300000
   */
  stepTimeoutMs?: number;
  /**
   * Pause after planning for a person to approve, edit or reject the plan (needs a checkpointer).
   * @default false
   */
  approvePlan?: boolean;
  /** Judges each step's result; `{ expected: false, reason }` triggers a replan. */
  checker?: Checker;
  /** Replacements for the system prompts of the planner, replanner, executor and final answer. */
  prompts?: PlanExecutePrompts;
  /**
   * Write the final answer with the model (one LLM call). When false, the answer is a plain
   * summary of the outcome and results, with no LLM call.
   * @default true
   */
  finalAnswer?: boolean;
  /**
   * Longest text of one result shown in a prompt; results stay whole in the state.
   * @default 1000
   */
  resultPreviewChars?: number;
  /**
   * Most model calls of the default executor for one agent step.
   * @default 8
   */
  maxToolIterations?: number;
  /**
   * The clock.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Makes run ids.
   * @default crypto.randomUUID
   */
  generateId?: () => string;
}

/** Options of {@link createPlanExecuteAgent}: the graph's options and compile options. */
export interface PlanExecuteAgentOptions extends PlanExecuteOptions {
  /** Saves checkpoints (needed for `approvePlan` and to resume after a crash). */
  checkpointer?: BaseCheckpointSaver | boolean;
  /** A store for long-term memory, passed to `compile`. */
  store?: BaseStore;
  /** The compiled graph's name. @default "plan_execute" */
  name?: string;
}

/** Node names of the graph. */
export const NODES = {
  planner: "planner",
  approve: "approve",
  executor: "executor",
  replanner: "replanner",
  answer: "final_answer",
} as const;

/** A node of the graph: `planner`, `approve`, `executor`, `replanner` or `final_answer`. */
export type PlanExecuteNode = (typeof NODES)[keyof typeof NODES];

/**
 * What {@link createPlanExecuteGraph} returns: the uncompiled `StateGraph` over
 * {@link PlanExecuteState}, named so that declarations and editor hovers stay short.
 */
export type PlanExecuteGraph = StateGraph<
  typeof PlanExecuteState,
  PlanExecuteStateType,
  PlanExecuteUpdate,
  PlanExecuteNode | typeof START,
  typeof PlanExecuteState,
  typeof PlanExecuteState,
  StateDefinition,
  Record<PlanExecuteNode, PlanExecuteUpdate>
>;

/** What {@link createPlanExecuteAgent} returns: the compiled graph. */
export type PlanExecuteAgent = CompiledStateGraph<
  PlanExecuteStateType,
  PlanExecuteUpdate,
  PlanExecuteNode | typeof START,
  typeof PlanExecuteState,
  typeof PlanExecuteState,
  StateDefinition,
  Record<PlanExecuteNode, PlanExecuteUpdate>
>;

/**
 * Names of the executor node's durable tasks. LangGraph's `updates` stream mode lists them beside
 * the node names (e.g. `{ step: null }`, `{ record: {...} }`): they are bookkeeping, not state
 * updates; skip every key that is not one of {@link NODES}.
 */
export const EXECUTOR_TASKS = ["steps", "step", "record"] as const;

/** What `Command({ resume })` takes after a plan-approval interrupt. */
export const PlanApprovalSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("approve") }),
  z.object({ action: z.literal("edit"), steps: z.array(z.unknown()) }),
  z.object({ action: z.literal("reject"), reason: z.string().optional() }),
]);

/** The resume value of a plan-approval interrupt. */
export type PlanApproval =
  | { action: "approve" }
  | { action: "edit"; steps: StepSpecInput[] }
  | { action: "reject"; reason?: string };

/** The value of a plan-approval interrupt (what `__interrupt__` holds). */
export interface PlanApprovalRequest {
  type: "plan-approval";
  goal: string;
  plan: NonNullable<RunState["plan"]>;
  /** Why the previous answer was not accepted (an invalid edit). */
  error?: string;
}

const MAX_APPROVAL_ROUNDS = 5;

/**
 * Builds the plan-and-execute graph, uncompiled: compile it with your own checkpointer, store,
 * interrupts and name, add it as a node of a parent graph, or extend it.
 *
 * Nodes: `planner` (one structured-output call, validated, repaired once), `approve` (only with
 * `approvePlan`), `executor` (ready steps concurrently, each as a durable task, each started as
 * soon as its own dependencies are done), `replanner` (only after a failure or an unexpected
 * result) and `answer` (the final answer as an `AIMessage`).
 *
 * @param options - see {@link PlanExecuteOptions}.
 * @example
 * ```ts
 * const graph = createPlanExecuteGraph({ model, tools }).compile({ checkpointer: new MemorySaver() });
 * const state = await graph.invoke({ goal: "Count the TODOs in src" }, { configurable: { thread_id: "1" } });
 * console.log(state.answer, state.plan);
 * ```
 */
export function createPlanExecuteGraph(options: PlanExecuteOptions): PlanExecuteGraph {
  const {
    model,
    tools = [],
    executor = model,
    replannerModel = model,
    structuredOutputMethod,
    modelTimeoutMs,
    modelRetry,
    budget = {},
    stepTimeoutMs = 300_000,
    approvePlan = false,
    checker,
    prompts = {},
    finalAnswer = true,
    resultPreviewChars = 1000,
    maxToolIterations = 8,
    now = Date.now,
    generateId = () => crypto.randomUUID(),
  } = options;
  if (!isChatModel(model)) {
    throw new PlanExecuteError(
      "invalid-options",
      'Option "model" must be a chat model with bindTools (e.g. ChatOpenAI)',
    );
  }
  if (!isChatModel(replannerModel))
    throw new PlanExecuteError("invalid-options", 'Option "replannerModel" must be a chat model');
  const names = new Set<string>();
  for (const tool of tools) {
    if (names.has(tool.name))
      throw new PlanExecuteError("invalid-options", `Two tools are named "${tool.name}"`);
    names.add(tool.name);
  }
  // Fails early on bad limits, with the option's name.
  const config = createRun({ runId: "check", goal: "check", config: budget }).config;
  const layer = {
    tools,
    prompts,
    maxSteps: config.maxSteps,
    resultPreviewChars,
    now,
    ...(structuredOutputMethod ? { structuredOutputMethod } : {}),
    ...(modelTimeoutMs !== undefined ? { timeoutMs: modelTimeoutMs } : {}),
    ...(modelRetry ? { retry: modelRetry } : {}),
  };
  const callers = createPlanCallers(model, replannerModel, layer);
  const writeAnswer = modelAnswer(model, layer);
  const stepExecutor = toExecutor(executor, { ...layer, maxToolIterations });

  const planner = async (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => {
    const goal = pickGoal(state);
    let current = transition(
      createRun({
        runId: generateId(),
        goal,
        config: { ...budget, hasReplanner: config.maxReplans > 0, requireApproval: approvePlan },
      }),
      { type: "start", at: now() },
    );
    publish(runConfig, current.events);
    let lastRaw = "";
    let lastError: unknown;
    while (current.effects.some((effect) => effect.type === "call-planner")) {
      const meter = meterOf(() => current.state, runConfig);
      try {
        const answer = await callers.plan(
          {
            messages: plannerMessages(callers.plannerSystem, goal, current.state.feedback),
            signal: runConfig.signal,
          },
          meter.hooks,
        );
        lastRaw = rawText(answer.message);
        current = transition(current.state, {
          type: "plan",
          at: now(),
          output: answer.steps,
          usage: meter.usage,
        });
      } catch (error) {
        if (runConfig.signal?.aborted) throw error;
        lastError = error;
        if (PlanExecuteError.isInstance(error) && error.rawOutput !== undefined) lastRaw = error.rawOutput;
        current = transition(current.state, meter.failure(error, "plan-error", now()));
      }
      publish(runConfig, current.events);
    }
    const run = current.state;
    if (run.status === "failed") {
      const code = run.outcome?.error?.code === "invalid-plan" ? "invalid-plan" : "planner-failed";
      const failure = new PlanExecuteError(code, run.outcome?.reason ?? "planning failed", {
        rawOutput: lastRaw,
        cause: lastError,
      });
      // Under createPlanExecuteAgent the graph ends here (see RunGuard.failure); a graph compiled
      // by hand throws from the node, as LangGraph nodes do.
      const guard = runConfig.configurable?.[RUN_GUARD] as RunGuard | undefined;
      if (!guard) throw failure;
      guard.failure = failure;
    }
    return { goal, answer: null, ...runUpdate(run) };
  };

  const approve = async (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => {
    const run = assembleRun(state)!;
    let error: string | undefined;
    for (let round = 0; round < MAX_APPROVAL_ROUNDS; round++) {
      const request: PlanApprovalRequest = {
        type: "plan-approval",
        goal: run.goal,
        plan: run.plan!,
        ...(error ? { error } : {}),
      };
      const answer = PlanApprovalSchema.safeParse(interrupt(request));
      if (!answer.success) {
        error = `expected { action: "approve" | "edit" | "reject" }: ${answer.error.issues[0]?.message ?? "invalid"}`;
        continue;
      }
      const decision = answer.data;
      if (decision.action === "reject") {
        const reason = `plan rejected${decision.reason ? `: ${decision.reason}` : ""}`;
        const rejected = transition(run, { type: "cancel", at: now(), reason });
        publish(runConfig, rejected.events); // its run-end
        return runUpdate(rejected.state);
      }
      let steps: unknown;
      if (decision.action === "edit") {
        const check = checkPlan(decision.steps, { maxSteps: run.config.maxSteps });
        if (!check.ok) {
          error = `the edited plan is invalid: ${check.issues.map((issue) => issue.message).join("; ")}`;
          continue;
        }
        steps = check.steps;
      }
      // Only now do steps start (and their step-start events go out).
      const approved = transition(run, { type: "approve", at: now(), ...(steps ? { steps } : {}) });
      publish(runConfig, approved.events);
      return runUpdate(approved.state);
    }
    const cancelled = transition(run, {
      type: "cancel",
      at: now(),
      reason: `no valid approval after ${MAX_APPROVAL_ROUNDS} answers`,
    });
    publish(runConfig, cancelled.events);
    return runUpdate(cancelled.state);
  };

  const replanner = async (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => {
    const run = assembleRun(state)!;
    if (run.status !== "replanning" || !run.replan || !run.plan) return {};
    const meter = meterOf(() => run, runConfig);
    let next: ReturnType<typeof transition>;
    try {
      const answer = await callers.replan(
        {
          messages: replannerMessages(
            callers.replannerSystem,
            { goal: run.goal, plan: run.plan, reason: run.replan.reason, feedback: run.feedback },
            resultPreviewChars,
          ),
          signal: runConfig.signal,
        },
        meter.hooks,
      );
      next = transition(run, { type: "replan", at: now(), output: answer.steps, usage: meter.usage });
    } catch (error) {
      if (runConfig.signal?.aborted) throw error;
      next = transition(run, meter.failure(error, "replan-error", now()));
    }
    publish(runConfig, next.events);
    return runUpdate(next.state);
  };

  const answer = async (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => {
    const run = assembleRun(state)!;
    const outcome = run.outcome ? `${run.outcome.status}: ${run.outcome.reason}` : "unknown";
    let text = "";
    let id: string | undefined;
    let usage = run.usage;
    let written = false;
    if (finalAnswer && run.outcome?.status !== "cancelled" && llmCallRefusal(run, 0) === undefined) {
      const meter = meterOf(() => run, runConfig);
      try {
        const reply = await writeAnswer({
          goal: run.goal,
          plan: run.plan,
          outcome: run.outcome,
          ...(runConfig.signal ? { signal: runConfig.signal } : {}),
          ...meter.hooks,
        });
        text = reply.text;
        id = reply.message.id; // the same message as the one streamed in "messages" mode, not a copy
        written = true;
      } catch (error) {
        if (runConfig.signal?.aborted) throw error;
        // The run's results stand: the answer falls back to the plain summary.
        text = `${summarize(run, outcome, resultPreviewChars)}\n(The final answer could not be written: ${toStepError(error, "model-call-failed").message})`;
      }
      usage = addUsage(usage, meter.usage);
    }
    if (!written && text === "") text = summarize(run, outcome, resultPreviewChars);
    return {
      answer: text,
      messages: [new AIMessage({ content: text, id })],
      run: { ...run, plan: null, usage },
    };
  };

  const afterRun = (state: PlanExecuteStateType) => {
    const run = state.run;
    if (!run || isTerminal(run)) return NODES.answer;
    return run.status === "replanning" ? NODES.replanner : NODES.executor;
  };
  const routes = [NODES.executor, NODES.replanner, NODES.answer];

  const graph = new StateGraph(PlanExecuteState)
    .addNode(NODES.planner, planner)
    .addNode(NODES.approve, approve)
    .addNode(
      NODES.executor,
      createExecutorNode({
        executor: stepExecutor,
        tools: toToolFunctions(tools),
        checker,
        stepTimeoutMs,
        now,
      }),
    )
    .addNode(NODES.replanner, replanner)
    .addNode(NODES.answer, answer)
    .addEdge(START, NODES.planner)
    .addConditionalEdges(
      NODES.planner,
      (state) =>
        state.run?.status === "approving"
          ? NODES.approve
          : state.run?.status === "failed"
            ? END // the planner gave up (only under createPlanExecuteAgent: otherwise it threw)
            : afterRun(state),
      [NODES.approve, ...routes, END],
    )
    .addConditionalEdges(NODES.approve, afterRun, routes)
    .addConditionalEdges(NODES.executor, afterRun, routes)
    .addConditionalEdges(NODES.replanner, afterRun, routes)
    .addEdge(NODES.answer, END);
  return graph;
}

/**
 * The recursion limit under which a legal run of the graph never hits `GraphRecursionError`:
 * planner, approval, one executor pass per revision, one replanner pass per replan, answer.
 *
 * @param budget - the graph's budget (only `maxReplans` matters).
 */
export function recursionLimitFor(budget: PlanExecuteBudget = {}): number {
  const maxReplans = budget.maxReplans ?? 3;
  return Math.max(25, 2 * maxReplans + 10);
}

/**
 * The plan-and-execute graph, compiled, with a recursion limit that fits its budget, saved
 * durably: its checkpointer is watched ({@link watchCheckpointer}), so a step's outcome is applied
 * only once it is saved and a failed save stops the run with `checkpoint-failed`; aborting the
 * `signal` passed to `invoke`/`stream` first lets the executor save the steps that ended (at most
 * 5 s), then rejects with the signal's reason. `invoke(null, config)` on a thread with nothing
 * saved rejects with `nothing-to-resume`.
 *
 * @param options - the graph's options plus `checkpointer`, `store` and `name`.
 * @example
 * ```ts
 * const agent = createPlanExecuteAgent({ model: new ChatOpenAI({ model: "gpt-4.1-mini" }), tools });
 * const { answer, plan } = await agent.invoke({ goal: "Which of our services answer slower than 1 s?" });
 * ```
 */
export function createPlanExecuteAgent(options: PlanExecuteAgentOptions): PlanExecuteAgent {
  const { checkpointer, store, name = "plan_execute", ...graphOptions } = options;
  const compiled = createPlanExecuteGraph(graphOptions).compile({
    // watched: the executor node applies an outcome only once it is saved, and stops at a failed save
    ...(checkpointer !== undefined
      ? { checkpointer: typeof checkpointer === "object" ? watchCheckpointer(checkpointer) : checkpointer }
      : {}),
    ...(store ? { store } : {}),
    name,
  });
  // "sync": each superstep's checkpoint is saved before the next one starts, so a step's saved
  // result can never refer to a checkpoint that a crash kept from being written.
  // guardRuns: an abort first lets the executor save what ended; typed errors for the checkpointer.
  return guardRuns(
    compiled.withConfig({ recursionLimit: recursionLimitFor(options.budget), durability: "sync" }),
  );
}

/** The goal: a new `goal`, else the last human message, else the previous `goal`. */
function pickGoal(state: PlanExecuteStateType): string {
  const goal = state.goal?.trim();
  if (goal && goal !== state.run?.goal) return goal;
  const human = state.messages?.findLast(
    (message) => HumanMessage.isInstance(message) && message.text.trim() !== "",
  );
  if (human) return human.text.trim();
  if (goal) return goal;
  throw new PlanExecuteError(
    "invalid-input",
    "No goal: invoke the graph with { goal } or with { messages } holding a human message",
  );
}

/**
 * The run's side of a node's model calls: each request is reserved against the budget (the
 * run's usage plus the requests this node made so far, which reach the state when the node's
 * input is applied), its usage summed, its events published on the custom stream.
 */
function meterOf(run: () => RunState, runConfig: LangGraphRunnableConfig) {
  let reserved = 0;
  const usage: Usage = { llmCalls: 0, promptTokens: 0, completionTokens: 0 };
  const hooks: ModelCallReporter = {
    reserveLlmCall: () => {
      if (llmCallRefusal(run(), reserved)) return false;
      reserved++;
      return true;
    },
    reportUsage: (more) => {
      usage.llmCalls += more.llmCalls ?? 0;
      usage.promptTokens += more.promptTokens ?? 0;
      usage.completionTokens += more.completionTokens ?? 0;
    },
    emit: (event) => publish(runConfig, [event]),
  };
  /** The input for a failed call (a refused one has the code `budget-exceeded`), with the usage of the requests made. */
  const failure = (error: unknown, type: "plan-error" | "replan-error", at: number) =>
    ({
      type,
      at,
      error: toStepError(error, "planner-failed"),
      retryable: (error as { retryable?: unknown } | null)?.retryable !== false,
      usage,
    }) as const;
  return { hooks, usage, failure };
}

function summarize(run: RunState, outcome: string, limit: number): string {
  const lines = [`Outcome: ${outcome}.`];
  for (const step of run.plan?.steps ?? []) {
    if (step.status === "done") {
      const result = typeof step.result === "string" ? step.result : JSON.stringify(step.result);
      lines.push(`- ${step.id}: ${(result ?? "").slice(0, limit)}`);
    } else lines.push(`- ${step.id}: ${step.status}${step.error ? ` (${step.error.message})` : ""}`);
  }
  return lines.join("\n");
}
