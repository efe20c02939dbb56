/**
 * Running a launched command: its own process group, output captured, stopped on timeout, output
 * limit or abort (the group killed after a grace period), and its result.
 *
 * @module
 */

import type { ChildProcess } from "node:child_process";
import { constants as osConstants } from "node:os";
import type { Readable } from "node:stream";
import { statusDescriptor } from "./bwrap-arguments.js";
import { Capture } from "./capture.js";
import { ShellToolError } from "./errors.js";
import { errorMessage } from "@replan/core/internal";
import { type Launch, launchOf } from "./launch.js";
import type { ShellCommand } from "./options.js";
import type { ResolvedOptions } from "./resolve-options.js";
import { killGroup, sandboxedProcesses, trackGroup, untrackGroup } from "./process-group.js";
import type { CommandResult } from "./run-command.js";
import { launcherFailureCode, launcherName, startProcess, takeSandbox } from "./warm-sandboxes.js";

function spawnFailed(file: string, error: unknown): ShellToolError {
  return new ShellToolError("spawn-failed", `Could not start "${file}": ${errorMessage(error)}`, {
    cause: error,
  });
}

/** Milliseconds to wait for the streams to close once the process group has been killed. */
const closeWaitMs = 2_000;

const signalNames = new Map(Object.entries(osConstants.signals).map(([name, number]) => [number, name]));

/**
 * Starts the launch in its own process group: a sandbox from the warm pool (its launcher then
 * given the command's script), or the program itself, or sandbox-exec.
 */
function spawnLaunch(launch: Launch, command: ShellCommand, options: ResolvedOptions): ChildProcess {
  const spec = {
    file: launch.file,
    argv: launch.argv,
    env: options.env,
    cwd: launch.script === undefined ? command.cwd : options.root,
    stdio: launch.stdio,
    seccomp: launch.seccomp,
  };
  if (launch.script === undefined) return startProcess(spec);
  const child = takeSandbox(spec, options.root, options.sandbox?.prewarm ?? 0);
  // A launcher that died before reading its script is reported by its exit (bwrap's message).
  child.stdin?.on("error", () => {});
  child.stdin?.end(launch.script);
  return child;
}

/** Why we stopped a command, if we did. */
type StopReason = "timeout" | "output-limit" | "aborted";

/** What is known of a command once its group is gone. */
interface Ending {
  command: ShellCommand;
  sandboxed: boolean;
  exit: { code: number | null; signal: string | null } | undefined;
  stopReason: Exclude<StopReason, "aborted"> | undefined;
  /** What bubblewrap wrote on its status descriptor. */
  status: string;
  stdout: Capture;
  stderr: Capture;
  started: number;
}

/**
 * The result of a command that ended (not aborted), or the error of a sandbox that ended before
 * the command ran (bubblewrap's own message says why).
 */
function resultOf(ending: Ending): CommandResult | ShellToolError {
  const { command, sandboxed, stopReason, stdout, stderr } = ending;
  let exitCode = ending.exit?.code ?? null;
  let exitSignal = ending.exit?.signal ?? null;
  const launcherFailure = new RegExp(`^${launcherName}: (?:\\d+: exec: )?(.*)$`, "m").exec(stderr.text());
  if (sandboxed && exitCode === launcherFailureCode && launcherFailure) {
    return new ShellToolError("spawn-failed", `Could not start "${command.program}": ${launcherFailure[1]}`);
  }
  if (sandboxed && stopReason === undefined && exitSignal === null && !/"exit-code"/.test(ending.status)) {
    const message = stderr.text().trim();
    return /^bwrap: execvp /m.test(message)
      ? new ShellToolError("spawn-failed", `Could not start "${command.program}": ${message}`)
      : new ShellToolError(
          "sandbox-unavailable",
          `The kernel sandbox could not set up this command: ${message || `bwrap exited with ${exitCode}`}`,
        );
  }
  if (sandboxed && stopReason !== undefined && exitCode !== null && exitCode > 128) {
    // Inside the sandbox a death by signal reaches us as bwrap's exit code 128 + N.
    exitSignal = signalNames.get(exitCode - 128) ?? null;
    if (exitSignal !== null) exitCode = null;
  }
  return {
    command,
    exitCode,
    signal: exitSignal,
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    durationMs: Math.round(performance.now() - ending.started),
    timedOut: stopReason === "timeout",
    terminationReason: stopReason ?? (exitCode === null ? "signal" : "exit"),
    ok: stopReason === undefined && exitCode === 0,
  };
}

