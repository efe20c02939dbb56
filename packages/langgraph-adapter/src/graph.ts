// The plan-and-execute graph: planner → (approve) → executor ⇄ replanner → answer.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { StructuredToolInterface } from "@langchain/core/tools";
import {
  type BaseCheckpointSaver,
  type BaseStore,
  type CompiledStateGraph,
  END,
  START,
  type StateDefinition,
  StateGraph,
} from "@langchain/langgraph";
import { type Checker, createRun, isTerminal, type RunConfigInput } from "@replan/core";
import { createAnswerNode } from "./answer-node.js";
import { graphForecastOptions } from "./approval-forecast.js";
import { createApproveNode } from "./approve-node.js";
import { watchCheckpointer } from "./checkpointer.js";
import { type PlanFormat, planExecuteDefaults, type StructuredOutputMethod } from "./defaults.js";
import { guardRuns } from "./durable-run.js";
import { createExecutorNode } from "./executor-node.js";
import { type AgentStepExecutor, toExecutor, toToolFunctions } from "./executors.js";
import type { RetryPolicy } from "./model-call.js";
import { createPlanCallers, modelAnswer } from "./model-layer.js";
import { checkPlanExecuteOptions } from "./options.js";
import { createPlannerNode, createReplannerNode } from "./plan-nodes.js";
import { modelStreams } from "./plan-stream.js";
import type { PlanExecutePrompts } from "./prompts.js";
import type { ReapproveMode } from "./reapproval.js";
import { planExecuteRunConfig } from "./run-config.js";

export { planExecuteRunConfig, recursionLimitFor } from "./run-config.js";
import { assembleRun, PlanExecuteState, type PlanExecuteStateType, type PlanExecuteUpdate } from "./state.js";
import { awaitsPerson, createSettleNode } from "./settle-node.js";
import { effectDeclarations } from "./tool-effects.js";
import { executorKind, reconcileHooks } from "./executor-effects.js";
import { createStreamingPlannerNode } from "./streaming-planner-node.js";

export type { PlanApproval, PlanApprovalRequest } from "./approve-node.js";
export { PlanApprovalSchema } from "./approve-node.js";
export type { EffectSettlement, EffectSettlementRequest } from "./settle-node.js";
export { EffectSettlementSchema } from "./settle-node.js";
export type { PendingReplan, PlanChange, ReapproveMode } from "./reapproval.js";

/** Limits of a run; see `@replan/core`'s `RunConfigInput` for each. */
export type PlanExecuteBudget = Omit<RunConfigInput, "hasReplanner" | "requireApproval">;

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
   * How the model writes plans: `"json"` (structured output in `structuredOutputMethod`) or
   * `"compact"` (core's compact text format: about a quarter of the output tokens; plain text). See
   * the README's "Plan formats".
   * @default "json"
   */
  planFormat?: PlanFormat;
  /**
   * Start the planner's steps while the plan is still being written: each step runs as soon as its
   * text is complete in the model's stream and its dependencies are done. Only for models that
   * stream (`_streamResponseChunks`); a run with `requireApproval` is planned whole first.
   * @default true
   */
  planStreaming?: boolean;
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
  requireApproval?: boolean;
  /**
   * Pause again, before a replan is applied, for a person to approve, edit or reject it, with what
   * it changes: `"never"`, `"writes"` (when the new revision holds a `write` step that was added or
   * replaced) or `"always"` (every replan). Needs a checkpointer, as `requireApproval` does.
   * @default "never"
   */
  reapprove?: ReapproveMode;
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
  /** Saves checkpoints (needed for `requireApproval` and to resume after a crash). */
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
  settle: "settle",
  answer: "final_answer",
} as const;

/** A node of the graph: `planner`, `approve`, `executor`, `replanner`, `settle` or `final_answer`. */
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

