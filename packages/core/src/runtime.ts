/**
 * A small interpreter of the state machine's effects, with no framework: it calls the injected
 * planner, executor, tools, checker and replanner, runs ready steps concurrently, enforces
 * timeouts and cancels everything in flight through one `AbortSignal`.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { sleep, untilAborted } from "./abort.js";
import { errorMessage, ReplanError } from "./errors.js";
import { findReferences, resolveReferences } from "./references.js";
import type {
  AgentStep,
  Plan,
  PlanRevision,
  ReplanReason,
  RunOutcome,
  RunState,
  Step,
  StepError,
  StepSpecInput,
  ToolStep,
  Usage,
} from "./schemas.js";
import { isRetryable, toStepError, usageOf } from "./step-errors.js";
import { findStep } from "./step-index.js";
import {
  createRun,
  type Effect,
  type Feedback,
  isTerminal,
  llmCallRefusal,
  type ModelCallEvent,
  type RunConfigInput,
  type RunEvent,
  type RunInput,
  transition,
} from "./transition.js";

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
}

/** What a replanner is asked: the plan so far, why it must change, and what the steps produced. */
export interface ReplanRequest extends PlanRequest {
  /** The current plan: done and running steps are kept; return the steps that replace the rest. */
  plan: Plan;
  reason: ReplanReason;
  /** Earlier revisions of the plan. */
  history: PlanRevision[];
  /** Results of the done steps, by id. */
  results: Readonly<Record<string, unknown>>;
}

/** Turns a goal into steps (one LLM call in practice). */
export type Planner = (request: PlanRequest) => Promise<PlannerOutput> | PlannerOutput;
/** Returns the steps that replace every step that is not done or running. */
export type Replanner = (request: ReplanRequest) => Promise<PlannerOutput> | PlannerOutput;
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

const unexpectedMarker = Symbol.for("@replan/core/unexpected");

/** A result wrapped by {@link unexpected}. */
export interface UnexpectedResult {
  readonly result: unknown;
  readonly reason: string;
}

/**
 * Wraps an executor's or tool's result to report it as unexpected: the result is kept, the step
 * is marked failed with code `unexpected-result`, and a replan is triggered.
 *
 * @param result - what the step produced.
 * @param reason - why it is not what the plan needs.
 * @example
 * ```ts
 * const executor: Executor = async (step) => {
 *   const rows = await query(step.description);
 *   return rows.length === 0 ? unexpected(rows, "no rows: the table is empty") : rows;
 * };
 * ```
 */
export function unexpected(result: unknown, reason: string): UnexpectedResult {
  return Object.defineProperty({ result, reason }, unexpectedMarker, { value: true });
}

function isUnexpected(value: unknown): value is UnexpectedResult {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[unexpectedMarker] === true
  );
}

/** Options of {@link runPlan}. */
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
   * @default 300000
   */
  stepTimeoutMs?: number;
  /**
   * How long to wait, once the run has ended, for in-flight work that ignores its abort signal.
   * @default 5000
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

/**
 * Runs a goal to the end: plan, execute ready steps concurrently (each as soon as its own
 * dependencies are done), replan the remaining steps on failure, within the budget.
 *
 * Resolves whatever the outcome (completed, failed, cancelled, budget-exceeded), with partial
 * results. Rejects only for bad options (`invalid-options`), a signal aborted before the start
 * (with `signal.reason`), or a bug in a driver (`illegal-transition`).
 *
 * @param options - see {@link RunPlanOptions}.
 * @example
 * ```ts
 * const result = await runPlan({
 *   goal: "Say hello twice",
 *   planner: () => [
 *     { id: "a", kind: "agent", description: "hello" },
 *     { id: "b", kind: "tool", tool: "echo", args: { text: "${a}!" }, dependsOn: ["a"], description: "echo" },
 *   ],
 *   executor: (step) => step.description.toUpperCase(),
 *   tools: { echo: ({ text }) => text },
 * });
 * result.results; // { a: "HELLO", b: "HELLO!" }
 * ```
 */
