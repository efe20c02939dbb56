/**
 * The demo's errors: each one ends the demo with its own exit code and a message for people.
 *
 * They follow replan's error contract (a closed code union, a `Symbol.for` marker and an
 * `isInstance` of their own that no other class's instance passes) without extending core's
 * `ReplanError`: they never leave this process, and the CLI's entry answers `--help` and usage
 * errors before it loads `@replan/core`'s main entry (and zod), which would double the time
 * `--help` takes (the markers come from `@replan/core/internal`, which loads no zod).
 *
 * @module
 */
import { hasMarker, markError } from "@replan/core/internal";

/** Codes of the demo's errors. */
export type DemoErrorCode =
  /** A bad command line (empty goal, unknown scenario or flag, bad value): exit 2. */
  | "usage"
  /** A model or configuration problem (no key for --model, unknown model, unreachable server, database): exit 3. */
  | "config";

const usageMarker = Symbol.for("@replan/demo/UsageError");
const configMarker = Symbol.for("@replan/demo/ConfigError");

/** What the demo's errors share: a code that names an exit code, and no retry (the input must change). */
abstract class DemoError<Code extends DemoErrorCode> extends Error {
  /** The stable code; `EXIT[code]` is the exit code. */
  readonly code: Code;
  /** Never: the same command line and environment fail the same way. */
  readonly retryable = false;

  /**
   * @param code - the stable code.
   * @param message - what is wrong, and what to change.
   * @param options - `cause`, the underlying error.
   */
  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * A bad command line: the message says what and the demo exits with `EXIT.usage` (2).
 *
 * @example
 * ```ts
 * throw new UsageError("--speed must be a number above 0 (got \"fast\")");
 * ```
 */
export class UsageError extends DemoError<"usage"> {
  /**
   * @param message - what is wrong, in the words of the flags.
   * @param options - `cause`, the underlying error.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super("usage", message, options);
    this.name = "UsageError";
    markError(this, usageMarker);
  }

  /** Whether `value` is a UsageError (from any copy of the demo). */
  static isInstance(value: unknown): value is UsageError {
    return hasMarker(value, usageMarker);
  }
}

/**
 * A model or configuration problem: the demo exits with `EXIT.config` (3).
 *
 * @example
 * ```ts
 * throw new ConfigError("cannot open the checkpoint database: SQLITE_CANTOPEN");
 * ```
 */
export class ConfigError extends DemoError<"config"> {
  /**
   * @param message - what is wrong and what to set.
   * @param options - `cause`, the underlying error.
   */
  constructor(message: string, options?: { cause?: unknown }) {
    super("config", message, options);
    this.name = "ConfigError";
    markError(this, configMarker);
  }

  /** Whether `value` is a ConfigError (from any copy of the demo). */
  static isInstance(value: unknown): value is ConfigError {
    return hasMarker(value, configMarker);
  }
}
