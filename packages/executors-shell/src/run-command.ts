/**
 * `runCommand`: check a request against the policy, ask for approval, run it with an argument
 * vector, and report what happened.
 *
 * @module
 */

import { askApproval } from "./approval.js";
import { rules } from "@replan/core/internal";
import type { ShellCommand, ShellOptions } from "./options.js";
import { type ResolvedOptions, resolveOptions } from "./resolve-options.js";
import { type InternalSwitches, prepareCommand } from "./prepare-command.js";
import { spawnCommand } from "./spawn-command.js";

/**
 * A command to run: a program and its argument vector, never parsed by a shell.
 *
 * @example
 * ```ts
 * import { runCommand, type CommandRequest } from "@replan/executors-shell";
 *
 * const request: CommandRequest = { program: "grep", args: ["-rn", "TODO", "."], cwd: "src" };
 * const result = await runCommand(request);
 * ```
 */
export interface CommandRequest {
  /** A bare program name from the allowlist (with `allowShell`: a `/bin/sh -c` script). */
  program: string;
  /**
   * The arguments, each passed to the program as is: `;`, `|`, `$()`, `*` are plain characters.
   * @default []
   */
  args?: readonly string[];
  /**
   * The working directory, relative to the root (or absolute inside it).
   * @default "." (the root)
   */
  cwd?: string;
}

/**
 * Why a command ended: on its own (`"exit"` with a code, `"signal"` killed by a signal we did not
 * send), stopped by us (`"timeout"`, `"output-limit"`), or never started (`"dry-run"`).
 *
 * @example
 * ```ts
 * import { runCommand, type TerminationReason } from "@replan/executors-shell";
 *
 * const reason: TerminationReason = (await runCommand({ program: "ls" }, { timeoutMs: 1_000 })).terminationReason;
 * if (reason === "timeout") console.log("too slow");
 * ```
 */
export type TerminationReason = "exit" | "signal" | "timeout" | "output-limit" | "dry-run";

/**
 * What a command did. A non-zero exit is a result like any other, with its output kept.
 *
 * @example
 * ```ts
 * import { runCommand, type CommandResult } from "@replan/executors-shell";
 *
 * const result: CommandResult = await runCommand({ program: "cat", args: ["missing.txt"] });
 * if (!result.ok) console.log(result.exitCode, result.stderr); // 1 "cat: missing.txt: No such file or directory\n"
 * ```
 */
export interface CommandResult {
  /** What ran (or would have run, in a dry run). */
  command: ShellCommand;
  /** The exit code, or `null` when the command was killed by a signal or did not run. */
  exitCode: number | null;
  /** The signal that ended the command (e.g. `"SIGKILL"` after a timeout), or `null`. */
  signal: string | null;
  /** Standard output, decoded as UTF-8, at most `maxOutputBytes` plus a truncation marker. */
  stdout: string;
  /** Standard error, decoded as UTF-8, at most `maxOutputBytes` plus a truncation marker. */
  stderr: string;
  /** Whether stdout passed `maxOutputBytes` and was cut. */
  stdoutTruncated: boolean;
  /** Whether stderr passed `maxOutputBytes` and was cut. */
  stderrTruncated: boolean;
  /** Wall-clock milliseconds from spawn to the end of the process group (0 in a dry run). */
  durationMs: number;
  /** Whether the command was stopped by `timeoutMs`. */
  timedOut: boolean;
  /** Why the command ended. */
  terminationReason: TerminationReason;
  /** `true` when the command ran, ended on its own and exited with code 0. */
  ok: boolean;
}

/**
 * Options of {@link runCommand}: {@link ShellOptions} plus a cancellation signal.
 *
 * @example
 * ```ts
 * import { runCommand, type RunCommandOptions } from "@replan/executors-shell";
 *
 * const options: RunCommandOptions = { timeoutMs: 5_000, signal: AbortSignal.timeout(2_000) };
 * await runCommand({ program: "ls" }, options);
 * ```
 */
export interface RunCommandOptions extends ShellOptions {
  /**
   * Cancels the command: its whole process group is killed, then the promise rejects with
   * `signal.reason`.
   * @default undefined
   */
  signal?: AbortSignal;
}

/**
 * Checks, approves and runs `request`; the single entry point shared by `runCommand` and the tool.
 *
 * @param request - what to run.
 * @param options - resolved options.
 * @param signal - cancels the approval wait or the running command.
 * @param internal - switches for this package's tests.
 */
export async function execute(
  request: CommandRequest,
  options: ResolvedOptions,
  signal: AbortSignal | undefined,
  internal: InternalSwitches = {},
): Promise<CommandResult> {
  signal?.throwIfAborted();
  const command = prepareCommand(request, options, internal);
  if (options.dryRun) {
    return {
      command,
      exitCode: null,
      signal: null,
      stdout: "",
      stderr: "",
      stdoutTruncated: false,
      stderrTruncated: false,
      durationMs: 0,
      timedOut: false,
      terminationReason: "dry-run",
      ok: false,
    };
  }
  if (options.approve !== undefined) await askApproval(command, options, signal);
  signal?.throwIfAborted();
  return spawnCommand(command, options, signal);
}

/** The rule of {@link RunCommandOptions}' own option. */
const runCommandRules = {
  signal: rules.signal(),
};

/**
 * Runs a program with an argument vector under the shell policy: allowlisted program, refused
 * arguments, paths confined to `root`, an allowlisted environment, a timeout and an output cap,
 * the whole process group killed on timeout or abort.
 *
 * Refusals throw a {@link ShellToolError}; a command that runs and fails resolves with
 * `exitCode !== 0` (or `timedOut`, or `terminationReason: "output-limit"`) and its output.
 *
 * @param request - the program, its arguments and the working directory.
 * @param options - the policy and limits, plus `signal`; see {@link RunCommandOptions}.
 * @returns what the command did.
 * @example
 * ```ts
 * import { runCommand } from "@replan/executors-shell";
 *
 * const result = await runCommand({ program: "echo", args: ["a; touch pwned"] });
 * console.log(result.stdout); // "a; touch pwned\n": no shell, no file
 * console.log(result.exitCode, result.terminationReason); // 0 "exit"
 * ```
 */
export async function runCommand(
  request: CommandRequest,
  options?: RunCommandOptions,
): Promise<CommandResult>;
/**
 * Runs a step's arguments as a command: they are checked at run time, as any request is (a
 * {@link ShellToolError} `invalid-request` when they are not a {@link CommandRequest}), so a
 * `@replan/core` tool function can pass its `args` as they are.
 */
export async function runCommand(
  request: Readonly<Record<string, unknown>>,
  options?: RunCommandOptions,
): Promise<CommandResult>;
export async function runCommand(
  request: CommandRequest | Readonly<Record<string, unknown>>,
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  const resolved = resolveOptions(options, "runCommand", runCommandRules);
  // prepareCommand() checks the request's shape at run time, whatever its static type
  return execute(request as CommandRequest, resolved, options.signal);
}