export async function runPlan(options: RunPlanOptions): Promise<RunResult> {
  checkOptionsShape(options);
  options.signal?.throwIfAborted();
  const interpreter = new Interpreter(options);
  return interpreter.run();
}

/** Options, and their `budget`, are objects: anything else is `invalid-options`, not a TypeError. */
function checkOptionsShape(options: unknown): asserts options is RunPlanOptions {
  const isObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);
  if (!isObject(options)) {
    throw new ReplanError("invalid-options", `runPlan takes an options object, got ${String(options)}`);
  }
  const { budget } = options as { budget?: unknown };
  if (budget !== undefined && !isObject(budget)) {
    throw new ReplanError("invalid-options", `Option "budget" must be an object, got ${String(budget)}`);
  }
}

/**
 * Like {@link runPlan}, as a stream of progress events; `result` resolves when the run ends.
 *
 * @param options - see {@link RunPlanOptions} (`onEvent` is still called).
 * @example
 * ```ts
 * const run = streamPlan({ goal, planner, executor });
 * for await (const event of run.events) console.log(event.type);
 * const { status } = await run.result;
 * ```
 */
export function streamPlan(options: RunPlanOptions): {
  events: AsyncIterable<RunEvent>;
  result: Promise<RunResult>;
} {
  const buffer: RunEvent[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  const result = runPlan({
    ...options,
    onEvent: (event) => {
      buffer.push(event);
      options.onEvent?.(event);
      wake?.();
    },
  }).finally(() => {
    finished = true;
    wake?.();
  });
  result.catch(() => {}); // the caller observes the rejection through `result`
  const events: AsyncIterable<RunEvent> = {
    async *[Symbol.asyncIterator]() {
      let position = 0;
      while (true) {
        while (position < buffer.length) yield buffer[position++]!;
        if (finished) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    },
  };
  return { events, result };
}

class Interpreter {
  private state: RunState;
  private readonly controller = new AbortController();
  private readonly tasks = new Set<Promise<void>>();
  private readonly queue: RunInput[] = [];
  private draining = false;
  private finished = false;
  /** The result was delivered (resolved or rejected): no event after that. */
  private delivered = false;
  private wallTimer: ReturnType<typeof setTimeout> | undefined;
  /** LLM calls reserved by planner, replanner and step calls whose usage is not in the state yet. */
  private reservedCalls = 0;
  /**
   * Usage of work cut short by the end of the run (its requests were sent): added to the result,
   * as far as it is reported before the run resolves.
   */
  private readonly lateUsage: Usage[] = [];
  private resolve!: (result: RunResult) => void;
  private reject!: (error: unknown) => void;
  private readonly now: () => number;
  private readonly tools: Readonly<Record<string, ToolFunction>>;
  private readonly stepTimeoutMs: number;
  private readonly cancelGraceMs: number;
  private readonly onAbort = () => {
    this.dispatch({ type: "cancel", at: this.now(), reason: errorMessage(this.options.signal?.reason) });
  };

  constructor(private readonly options: RunPlanOptions) {
    const {
      goal,
      budget,
      state,
      replanner,
      tools = {},
      stepTimeoutMs = 300_000,
      cancelGraceMs = 5_000,
      now = Date.now,
      generateId = randomUUID,
    } = options;
    if (typeof options.planner !== "function") {
      throw new ReplanError("invalid-options", 'Option "planner" must be a function');
    }
    for (const [name, value] of Object.entries({ stepTimeoutMs, cancelGraceMs })) {
      if (!(typeof value === "number" && value > 0)) {
        throw new ReplanError(
          "invalid-options",
          `Option "${name}" must be a number > 0, got ${String(value)}`,
        );
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
    this.now = now;
    this.tools = tools;
    this.stepTimeoutMs = stepTimeoutMs;
    this.cancelGraceMs = cancelGraceMs;
    this.state =
      state ??
      createRun({
        runId: generateId(),
        goal: goal ?? "",
        config: { ...budget, hasReplanner: replanner !== undefined },
      });
  }

  run(): Promise<RunResult> {
    const promise = new Promise<RunResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.options.signal?.addEventListener("abort", this.onAbort, { once: true });
    this.dispatch({ type: this.state.status === "idle" ? "start" : "resume", at: this.now() });
    this.armWallTimer();
    return promise;
  }

  /** Sends a `tick` when the wall-time budget should be over, and again until it is (timers can fire early). */
  private armWallTimer(): void {
    const { maxWallTimeMs } = this.state.config;
    if (maxWallTimeMs === undefined || this.finished || isTerminal(this.state)) return;
    const elapsed = this.state.startedAt === undefined ? 0 : this.now() - this.state.startedAt;
    this.wallTimer = setTimeout(
      () => {
        this.dispatch({ type: "tick", at: this.now() });
        this.armWallTimer();
      },
      Math.max(0, maxWallTimeMs - elapsed) + 1,
    );
  }

  private dispatch(input: RunInput): void {
    this.queue.push(input);
    if (this.draining) return; // called from an effect or listener: handled by the loop below
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const next = this.queue.shift()!;
        if (this.finished || (isTerminal(this.state) && next.type !== "resume")) continue;
        const { state, effects, events } = transition(this.state, next);
        if (state !== this.state) {
          this.state = state;
          this.notify(() => this.options.onState?.(state));
        }
        for (const event of events) this.notify(() => this.options.onEvent?.(event));
        for (const effect of effects) this.perform(effect);
      }
    } catch (error) {
      this.controller.abort(error);
      this.finish(error);
      return;
    } finally {
      this.draining = false;
    }
    if (isTerminal(this.state)) this.finish();
  }

  private notify(listener: () => void): void {
    try {
      listener();
    } catch {
      // A failing listener must not break the run.
    }
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case "call-planner":
        this.spawn(() => this.callPlanner(effect.attempt, effect.feedback));
        return;
      case "call-replanner":
        this.spawn(() => this.callReplanner(effect.attempt, effect.reason, effect.feedback));
        return;
      case "execute-step":
        this.spawn(() => this.executeStep(effect.stepId, effect.attempt, effect.key, effect.delayMs));
        return;
      case "abort":
        this.controller.abort(new ReplanError("aborted", effect.reason));
        return;
    }
  }

  private spawn(work: () => Promise<void>): void {
    const task = work().catch((error: unknown) => {
      // Every input a task sends is handled in dispatch; reaching here is a bug in this file.
      this.controller.abort(error);
      this.finish(error);
    });
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /**
   * A {@link ModelCallReporter} for one planner call or step attempt: its reserved calls are
   * released (`settle`) just before its outcome, which carries the usage, is dispatched.
   */
  private reporter(): { hooks: ModelCallReporter; usage: Usage; settle(): void } {
    let reserved = 0;
    const usage: Usage = { llmCalls: 0, promptTokens: 0, completionTokens: 0 };
    const hooks: ModelCallReporter = {
      reserveLlmCall: () => {
        if (this.finished || isTerminal(this.state)) return false;
        if (llmCallRefusal(this.state, this.reservedCalls)) return false;
        reserved++;
        this.reservedCalls++;
        return true;
      },
      reportUsage: (reported) => addUsage(usage, reported),
      emit: (event) => {
        // While the run settles (after run-end, before the result), a call in flight still
        // reports its end, so that every model-call-start has its model-call-end.
        if (!this.finished || (!this.delivered && event.type === "model-call-end"))
          this.notify(() => this.options.onEvent?.(event));
      },
    };
    const settle = () => {
      this.reservedCalls -= reserved;
      reserved = 0;
    };
    return { hooks, usage, settle };
  }

  private async callPlanner(attempt: number, feedback: Feedback | null): Promise<void> {
    const { signal } = this.controller;
    const { hooks, usage, settle } = this.reporter();
    try {
      const output = await untilAborted(
        Promise.resolve(this.options.planner({ goal: this.state.goal, attempt, feedback, signal, ...hooks })),
        signal,
      );
      settle();
      this.dispatch({ type: "plan", at: this.now(), output, usage: addUsage(usage, usageOf(output)) });
    } catch (error) {
      settle();
      if (signal.aborted) {
        this.lateUsage.push(usage);
        return;
      }
      this.dispatch({
        type: "plan-error",
        at: this.now(),
        error: toStepError(error, "planner-failed"),
        retryable: isRetryable(error),
        usage,
      });
    }
  }

  private async callReplanner(
    attempt: number,
    reason: ReplanReason,
    feedback: Feedback | null,
  ): Promise<void> {
    const { signal } = this.controller;
    const { replanner } = this.options;
    const plan = this.state.plan!;
    const { hooks, usage, settle } = this.reporter();
    try {
      const output = await untilAborted(
        Promise.resolve(
          replanner!({
            goal: this.state.goal,
            plan,
            reason,
            history: this.state.history,
            results: resultsOf(plan),
            attempt,
            feedback,
            signal,
            ...hooks,
          }),
        ),
        signal,
      );
      settle();
      this.dispatch({ type: "replan", at: this.now(), output, usage: addUsage(usage, usageOf(output)) });
    } catch (error) {
      settle();
      if (signal.aborted) {
        this.lateUsage.push(usage);
        return;
      }
      this.dispatch({
        type: "replan-error",
        at: this.now(),
        error: toStepError(error, "planner-failed"),
        retryable: isRetryable(error),
        usage,
      });
    }
  }

  private async executeStep(stepId: string, attempt: number, key: string, delayMs: number): Promise<void> {
    const runSignal = this.controller.signal;
    if (delayMs > 0 && !(await sleep(delayMs, runSignal))) return;
    const plan = this.state.plan!;
    const { hooks, settle } = this.reporter();
    const outcome = await executeStep(findStep(plan, stepId)!, {
      plan,
      goal: this.state.goal,
      attempt,
      key,
      signal: runSignal,
      timeoutMs: this.stepTimeoutMs,
      executor: this.options.executor,
      tools: this.tools,
      checker: this.options.checker,
      reserveLlmCall: hooks.reserveLlmCall,
      emit: hooks.emit,
    });
    settle();
    if (outcome.type === "aborted") {
      this.lateUsage.push(outcome.usage); // the run is ending: the state already says so
      return;
    }
    this.dispatch({
      ...outcome,
      type: outcome.type === "finish" ? "step-finish" : "step-fail",
      at: this.now(),
      stepId,
      attempt,
    } as RunInput);
  }

  private finish(error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.wallTimer);
    this.options.signal?.removeEventListener("abort", this.onAbort);
    // Wait (boundedly) for in-flight work to settle, so nothing runs on after the result.
    const settled = Promise.allSettled([...this.tasks]);
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, this.tasks.size > 0 ? this.cancelGraceMs : 0);
    });
    void Promise.race([settled, grace]).then(() => {
      clearTimeout(graceTimer);
      this.delivered = true;
      if (error !== undefined) this.reject(error);
      else {
        const usage = this.lateUsage.reduce((sum, more) => addUsage(sum, more), { ...this.state.usage });
        this.resolve(toResult({ ...this.state, usage }));
      }
    });
  }
}

