/**
 * Every error that replan throws on purpose is a {@link ReplanError} with a stable `code`.
 *
 * Errors are recognised by a `Symbol.for` marker rather than `instanceof`, so that two copies of
 * a package (a duplicated dependency, ESM next to CJS) still recognise each other's errors.
 *
 * @module
 */

const baseMarker = Symbol.for("@replan/error");

/** Codes of the errors thrown by `@replan/core`. */
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
  | "planner-failed";

/**
 * Base class of every error replan throws on purpose. Match on {@link ReplanError.code}.
 *
 * @example
 * ```ts
 * try {
 *   validatePlan(steps);
 * } catch (error) {
 *   if (ReplanError.isInstance(error) && error.code === "invalid-plan") console.log(error.message);
 * }
 * ```
 */
export class ReplanError<Code extends string = string> extends Error {
  /** A stable, machine-readable code. Never changes for a given failure. */
  readonly code: Code;

  /**
   * @param code - the stable code.
   * @param message - a sentence for people, naming the offending ids or options.
   * @param options - `cause`, the underlying error, kept as is.
   */
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ReplanError";
    this.code = code;
    markError(this, baseMarker);
  }

  /** Whether `value` is a ReplanError from any copy of any replan package. */
  static isInstance(value: unknown): value is ReplanError {
    return hasMarker(value, baseMarker);
  }
}

/**
 * Marks an error instance with a `Symbol.for` brand; used by subclasses in other packages so that
 * their own `isInstance` works across duplicated copies.
 *
 * @param error - the instance to mark (usually `this` in a constructor).
 * @param marker - a `Symbol.for("...")` symbol unique to the class.
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
    | "invalid-shape";
  /** The step ids involved (empty when the issue is about the plan as a whole). */
  stepIds: string[];
  /** A sentence for people (and for a model asked to repair the plan). */
  message: string;
}

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
