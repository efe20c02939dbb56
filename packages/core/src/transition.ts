/**
 * The pure state machine: `transition(state, input)` returns the next state, the effects to
 * perform (call the planner, execute a step, call the replanner, abort) and the progress events to
 * publish. It performs nothing itself, reads no clock (every input carries `at`) and never mutates
 * what it is given.
 *
 * @module
 */
import { IllegalTransitionError, ReplanError } from "./errors.js";
import type {
  BudgetName,
  Plan,
  ReplanReason,
  RunConfig,
  RunOutcome,
  RunState,
  Step,
  StepError,
  StepSpec,
  Usage,
} from "./schemas.js";
import { findStep, indexOf, setIndex } from "./step-index.js";
import { checkPlan, DEFAULT_MAX_STEPS, validatePlan } from "./validate.js";

/** Limits and policies of a run; every field is optional and has a bounded default. */
export interface RunConfigInput {
  /**
   * Most steps running at once.
   * @default 4
   */
  concurrency?: number;
  /**
   * Most steps in a plan (kept steps included); a larger plan is invalid.
   * @default 50
   */
  maxSteps?: number;
  /**
   * Most replanner calls in a run, failed ones included. 0 turns replanning off.
   * @default 3
   */
  maxReplans?: number;
  /**
   * Attempts per step (1 means no retry). Only retryable failures are retried.
   * @default 1
   */
  maxAttempts?: number;
  /**
   * Planner calls for the first plan: an invalid plan is sent back once for repair by default.
   * @default 2
   */
  maxPlanAttempts?: number;
  /** Most LLM calls in the run, as reported by the injected functions. Unlimited when unset. */
  maxLlmCalls?: number;
  /** Most prompt + completion tokens in the run, as reported. Unlimited when unset. */
  maxTokens?: number;
  /** Most wall-clock time for the whole run, in ms. Unlimited when unset. */
  maxWallTimeMs?: number;
  /**
   * Delay before the first retry of a step, in ms; doubled for each further retry.
   * @default 250
   */
  retryBackoffMs?: number;
  /**
   * Longest delay between retries, in ms.
   * @default 10000
   */
  maxRetryBackoffMs?: number;
  /**
   * Whether a replanner is available. Without one, a failed step ends its branch and the run fails.
   * @default true
   */
  hasReplanner?: boolean;
  /**
   * Whether a new plan waits for an `approve` input (status `approving`) before any step starts.
   * @default false
   */
  requireApproval?: boolean;
}

/** Something that happened, fed to {@link transition}. Every input carries `at` (ms since the epoch). */
export type RunInput =
  | { type: "start"; at: number }
  | { type: "plan"; at: number; output: unknown; usage?: Partial<Usage> }
  | {
      type: "plan-error";
      at: number;
      error: StepError;
      /** False when another call cannot succeed (e.g. a rejected API key). @default true */
      retryable?: boolean;
      usage?: Partial<Usage>;
    }
  | {
      type: "step-finish";
      at: number;
      stepId: string;
      attempt: number;
      result: unknown;
      /** Set when the executor or checker found the result unexpected: the reason. */
      unexpected?: string;
      usage?: Partial<Usage>;
    }
  | {
      type: "step-fail";
      at: number;
      stepId: string;
      attempt: number;
      error: StepError;
      /** Whether another attempt may succeed. @default true */
      retryable?: boolean;
      usage?: Partial<Usage>;
    }
  | { type: "replan"; at: number; output: unknown; usage?: Partial<Usage> }
  | {
      type: "replan-error";
      at: number;
      error: StepError;
      /** False when another call cannot succeed: replanning stops. @default true */
      retryable?: boolean;
      usage?: Partial<Usage>;
    }
  | { type: "replan-request"; at: number; reason: string }
  | {
      /** Approves the plan of an `approving` run, optionally replaced by edited steps (validated). */
      type: "approve";
      at: number;
      steps?: unknown;
    }
  | { type: "usage"; at: number; usage: Partial<Usage> }
  | { type: "tick"; at: number }
  | { type: "resume"; at: number }
  | { type: "cancel"; at: number; reason?: string };

