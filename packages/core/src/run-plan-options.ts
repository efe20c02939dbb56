/**
 * What `runPlan` and `streamPlan` take ({@link RunPlanOptions}) and resolve with ({@link RunResult}).
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { coreDefaults } from "./defaults.js";
import { ReplanError } from "./errors.js";
import type { RunConfigInput } from "./run-config.js";
import type { Checker, Executor, Planner, Replanner, ToolFunction } from "./run-functions.js";
import type { RunEvent } from "./run-messages.js";
import type { Plan, RunOutcome, RunState, Usage } from "./schemas.js";
import { createRun } from "./transition.js";

/** Options of `runPlan` and `streamPlan`. */
export interface RunPlanOptions {
  /** What to achieve. Ignored when resuming from `state`. */
  goal?: string;
  /** Turns the goal into steps. */
  planner: Planner;
  /** Carries out agent steps. Required when a plan has agent steps (otherwise they fail). */
  executor?: Executor;
  /**
   * Tools for tool steps, by name.
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
  budget?: Omit<RunConfigInput, "hasReplanner">;
  /**
   * Time limit of one attempt of one step, in ms. The step's signal is aborted when it passes.
   * @default 300000 (`coreDefaults.stepTimeoutMs`)
   */
  stepTimeoutMs?: number;
  /**
   * How long to wait, once the run has ended, for in-flight work that ignores its abort signal.
   * @default 5000 (`coreDefaults.cancelGraceMs`)
   */
  cancelGraceMs?: number;
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
  tools: Readonly<Record<string, ToolFunction>>;
  stepTimeoutMs: number;
  cancelGraceMs: number;
  now: () => number;
}

/**
 * Checks {@link RunPlanOptions}, applies the defaults (`coreDefaults`) and makes the run to drive.
 *
 * @throws {ReplanError} `invalid-options`, naming the option.
 */
export function resolveRunPlanOptions(options: RunPlanOptions): ResolvedRunPlanOptions {
  const {
    goal,
    budget,
    state,
    replanner,
    tools = {},
    stepTimeoutMs = coreDefaults.stepTimeoutMs,
    cancelGraceMs = coreDefaults.cancelGraceMs,
    now = Date.now,
    generateId = randomUUID,
  } = options;
  if (typeof options.planner !== "function") {
    throw new ReplanError("invalid-options", 'Option "planner" must be a function');
  }
  for (const [name, value] of Object.entries({ stepTimeoutMs, cancelGraceMs })) {
    if (!(typeof value === "number" && value > 0)) {
      throw new ReplanError("invalid-options", `Option "${name}" must be a number > 0, got ${String(value)}`);
    }
  }
  // runPlan has no approval step: a plan waiting for an `approve` input would wait forever.
  const waitsForApproval = state
    ? state.config.requireApproval && ["idle", "planning", "approving"].includes(state.status)
    : budget?.requireApproval === true;
  if (waitsForApproval) {
    throw new ReplanError(
      "invalid-options",
      'runPlan cannot wait for a plan approval ("requireApproval"): approve inside your planner, or drive transition() with "approve" inputs (the LangGraph adapter does, with approvePlan)',
    );
  }
  const run =
    state ??
    createRun({
      runId: generateId(),
      goal: goal ?? "",
      config: { ...budget, hasReplanner: replanner !== undefined },
    });
  return { state: run, tools, stepTimeoutMs, cancelGraceMs, now };
}
