/**
 * Every error that replan throws on purpose is a {@link ReplanError} with a stable `code`.
 *
 * Errors are recognised by a `Symbol.for` marker rather than `instanceof`, so that two copies of
 * a package (a duplicated dependency, ESM next to CJS) still recognise each other's errors.
 *
 * @module
 */

const baseMarker = Symbol.for("@replan/error");

/**
 * Codes of the errors `@replan/core` throws, and of the errors it writes into a step, a plan
 * attempt or a run's outcome (`{ code, message }`).
 */
export type CoreErrorCode =
  /** A plan (from a planner, a replanner or a user edit) broke a rule; see `issues`. */
  | "invalid-plan"
  /** An event that the current run state does not allow (a programmer error in a driver). */
  | "illegal-transition"
  /** An option given to a function was out of range or of the wrong type. */
  | "invalid-options"
  /** A serialized run state could not be read back. */
  | "invalid-state"
  /** A run or a step was cancelled through an `AbortSignal`. */
  | "aborted"
  /** A step took longer than its timeout. */
  | "step-timeout"
  /** A tool step named a tool that is not registered. */
  | "unknown-tool"
  /** A tool step's arguments refer to a result that is not available. */
  | "invalid-reference"
  /** A step's result was reported as unexpected by the executor or the checker. */
  | "unexpected-result"
  /** A step's result cannot be saved as JSON (a BigInt, a cycle, a throwing `toJSON`). */
  | "invalid-result"
  /** The planner or replanner failed to produce a plan. */
  | "planner-failed"
  /** An executor or a tool threw something that carries no code of its own. */
  | "executor-failed"
  /** The replanner returned no steps to replace a failed step: it gave up, and the run failed. */
  | "replanner-gave-up"
  /**
   * A `write` step's attempt has an unknown effect (it was in flight when the run stopped, or it
   * failed without ruling its effect out), and nothing could tell whether the effect happened (no
   * `reconcile` hook, or it failed): the step fails rather than run blindly again.
   */
  | "unsettled-effect"
  /**
   * A `reconcile` hook could not tell whether an effect happened: it threw, timed out, or answered
   * something else than `{ happened: true, result }` / `{ happened: false }` (its message is the
   * hook's own). Carried by the settlement request put to a person.
   */
  | "reconcile-failed"
  /** A person, asked whether an interrupted `write` step's effect happened, chose to fail it. */
  | "failed-by-person"
  /**
   * A model call was refused because the budget had no room for it (`BUDGET_EXCEEDED`); thrown
   * by a planner, replanner or executor whose `reserveLlmCall()` returned false.
   */
  | "budget-exceeded";

/** What every replan error class's constructor takes besides its code and message. */
export interface ReplanErrorOptions {
  /** The underlying error, kept as is. */
  cause?: unknown;
  /**
   * Whether the same call may succeed if made again (a timeout, a 503, a dropped connection).
   * @default false
   */
  retryable?: boolean;
  /**
   * `false` when the call is known to have failed before its effect could happen (nothing was
   * sent): a `write` step may then be retried. Leave it out when the effect may have happened:
   * a `write` step is then settled, never retried blindly. See `effectRuledOut`.
   */
  effectHappened?: false;
}

/**
 * Base class of every error replan throws on purpose. Match on {@link ReplanError.code}.
 *
 * Each subclass, in every package, carries a marker of its own, so that its `isInstance` accepts
 * only its own instances, while `ReplanError.isInstance` accepts them all.
 *
 * @example
 * ```ts
 * import { ReplanError, validatePlan } from "@replan/core";
 *
 * try {
 *   validatePlan([]);
 * } catch (error) {
 *   if (ReplanError.isInstance(error) && error.code === "invalid-plan") console.log(error.message);
 * }
 * ```
 */
export class ReplanError<Code extends string = string> extends Error {
  /** A stable, machine-readable code. Never changes for a given failure. */
  readonly code: Code;
  /** Whether the same call may succeed if made again; see {@link ReplanErrorOptions.retryable}. */
  readonly retryable: boolean;
  /** `false` when the call is known not to have reached its effect; see {@link ReplanErrorOptions.effectHappened}. */
  readonly effectHappened?: false;