/** The last invalid output of a planner or replanner, given back so that it can repair it. */
export interface Feedback {
  message: string;
  output?: unknown;
}

/** Work for the interpreter (the runtime, or a LangGraph node) to perform. */
export type Effect =
  | { type: "call-planner"; attempt: number; feedback: Feedback | null }
  | {
      type: "execute-step";
      stepId: string;
      attempt: number;
      /** Stable across attempts: `runId:revision:stepId`. Lets side-effecting tools deduplicate. */
      key: string;
      /** Wait this long before starting (retry backoff). */
      delayMs: number;
    }
  | { type: "call-replanner"; attempt: number; reason: ReplanReason; feedback: Feedback | null }
  | { type: "abort"; reason: string };

/** A progress event, for displays and logs. Names are noun-verb. */
export type RunEvent =
  | { type: "run-start"; at: number; runId: string; goal: string }
  | { type: "plan-start"; at: number; attempt: number }
  | { type: "plan-end"; at: number; plan: Plan }
  | { type: "plan-error"; at: number; attempt: number; error: StepError; willRetry: boolean }
  | { type: "step-start"; at: number; step: Step; key: string }
  | { type: "step-retry"; at: number; step: Step; error: StepError; delayMs: number }
  | { type: "step-end"; at: number; step: Step }
  | { type: "replan-start"; at: number; revision: number; reason: ReplanReason; attempt: number }
  | { type: "replan-end"; at: number; plan: Plan; removed: string[]; added: string[] }
  | { type: "replan-error"; at: number; error: StepError; willRetry: boolean }
  | { type: "run-end"; at: number; outcome: RunOutcome; usage: Usage }
  | ModelCallEvent;

/** Who makes a model call: the planner, the replanner, an agent step's executor, or the final answer. */
export type ModelRole = "planner" | "replanner" | "executor" | "answer";

/**
 * Progress of one model call (one request to the model's server), published by model layers
 * through `emit` so that a watcher always sees what the run waits for.
 */
export type ModelCallEvent =
  | {
      type: "model-call-start";
      at: number;
      role: ModelRole;
      /** 1 for the first request of this call, 2 for its first transport retry, ... */
      attempt: number;
      /** For an agent step's calls: the step. */
      stepId?: string;
    }
  | {
      type: "model-call-retry";
      at: number;
      role: ModelRole;
      /** Why the previous request failed (a 429, a 5xx, a network error). */
      error: StepError;
      /** The wait before the next request, in ms. */
      delayMs: number;
      stepId?: string;
    }
  | {
      type: "model-call-end";
      at: number;
      role: ModelRole;
      attempt: number;
      durationMs: number;
      /** What the request cost: one LLM call, with the tokens the server reported. */
      usage: Usage;
      /** Set when the request failed. */
      error?: StepError;
      stepId?: string;
    };

/** What {@link transition} returns. */
export interface TransitionResult {
  state: RunState;
  effects: Effect[];
  events: RunEvent[];
}

const TERMINAL = new Set(["completed", "failed", "cancelled", "budget-exceeded"]);

/**
 * Whether a run has ended (completed, failed, cancelled or out of budget).
 *
 * @param state - a run state.
 */
export function isTerminal(state: Pick<RunState, "status">): boolean {
  return TERMINAL.has(state.status);
}

/**
 * Resolves and checks a run's limits.
 *
 * @param input - partial limits.
 * @throws {ReplanError} `invalid-options`, naming the option, for a value out of range.
 */
