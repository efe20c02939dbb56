import { hasMarker, markError, ReplanError } from "@replan/core";

const marker = Symbol.for("@replan/langgraph/error");

/** Codes of the errors thrown by `@replan/langgraph`. */
export type PlanExecuteErrorCode =
  /** The plan could not be read or was invalid (after the repair attempt, when thrown by the graph); see `rawOutput`. */
  | "invalid-plan"
  /** The planner's model failed (threw) on every attempt; see `cause`. */
  | "planner-failed"
  /** The graph was invoked with no goal: pass `{ goal }` or `{ messages }` ending with a human message. */
  | "invalid-input"
  /** An option was missing or of the wrong type; the message names it. */
  | "invalid-options"
  /**
   * The checkpointer failed to save (or read) the run, e.g. the database went away; `cause` is the
   * saver's error. What was saved before stays saved: resume the thread with
   * `invoke(null, config)` once the database is back, and the run goes on from there.
   */
  | "checkpoint-failed"
  /**
   * `invoke(null, config)` on a thread with no checkpoint: nothing was saved for it (a wrong
   * `thread_id`, or the run stopped before its first checkpoint). Invoke it with the goal again.
   */
  | "nothing-to-resume"
  /** A model call failed after the transport retries (or at once, for a 4xx); see `cause`, `status`. */
  | "model-call-failed"
  /** A model call took longer than its `timeoutMs`; it was aborted and not retried. */
  | "model-timeout"
  /** A model call was not made: the run's budget (`maxLlmCalls`, `maxTokens`) had no room for it. */
  | "budget-exceeded"
  /** An agent step's model answered nothing (no text, no tool call), twice. */
  | "invalid-answer";

/**
 * An error thrown by the plan-and-execute graph. Failed steps are never thrown: they are recorded
 * on the plan and trigger a replan.
 *
 * @example
 * ```ts
 * try {
 *   await agent.invoke({ goal });
 * } catch (error) {
 *   if (PlanExecuteError.isInstance(error) && error.code === "invalid-plan") console.log(error.rawOutput);
 * }
 * ```
 */
export class PlanExecuteError extends ReplanError<PlanExecuteErrorCode> {
  /** For `invalid-plan`: what the model answered last, as text. */
  readonly rawOutput: string | undefined;

  /**
   * @param code - the stable code.
   * @param message - what went wrong.
   * @param options - `cause`, and `rawOutput` for planning failures.
   */
  constructor(
    code: PlanExecuteErrorCode,
    message: string,
    options: { cause?: unknown; rawOutput?: string } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.name = "PlanExecuteError";
    this.rawOutput = options.rawOutput;
    markError(this, marker);
  }

  /** Whether `value` is a PlanExecuteError from any copy of this package. */
  static override isInstance(value: unknown): value is PlanExecuteError {
    return hasMarker(value, marker);
  }
}
