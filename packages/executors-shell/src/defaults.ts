/**
 * The defaults of every option of the package, in one frozen object.
 *
 * @module
 */

/**
 * The defaults of `ShellOptions` (except `root`, the current directory, and `programs`,
 * `defaultPrograms`), of the tool's `name`, and the child's default `PATH`; every entry point reads them here.
 *
 * @example
 * ```ts
 * import { createShellTool, shellDefaults } from "@replan/executors-shell";
 *
 * const shell = createShellTool({ timeoutMs: shellDefaults.timeoutMs * 2 });
 * ```
 */
export const shellDefaults = Object.freeze({
  timeoutMs: 30_000,
  killGraceMs: 1_000,
  maxOutputBytes: 1_048_576,
  onOutputLimit: "kill",
  inheritEnv: Object.freeze(["LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ"]),
  path: "/usr/local/bin:/usr/bin:/bin",
  approvalTimeoutMs: 300_000,
  sandbox: true,
  /** `sandbox.prewarm`: sandboxes kept started ahead of their command, per configuration. */
  prewarm: 2,
  allowShell: false,
  dryRun: false,
  env: Object.freeze({}),
  name: "shell",
} as const);