/**
 * Sends SIGTERM to what runs: the process group, or, in bubblewrap, every process inside (SIGTERM
 * to bwrap would end the sandbox at once, SIGKILL to everything in it, without the grace period).
 */
function terminate(pid: number, sandboxed: boolean): void {
  const inside = sandboxed ? sandboxedProcesses(pid) : [];
  if (inside.length === 0) {
    killGroup(pid, "SIGTERM");
    return;
  }
  for (const insidePid of inside) {
    try {
      process.kill(insidePid, "SIGTERM");
    } catch {
      // Already gone.
    }
  }
}

/** Reads what bubblewrap writes on its status descriptor (its first 64 KiB); returns what came so far. */
function statusOf(child: ChildProcess): () => string {
  let status = "";
  (child.stdio[statusDescriptor] as Readable | null)?.on("data", (chunk: Buffer) => {
    if (status.length < 65_536) status += chunk.toString("utf8");
  });
  return () => status;
}

/**
 * Spawns `command` in its own process group and resolves when the group is gone.
 *
 * @param command - a checked command.
 * @param options - resolved options.
 * @param signal - the caller's signal.
 */
export async function spawnCommand(
  command: ShellCommand,
  options: ResolvedOptions,
  signal: AbortSignal | undefined,
): Promise<CommandResult> {
  const launch = await launchOf(command, options, signal);
  signal?.throwIfAborted();
  const sandboxed = launch.mechanism === "bubblewrap";
  return new Promise<CommandResult>((resolve, reject) => {
    const started = performance.now();
    let child: ChildProcess;
    try {
      child = spawnLaunch(launch, command, options);
    } catch (error) {
      return reject(spawnFailed(launch.file, error));
    }
    const pid = child.pid;
    const stdout = new Capture(options.maxOutputBytes);
    const stderr = new Capture(options.maxOutputBytes);
    let status = () => "";
    let stopReason: StopReason | undefined;
    let exit: Ending["exit"];
    let settled = false;
    const timers = new Set<NodeJS.Timeout>();
    const later = (ms: number, action: () => void) => timers.add(setTimeout(action, ms));

    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      for (const stream of child.stdio) stream?.destroy();
      if (pid !== undefined) {
        // Without an exit event the leader may still be alive (a forced finish): kill the group.
        if (exit === undefined) killGroup(pid, "SIGKILL");
        untrackGroup(pid);
      }
      if (error !== undefined) return reject(error);
      if (stopReason === "aborted") return reject(signal!.reason);
      const ending = { command, sandboxed, exit, stopReason, status: status(), stdout, stderr, started };
      const result = resultOf(ending);
      if (ShellToolError.isInstance(result)) reject(result);
      else resolve(result);
    };
    const stop = (reason: StopReason) => {
      if (stopReason !== undefined || exit !== undefined || settled || pid === undefined) return;
      stopReason = reason;
      terminate(pid, sandboxed);
      later(options.killGraceMs, () => {
        killGroup(pid, "SIGKILL");
        later(closeWaitMs, () => finish());
      });
    };
    const onAbort = () => stop("aborted");

    child.once("error", (error) => {
      if (pid === undefined) finish(spawnFailed(launch.file, error));
    });
    if (pid === undefined) return;
    trackGroup(pid);
    if (sandboxed) status = statusOf(child);
    const onData = (capture: Capture) => (chunk: Buffer) => {
      if (capture.push(chunk) && options.onOutputLimit === "kill") stop("output-limit");
    };
    (child.stdout as Readable).on("data", onData(stdout));
    (child.stderr as Readable).on("data", onData(stderr));
    child.once("exit", (code, exitSignal) => {
      exit = { code, signal: exitSignal };
      // The leader is gone: whatever it left running in its group would be an orphan.
      killGroup(pid, "SIGKILL");
      later(closeWaitMs, () => finish());
    });
    child.once("close", () => finish());

    later(options.timeoutMs, () => stop("timeout"));
    if (signal?.aborted) stop("aborted");
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}