export function resolveConfig(input: RunConfigInput = {}): RunConfig {
  const {
    concurrency = 4,
    maxSteps = DEFAULT_MAX_STEPS,
    maxReplans = 3,
    maxAttempts = 1,
    maxPlanAttempts = 2,
    maxLlmCalls,
    maxTokens,
    maxWallTimeMs,
    retryBackoffMs = 250,
    maxRetryBackoffMs = 10_000,
    hasReplanner = true,
    requireApproval = false,
  } = input;
  const positiveInteger = { concurrency, maxSteps, maxAttempts, maxPlanAttempts };
  for (const [name, value] of Object.entries(positiveInteger)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ReplanError(
        "invalid-options",
        `Option "${name}" must be a positive integer, got ${String(value)}`,
      );
    }
  }
  if (!Number.isInteger(maxReplans) || maxReplans < 0) {
    throw new ReplanError(
      "invalid-options",
      `Option "maxReplans" must be an integer >= 0, got ${String(maxReplans)}`,
    );
  }
  const optionalLimits = { maxLlmCalls, maxTokens, maxWallTimeMs, retryBackoffMs, maxRetryBackoffMs };
  for (const [name, value] of Object.entries(optionalLimits)) {
    if (value !== undefined && !(typeof value === "number" && value >= 0 && !Number.isNaN(value))) {
      throw new ReplanError(
        "invalid-options",
        `Option "${name}" must be a number >= 0, got ${String(value)}`,
      );
    }
  }
  return {
    concurrency,
    maxSteps,
    maxReplans,
    maxAttempts,
    maxPlanAttempts,
    ...(maxLlmCalls !== undefined && Number.isFinite(maxLlmCalls) ? { maxLlmCalls } : {}),
    ...(maxTokens !== undefined && Number.isFinite(maxTokens) ? { maxTokens } : {}),
    ...(maxWallTimeMs !== undefined && Number.isFinite(maxWallTimeMs) ? { maxWallTimeMs } : {}),
    retryBackoffMs,
    maxRetryBackoffMs,
    hasReplanner,
    requireApproval,
  };
}

/**
 * A new run, not yet started: feed it `{ type: "start", at }`.
 *
 * @param options - the run id, the goal and the limits.
 * @example
 * ```ts
 * let { state, effects } = transition(createRun({ runId: "r1", goal: "Ship it" }), { type: "start", at: Date.now() });
 * // effects: [{ type: "call-planner", attempt: 1, feedback: null }]
 * ```
 */
export function createRun(options: { runId: string; goal: string; config?: RunConfigInput }): RunState {
  const { runId, goal, config } = options;
  if (typeof goal !== "string" || goal.trim() === "") {
    throw new ReplanError("invalid-options", 'Option "goal" must be a non-empty string');
  }
  return {
    version: 1,
    runId,
    goal,
    status: "idle",
    plan: null,
    history: [],
    replan: null,
    config: resolveConfig(config),
    usage: { llmCalls: 0, promptTokens: 0, completionTokens: 0 },
    planAttempts: 0,
    replans: 0,
    failedReplans: 0,
    feedback: null,
    outcome: null,
  };
}

/**
 * Computes the next state of a run, the effects to perform and the events to publish.
 *
 * Legal moves only: finishing a step that is not running, an answer from a planner that was not
 * asked, or any input after the run ended, throws {@link IllegalTransitionError}. Bad data from a
 * planner, replanner or executor is not illegal: it is recorded (an invalid plan is sent back for
 * repair, a failing step is marked failed and triggers a replan).
 *
 * @param state - the current state (not modified).
 * @param input - what happened.
 * @throws {IllegalTransitionError} for a move the state does not allow.
 * @example
 * ```ts
 * let run = createRun({ runId: "r1", goal: "Greet" });
 * ({ state: run } = transition(run, { type: "start", at: 0 }));
 * const next = transition(run, {
 *   type: "plan", at: 1, output: [{ id: "hello", kind: "agent", description: "Say hello" }],
 * });
 * next.effects; // [{ type: "execute-step", stepId: "hello", attempt: 1, key: "r1:0:hello", delayMs: 0 }]
 * ```
 */
export function transition(state: RunState, input: RunInput): TransitionResult {
  const draft = new Draft(state);
  if (isTerminal(state)) {
    if (input.type === "tick" || input.type === "resume") return draft.result();
    throw new IllegalTransitionError(input.type, `the run has already ended (${state.status})`);
  }
  apply(draft, input);
  if ("usage" in input && input.usage) draft.addUsage(input.usage);
  if (!draft.ended) checkBudgets(draft, input.at);
  if (!draft.ended) settle(draft, input.at);
  return draft.result();
}