/** Options of {@link executeStep}. */
export interface ExecuteStepOptions {
  /** The plan the step belongs to (for the context and the dependencies' results). */
  plan: Plan;
  goal: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The step's idempotency key. */
  key: string;
  /** Aborts the attempt (the run is ending); the outcome is then `aborted`. */
  signal: AbortSignal;
  /** Time limit of the attempt, in ms; past it the outcome is a `step-timeout` failure. */
  timeoutMs: number;
  /** Carries out agent steps. */
  executor?: Executor | undefined;
  /** Tools for tool steps, by name. */
  tools?: Readonly<Record<string, ToolFunction>> | undefined;
  /** Judges the result. */
  checker?: Checker | undefined;
  /**
   * Asked before each model call of the attempt (`context.reserveLlmCall`); see
   * {@link ModelCallReporter}.
   * @default () => true
   */
  reserveLlmCall?: (() => boolean) | undefined;
  /**
   * Receives the attempt's model-call events (`context.emit`).
   * @default () => {}
   */
  emit?: ((event: ModelCallEvent) => void) | undefined;
}

/** How one attempt of a step went: the input to feed to {@link transition}, or `aborted`. */
export type StepOutcome =
  | { type: "finish"; result: unknown; unexpected?: string; usage: Usage }
  | { type: "fail"; error: StepError; retryable: boolean; usage: Usage }
  | { type: "aborted"; usage: Usage };

