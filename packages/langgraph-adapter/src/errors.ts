import { ReplanError } from "@replan/core";
import { hasMarker, markError } from "@replan/core/internal";

const marker = Symbol.for("@replan/langgraph/PlanExecuteError");

/**
 * Codes of the errors `@replan/langgraph` throws, and of those it records as a failed step's
 * error (`step.error.code`).
 */
export type PlanExecuteErrorCode =
  /** The plan could not be read or was invalid (after the repair attempt, when thrown by the graph); see `rawOutput`. */
  | "invalid-plan"
  /** The planner's model failed (threw) on every attempt; see `cause`. */
  | "planner-failed"
  /**
   * The graph was invoked with no goal (pass `{ goal }` or `{ messages }` ending with a human
   * message), or the agent with an input of the wrong shape (`{ goal: 5 }`); the message names the key.
   */
  | "invalid-input"
  /**
   * An option was missing, unknown or of the wrong type (`Option "budget.maxSteps" must be an
   * integer >= 1, got "lots"`); also a step task that neither started nor returned within 30 s.
   */
  | "invalid-options"
  /**
   * A run with `requireApproval` started without a checkpointer (none compiled in, none lent by a
   * parent graph): the pause for approval could not be saved. Refused before any model call; pass
   * `checkpointer` to `createPlanExecuteAgent` (or compile the graph with one) and a `thread_id`.
   */
  | "approval-needs-checkpointer"
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
  /** Step error: an agent step's model answered nothing (no text, no tool call), twice (not retried). */
  | "invalid-answer"
  /** Step error: the default executor's model was still calling tools after `maxToolIterations` calls. */
  | "step-iterations"
  /** Step error: a compiled agent used as the executor returned no AI message. */
  | "executor-failed"
  /** Step error: a tool step's tool rejected its arguments (its schema); not retried. */
  | "invalid-tool-args"
  /** Step error: a tool step's tool answered with a `ToolMessage` of `status: "error"`. */
  | "tool-error"
  /**
   * A plan-approval request's `errorCode`: the previous resume value was not an answer of
   * `PlanApprovalSchema` (asked again; after 5 such answers the run is cancelled); also what
   * `invoke` rejects with for a `Command` without a resume value while an approval is asked for
   * (nothing changes, the request stands).
   */
  | "invalid-approval"
  /**
   * An effect-settlement request's `error.code`: the previous resume value was not an answer of
   * `EffectSettlementSchema` (asked again); also what `invoke` rejects with for a `Command` without a
   * resume value while a settlement is asked for (nothing changes, the request stands).
   */
  | "invalid-settlement";

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
  /** For `model-call-failed`: the HTTP status of the last request, when the server answered. */
  readonly status: number | undefined;

  /**
   * @param code - the stable code.
   * @param message - what went wrong.
   * @param options - `cause`; `retryable` (default false); `rawOutput` for planning failures;
   *   `status` for failed model calls.
   */
  constructor(
    code: PlanExecuteErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean; rawOutput?: string; status?: number | undefined } = {},
  ) {
    super(code, message, { cause: options.cause, retryable: options.retryable ?? false });
    this.name = "PlanExecuteError";
    this.rawOutput = options.rawOutput;
    this.status = options.status;
    markError(this, marker);
  }

  /** Whether `value` is a PlanExecuteError from any copy of this package. */
  static override isInstance(value: unknown): value is PlanExecuteError {
    return hasMarker(value, marker);
  }
}
