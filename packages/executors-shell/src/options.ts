/**
 * The options shared by `runCommand` and `createShellTool`, and what the approval hook is given.
 * Their defaults are in `shellDefaults`, their check in `resolve-options.ts`.
 *
 * @module
 */

import type { ProgramRules } from "./policy.js";
import type { SandboxOptions } from "./sandbox-options.js";

/**
 * What is about to run, as given to the approval hook and reported in every result.
 *
 * @example
 * ```ts
 * import { runCommand, type ShellCommand } from "@replan/executors-shell";
 *
 * const { command }: { command: ShellCommand } = await runCommand({ program: "pwd" }, { dryRun: true });
 * console.log(command.cwd); // the real path of the root
 * ```
 */
export interface ShellCommand {
  /** The program (a bare name), or the `/bin/sh -c` script when `shell` is true. */
  program: string;
  /** The argument vector (in shell mode: the positional parameters `$1`, `$2`, ...). */
  args: string[];
  /** The real, absolute working directory, inside the root. */
  cwd: string;
  /** Whether the program is a shell script run by `/bin/sh -c` (only with `allowShell`). */
  shell: boolean;
  /** Whether it runs inside the kernel sandbox (option `sandbox`). */
  sandboxed: boolean;
}

/**
 * What the approval hook receives besides the command.
 *
 * @example
 * ```ts
 * import type { ApprovalContext } from "@replan/executors-shell";
 *
 * const onApproval = (context: ApprovalContext) => context.signal.addEventListener("abort", () => console.log("gave up"));
 * ```
 */
export interface ApprovalContext {
  /** Aborted when the run is cancelled or the approval times out: close your prompt then. */
  signal: AbortSignal;
}

/**
 * Asks a person (or a policy of yours) whether `command` may run. Only `true` approves; `false`,
 * any other value, a throw or no answer within `approvalTimeoutMs` refuses with `approval-denied`.
 *
 * @example
 * ```ts
 * import { createShellTool, type ApproveCommand } from "@replan/executors-shell";
 *
 * const approve: ApproveCommand = (command) => command.program !== "find";
 * const shell = createShellTool({ approve });
 * ```
 */
export type ApproveCommand = (command: ShellCommand, context: ApprovalContext) => boolean | Promise<boolean>;

/**
 * Options of {@link runCommand} and {@link createShellTool}: the policy and the limits.
 *
 * @example
 * ```ts
 * import { runCommand } from "@replan/executors-shell";
 *
 * const result = await runCommand({ program: "ls", args: ["-la"] }, { root: process.cwd(), timeoutMs: 5_000 });
 * ```
 */
export interface ShellOptions {
  /**
   * The directory commands are confined to: the working directory and every path-like argument
   * must stay inside it, after following symlinks. Must exist. Also the child's `HOME`.
   * @default process.cwd()
   */
  root?: string;
  /**
   * The allowlist: programs that may run, by bare name, each with its {@link ProgramRule}.
   * @default defaultPrograms
   */
  programs?: ProgramRules;
  /**
   * Run every command inside the kernel sandbox: bubblewrap on Linux (its own mount, PID, IPC,
   * UTS, user and network namespaces; only the system folders, read-only, and the root visible; no
   * network; nothing outlives the command), a Seatbelt profile on macOS (untested). `true` or
   * {@link SandboxOptions} to tune it; `false` runs without it, confined by the argument rules
   * alone, which is weaker. Where the sandbox cannot start, commands are refused with
   * `sandbox-unavailable` (never run unconfined silently); see {@link probeSandbox}.
   * @default true
   */
  sandbox?: boolean | SandboxOptions;
  /**
   * Run `program` as a `/bin/sh -c` script, with `args` as `$1`, `$2`, ... DANGEROUS without the
   * sandbox: a shell script can run anything, so the program allowlist, the argument rules and the
   * path checks do NOT apply. The sandbox (on by default) still confines the script, and the
   * working directory, the environment, the timeout, the output cap, the approval hook and the
   * process-group kill still apply.
   * @default false
   */
  allowShell?: boolean;
  /**
   * Wall-clock limit in milliseconds; then the whole process group gets SIGTERM, and SIGKILL
   * `killGraceMs` later. The result has `timedOut: true`.
   * @default 30_000
   */
  timeoutMs?: number;
  /**
   * Milliseconds between SIGTERM and SIGKILL when a command is stopped (timeout, output limit,
   * abort).
   * @default 1_000
   */
  killGraceMs?: number;
  /**
   * Bytes of stdout and of stderr (each) kept in the result; the rest is dropped and a marker
   * appended. Memory stays bounded whatever the child prints.
   * @default 1_048_576 (1 MiB)
   */
  maxOutputBytes?: number;
  /**
   * What to do when a stream passes `maxOutputBytes`: `"kill"` stops the command (result
   * `terminationReason: "output-limit"`), `"truncate"` keeps draining and discarding until it exits
   * or times out.
   * @default "kill"
   */
  onOutputLimit?: "kill" | "truncate";
  /**
   * Names of variables copied from this process's environment when set. Nothing else is
   * inherited: secrets in `process.env` never reach the child.
   * @default ["LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ"]
   */
  inheritEnv?: readonly string[];
  /**
   * Variables set in the child, over the base (`PATH=/usr/local/bin:/usr/bin:/bin`, `HOME=root`,
   * `LANG=C.UTF-8`) and the inherited ones. `PATH` entries must be absolute.
   * @default {}
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Asked before every command runs (not in dry runs); see {@link ApproveCommand}.
   * @default undefined (no approval asked)
   */
  approve?: ApproveCommand;
  /**
   * Milliseconds to wait for `approve` before refusing with `approval-denied`.
   * @default 300_000 (5 minutes)
   */
  approvalTimeoutMs?: number;
  /**
   * Check everything, run nothing: the result has `terminationReason: "dry-run"` and the command
   * that would have run. The approval hook is not asked.
   * @default false
   */
  dryRun?: boolean;
}