/**
 * Runs one attempt of one step: a tool step calls its tool with references resolved, an agent
 * step calls the executor; then the checker, if any. Never throws: failures, timeouts and
 * unexpected results are returned as data. Used by {@link runPlan} and by other drivers (the
 * LangGraph adapter) so that every driver treats steps the same way.
 *
 * @param step - the step to run.
 * @param options - context, limits and the functions to call.
 * @example
 * ```ts
 * const outcome = await executeStep(step, { plan, goal, attempt: 1, key, signal, timeoutMs: 30_000, tools });
 * if (outcome.type === "finish") state = transition(state, { type: "step-finish", at: Date.now(), stepId: step.id, attempt: 1, ...outcome }).state;
 * ```
 */
export async function executeStep(step: Step, options: ExecuteStepOptions): Promise<StepOutcome> {
  const {
    plan,
    goal,
    attempt,
    key,
    signal: runSignal,
    timeoutMs,
    executor,
    tools = {},
    checker,
    reserveLlmCall = () => true,
    emit = () => {},
  } = options;
  // One controller per attempt, following the run's signal and the time limit (cheaper than
  // AbortSignal.any + AbortSignal.timeout, which leave a weak reference per step on the run signal).
  const controller = new AbortController();
  const signal = controller.signal;
  let timedOut = false;
  const unfollow = follow(runSignal, controller);
  const timer =
    timeoutMs <= MAX_TIMER_MS
      ? setTimeout(() => {
          timedOut = true;
          controller.abort(
            new DOMException(`step "${step.id}" took longer than ${timeoutMs} ms`, "TimeoutError"),
          );
        }, timeoutMs)
      : undefined;
  const usage: Usage = { llmCalls: 0, promptTokens: 0, completionTokens: 0 };
  let results: Record<string, unknown> | undefined;
  const context: StepContext = {
    signal,
    key,
    attempt,
    goal,
    plan,
    // Computed on first use: a step that does not read it does not pay O(plan size).
    get results() {
      results ??= resultsOf(plan);
      return results;
    },
    reportUsage: (reported) => addUsage(usage, reported),
    // A timed-out attempt makes no more calls: its model layer would otherwise keep reserving.
    reserveLlmCall: () => !signal.aborted && reserveLlmCall(),
    emit,
  };
  try {
    let value = await untilAborted(Promise.resolve(invoke(step, context, executor, tools)), signal);
    let reason: string | undefined;
    if (isUnexpected(value)) {
      reason = value.reason;
      value = value.result;
    }
    // Results are saved as JSON (serializeRun, LangGraph's checkpointers): one that cannot be
    // would make every save throw, so it fails the step instead.
    const problem = serializationProblem(value);
    if (problem !== undefined) {
      return {
        type: "fail",
        error: {
          code: "invalid-result",
          message: `step "${step.id}" returned a result that is not JSON-serializable: ${problem}`,
        },
        retryable: false,
        usage,
      };
    }
    if (reason === undefined && checker) {
      const check = await untilAborted(Promise.resolve(checker(step, value, context)), signal);
      if (!check.expected) reason = check.reason;
    }
    return { type: "finish", result: value, usage, ...(reason === undefined ? {} : { unexpected: reason }) };
  } catch (error) {
    if (runSignal.aborted) return { type: "aborted", usage };
    if (timedOut) {
      return {
        type: "fail",
        error: { code: "step-timeout", message: `step "${step.id}" took longer than ${timeoutMs} ms` },
        retryable: true,
        usage,
      };
    }
    const stepError = toStepError(error, "executor-failed");
    const retryable =
      stepError.code !== "unknown-tool" && stepError.code !== "invalid-reference" && isRetryable(error);
    return { type: "fail", error: stepError, retryable, usage };
  } finally {
    clearTimeout(timer);
    unfollow();
  }
}

