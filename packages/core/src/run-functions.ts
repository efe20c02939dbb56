/**
 * The functions a run calls, as types: the planner, the replanner, the executor of agent steps,
 * the tools of tool steps and the checker, with what each is given (`PlanRequest`,
 * `ReplanRequest`, `StepContext`, `ModelCallReporter`).
 *
 * @module
 */
import type { ModelCallEvent, Feedback } from "./run-messages.js";
import type { PlanPatchInput } from "./plan-patch.js";
import type { PatchEntryInput } from "./patch-entry.js";
import type { AgentStep, Plan, PlanRevision, ReplanReason, Step, StepSpecInput, Usage } from "./schemas.js";

/**
 * The run's side of model calls, given to planners, replanners and executors: a model layer asks
 * it before every request, and tells it what each request cost, failed ones included.
 */
export interface ModelCallReporter {
  /**
   * Takes one LLM call from the run's budget: call it before each request to a model. False when
   * the budget (`maxLlmCalls`, `maxTokens`) has no room for it: do not make the request, throw an
   * error with `code: "budget-exceeded"` (`BUDGET_EXCEEDED`) instead; the run lets what is in
   * flight finish and ends `budget-exceeded`.
   */
  reserveLlmCall(): boolean;
  /** Adds LLM usage to the run's budget: each request made counts, failed ones too. */
  reportUsage(usage: Partial<Usage>): void;
  /** Publishes a model-call event (start, retry, end) to the run's listeners. */
  emit(event: ModelCallEvent): void;
}

/** What an executor, tool or checker gets besides the step. */
export interface StepContext extends ModelCallReporter {
  /** Aborted when the run is cancelled, ends, or the step times out: stop the work then. */
  signal: AbortSignal;
  /** Stable idempotency key (`runId:revision:stepId`), the same for every attempt of the step. */
  key: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The run's goal. */
  goal: string;
  /** The plan as it stood when the step started. */
  plan: Plan;
  /** The results of every done step, by id. */
  results: Readonly<Record<string, unknown>>;
}

/** What a planner or replanner returns: the steps, optionally with the usage of its LLM call. */
export type PlannerOutput = StepSpecInput[] | { steps: StepSpecInput[]; usage?: Partial<Usage> };

/**
 * A plan written as it streams: each step the moment it is complete (report the call's usage
 * through the request's `reportUsage`). Steps may start before the plan is complete; each may
 * depend only on steps written before it.
 */
export type PlanStepStream = AsyncIterable<StepSpecInput>;

/**
 * What a planner is asked. `runPlan` and the LangGraph adapter also give the
 * {@link ModelCallReporter} functions (usage reported there is added to the returned `usage`).
 */
export interface PlanRequest extends Partial<ModelCallReporter> {
  goal: string;
  /** 1 for the first call; 2 when repairing an invalid plan. */
  attempt: number;
  /** The previous attempt's invalid output and what was wrong with it, when repairing. */
  feedback: Feedback | null;
  signal: AbortSignal;
  /**
   * Steps already in the plan and kept (they have started: a streamed plan that was invalid at its
   * end, or a call cut short by a failure or a crash). Write only the other steps; they may depend
   * on these. A kept step written again is not taken twice. Empty for a fresh plan.
   */
  kept?: readonly Step[];
}

/**
 * What a replanner is asked: the plan so far, why it must change, and what the steps produced.
 * Steps that do not depend on a failed one keep running while it answers.
 */
export interface ReplanRequest extends PlanRequest {
  /**
   * The plan when the replanner was asked, with every step's status. Done and running steps are
   * kept; answer a patch of the rest ({@link ReplannerOutput}).
   */
  plan: Plan;
  reason: ReplanReason;
  /** Earlier revisions of the plan. */
  history: PlanRevision[];
  /** Results of the done steps, by id. */
  results: Readonly<Record<string, unknown>>;
}

/**
 * Turns a goal into steps (one LLM call in practice): all at once, or as a {@link PlanStepStream}
 * whose steps may start while the planner is still writing.
 */
export type Planner = (
  request: PlanRequest,
) => Promise<PlannerOutput | PlanStepStream> | PlannerOutput | PlanStepStream;
/**
 * What a replanner returns: a patch (`{ remove, add, replace, reason }`, every list optional: the
 * steps it does not name stay as they are), or, the older form, the steps that replace every step
 * not done or running (`PlannerOutput`).
 */
export type ReplannerOutput = PlannerOutput | PlanPatchInput;

/**
 * A patch written as it streams: each entry (`{ op: "remove", id }`, `{ op: "add" | "replace",
 * step }`) the moment it is complete; it is applied at once, so a replacement may start before
 * the patch is complete. What the stream returns at its end (an async generator's `return`), when
 * anything, is the whole patch, cross-checked, with its `reason`.
 */
export type PatchEntryStream = AsyncIterable<PatchEntryInput, unknown>;

/**
 * Answers a patch of the plan after a failure or an unexpected result (one LLM call in practice):
 * all at once, or as a {@link PatchEntryStream} whose entries apply while it is still writing.
 */
export type Replanner = (
  request: ReplanRequest,
) => Promise<ReplannerOutput | PatchEntryStream> | ReplannerOutput | PatchEntryStream;
/** Carries out an agent step and returns its result (JSON-serializable). Throw to fail the step. */
export type Executor = (step: AgentStep, context: StepContext) => Promise<unknown> | unknown;
/** A tool for tool steps: receives the arguments with `${id}` references resolved. */
export type ToolFunction = (
  args: Record<string, unknown>,
  context: StepContext,
) => Promise<unknown> | unknown;
/** Whether a step's result is what the plan expected. */
export type CheckResult = { expected: true } | { expected: false; reason: string };
/** Looks at a finished step's result; an unexpected result fails the step and triggers a replan. */
export type Checker = (
  step: Step,
  result: unknown,
  context: StepContext,
) => Promise<CheckResult> | CheckResult;
