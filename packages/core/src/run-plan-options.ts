/**
 * What `runPlan` and `streamPlan` take ({@link RunPlanOptions}) and resolve with ({@link RunResult}).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { coreDefaults } from "./defaults.js";
import { declarationsOf } from "./effect-declaration.js";
import { checkOptions, rules } from "./options.js";
import { budgetRules, invalidOptions, type RunConfigInput } from "./run-config.js";
import type { Checker, Executor, Planner, Replanner, ToolFunction } from "./run-functions.js";
import type { RunEvent } from "./run-messages.js";
import { type Plan, type RunOutcome, type RunState, RunStateSchema, type Usage } from "./schemas.js";
import { createRun } from "./transition.js";

/** Options of `runPlan` and `streamPlan`. */
export interface RunPlanOptions {
  /** What to achieve. Ignored when resuming from `state`. */
  goal?: string;
  /** Turns the goal into steps. */
  planner: Planner;
  /**
   * Carries out agent steps. Required when a plan has agent steps (otherwise they fail). Declare
   * its effect class with `withEffect`; undeclared, agent steps are `write`.
   */
  executor?: Executor;
  /**
   * Tools for tool steps, by name. Declare what each does with `withEffect(fn, "read" |
   * "idempotent" | "write", { reconcile })`; an undeclared tool is `write`.
   * @default {}
   */
  tools?: Readonly<Record<string, ToolFunction>>;
  /** Revises the remaining steps after a failure or an unexpected result. Without it, failures end the run. */
  replanner?: Replanner;
  /** Judges each result; see {@link Checker}. */
  checker?: Checker;
  /**
   * Limits of the run: concurrency, steps, replans, attempts, LLM calls, tokens, wall time.
   * `requireApproval` is refused (`invalid-options`): runPlan has no approval step.
   */
  budget?: Omit<RunConfigInput, "hasReplanner" | "effects">;
  /**
   * Time limit of one attempt of one step, in ms (at most 2_147_483_647, or `Infinity`: no limit).
   * The step's signal is aborted when it passes.
   * @default 300000 (`coreDefaults.stepTimeoutMs`)
   */
  stepTimeoutMs?: number;
  /**
   * How long to wait, once the run has ended, for in-flight work that ignores its abort signal, in
   * ms (at most 2_147_483_647).
   * @default 5000 (`coreDefaults.cancelGraceMs`)
   */
  cancelGraceMs?: number;
  /**
   * Whether a planner's stream of steps (an `AsyncIterable`) runs as it is written: each step
   * joins the plan and may start the moment it arrives. False collects the whole stream first,
   * then takes it as one plan.
   * @default true (`coreDefaults.planStreaming`)
   */
  planStreaming?: boolean;
  /** Cancels the run: everything in flight is aborted, and the run ends `cancelled`. */
  signal?: AbortSignal;
  /** Called synchronously with every progress event. It must not throw (errors are ignored). */
  onEvent?: (event: RunEvent) => void;
  /**
   * Called synchronously with the new state after every change: save it (`serializeRun`) to resume
   * the run after a crash. It must not throw (errors are ignored).
   */
  onState?: (state: RunState) => void;
  /** A saved state (see `parseRun`) to resume: done steps are not run again. */
  state?: RunState;
  /**
   * The clock.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Makes the run id.
   * @default crypto.randomUUID
   */
  generateId?: () => string;
}

/** How a run ended, with everything it produced. */
export interface RunResult {
  /** `completed`, `failed`, `cancelled` or `budget-exceeded`. */
  status: RunOutcome["status"];
  /** The status with the reason (and which budget ran out). */
  outcome: RunOutcome;
  /** The results of the done steps, by id (partial results are kept whatever the outcome). */
  results: Record<string, unknown>;
  /** The final plan (null if the planner never produced one). */
  plan: Plan | null;
  /** LLM usage reported during the run. */
  usage: Usage;
  /** The whole final state; serialize it with `serializeRun`. */
  state: RunState;
}

