/**
 * The interpreter behind `runPlan` and `streamPlan`: one run, driven by the pure state machine,
 * with the effects performed by calling the injected functions.
 *
 * @module
 */
import { readableAnswer } from "./answer-data.js";
import { MAX_TIMER_MS } from "./follow-signal.js";
import { sleep, untilAborted } from "./abort.js";
import { llmCallRefusal } from "./budgets.js";
import { errorMessage, ReplanError, type CoreErrorCode } from "./errors.js";
import { declaredEffect } from "./effect-declaration.js";
import { executeStep } from "./execute-step.js";
import { reconcileStep } from "./reconcile-step.js";
import { resultsOf } from "./results.js";
import { isPlanStepStream } from "./plan-stream-reader.js";
import { readStreamedAnswer } from "./streamed-answer.js";
import type {
  ModelCallReporter,
  PatchEntryStream,
  PlanStepStream,
  ReplannerOutput,
} from "./run-functions.js";
import type { Effect, Feedback, RunEvent, RunInput } from "./run-messages.js";
import { isTerminal } from "./run-end.js";
import type { ResolvedRunPlanOptions, RunResult } from "./run-plan-options.js";
import type { ReplanReason, RunState, Usage } from "./schemas.js";
import { isRetryable, toStepError, usageOf } from "./step-errors.js";
import { findStep } from "./step-index.js";
import { transition } from "./transition.js";
import { addUsage, noUsage } from "./usage.js";

/**
 * Interprets the state machine for one run: feeds it inputs one at a time ({@link Interpreter.send}),
 * publishes its events and state, and performs its effects (planner, replanner and step calls as
 * tasks; `abort` through the run's controller), until the run ends.
 */
export class Interpreter {
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
  private readonly onAbort = () => {
    this.send({ type: "cancel", at: this.now(), reason: errorMessage(this.options.signal?.reason) });
  };

  /**
   * @param options - the checked options, with the run to drive.
   * @param listener - also receives every event (after `onEvent`); `streamPlan` buffers them.
   */
  constructor(
    private readonly options: ResolvedRunPlanOptions,
    private readonly listener?: (event: RunEvent) => void,
  ) {
    this.state = options.state;
    this.now = options.now;
  }