function apply(draft: Draft, input: RunInput): void {
  const { state } = draft;
  switch (input.type) {
    case "start": {
      if (state.status !== "idle")
        throw new IllegalTransitionError("start", `the run is already ${state.status}`);
      draft.set({ startedAt: input.at });
      draft.emit({ type: "run-start", at: input.at, runId: state.runId, goal: state.goal });
      callPlanner(draft, input.at);
      return;
    }
    case "plan":
    case "plan-error": {
      if (state.status !== "planning") {
        throw new IllegalTransitionError(input.type, `no plan was asked for (the run is ${state.status})`);
      }
      if (input.type === "plan") {
        const check = checkPlan(input.output, { maxSteps: state.config.maxSteps });
        if (check.ok) {
          const plan: Plan = {
            goal: state.goal,
            revision: 0,
            steps: check.steps.map((spec) => newStep(spec, 0)),
          };
          draft.set({
            plan,
            status: state.config.requireApproval ? "approving" : "executing",
            feedback: null,
          });
          draft.emit({ type: "plan-end", at: input.at, plan });
          return;
        }
        planFailed(draft, input.at, {
          error: { code: "invalid-plan", message: check.issues.map((issue) => issue.message).join("; ") },
          output: input.output,
        });
      } else planFailed(draft, input.at, { error: input.error, retryable: input.retryable ?? true });
      return;
    }
    case "step-finish":
    case "step-fail": {
      const step = draft.runningStep(input.type, input.stepId, input.attempt);
      if (input.type === "step-finish") {
        const unexpected = input.unexpected;
        const patch: Partial<Step> =
          unexpected === undefined
            ? { status: "done", result: input.result, endedAt: input.at }
            : {
                status: "failed",
                result: input.result,
                error: { code: "unexpected-result", message: unexpected },
                endedAt: input.at,
              };
        draft.emit({ type: "step-end", at: input.at, step: draft.updateStep(step.id, patch) });
        return;
      }
      const { retryable = true } = input;
      if (retryable && step.attempts < state.config.maxAttempts) {
        const attempt = step.attempts + 1;
        const { retryBackoffMs, maxRetryBackoffMs } = state.config;
        const delayMs = Math.min(retryBackoffMs * 2 ** (step.attempts - 1), maxRetryBackoffMs);
        const updated = draft.updateStep(step.id, { attempts: attempt, error: input.error });
        draft.effect({
          type: "execute-step",
          stepId: step.id,
          attempt,
          key: stepKey(state, updated),
          delayMs,
        });
        draft.emit({ type: "step-retry", at: input.at, step: updated, error: input.error, delayMs });
        return;
      }
      const failed = draft.updateStep(step.id, { status: "failed", error: input.error, endedAt: input.at });
      draft.emit({ type: "step-end", at: input.at, step: failed });
      return;
    }
    case "replan":
    case "replan-error": {
      if (state.status !== "replanning" || !state.replan || !state.plan) {
        throw new IllegalTransitionError(input.type, `no replan was asked for (the run is ${state.status})`);
      }
      if (input.type === "replan-error") {
        replanFailed(draft, input.at, { error: input.error, retryable: input.retryable ?? true });
        return;
      }
      const locked = new Set(state.replan.locked);
      const kept = state.plan.steps.filter((step) => locked.has(step.id));
      const check = checkPlan(input.output, {
        maxSteps: state.config.maxSteps,
        locked: kept,
        allowEmpty: true,
      });
      if (!check.ok) {
        replanFailed(draft, input.at, {
          error: { code: "invalid-plan", message: check.issues.map((issue) => issue.message).join("; ") },
          output: input.output,
        });
        return;
      }
      const failedIds = state.plan.steps.filter((step) => step.status === "failed").map((step) => step.id);
      if (check.steps.length === 0 && failedIds.length > 0) {
        // No replacement for a failed step: the replanner gives up, and the goal is not reached.
        draft.set({ status: "executing", replan: null, feedback: null });
        endRun(draft, input.at, {
          status: "failed",
          reason: `the replanner gave up: it returned no steps to replace failed step(s) ${failedIds.join(", ")}`,
          error: { code: "replanner-gave-up", message: "the replanner returned no steps" },
        });
        return;
      }
      const revision = state.plan.revision + 1;
      const plan: Plan = {
        goal: state.goal,
        revision,
        steps: [...kept, ...check.steps.map((spec) => newStep(spec, revision))],
      };
      const added = check.steps.map((step) => step.id);
      const addedIds = new Set(added);
      const removed = state.plan.steps
        .filter((step) => !locked.has(step.id) && !addedIds.has(step.id))
        .map((step) => step.id);
      draft.set({
        plan,
        status: "executing",
        replan: null,
        feedback: null,
        history: [
          ...state.history,
          {
            revision: state.plan.revision,
            steps: state.plan.steps,
            reason: state.replan.reason,
            replacedAt: input.at,
          },
        ],
      });
      draft.emit({ type: "replan-end", at: input.at, plan, removed, added });
      return;
    }
    case "approve": {
      if (state.status !== "approving" || !state.plan) {
        throw new IllegalTransitionError(
          "approve",
          `no plan is waiting for approval (the run is ${state.status})`,
        );
      }
      if (input.steps !== undefined) {
        const steps = validatePlan(input.steps, { maxSteps: state.config.maxSteps });
        const plan: Plan = { goal: state.goal, revision: 0, steps: steps.map((spec) => newStep(spec, 0)) };
        draft.set({ plan });
        draft.emit({ type: "plan-end", at: input.at, plan });
      }
      draft.set({ status: "executing" });
      return;
    }
    case "replan-request": {
      if (state.status !== "executing") {
        throw new IllegalTransitionError("replan-request", `the run is ${state.status}, not executing`);
      }
      if (!state.config.hasReplanner)
        throw new IllegalTransitionError("replan-request", "the run has no replanner");
      if (state.replans < state.config.maxReplans) {
        startReplan(draft, input.at, { trigger: "requested", stepIds: [], message: input.reason });
      }
      return;
    }
    case "usage":
    case "tick":
      return;
    case "resume": {
      if (state.status === "idle") {
        apply(draft, { type: "start", at: input.at });
        return;
      }
      if (state.status === "planning") {
        draft.effect({ type: "call-planner", attempt: state.planAttempts, feedback: state.feedback });
        draft.emit({ type: "plan-start", at: input.at, attempt: state.planAttempts });
      } else if (state.status === "replanning" && state.replan) {
        draft.effect({
          type: "call-replanner",
          attempt: state.replans,
          reason: state.replan.reason,
          feedback: state.feedback,
        });
        draft.emit({
          type: "replan-start",
          at: input.at,
          revision: state.plan?.revision ?? 0,
          reason: state.replan.reason,
          attempt: state.replans,
        });
      }
      // Steps that were running when the state was saved did not report: run them again.
      for (const step of state.plan?.steps ?? []) {
        if (step.status === "running") {
          const updated = draft.updateStep(step.id, { attempts: step.attempts + 1 });
          const key = stepKey(state, updated);
          draft.effect({ type: "execute-step", stepId: step.id, attempt: updated.attempts, key, delayMs: 0 });
          draft.emit({ type: "step-start", at: input.at, step: updated, key });
        }
      }
      return;
    }
    case "cancel":
      endRun(draft, input.at, { status: "cancelled", reason: input.reason ?? "cancelled" });
      return;
    default:
      throw new IllegalTransitionError((input as { type: string }).type, "unknown input type");
  }
}

