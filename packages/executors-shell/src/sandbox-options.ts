/**
 * The `sandbox` option: `true`, `false` or {@link SandboxOptions}, checked and resolved.
 *
 * @module
 */

import { statSync } from "node:fs";
import path from "node:path";
import { rules } from "@replan/core/internal";
import { shellDefaults } from "./defaults.js";

/**
 * Options of the kernel sandbox (`sandbox` in {@link ShellOptions}).
 *
 * @example
 * ```ts
 * import { createShellTool } from "@replan/executors-shell";
 *
 * // Read-only root, no network, and a toolchain outside /usr made readable.
 * const shell = createShellTool({ sandbox: { readOnlyRoot: true, readOnlyPaths: ["/opt/toolchain"] } });
 * ```
 */
export interface SandboxOptions {
  /**
   * Let the command use the host's network (its namespace is shared). Without it the command has
   * a loopback of its own and reaches nothing, not even this machine's 127.0.0.1.
   * @default false
   */
  network?: boolean;
  /**
   * Mount the root read-only: the command can then write nowhere but its private `/tmp`.
   * @default false
   */
  readOnlyRoot?: boolean;
  /**
   * More absolute paths the command may read (mounted read-only at the same place), e.g. a
   * toolchain outside `/usr`. Each must exist. A path inside the root is mounted read-only over it.
   * @default []
   */
  readOnlyPaths?: readonly string[];
  /**
   * How many sandboxes of this configuration to keep started ahead of their command (Linux). Each
   * waits, confined exactly as a command's would be, for the next command, which then starts
   * without the ~15 ms of namespace and mount set-up; one waiting longer than 30 s is stopped, and
   * all die with this process. `0` starts every sandbox with its command.
   * @default 2
   */
  prewarm?: number;
}

/** The sandbox options after validation. */
export interface ResolvedSandbox {
  network: boolean;
  readOnlyRoot: boolean;
  readOnlyPaths: readonly string[];
  prewarm: number;
}

function isExistingAbsolutePath(value: unknown): value is string {
  if (typeof value !== "string" || !value.startsWith("/") || value.includes("\0")) return false;
  try {
    statSync(value);
    return true;
  } catch {
    return false;
  }
}

/** The rule of the `sandbox` option: `true`, `false`, or {@link SandboxOptions} (fields named `sandbox.network`, ...). */
export const sandboxRule = rules.either(
  rules.boolean(),
  rules.object(
    {
      network: rules.boolean(),
      readOnlyRoot: rules.boolean(),
      readOnlyPaths: rules.array(rules.custom("be an absolute path that exists", isExistingAbsolutePath)),
      prewarm: rules.integer({ min: 0, max: 16 }),
    },
    "sandbox",
  ),
);

/**
 * Resolves the `sandbox` option, checked by {@link sandboxRule}.
 *
 * @param sandbox - `true` (the default), `false`, or {@link SandboxOptions}.
 * @returns the resolved options, or `undefined` for `sandbox: false`.
 */
export function resolveSandbox(sandbox: boolean | SandboxOptions): ResolvedSandbox | undefined {
  if (sandbox === false) return undefined;
  const { prewarm } = shellDefaults;
  if (sandbox === true) return { network: false, readOnlyRoot: false, readOnlyPaths: [], prewarm };
  return {
    network: sandbox.network ?? false,
    readOnlyRoot: sandbox.readOnlyRoot ?? false,
    readOnlyPaths: Object.freeze((sandbox.readOnlyPaths ?? []).map((entry) => path.normalize(entry))),
    prewarm: sandbox.prewarm ?? prewarm,
  };
}