/**
 * Builds the plan-and-execute graph, uncompiled: compile it with your own checkpointer, store,
 * interrupts and name, add it as a node of a parent graph, or extend it.
 *
 * Nodes: `planner` (one structured-output call, validated, repaired once), `approve` (only with
 * `requireApproval`, and before a replan with `reapprove`), `executor` (ready steps concurrently, each as a durable task, each started as
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
  checkPlanExecuteOptions(options, "createPlanExecuteGraph");
  const {
    model,
    tools = [],
    executor = model,
    replannerModel = model,
    structuredOutputMethod,
    planFormat,
    planStreaming = planExecuteDefaults.planStreaming,
    modelTimeoutMs,
    modelRetry,
    budget = {},
    stepTimeoutMs = planExecuteDefaults.stepTimeoutMs,
    requireApproval = planExecuteDefaults.requireApproval,
    reapprove = planExecuteDefaults.reapprove,
    checker,
    prompts = {},
    finalAnswer = planExecuteDefaults.finalAnswer,
    resultPreviewChars = planExecuteDefaults.resultPreviewChars,
    maxToolIterations = planExecuteDefaults.maxToolIterations,
    now = Date.now,
    generateId = () => crypto.randomUUID(),
  } = options;
  // The budget's limits with their defaults (checked above).
  const config = createRun({ runId: "check", goal: "check", budget }).config;
  const layer = {
    tools,
    prompts,
    maxSteps: config.maxSteps,
    resultPreviewChars,
    now,
    ...(structuredOutputMethod ? { structuredOutputMethod } : {}),
    ...(planFormat ? { planFormat } : {}),
    ...(modelTimeoutMs !== undefined ? { timeoutMs: modelTimeoutMs } : {}),
    ...(modelRetry ? { retry: modelRetry } : {}),
  };
  const effects = effectDeclarations(tools, executorKind(executor), budget.effects);
  const planNodes = {
    ...createPlanCallers(model, replannerModel, layer),
    budget: { ...budget, effects },
    requireApproval,
    reapprove,
    hasReplanner: config.maxReplans > 0,
    now,
    generateId,
  };
  const executorSettings = {
    executor: toExecutor(executor, { ...layer, maxToolIterations }),
    tools: toToolFunctions(tools),
    reconcileHooks: reconcileHooks(tools, executor),
    checker,
    stepTimeoutMs,
    now,
    // The replanner runs in the node that runs the steps (decision 013): the steps outside the
    // failure's cone keep running while it answers.
    replan: planNodes.replan,
    reapprove,
    // The compact patch streams into the run, each entry applied as its line ends (decision 017).
    replanStreaming:
      planStreaming && planFormat === "compact" && reapprove === "never" && modelStreams(replannerModel),
  };
  const planner = createPlannerNode(planNodes);
  return new StateGraph(PlanExecuteState)
    .addNode(
      NODES.planner,
      planStreaming && modelStreams(model)
        ? createStreamingPlannerNode({ ...planNodes, executor: executorSettings }, planner)
        : planner,
    )
    .addNode(
      NODES.approve,
      createApproveNode(
        now,
        graphForecastOptions({
          executor,
          tools,
          prompts,
          checker,
          finalAnswer,
          maxToolIterations,
          resultPreviewChars,
          maxSteps: config.maxSteps,
        }),
      ),
    )
    .addNode(NODES.executor, createExecutorNode(executorSettings))
    .addNode(NODES.replanner, createReplannerNode(planNodes))
    .addNode(NODES.settle, createSettleNode(now))
    .addNode(
      NODES.answer,
      createAnswerNode({ writeAnswer: modelAnswer(model, layer), finalAnswer, resultPreviewChars }),
    )
    .addEdge(START, NODES.planner)
    .addConditionalEdges(
      NODES.planner,
      (state) =>
        state.run?.status === "approving" || state.pendingReplan
          ? NODES.approve
          : state.run?.status === "failed" && !state.plan?.steps.some((step) => step.attempts > 0)
            ? END // the planner gave up before any step ran (only under createPlanExecuteAgent: otherwise it threw)
            : afterRun(state),
      [NODES.approve, ...routes, END],
    )
    .addConditionalEdges(NODES.approve, afterRun, routes)
    .addConditionalEdges(NODES.settle, afterRun, routes)
    .addConditionalEdges(NODES.executor, afterHeldReplan, [NODES.approve, ...routes])
    .addConditionalEdges(NODES.replanner, afterHeldReplan, [NODES.approve, ...routes])
    .addEdge(NODES.answer, END);
}

/**
 * Where the graph goes after a node: the answer once the run has ended, else the executor, which
 * also replans (a replan runs there, beside the steps that do not wait for it; decision 013).
 */
function afterRun(state: PlanExecuteStateType): PlanExecuteNode {
  const run = state.run;
  if (!run || isTerminal(run)) return NODES.answer;
  if (awaitsPerson(assembleRun(state))) return NODES.settle;
  return NODES.executor;
}

/** After a node that may hold a replan for a person's approval (`reapprove`): the approval first. */
function afterHeldReplan(state: PlanExecuteStateType): PlanExecuteNode {
  return state.pendingReplan ? NODES.approve : afterRun(state);
}

/**
 * The nodes {@link afterRun} may choose. The replanner node is no longer routed to; it stays for
 * threads saved by earlier versions, whose next node is `replanner`.
 */
const routes = [NODES.executor, NODES.replanner, NODES.settle, NODES.answer];

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
  checkPlanExecuteOptions(options, "createPlanExecuteAgent");
  const { checkpointer, store, name = planExecuteDefaults.name, ...graphOptions } = options;
  const compiled = createPlanExecuteGraph(graphOptions).compile({
    // watched: the executor node applies an outcome only once it is saved, and stops at a failed save
    ...(checkpointer !== undefined
      ? { checkpointer: typeof checkpointer === "object" ? watchCheckpointer(checkpointer) : checkpointer }
      : {}),
    ...(store ? { store } : {}),
    name,
  });
  // guardRuns: an abort first lets the executor save what ended; typed errors for the checkpointer.
  return guardRuns(compiled.withConfig(planExecuteRunConfig(options.budget)));
}
