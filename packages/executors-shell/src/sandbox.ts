/**
 * Whether commands can be confined here, found once: bubblewrap on Linux (its own mount, PID, IPC,
 * UTS, network, user and cgroup namespaces; only the system folders and the root visible), a
 * Seatbelt profile on macOS. A sandbox that cannot start is a typed error, never a silent fallback.
 *
 * @module
 */

import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { bwrapArguments, trialPlan } from "./bwrap-arguments.js";
import { ShellToolError, sandboxUnavailable } from "./errors.js";
import { privateDevices } from "./private-devices.js";
import { systemLayout } from "./sandbox-layout.js";
import { probeTimeoutMs, trial } from "./trial.js";

/**
 * Which kernel mechanism confines commands: bubblewrap on Linux, Seatbelt (`sandbox-exec`) on macOS.
 *
 * @example
 * ```ts
 * import { probeSandbox, type SandboxMechanism } from "@replan/executors-shell";
 *
 * const probe = await probeSandbox();
 * const mechanism: SandboxMechanism | "none" = probe.available ? probe.mechanism : "none";
 * ```
 */
export type SandboxMechanism = "bubblewrap" | "seatbelt";

/**
 * The outcome of {@link probeSandbox}: the mechanism that will confine commands, or the
 * `sandbox-unavailable` error saying why not and how to fix it.
 *
 * @example
 * ```ts
 * import { probeSandbox, type SandboxProbe } from "@replan/executors-shell";
 *
 * const probe: SandboxProbe = await probeSandbox();
 * console.log(probe.available ? `confined by ${probe.executable}` : probe.error.message);
 * ```
 */
export type SandboxProbe =
  | { available: true; mechanism: SandboxMechanism; executable: string }
  | { available: false; error: ShellToolError };

/**
 * The first executable file named `name` in the `:`-separated `searchPath` (absolute entries only).
 *
 * @param name - a bare program name.
 * @param searchPath - a `PATH` value.
 */
export function findExecutable(name: string, searchPath: string | undefined): string | undefined {
  for (const directory of (searchPath ?? "").split(":")) {
    if (!directory.startsWith("/")) continue;
    const file = path.join(directory, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

/** Explains a failed probe of bubblewrap from its message. */
function diagnose(stderr: string): string {
  const message = stderr.trim().split("\n").slice(-3).join(" ").trim() || "no message";
  if (/namespace|uid map|setting up uid|Operation not permitted|Permission denied/i.test(message)) {
    return (
      `bubblewrap could not create its namespaces (${message}); unprivileged user namespaces are probably ` +
      "disabled (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0, and on Ubuntu 24.04 " +
      "kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap)"
    );
  }
  return `bubblewrap failed to start a trial command (${message})`;
}

async function probe(searchPath: string | undefined): Promise<SandboxProbe & { retry?: boolean }> {
  if (process.platform === "linux") {
    const executable = findExecutable("bwrap", searchPath);
    if (executable === undefined) {
      return {
        available: false,
        error: sandboxUnavailable(`bubblewrap (bwrap) is not on PATH (${JSON.stringify(searchPath ?? "")})`),
      };
    }
    let devices: string | undefined;
    try {
      devices = await privateDevices();
    } catch (error) {
      return { available: false, error: error as ShellToolError };
    }
    const args = [...bwrapArguments(systemLayout(), { ...trialPlan, devices }), "--", "true"];
    const result = await trial(executable, args, { PATH: "/usr/bin:/bin" });
    if (result.code === 0) return { available: true, mechanism: "bubblewrap", executable };
    if (result.timedOut) {
      return {
        available: false,
        retry: true,
        // Not cached: the next command probes again, so the step may be tried again.
        error: sandboxUnavailable(`bubblewrap did not answer within ${probeTimeoutMs} ms`, {
          retryable: true,
        }),
      };
    }
    return {
      available: false,
      error: sandboxUnavailable(diagnose(result.error?.message ?? result.stderr), { cause: result.error }),
    };
  }
  if (process.platform === "darwin") {
    const executable = "/usr/bin/sandbox-exec";
    const result = await trial(executable, ["-p", "(version 1)(allow default)", "/usr/bin/true"], {});
    if (result.code === 0) return { available: true, mechanism: "seatbelt", executable };
    return {
      available: false,
      retry: result.timedOut,
      error: new ShellToolError(
        "sandbox-unavailable",
        `The kernel sandbox cannot start: sandbox-exec failed (${(result.error?.message ?? result.stderr).trim() || "no message"}). Pass sandbox: false to run commands without it (weaker).`,
        { cause: result.error },
      ),
    };
  }
  return {
    available: false,
    error: new ShellToolError(
      "sandbox-unavailable",
      `The kernel sandbox cannot start: there is none for platform "${process.platform}" (bubblewrap on Linux, Seatbelt on macOS). Pass sandbox: false to run commands without it (weaker).`,
    ),
  };
}

const probes = new Map<string, Promise<SandboxProbe>>();

/**
 * Finds out, once per `PATH`, whether commands can be confined here: on Linux, whether `bwrap` is
 * on this process's `PATH` and can start a trial command in the same namespaces and mounts as real
 * commands (bounded by a timeout); on macOS, whether `sandbox-exec` works. The answer is cached
 * (a timed-out probe is tried again next time). It never throws: a failure is
 * `{ available: false, error }`, the error `runCommand` would throw.
 *
 * @returns the mechanism, or the `sandbox-unavailable` error with why and how to fix it.
 * @example
 * ```ts
 * import { createShellTool, probeSandbox } from "@replan/executors-shell";
 *
 * const probe = await probeSandbox();
 * if (!probe.available) console.warn(`${probe.error.message}\nRunning the shell tool WITHOUT the kernel sandbox.`);
 * const shell = createShellTool({ sandbox: probe.available });
 * ```
 */
export function probeSandbox(): Promise<SandboxProbe> {
  const searchPath = process.env.PATH;
  const key = `${process.platform}\0${searchPath ?? ""}`;
  let cached = probes.get(key);
  if (cached === undefined) {
    cached = probe(searchPath).then(({ retry, ...result }) => {
      if (retry) probes.delete(key);
      return result;
    });
    probes.set(key, cached);
  }
  return cached;
}

/**
 * The probe's mechanism, or throws its `sandbox-unavailable` error.
 *
 * @param signal - rejects with its reason when aborted while waiting.
 */
export async function requireSandbox(
  signal?: AbortSignal,
): Promise<{ mechanism: SandboxMechanism; executable: string }> {
  const result = await probeSandbox();
  signal?.throwIfAborted();
  if (!result.available) throw result.error;
  return result;
}