  /**
   * @param code - the stable code.
   * @param message - a sentence for people, naming the offending ids or options.
   * @param options - the `cause`, and whether the failure is `retryable`.
   */
  constructor(code: Code, message: string, options?: ReplanErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ReplanError";
    this.code = code;
    this.retryable = options?.retryable === true;
    if (options?.effectHappened === false) this.effectHappened = false;
    markError(this, baseMarker);
  }

  /** Whether `value` is a ReplanError (of any class) from any copy of any replan package. */
  static isInstance(value: unknown): value is ReplanError {
    return hasMarker(value, baseMarker);
  }
}

/**
 * Marks an error instance with a `Symbol.for` brand; each error class marks its instances in its
 * constructor so that its own `isInstance` works across duplicated copies of a package.
 *
 * @param error - the instance to mark (usually `this` in a constructor).
 * @param marker - a `Symbol.for("@replan/<package>/<ClassName>")` symbol unique to the class.
 */
export function markError(error: Error, marker: symbol): void {
  Object.defineProperty(error, marker, { value: true, enumerable: false });
}

/**
 * Whether `value` carries the brand `marker` set by {@link markError}.
 *
 * @param value - anything, typically a caught error.
 * @param marker - the `Symbol.for("...")` symbol of the class.
 */
export function hasMarker(value: unknown, marker: symbol): boolean {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

/** One problem found in a plan, with the ids of the steps involved. */
export interface PlanIssue {
  /** What kind of problem. */
  code:
    | "empty-plan"
    | "too-many-steps"
    | "duplicate-id"
    | "invalid-id"
    | "unknown-dependency"
    | "self-dependency"
    | "cycle"
    | "invalid-reference"
    | "replaces-locked-step"
    | "invalid-shape"
    /** A streamed plan's final text disagrees with the steps streamed from it. */
    | "stream-mismatch"
    /** A plan's text could not be read (see `createPlanParser`). */
    | "syntax-error"
    /** A step's text is longer than the parser's `maxStepChars`. */
    | "step-too-long"
    /** A step's arguments nest deeper than the parser allows. */
    | "too-deep"
    /** The text holds no plan at all. */
    | "no-plan"
    /** A replanner's patch removes or replaces a step that is not in the plan. */
    | "unknown-step"
    /** A replanner's patch changes the plan but leaves a failed step it was asked about in place. */
    | "keeps-failed-step";
  /** The step ids involved (empty when the issue is about the plan as a whole). */
  stepIds: string[];
  /** A sentence for people (and for a model asked to repair the plan). */
  message: string;
}

const planValidationMarker = Symbol.for("@replan/core/PlanValidationError");
const illegalTransitionMarker = Symbol.for("@replan/core/IllegalTransitionError");

/** A plan broke one or more rules. `issues` lists each problem with the ids involved. */
export class PlanValidationError extends ReplanError<"invalid-plan"> {
  /** Every problem found, in a stable order. */
  readonly issues: PlanIssue[];

  /**
   * @param issues - the problems found (at least one).
   * @param options - `cause`, e.g. a zod error for a malformed plan.
   */
  constructor(issues: PlanIssue[], options?: { cause?: unknown }) {
    super("invalid-plan", `Invalid plan: ${issues.map((issue) => issue.message).join("; ")}`, options);
    this.name = "PlanValidationError";
    this.issues = issues;
    markError(this, planValidationMarker);
  }

  /** Whether `value` is a PlanValidationError from any copy of `@replan/core`. */
  static override isInstance(value: unknown): value is PlanValidationError {
    return hasMarker(value, planValidationMarker);
  }
}

/** An event that the run state does not allow, e.g. finishing a step that never started. */
export class IllegalTransitionError extends ReplanError<"illegal-transition"> {
  /** The `type` of the rejected event. */
  readonly event: string;

  /**
   * @param event - the rejected event's type.
   * @param message - why it was rejected.
   */
  constructor(event: string, message: string) {
    super("illegal-transition", `Illegal "${event}": ${message}`);
    this.name = "IllegalTransitionError";
    this.event = event;
    markError(this, illegalTransitionMarker);
  }

  /** Whether `value` is an IllegalTransitionError from any copy of `@replan/core`. */
  static override isInstance(value: unknown): value is IllegalTransitionError {
    return hasMarker(value, illegalTransitionMarker);
  }
}

/** An error's message, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
