/**
 * The typed error of this package: every refusal has a stable {@link ShellErrorCode}.
 *
 * @module
 */

import { ReplanError, type ReplanErrorOptions } from "@replan/core";
import { hasMarker, markError } from "@replan/core/internal";

const marker = Symbol.for("@replan/executors-shell/ShellToolError");

/**
 * Codes of the errors thrown by `@replan/executors-shell`.
 *
 * A command that ran and failed (non-zero exit, timeout, output limit) is not an error: it is a
 * {@link CommandResult}. Cancellation through an `AbortSignal` rejects with the signal's own
 * `reason`, not with one of these codes.
 *
 * @example
 * ```ts
 * import { runCommand, ShellToolError, type ShellErrorCode } from "@replan/executors-shell";
 *
 * const code: ShellErrorCode | undefined = await runCommand({ program: "cat", args: ["/etc/passwd"] }).then(
 *   () => undefined,
 *   (error) => (ShellToolError.isInstance(error) ? error.code : undefined),
 * );
 * console.log(code); // "path-escape"
 * ```
 */
export type ShellErrorCode =
  /** An option given to `createShellTool` or `runCommand` was invalid; the message names it. */
  | "invalid-options"
  /** The request itself was malformed: empty program, a NUL byte in an argument, a missing `cwd`. */
  | "invalid-request"
  /** The program is not in the allowlist (`programs`), or was given as a path. */
  | "program-not-allowed"
  /** An argument is refused by the program's rule (e.g. `find -exec`, `sort -o`). */
  | "argument-refused"
  /** The working directory or a path-like argument resolves outside the root. */
  | "path-escape"
  /** The approval hook said no, threw, or did not answer in time. */
  | "approval-denied"
  /** The operating system could not start the program (not found, not executable, not visible in the sandbox). */
  | "spawn-failed"
  /**
   * The kernel sandbox cannot start here (no `bwrap` on `PATH`, user namespaces disabled, an
   * unsupported platform) or could not set up this command; the message says why and how to fix
   * it (install bubblewrap, or pass `sandbox: false` to run without it, which is weaker).
   */
  | "sandbox-unavailable";

/**
 * A refusal by the shell tool, with a stable {@link ShellErrorCode}. Match on `error.code`.
 *
 * @example
 * ```ts
 * import { runCommand, ShellToolError } from "@replan/executors-shell";
 *
 * try {
 *   await runCommand({ program: "rm", args: ["-rf", "."] });
 * } catch (error) {
 *   if (ShellToolError.isInstance(error)) console.log(error.code); // "program-not-allowed"
 * }
 * ```
 */
export class ShellToolError extends ReplanError<ShellErrorCode> {
  /**
   * @param code - the stable code.
   * @param message - a sentence for people (and for a model), naming the refused program, argument or option.
   * @param options - `cause`, the underlying error, kept as is; `retryable` (default `false`: a
   *   refusal would be refused again), `true` only where a second try may pass (a sandbox probe
   *   that timed out, which is tried again).
   */
  constructor(code: ShellErrorCode, message: string, options?: ReplanErrorOptions) {
    super(code, message, options);
    this.name = "ShellToolError";
    markError(this, marker);
  }

  /** Whether `value` is a ShellToolError from any copy of this package (no other error class's instance is). */
  static override isInstance(value: unknown): value is ShellToolError {
    return hasMarker(value, marker);
  }
}

const sandboxFixes =
  "Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), " +
  "or pass sandbox: false to run commands without the kernel sandbox (weaker: only the argument rules confine them).";

/**
 * The `sandbox-unavailable` error of a Linux sandbox that cannot start: why, and how to fix it.
 *
 * @param reason - what failed, e.g. `bubblewrap (bwrap) is not on PATH`.
 * @param options - the underlying error (`cause`), and whether another try may pass (`retryable`).
 */
export function sandboxUnavailable(reason: string, options?: ReplanErrorOptions): ShellToolError {
  const message = `The kernel sandbox cannot start: ${reason}. ${sandboxFixes}`;
  return new ShellToolError("sandbox-unavailable", message, options);
}