/**
 * Whether the budget has room for one more model call, given the calls already made (in
 * `state.usage`) and `inFlight` calls that were started but have not reported yet. Drivers ask it
 * before every model call, so that a call that would exceed `maxLlmCalls` is never made.
 *
 * @param state - the run.
 * @param inFlight - calls started whose usage is not in `state.usage` yet.
 * @returns undefined when the call may be made; else the budget that refuses it, with a reason.
 *   The caller then fails with the error code {@link BUDGET_EXCEEDED} (a planner's `plan-error`,
 *   a step's `step-fail`): the run lets what is in flight finish, starts no more model work, and
 *   ends `budget-exceeded`.
 * @example
 * ```ts
 * const refusal = llmCallRefusal(state, inFlight);
 * if (refusal) throw Object.assign(new Error(refusal.reason), { code: BUDGET_EXCEEDED, retryable: false });
 * ```
 */
/** The error code of a model call refused by the budget (see {@link llmCallRefusal}). */
export const BUDGET_EXCEEDED = "budget-exceeded";

export function llmCallRefusal(
  state: Pick<RunState, "config" | "usage">,
  inFlight: number,
): { budget: BudgetName; reason: string } | undefined {
  const { config, usage } = state;
  if (config.maxLlmCalls !== undefined && usage.llmCalls + inFlight >= config.maxLlmCalls) {
    return { budget: "llmCalls", reason: `all ${config.maxLlmCalls} LLM calls are used up` };
  }
  const tokens = usage.promptTokens + usage.completionTokens;
  if (config.maxTokens !== undefined && tokens >= config.maxTokens) {
    return { budget: "tokens", reason: `${tokens} tokens used, the budget is ${config.maxTokens}` };
  }
  return undefined;
}