/** {@link RunPlanOptions} checked, with defaults applied and the run to drive made. */
export interface ResolvedRunPlanOptions {
  /** The run to drive: the given `state`, or a new run. */
  state: RunState;
  planner: Planner;
  replanner: Replanner | undefined;
  executor: Executor | undefined;
  checker: Checker | undefined;
  tools: Readonly<Record<string, ToolFunction>>;
  stepTimeoutMs: number;
  cancelGraceMs: number;
  planStreaming: boolean;
  signal: AbortSignal | undefined;
  onEvent: ((event: RunEvent) => void) | undefined;
  onState: ((state: RunState) => void) | undefined;
  now: () => number;
}

// runPlan sets these itself: hasReplanner from `replanner`, effects from its tools' declarations.
const { hasReplanner: _setFromReplanner, effects: _setFromTools, ...runPlanBudgetRules } = budgetRules;

/** The rule of every option of {@link RunPlanOptions}. */
const runPlanRules = {
  goal: rules.string({ nonEmpty: true }),
  planner: rules.required(rules.func<Planner>()),
  executor: rules.func<Executor>(),
  tools: rules.record(rules.func<ToolFunction>()),
  replanner: rules.func<Replanner>(),
  checker: rules.func<Checker>(),
  budget: rules.object(runPlanBudgetRules, "budget"),
  stepTimeoutMs: rules.delay({ above: 0, infinite: true }),
  cancelGraceMs: rules.delay({ above: 0 }),
  planStreaming: rules.boolean(),
  signal: rules.signal(),
  onEvent: rules.func<(event: RunEvent) => void>(),
  onState: rules.func<(state: RunState) => void>(),
  state: rules.custom(
    "be a run state (see parseRun)",
    (value): value is RunState => RunStateSchema.safeParse(value).success,
  ),
  now: rules.func<() => number>(),
  generateId: rules.func<() => string>(),
} as const;

/**
 * Checks {@link RunPlanOptions} (an unknown option is refused), applies the defaults
 * (`coreDefaults`) and makes the run to drive.
 *
 * @param options - what `runPlan` or `streamPlan` was given.
 * @param where - which of them, for the messages.
 * @throws {ReplanError} `invalid-options`, naming the option: `Option "stepTimeoutMs" must be a
 *   number > 0, got -1`.
 */
export function resolveRunPlanOptions(options: unknown, where: string): ResolvedRunPlanOptions {
  const {
    goal,
    budget,
    state,
    replanner,
    tools = {},
    stepTimeoutMs = coreDefaults.stepTimeoutMs,
    cancelGraceMs = coreDefaults.cancelGraceMs,
    planStreaming = coreDefaults.planStreaming,
    now = Date.now,
    generateId = randomUUID,
    ...functions
  } = checkOptions(options, runPlanRules, { where, error: invalidOptions });
  // runPlan has no approval step: a plan waiting for an `approve` input would wait forever.
  const waitsForApproval = state
    ? state.config.requireApproval && ["idle", "planning", "approving"].includes(state.status)
    : budget?.requireApproval === true;
  if (waitsForApproval) {
    throw invalidOptions(
      'runPlan cannot wait for a plan approval ("requireApproval"): approve inside your planner, or drive transition() with "approve" inputs (the LangGraph adapter does, with requireApproval)',
    );
  }
  const run =
    state ??
    createRun({
      runId: generateId(),
      goal: goal as string,
      budget: {
        ...budget,
        hasReplanner: replanner !== undefined,
        effects: declarationsOf(tools, functions.executor),
      },
    });
  return {
    state: run,
    replanner,
    executor: functions.executor,
    checker: functions.checker,
    planner: functions.planner,
    tools,
    stepTimeoutMs,
    cancelGraceMs,
    planStreaming,
    signal: functions.signal,
    onEvent: functions.onEvent,
    onState: functions.onState,
    now,
  };
}
