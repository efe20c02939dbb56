// The planner and replanner nodes: each asks the model layer for a plan and applies the answer (or
// the failure) to the state machine, by one path (`askForPlan`); the state machine decides when an
// invalid answer is sent back for repair.
import { HumanMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import {
  createRun,
  llmCallRefusal,
  type ModelCallReporter,
  type RunConfigInput,
  type RunInput,
  type RunState,
  transition,
  type Usage,
} from "@replan/core";
import { isRetryable, toStepError } from "@replan/core/internal";
import { PlanExecuteError } from "./errors.js";
import type { PlanAnswer, PlanCaller } from "./plan-caller.js";
import { rawText } from "./parse.js";
import { publish } from "./publish.js";
import { type ReapproveMode, replanToHold, writeSteps } from "./reapproval.js";
import { RUN_GUARD, type RunGuard } from "./run-guard.js";
import { assembleRun, type PlanExecuteStateType, runUpdate } from "./state.js";

/** What the planner and replanner nodes need. */
export interface PlanNodeSettings {
  plan: PlanCaller<"planner">;
  replan: PlanCaller<"replanner">;
  /** The run's limits, as given (the run is created by the planner node). */
  budget: Omit<RunConfigInput, "hasReplanner">;
  requireApproval: boolean;
  /** When a replan waits for a person's approval before it is applied. */
  reapprove: ReapproveMode;
  /** Whether the budget allows replans (`maxReplans` > 0). */
  hasReplanner: boolean;
  now: () => number;
  generateId: () => string;
}

/** One request for a plan, applied: the input, the next transition, and what the model answered (for errors). */
interface PlanOutcome {
  input: RunInput;
  next: ReturnType<typeof transition>;
  raw: string | undefined;
  error?: unknown;
}

/**
 * Makes the planner node: it starts the run and asks for a plan until the state machine stops
 * asking (a valid plan, or the attempts of `maxPlanAttempts` used up; each repair request says
 * what was wrong). When planning failed, the node throws a `PlanExecuteError` (`invalid-plan` or
 * `planner-failed`); under `createPlanExecuteAgent` the graph ends instead and the agent throws it
 * once the stream has delivered every event (see {@link RunGuard}).
 */
export function createPlannerNode(settings: PlanNodeSettings) {
  const { budget, hasReplanner, now } = settings;
  return async (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => {
    if (settings.requireApproval || settings.reapprove !== "never") refuseWithoutCheckpointer(runConfig);
    const goal = pickGoal(state);
    const config = { ...budget, hasReplanner, requireApproval: settings.requireApproval };
    let current = transition(createRun({ runId: settings.generateId(), goal, budget: config }), {
      type: "start",
      at: now(),
    });
    publish(runConfig, current.events);
    let lastRaw = "";
    let lastError: unknown;
    while (current.effects.some((effect) => effect.type === "call-planner")) {
      const run = current.state;
      const outcome = await askForPlan("planner", run, runConfig, settings, (reporter) =>
        settings.plan({ goal, feedback: run.feedback, signal: runConfig.signal }, reporter),
      );
      current = outcome.next;
      if (outcome.raw !== undefined) lastRaw = outcome.raw;
      if ("error" in outcome) lastError = outcome.error;
      publish(runConfig, current.events);
    }
    const run = current.state;
    givenUp(run, runConfig, lastRaw, lastError);
    return { goal, answer: null, ...runUpdate(run) };
  };
}

/**
 * When planning failed: the `PlanExecuteError` (`invalid-plan` or `planner-failed`) is thrown, or
 * handed to the run guard under `createPlanExecuteAgent` (the graph then ends, and the agent throws it).
 */
export function givenUp(
  run: RunState,
  runConfig: LangGraphRunnableConfig,
  raw: string,
  cause: unknown,
): void {
  if (run.status !== "failed") return;
  const code = run.outcome?.error?.code === "invalid-plan" ? "invalid-plan" : "planner-failed";
  const failure = new PlanExecuteError(code, run.outcome?.reason ?? "planning failed", {
    rawOutput: raw,
    cause,
  });
  const guard = runConfig.configurable?.[RUN_GUARD] as RunGuard | undefined;
  if (!guard) throw failure;
  guard.failure = failure;
}

/**
 * Makes the replanner node: when the run is replanning, one request for the steps that replace
 * everything not done; an invalid answer comes back here (the state machine keeps the run
 * replanning, with feedback) until the attempts are used up.
 */
export function createReplannerNode(settings: PlanNodeSettings) {
  return async (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => {
    const run = assembleRun(state)!;
    if (run.status !== "replanning" || !run.replan || !run.plan) return {};
    const { plan, replan } = run;
    const { next, input } = await askForPlan("replanner", run, runConfig, settings, (reporter) =>
      settings.replan(
        { goal: run.goal, plan, reason: replan.reason, feedback: run.feedback, signal: runConfig.signal },
        reporter,
      ),
    );
    // A replan that needs a person's approval is held, unapplied: nothing of it starts (or is shown).
    const held = replanToHold(run, next, input, settings.reapprove, writeSteps(run));
    if (held) return { pendingReplan: held };
    publish(runConfig, next.events);
    return runUpdate(next.state);
  };
}

/** Asks for a plan through `call` and applies the answer, or the failure, to `run`. */
async function askForPlan(
  role: "planner" | "replanner",
  run: RunState,
  runConfig: LangGraphRunnableConfig,
  settings: Pick<PlanNodeSettings, "now">,
  call: (reporter: Partial<ModelCallReporter>) => Promise<PlanAnswer<unknown>>,
): Promise<PlanOutcome> {
  const meter = meterOf(run, runConfig);
  const type = role === "planner" ? "plan" : "replan";
  try {
    const answer = await call(meter.hooks);
    const input: RunInput = { type, at: settings.now(), output: answer.steps, usage: meter.usage };
    return { input, next: transition(run, input), raw: rawText(answer.message) };
  } catch (error) {
    if (runConfig.signal?.aborted) throw error;
    const raw = PlanExecuteError.isInstance(error) ? error.rawOutput : undefined;
    const input: RunInput = {
      type: `${type}-error`,
      at: settings.now(),
      error: toStepError(error, "planner-failed"),
      retryable: isRetryable(error),
      usage: meter.usage,
    };
    return { input, next: transition(run, input), raw, error };
  }
}

/**
 * The run's side of a node's model calls: each request is reserved against the budget (the
 * run's usage plus the requests this node made so far, which reach the state when the node's
 * output is applied), its usage summed, its events published on the custom stream.
 */
export function meterOf(run: RunState, runConfig: LangGraphRunnableConfig) {
  let reserved = 0;
  const usage: Usage = { llmCalls: 0, promptTokens: 0, completionTokens: 0 };
  const hooks: ModelCallReporter = {
    reserveLlmCall: () => {
      if (llmCallRefusal(run, reserved)) return false;
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
  return { hooks, usage };
}

/** Where LangGraph puts a run's checkpointer (its own, or the one a parent graph lends it) in `configurable`. */
const CHECKPOINTER_KEY = "__pregel_checkpointer";

/**
 * Refuses a run that requires approval but has no checkpointer: the approval pause (an interrupt)
 * could not be saved, and LangGraph would fail only after the planner's model call.
 */
export function refuseWithoutCheckpointer(runConfig: LangGraphRunnableConfig): void {
  const checkpointer: unknown = runConfig.configurable?.[CHECKPOINTER_KEY];
  if (typeof checkpointer === "object" && checkpointer !== null) return;
  throw new PlanExecuteError(
    "approval-needs-checkpointer",
    "requireApproval (and reapprove) pauses the run until the plan is approved, and the pause must be saved: pass a checkpointer (createPlanExecuteAgent({ ..., requireApproval: true, checkpointer: new MemorySaver() }), or compile the graph with one, or embed it in a graph that has one) and invoke with { configurable: { thread_id } }",
  );
}

/** The goal: a new `goal`, else the last human message, else the previous `goal`. */
export function pickGoal(state: PlanExecuteStateType): string {
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