/** Ends the run when the LLM-call budget leaves no room for one more planner or replanner call. */
function outOfCalls(draft: Draft, at: number): boolean {
  const refusal = llmCallRefusal(draft.state, 0);
  if (!refusal) return false;
  endRun(draft, at, { status: "budget-exceeded", ...refusal });
  return true;
}

function callPlanner(draft: Draft, at: number): void {
  if (draft.state.planAttempts > 0 && outOfCalls(draft, at)) return;
  const attempt = draft.state.planAttempts + 1;
  draft.set({ status: "planning", planAttempts: attempt });
  draft.effect({ type: "call-planner", attempt, feedback: draft.state.feedback });
  draft.emit({ type: "plan-start", at, attempt });
}

function planFailed(
  draft: Draft,
  at: number,
  failure: { error: StepError; output?: unknown; retryable?: boolean },
): void {
  const { state } = draft;
  const exhausted = failure.error.code === BUDGET_EXCEEDED;
  const willRetry =
    failure.retryable !== false &&
    !exhausted &&
    state.planAttempts < state.config.maxPlanAttempts &&
    failure.error.code !== "aborted";
  draft.set({ feedback: { message: failure.error.message, output: failure.output } });
  draft.emit({ type: "plan-error", at, attempt: state.planAttempts, error: failure.error, willRetry });
  if (willRetry) callPlanner(draft, at);
  else if (exhausted) {
    endRun(draft, at, {
      status: "budget-exceeded",
      ...(llmCallRefusal(draft.state, 0) ?? { budget: "llmCalls", reason: failure.error.message }),
    });
  } else {
    endRun(draft, at, {
      status: failure.error.code === "aborted" ? "cancelled" : "failed",
      reason: `the planner gave no valid plan after ${state.planAttempts} attempt(s): ${failure.error.message}`,
      error: failure.error,
    });
  }
}

function startReplan(draft: Draft, at: number, reason: ReplanReason): void {
  if (outOfCalls(draft, at)) return;
  const { state } = draft;
  const locked = (state.plan?.steps ?? [])
    .filter((step) => step.status === "done" || step.status === "running")
    .map((step) => step.id);
  const attempt = state.replans + 1;
  draft.set({ status: "replanning", replan: { reason, locked }, replans: attempt });
  draft.effect({ type: "call-replanner", attempt, reason, feedback: state.feedback });
  draft.emit({ type: "replan-start", at, revision: state.plan?.revision ?? 0, reason, attempt });
}

function replanFailed(
  draft: Draft,
  at: number,
  failure: { error: StepError; output?: unknown; retryable?: boolean },
): void {
  const { state } = draft;
  const willRetry =
    failure.retryable !== false &&
    canReplan(state) &&
    failure.error.code !== "aborted" &&
    failure.error.code !== BUDGET_EXCEEDED;
  draft.set({
    failedReplans: state.failedReplans + 1,
    feedback: { message: failure.error.message, output: failure.output },
    // A replanner that cannot succeed (e.g. a rejected API key) is not asked again.
    ...(failure.retryable === false ? { config: { ...state.config, hasReplanner: false } } : {}),
  });
  draft.emit({ type: "replan-error", at, error: failure.error, willRetry });
  if (willRetry) startReplan(draft, at, state.replan!.reason);
  else draft.set({ status: "executing", replan: null });
}

function canReplan(state: RunState): boolean {
  return state.config.hasReplanner && state.replans < state.config.maxReplans;
}

