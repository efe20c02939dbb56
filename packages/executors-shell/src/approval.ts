/**
 * The approval hook, asked before a command runs, bounded by `approvalTimeoutMs` and the caller's signal.
 *
 * @module
 */

import { ShellToolError } from "./errors.js";
import { errorMessage } from "@replan/core/internal";
import type { ShellCommand } from "./options.js";
import type { ResolvedOptions } from "./resolve-options.js";

/**
 * Asks the approval hook, bounded by `approvalTimeoutMs` and by `signal`.
 *
 * @param command - what would run (the hook gets a copy).
 * @param options - resolved options with `approve` set.
 * @param signal - the caller's signal.
 */
export function askApproval(
  command: ShellCommand,
  options: ResolvedOptions,
  signal: AbortSignal | undefined,
): Promise<void> {
  const approve = options.approve!;
  const controller = new AbortController();
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (error === undefined) resolve();
      else {
        controller.abort(error);
        reject(error);
      }
    };
    const onAbort = () => settle(signal!.reason);
    const timer = setTimeout(
      () =>
        settle(new ShellToolError("approval-denied", `No approval within ${options.approvalTimeoutMs} ms`)),
      options.approvalTimeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    const copy = { ...command, args: [...command.args] };
    Promise.resolve()
      .then(() => approve(copy, { signal: controller.signal }))
      .then(
        (answer) =>
          settle(
            answer === true
              ? undefined
              : new ShellToolError("approval-denied", "The command was not approved"),
          ),
        (error: unknown) =>
          settle(
            new ShellToolError("approval-denied", `The approval hook failed: ${errorMessage(error)}`, {
              cause: error,
            }),
          ),
      );
  });
}
