// The plan-and-execute graph: planner → (approve) → executor ⇄ replanner → answer.
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
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
  errorMessage,
  isTerminal,
  type RunConfigInput,
  type RunState,
  type StepError,
  type StepSpecInput,
  transition,
} from "@replan/core";
import { z } from "zod";
import { watchCheckpointer } from "./checkpointer.js";
import { guardRuns } from "./durable-run.js";
import { PlanExecuteError } from "./errors.js";
import { createExecutorNode, publish } from "./executor-node.js";
import { type AgentStepExecutor, isChatModel, toExecutor, toToolFunctions } from "./executors.js";
import { addUsage, callStructured, rawText, type StructuredOutputMethod, usageOf } from "./models.js";
import {
  answerMessage,
  DEFAULT_PROMPTS,
  describeTools,
  type PlanExecutePrompts,
  renderPrompt,
  replanMessage,
} from "./prompts.js";
import {
  assembleRun,
  PlanExecuteState,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
  runUpdate,
} from "./state.js";

/** The plan a model writes: every field required and nullable, so it suits strict JSON-schema modes. */
export const ModelPlanSchema = z
  .object({
    steps: z.array(
      z.object({
        id: z.string().describe('short unique id: letters, digits, "-" and "_"'),
        description: z.string().describe("what the step does"),
        dependsOn: z.array(z.string()).describe("ids of the steps whose results it needs; [] if none"),
        tool: z
          .string()
          .nullable()
          .describe("for a single call of one tool with known arguments: the tool's name; otherwise null"),
        args: z
          .string()
          .nullable()
          .describe(
            'with tool: its arguments as a JSON object string, may use "${id}" or "${id.field}"; otherwise null',
          ),
      }),
    ),
  })
  .describe("A plan: the steps to achieve the goal");

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
   * How structured output is asked for. Local OpenAI-compatible servers (Ollama, vLLM, llama.cpp,
   * LM Studio) usually want `"functionCalling"`; OpenAI's own models handle `"jsonSchema"`.
   * @default the model's default
   */
  structuredOutputMethod?: StructuredOutputMethod;
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
  const templates = { ...DEFAULT_PROMPTS, ...prompts };
  const variables = { tools: describeTools(tools), maxSteps: config.maxSteps };
  const plannerSystem = renderPrompt(templates.planner, variables);
  const replannerSystem = renderPrompt(templates.replanner, variables);
  const answerSystem = renderPrompt(templates.answer, variables);
  const stepExecutor = toExecutor(executor, {
    tools,
    prompt: templates.executor,
    maxSteps: config.maxSteps,
    maxToolIterations,
    resultPreviewChars,
  });

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
    let answered = false; // whether the last attempt got an answer (repair) or an error (plain retry)
    while (current.effects.some((effect) => effect.type === "call-planner")) {
      const feedback = current.state.feedback;
      const request =
        feedback && answered
          ? `${goal}\n\nYour previous plan was invalid: ${feedback.message}\nIt was:\n${lastRaw || "(nothing parseable)"}\nReturn a corrected, complete plan.`
          : goal;
      try {
        const answer = await callStructured(
          model,
          ModelPlanSchema,
          [new SystemMessage(plannerSystem), new HumanMessage(request)],
          { name: "plan", method: structuredOutputMethod, signal: runConfig.signal },
        );
        answered = true;
        lastRaw = rawText(answer.raw);
        current = transition(current.state, {
          type: "plan",
          at: now(),
          output: toStepSpecs(answer.parsed),
          usage: answer.usage,
        });
      } catch (error) {
        if (runConfig.signal?.aborted) throw error;
        answered = false;
        lastError = error;
        current = transition(current.state, {
          type: "plan-error",
          at: now(),
          error: toStepError(error),
          retryable: isRetryable(error),
        });
      }
      publish(runConfig, current.events);
    }
    const run = current.state;
    if (run.status === "failed") {
      const code = run.outcome?.error?.code === "invalid-plan" ? "invalid-plan" : "planner-failed";
      throw new PlanExecuteError(code, run.outcome?.reason ?? "planning failed", {
        rawOutput: lastRaw,
        cause: lastError,
      });
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
    let request = replanMessage(run.goal, run.plan, run.replan.reason, resultPreviewChars);
    if (run.feedback?.output !== undefined) {
      request += `\n\nYour previous answer was invalid: ${run.feedback.message}`;
    }
    let next: ReturnType<typeof transition>;
    try {
      const answer = await callStructured(
        replannerModel,
        ModelPlanSchema,
        [new SystemMessage(replannerSystem), new HumanMessage(request)],
        { name: "plan", method: structuredOutputMethod, signal: runConfig.signal },
      );
      next = transition(run, {
        type: "replan",
        at: now(),
        output: toStepSpecs(answer.parsed),
        usage: answer.usage,
      });
    } catch (error) {
      if (runConfig.signal?.aborted) throw error;
      next = transition(run, {
        type: "replan-error",
        at: now(),
        error: toStepError(error),
        retryable: isRetryable(error),
      });
    }
    publish(runConfig, next.events);
    return runUpdate(next.state);
  };

  const answer = async (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => {
    const run = assembleRun(state)!;
    const outcome = run.outcome ? `${run.outcome.status}: ${run.outcome.reason}` : "unknown";
    const callsLeft = run.config.maxLlmCalls === undefined || run.usage.llmCalls < run.config.maxLlmCalls;
    let text: string;
    let id: string | undefined;
    let usage = run.usage;
    if (finalAnswer && callsLeft && run.outcome?.status !== "cancelled") {
      const reply = await model.invoke(
        [
          new SystemMessage(answerSystem),
          new HumanMessage(answerMessage(run.goal, run.plan, outcome, resultPreviewChars)),
        ],
        runConfig.signal ? { signal: runConfig.signal } : {},
      );
      usage = addUsage(usage, usageOf(reply));
      text = reply.text;
      id = reply.id; // the same message as the one streamed in "messages" mode, not a copy
    } else text = summarize(run, outcome, resultPreviewChars);
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
      (state) => (state.run?.status === "approving" ? NODES.approve : afterRun(state)),
      [NODES.approve, ...routes],
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

/** The model's plan (nullable tool/args, args as JSON text) as core step specs. */
function toStepSpecs(parsed: unknown): unknown {
  const steps = (parsed as { steps?: unknown } | null)?.steps;
  if (!Array.isArray(steps)) return parsed;
  return steps.map((raw) => {
    const step = raw as {
      id?: unknown;
      description?: unknown;
      dependsOn?: unknown;
      tool?: unknown;
      args?: unknown;
    };
    const base = { id: step.id, description: step.description, dependsOn: step.dependsOn ?? [] };
    if (typeof step.tool !== "string" || step.tool === "") return { ...base, kind: "agent" };
    let args: unknown = step.args ?? {};
    if (typeof args === "string") {
      try {
        args = args.trim() === "" ? {} : JSON.parse(args);
      } catch {
        // left as a string: validation reports it, and the model repairs it
      }
    }
    return { ...base, kind: "tool", tool: step.tool, args };
  });
}

/** Whether another call may succeed: not for HTTP 400, 401, 403, 404 or 422 from the model's API. */
function isRetryable(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  return !(typeof status === "number" && [400, 401, 403, 404, 422].includes(status));
}

function toStepError(error: unknown): StepError {
  const code = (error as { code?: unknown } | null)?.code;
  return { code: typeof code === "string" ? code : "planner-failed", message: errorMessage(error) };
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