/** After every input: trigger a due replan, start ready steps, end the run when nothing is left. */
function settle(draft: Draft, at: number): void {
  if (draft.state.status !== "executing" || !draft.state.plan) return;
  const steps = draft.state.plan.steps;
  const { running, done, pending, failed } = indexOf(steps).counts;
  const failedSteps = () => steps.filter((step) => step.status === "failed");
  // No room for another model call: no replan; what is in flight finishes, then the run ends.
  let exhausted: { budget: BudgetName; reason: string } | undefined;
  if (failed > 0) {
    const refused = failedSteps().some((step) => step.error?.code === BUDGET_EXCEEDED);
    if (refused || canReplan(draft.state)) {
      exhausted =
        llmCallRefusal(draft.state, 0) ??
        (refused ? { budget: "llmCalls", reason: "a model call was refused by the budget" } : undefined);
    }
  }
  if (exhausted) {
    if (running === 0) endRun(draft, at, { status: "budget-exceeded", ...exhausted });
    return;
  }
  if (failed > 0 && canReplan(draft.state)) {
    const failures = failedSteps();
    const unexpected = failures.filter((step) => step.error?.code === "unexpected-result");
    startReplan(draft, at, {
      trigger: unexpected.length === failures.length ? "unexpected-result" : "step-failed",
      stepIds: failures.map((step) => step.id),
      message: failures.map((step) => `step "${step.id}": ${step.error?.message ?? "failed"}`).join("; "),
    });
    return;
  }
  const capacity = draft.state.config.concurrency - running;
  const started = pending > 0 && capacity > 0 ? dispatch(draft, at, capacity) : 0;
  if (running + started > 0) return;
  if (done === steps.length) {
    endRun(draft, at, { status: "completed", reason: `all ${steps.length} steps are done` });
    return;
  }
  const failedIds = failedSteps()
    .map((step) => step.id)
    .join(", ");
  const { state } = draft;
  if (state.config.hasReplanner && state.config.maxReplans > 0 && state.replans >= state.config.maxReplans) {
    endRun(draft, at, {
      status: "budget-exceeded",
      budget: "replans",
      reason: `step(s) ${failedIds} failed and all ${state.config.maxReplans} replan(s) are used up`,
    });
  } else endRun(draft, at, { status: "failed", reason: `step(s) ${failedIds} failed` });
}

/**
 * Starts ready steps (pending, dependencies done) in plan order, at most `capacity` of them.
 * The steps' index keeps the ready set, so this costs O(started steps), not O(plan).
 * @returns how many steps it started.
 */
function dispatch(draft: Draft, at: number, capacity: number): number {
  const steps = draft.state.plan!.steps;
  const positions = indexOf(steps).readyPositions(capacity);
  for (const position of positions) {
    const step = steps[position]!;
    const running = draft.updateStep(
      step.id,
      { status: "running", attempts: step.attempts + 1, startedAt: step.startedAt ?? at },
      position,
    );
    const key = stepKey(draft.state, running);
    draft.effect({ type: "execute-step", stepId: step.id, attempt: running.attempts, key, delayMs: 0 });
    draft.emit({ type: "step-start", at, step: running, key });
  }
  return positions.length;
}

function checkBudgets(draft: Draft, at: number): void {
  const { config, usage, startedAt } = draft.state;
  const over = (budget: BudgetName, reason: string) =>
    endRun(draft, at, { status: "budget-exceeded", budget, reason });
  if (config.maxLlmCalls !== undefined && usage.llmCalls > config.maxLlmCalls) {
    over("llmCalls", `${usage.llmCalls} LLM calls, over the budget of ${config.maxLlmCalls}`);
  } else if (
    config.maxTokens !== undefined &&
    usage.promptTokens + usage.completionTokens > config.maxTokens
  ) {
    over(
      "tokens",
      `${usage.promptTokens + usage.completionTokens} tokens, over the budget of ${config.maxTokens}`,
    );
  } else if (
    config.maxWallTimeMs !== undefined &&
    startedAt !== undefined &&
    at - startedAt > config.maxWallTimeMs
  ) {
    over("wallTime", `${at - startedAt} ms, over the budget of ${config.maxWallTimeMs} ms`);
  }
}

