/**
 * One attempt of one step, as every driver runs it: the tool or executor is called under the
 * attempt's own abort signal (the run's, plus the step timeout), the result is checked (JSON,
 * `unexpected`, the checker), and every failure is returned as data.
 *
 * @module
 */
import { untilAborted } from "./abort.js";
import { followSignal, MAX_TIMER_MS } from "./follow-signal.js";
import { ReplanError, type CoreErrorCode } from "./errors.js";
import { jsonProblem } from "./json-check.js";
import { findReferences, resolveReferences } from "./references.js";
import { resultsOf, setOwn } from "./results.js";
import type { Checker, Executor, ModelCallReporter, StepContext, ToolFunction } from "./run-functions.js";
import type { ModelCallEvent } from "./run-messages.js";
import type { Plan, Step, StepError, ToolStep, Usage } from "./schemas.js";
import { effectRuledOut, isRetryable, toStepError } from "./step-errors.js";
import { findStep } from "./step-index.js";
import { isUnexpected } from "./unexpected.js";
import { addUsage, noUsage } from "./usage.js";

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

/** How one attempt of a step went: the input to feed to `transition`, or `aborted`. */
export type StepOutcome =
  | { type: "finish"; result: unknown; unexpected?: string; usage: Usage }
  | {
      type: "fail";
      error: StepError;
      retryable: boolean;
      /** `false` when the attempt is known not to have reached its effect (see `effectRuledOut`). */
      effectHappened?: false;
      usage: Usage;
    }
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
  const { signal: runSignal, timeoutMs, executor, tools = {}, checker } = options;
  // One controller per attempt, following the run's signal and the time limit (cheaper than
  // AbortSignal.any + AbortSignal.timeout, which leave a weak reference per step on the run signal).
  const controller = new AbortController();
  const { signal } = controller;
  let timedOut = false;
  const unfollow = followSignal(runSignal, controller);
  const timer =
    timeoutMs <= MAX_TIMER_MS
      ? setTimeout(() => {
          timedOut = true;
          controller.abort(
            new DOMException(`step "${step.id}" took longer than ${timeoutMs} ms`, "TimeoutError"),
          );
        }, timeoutMs)
      : undefined;
  const usage = noUsage();
  const context = stepContext(options, signal, usage);
  const calling = { started: false };
  try {
    let value = await untilAborted(
      Promise.resolve(callStepFunction(step, context, executor, tools, calling)),
      signal,
    );
    let reason: string | undefined;
    if (isUnexpected(value)) {
      reason = value.reason;
      value = value.result;
    }
    // Results are saved as JSON (serializeRun, LangGraph's checkpointers): one that cannot be
    // would make every save throw, so it fails the step instead.
    const problem = jsonProblem(value);
    if (problem !== undefined) {
      const message = `step "${step.id}" returned a result that is not JSON-serializable: ${problem}`;
      return {
        type: "fail",
        error: { code: "invalid-result" satisfies CoreErrorCode, message },
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
      const message = `step "${step.id}" took longer than ${timeoutMs} ms`;
      return {
        type: "fail",
        error: { code: "step-timeout" satisfies CoreErrorCode, message },
        retryable: true,
        usage,
      };
    }
    const stepError = toStepError(error, "executor-failed" satisfies CoreErrorCode);
    const retryable =
      stepError.code !== "unknown-tool" && stepError.code !== "invalid-reference" && isRetryable(error);
    // Before the tool or executor was called, or when what it threw says so, nothing happened.
    const ruledOut = !calling.started || effectRuledOut(error);
    return {
      type: "fail",
      error: stepError,
      retryable,
      ...(ruledOut ? { effectHappened: false } : {}),
      usage,
    };
  } finally {
    clearTimeout(timer);
    unfollow();
  }
}

/** The context an attempt's executor, tool and checker get; `usage` collects what they report. */
function stepContext(options: ExecuteStepOptions, signal: AbortSignal, usage: Usage): StepContext {
  const { plan, goal, attempt, key, reserveLlmCall = () => true, emit = () => {} } = options;
  let results: Record<string, unknown> | undefined;
  return {
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
}

/**
 * Calls what carries out the step: its tool (arguments with references resolved) or the executor.
 * @throws {ReplanError} `unknown-tool` for a tool that is not registered, `invalid-options` for an
 *   agent step without an executor, `invalid-reference` for an argument that cannot be resolved.
 */
function callStepFunction(
  step: Step,
  context: StepContext,
  executor: Executor | undefined,
  tools: Readonly<Record<string, ToolFunction>>,
  calling: { started: boolean },
): unknown {
  if (step.kind === "tool") {
    const tool = Object.hasOwn(tools, step.tool) ? tools[step.tool] : undefined;
    if (!tool) {
      const known = Object.keys(tools);
      throw new ReplanError<CoreErrorCode>(
        "unknown-tool",
        `step "${step.id}" calls tool "${step.tool}", which is not registered (known: ${known.join(", ") || "none"})`,
      );
    }
    const args = resolveReferences(step.args, referencedResults(step, context.plan));
    calling.started = true;
    return tool(args, context);
  }
  if (!executor) {
    throw new ReplanError<CoreErrorCode>(
      "invalid-options",
      `step "${step.id}" is an agent step but no executor was given`,
    );
  }
  calling.started = true;
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