  /** Starts (or resumes) the run; resolves when it has ended and its work has settled. */
  run(): Promise<RunResult> {
    const promise = new Promise<RunResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.options.signal?.addEventListener("abort", this.onAbort, { once: true });
    this.send({ type: this.state.status === "idle" ? "start" : "resume", at: this.now() });
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
        this.send({ type: "tick", at: this.now() });
        this.armWallTimer();
      },
      Math.min(Math.max(0, maxWallTimeMs - elapsed) + 1, MAX_TIMER_MS),
    );
  }

  /**
   * Feeds `input` to the state machine, then every input that its listeners and effects send, in
   * order (re-entrant calls are queued); ends the run on a terminal state or a transition error.
   */
  private send(input: RunInput): void {
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
        for (const event of events) this.publish(event);
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

  /** Gives an event to `onEvent` and to the listener. */
  private publish(event: RunEvent): void {
    this.notify(() => this.options.onEvent?.(event));
    this.listener?.(event);
  }

  /** Calls a user listener (`onEvent`, `onState`); what it throws is ignored. */
  private notify(listener: () => void): void {
    try {
      listener();
    } catch {
      // A failing listener must not break the run.
    }
  }

  /** Performs one effect of a transition. */
  private perform(effect: Effect): void {
    switch (effect.type) {
      case "call-planner":
        this.spawn(() => this.callPlanner(effect.attempt, effect.feedback));
        return;
      case "call-replanner":
        this.spawn(() => this.callReplanner(effect.attempt, effect.reason, effect.feedback));
        return;
      case "execute-step":
        this.spawn(() => this.runStep(effect.stepId, effect.attempt, effect.key, effect.delayMs));
        return;
      case "settle-step":
        this.spawn(() => this.settleStep(effect.stepId, effect.attempt, effect.key));
        return;
      case "abort":
        this.controller.abort(new ReplanError<CoreErrorCode>("aborted", effect.reason));
        return;
    }
  }

  /** Starts a task (a planner, replanner or step call), tracked until it settles. */
  private spawn(work: () => Promise<void>): void {
    const task = work().catch((error: unknown) => {
      // Every input a task sends is handled in send; reaching here is a bug in this file.
      this.controller.abort(error);
      this.finish(error);
    });
    this.tasks.add(task);
    void task.finally(() => this.tasks.delete(task));
  }

  /**
   * A {@link ModelCallReporter} for one planner call or step attempt: the LLM calls it reserved are
   * given back (`release`) just before its outcome, which carries their usage, is sent.
   */
  private modelCallReporter(): { hooks: ModelCallReporter; usage: Usage; release(): void } {
    let reserved = 0;
    const usage = noUsage();
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
        if (!this.finished || (!this.delivered && event.type === "model-call-end")) this.publish(event);
      },
    };
    const release = () => {
      this.reservedCalls -= reserved;
      reserved = 0;
    };
    return { hooks, usage, release };
  }

  /**
   * Calls the planner and sends its answer (`plan`; a stream of steps as `plan-step`s then
   * `plan-end`) or its failure (`plan-error`). The steps kept from an earlier call are given.
   */
  private callPlanner(attempt: number, feedback: Feedback | null): Promise<void> {
    const kept = this.state.plan?.steps ?? [];
    return this.askForPlan("plan", (hooks, signal) =>
      this.options.planner({ goal: this.state.goal, attempt, feedback, signal, kept, ...hooks }),
    );
  }

  /** Calls the replanner and sends its answer (`replan`) or its failure (`replan-error`). */
  private callReplanner(attempt: number, reason: ReplanReason, feedback: Feedback | null): Promise<void> {
    const plan = this.state.plan!;
    return this.askForPlan("replan", (hooks, signal) =>
      this.options.replanner!({
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
    );
  }

  /**
   * Makes one planner or replanner call, its model calls reported, and sends its answer (`plan` or
   * `replan`) or its failure (`plan-error` or `replan-error`); a call the run's abort cut short
   * sends nothing (its usage is kept for the end).
   */
  private async askForPlan(
    kind: "plan" | "replan",
    call: (
      hooks: ModelCallReporter,
      signal: AbortSignal,
    ) =>
      | ReplannerOutput
      | PlanStepStream
      | PatchEntryStream
      | Promise<ReplannerOutput | PlanStepStream | PatchEntryStream>,
  ): Promise<void> {
    const { signal } = this.controller;
    const { hooks, usage, release } = this.modelCallReporter();
    try {
      const output = await untilAborted(Promise.resolve(call(hooks, signal)), signal);
      if (isPlanStepStream(output)) {
        await readStreamedAnswer(kind, output, {
          signal,
          usage,
          streaming: this.options.planStreaming,
          maxSteps: this.state.config.maxSteps,
          send: (input) => this.send({ ...input, at: this.now() } as RunInput),
        });
        release();
        return;
      }
      release();
      const answer = readableAnswer(output);
      this.send({ type: kind, at: this.now(), output: answer, usage: addUsage(usage, usageOf(answer)) });
    } catch (error) {
      release();
      if (signal.aborted) {
        this.lateUsage.push(usage);
        return;
      }
      this.send({
        type: `${kind}-error`,
        at: this.now(),
        error: toStepError(error, "planner-failed" satisfies CoreErrorCode),
        retryable: isRetryable(error),
        usage,
      });
    }
  }

  /** Runs one attempt of a step (after its retry delay) with {@link executeStep}, and sends its outcome. */
  private async runStep(stepId: string, attempt: number, key: string, delayMs: number): Promise<void> {
    const runSignal = this.controller.signal;
    if (delayMs > 0 && !(await sleep(delayMs, runSignal))) return;
    const plan = this.state.plan!;
    const { hooks, release } = this.modelCallReporter();
    const outcome = await executeStep(findStep(plan, stepId)!, {
      plan,
      goal: this.state.goal,
      attempt,
      key,
      signal: runSignal,
      timeoutMs: this.options.stepTimeoutMs,
      executor: this.options.executor,
      tools: this.options.tools,
      checker: this.options.checker,
      reserveLlmCall: hooks.reserveLlmCall,
      emit: hooks.emit,
    });
    release();
    if (outcome.type === "aborted") {
      this.lateUsage.push(outcome.usage); // the run is ending: the state already says so
      return;
    }
    this.send({
      ...outcome,
      type: outcome.type === "finish" ? "step-finish" : "step-fail",
      at: this.now(),
      stepId,
      attempt,
    } as RunInput);
  }

  /** Settles an interrupted `write` step with its tool's (or executor's) `reconcile` hook; see `settle.ts`. */
  private async settleStep(stepId: string, attempt: number, key: string): Promise<void> {
    const step = findStep(this.state.plan!, stepId)!;
    const { tools, executor, stepTimeoutMs } = this.options;
    const fn =
      step.kind === "tool" ? (Object.hasOwn(tools, step.tool) ? tools[step.tool] : undefined) : executor;
    const input = await reconcileStep(step, declaredEffect(fn)?.reconcile, {
      key,
      goal: this.state.goal,
      signal: this.controller.signal,
      timeoutMs: stepTimeoutMs,
    });
    if (this.controller.signal.aborted) return;
    const { hookError: _shownToPersonsOnly, ...settling } = input as typeof input & { hookError?: unknown };
    this.send({ ...settling, at: this.now(), stepId, attempt } as RunInput);
  }

  /**
   * Ends the interpretation: no more inputs; once the tasks in flight settle (or `cancelGraceMs`
   * passes), resolves with the result, or rejects with `error`.
   */
  private finish(error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.wallTimer);
    this.options.signal?.removeEventListener("abort", this.onAbort);
    // Wait (boundedly) for in-flight work to settle, so nothing runs on after the result.
    const settled = Promise.allSettled([...this.tasks]);
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = setTimeout(
        resolve,
        this.tasks.size > 0 ? Math.min(this.options.cancelGraceMs, MAX_TIMER_MS) : 0,
      );
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

/** The result of a run that ended. */
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