function endRun(draft: Draft, at: number, outcome: RunOutcome): void {
  const { state } = draft;
  const inFlight =
    state.status === "planning" ||
    state.status === "replanning" ||
    (state.plan?.steps.some((step) => step.status === "running") ?? false);
  if (state.plan) {
    for (const step of state.plan.steps) {
      if (step.status === "running") draft.updateStep(step.id, { status: "cancelled", endedAt: at });
      else if (step.status === "pending") {
        draft.updateStep(step.id, {
          status: outcome.status === "cancelled" ? "cancelled" : "skipped",
          endedAt: at,
        });
      }
    }
  }
  draft.set({ status: outcome.status, outcome, endedAt: at, replan: null });
  draft.ended = true;
  if (inFlight) draft.effect({ type: "abort", reason: outcome.reason });
  draft.emit({ type: "run-end", at, outcome, usage: draft.state.usage });
}

function newStep(spec: StepSpec, revision: number): Step {
  return { ...spec, status: "pending", attempts: 0, revision };
}

/**
 * The idempotency key of a step: `runId:revision:stepId`, the same for every attempt.
 *
 * @param state - the run (for its id).
 * @param step - the step (for its id and the revision that introduced it).
 */
export function stepKey(state: Pick<RunState, "runId">, step: Pick<Step, "id" | "revision">): string {
  return `${state.runId}:${step.revision}:${step.id}`;
}

/** Copy-on-write helper: the input state is never mutated. */
class Draft {
  state: RunState;
  ended = false;
  private readonly effects: Effect[] = [];
  private readonly events: RunEvent[] = [];
  private stepsCopied = false;

  constructor(state: RunState) {
    this.state = state;
  }

  set(patch: Partial<RunState>): void {
    this.state = { ...this.state, ...patch };
    if (patch.plan) this.stepsCopied = true; // a new plan is already a fresh object
  }

  addUsage(usage: Partial<Usage>): void {
    const current = this.state.usage;
    this.set({
      usage: {
        llmCalls: current.llmCalls + clean(usage.llmCalls),
        promptTokens: current.promptTokens + clean(usage.promptTokens),
        completionTokens: current.completionTokens + clean(usage.completionTokens),
      },
    });
  }

  step(id: string): Step | undefined {
    return this.state.plan ? findStep(this.state.plan, id) : undefined;
  }

  runningStep(type: string, id: string, attempt: number): Step {
    const { status } = this.state;
    if (status !== "executing" && status !== "replanning") {
      throw new IllegalTransitionError(type, `no step is running (the run is ${status})`);
    }
    const step = this.step(id);
    if (!step) throw new IllegalTransitionError(type, `there is no step "${id}" in the plan`);
    if (step.status !== "running") {
      throw new IllegalTransitionError(type, `step "${id}" is ${step.status}, not running`);
    }
    if (step.attempts !== attempt) {
      throw new IllegalTransitionError(type, `step "${id}" is on attempt ${step.attempts}, not ${attempt}`);
    }
    return step;
  }

  /**
   * Replaces a step by a patched copy (`position`: its index, when the caller knows it). The first
   * update of a transition copies the steps array and its index; later ones change the copies.
   */
  updateStep(id: string, patch: Partial<Step>, position?: number): Step {
    const plan = this.state.plan!;
    let steps = plan.steps;
    let index = indexOf(steps);
    if (!this.stepsCopied) {
      steps = steps.slice();
      index = index.copy();
      setIndex(steps, index);
      this.state = { ...this.state, plan: { ...plan, steps } };
      this.stepsCopied = true;
    }
    const at = position ?? index.positionOf(id)!;
    const before = steps[at]!;
    const updated = { ...before, ...patch } as Step;
    steps[at] = updated;
    index.changed(steps, at, before.status, updated.status);
    return updated;
  }

  effect(effect: Effect): void {
    this.effects.push(effect);
  }

  emit(event: RunEvent): void {
    this.events.push(event);
  }

  result(): TransitionResult {
    return { state: this.state, effects: this.effects, events: this.events };
  }
}

function clean(value: number | undefined): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}