/** Controllers that follow each run signal: one listener per signal, however many steps run. */
const followers = new WeakMap<AbortSignal, Set<AbortController>>();

/**
 * Aborts `controller` when `signal` aborts; returns the function that stops following. One
 * listener per signal (EventTarget checks every listener for a duplicate on each add, so a
 * listener per step would make N concurrent steps cost O(N²)).
 */
function follow(signal: AbortSignal, controller: AbortController): () => void {
  if (signal.aborted) {
    controller.abort(signal.reason);
    return () => {};
  }
  let set = followers.get(signal);
  if (!set) {
    const created = new Set<AbortController>();
    signal.addEventListener(
      "abort",
      () => {
        for (const follower of created) follower.abort(signal.reason);
        created.clear();
      },
      { once: true },
    );
    followers.set(signal, created);
    set = created;
  }
  set.add(controller);
  const following = set;
  return () => following.delete(controller);
}

/** Longest delay `setTimeout` honours (a longer one fires at once); longer limits mean no limit. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Why `value` cannot be written as JSON (a BigInt, a cycle, a throwing toJSON), or undefined. */
function serializationProblem(value: unknown): string | undefined {
  try {
    JSON.stringify(value);
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

function invoke(
  step: Step,
  context: StepContext,
  executor: Executor | undefined,
  tools: Readonly<Record<string, ToolFunction>>,
): unknown {
  if (step.kind === "tool") {
    const tool = Object.hasOwn(tools, step.tool) ? tools[step.tool] : undefined;
    if (!tool) {
      const known = Object.keys(tools);
      throw new ReplanError(
        "unknown-tool",
        `step "${step.id}" calls tool "${step.tool}", which is not registered (known: ${known.join(", ") || "none"})`,
      );
    }
    return tool(resolveReferences(step.args, referencedResults(step, context.plan)), context);
  }
  if (!executor) {
    throw new ReplanError("invalid-options", `step "${step.id}" is an agent step but no executor was given`);
  }
  return executor(step, context);
}

/** The results of the done steps that a tool step's arguments refer to: O(references), not O(plan). */
function referencedResults(step: ToolStep, plan: Plan): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const id of findReferences(step.args)) {
    const referenced = findStep(plan, id);
    if (referenced?.status === "done") setOwn(results, id, referenced.result);
  }
  return results;
}

function toResult(state: RunState): RunResult {
  return {
    status: state.outcome!.status,
    outcome: state.outcome!,
    results: state.plan ? resultsOf(state.plan) : {},
    plan: state.plan,
    usage: state.usage,
    state,
  };
}

/**
 * The results of a plan's done steps, by id.
 *
 * @param plan - a plan.
 */
export function resultsOf(plan: Plan): Record<string, unknown> {
  const results: Record<string, unknown> = {};
  for (const step of plan.steps) if (step.status === "done") setOwn(results, step.id, step.result);
  return results;
}

/** Sets an own property, even for ids such as `__proto__` (an assignment would set the prototype). */
function setOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Adds `more` to `usage` (in place) and returns it; missing or invalid counts add nothing. */
function addUsage(usage: Usage, more: Partial<Usage> | undefined): Usage {
  const count = (value: number | undefined) =>
    typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
  usage.llmCalls += count(more?.llmCalls);
  usage.promptTokens += count(more?.promptTokens);
  usage.completionTokens += count(more?.completionTokens);
  return usage;
}
