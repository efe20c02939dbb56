/**
 * `runCommand`: check a request against the policy, ask for approval, run it with an argument
 * vector, and report what happened.
 *
 * @module
 */

import { type ChildProcess, spawn, type StdioOptions } from "node:child_process";
import { closeSync, mkdtempSync, openSync, realpathSync } from "node:fs";
import { constants as osConstants, tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { errorMessage } from "@replan/core";
import { leakedDescriptors, nullDescriptor } from "./descriptors.js";
import { ShellToolError } from "./errors.js";
import { type ResolvedOptions, resolveOptions, type ShellCommand, type ShellOptions } from "./options.js";
import { confine, type FileLookup, resolveCwd, systemLookup } from "./paths.js";
import { checkArguments, pathCandidates, ruleFor } from "./policy.js";
import { killGroup, trackGroup, untrackGroup } from "./process-group.js";
import {
  bwrapArguments,
  findExecutable,
  privateDevices,
  requireSandbox,
  type SandboxMechanism,
  sandboxedProcesses,
  seatbeltProfile,
  sandboxFiles,
  seccompDescriptor,
  statusDescriptor,
  systemLayout,
  visibleInside,
} from "./sandbox.js";

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

function invalidRequest(message: string): ShellToolError {
  return new ShellToolError("invalid-request", message);
}

/** File system lookups one request may make while checking its paths (a bound on the work). */
const maxLookups = 20_000;

/** A lookup that refuses the request once it has made `maxLookups` lookups. */
function boundedLookup(): FileLookup {
  let lookups = 0;
  return {
    kind(file) {
      if (++lookups > maxLookups) {
        throw new ShellToolError(
          "argument-refused",
          `The arguments name too many paths to check (more than ${maxLookups} lookups)`,
        );
      }
      return systemLookup.kind(file);
    },
    readLink: systemLookup.readLink,
  };
}

/**
 * Internal switches for this package's tests, not part of the public options.
 * `rules: false` skips the allowlist, the argument rules and the path checks of the arguments (the
 * working directory is still resolved), to show what the sandbox alone stops.
 */
export interface InternalSwitches {
  rules?: boolean;
}

/**
 * Checks `request` against the policy and resolves its working directory; throws the refusal.
 *
 * @param request - the caller's (or the model's) request.
 * @param options - resolved options.
 * @param internal - test switches.
 */
function prepare(
  request: CommandRequest,
  options: ResolvedOptions,
  internal: InternalSwitches,
): ShellCommand {
  if (typeof request !== "object" || request === null) throw invalidRequest("The request must be an object");
  const { program, args = [], cwd = "." } = request;
  if (typeof program !== "string" || program === "")
    throw invalidRequest("The program must be a non-empty string");
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string")) {
    throw invalidRequest("The arguments must be an array of strings");
  }
  if (typeof cwd !== "string" || cwd === "")
    throw invalidRequest("The working directory must be a non-empty string");
  for (const text of [program, cwd, ...args]) {
    if (text.includes("\0")) throw invalidRequest(`${JSON.stringify(text)} contains a NUL byte`);
  }
  const argv = [...args];
  const realCwd = resolveCwd(options.root, cwd);
  const sandboxed = options.sandbox !== undefined;
  if (options.allowShell) return { program, args: argv, cwd: realCwd, shell: true, sandboxed };
  if (internal.rules === false) return { program, args: argv, cwd: realCwd, shell: false, sandboxed };
  const rule = ruleFor(program, options.programs);
  checkArguments(program, argv, rule);
  if (rule.checkPaths !== false) {
    const lookup = boundedLookup();
    for (const candidate of pathCandidates(argv))
      confine(options.root, realCwd, candidate, "argument", lookup);
  }
  return { program, args: argv, cwd: realCwd, shell: false, sandboxed };
}

/**
 * Asks the approval hook, bounded by `approvalTimeoutMs` and by `signal`.
 *
 * @param command - what would run (the hook gets a copy).
 * @param options - resolved options with `approve` set.
 * @param signal - the caller's signal.
 */
function askApproval(
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

/** Keeps the first `limit` bytes of a stream and counts the rest. */
class Capture {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;

  constructor(private readonly limit: number) {}

  /** Adds a chunk; returns `true` the first time the limit is passed. */
  push(chunk: Buffer): boolean {
    if (this.truncated) return false;
    const room = this.limit - this.bytes;
    if (chunk.length <= room) {
      this.chunks.push(chunk);
      this.bytes += chunk.length;
      return false;
    }
    if (room > 0) this.chunks.push(Buffer.from(chunk.subarray(0, room)));
    this.bytes = this.limit;
    this.truncated = true;
    return true;
  }

  text(): string {
    const text = Buffer.concat(this.chunks).toString("utf8");
    return this.truncated ? `${text}\n[output truncated after ${this.limit} bytes]` : text;
  }
}

function spawnFailed(file: string, error: unknown): ShellToolError {
  return new ShellToolError("spawn-failed", `Could not start "${file}": ${errorMessage(error)}`, {
    cause: error,
  });
}

/** Milliseconds to wait for the streams to close once the process group has been killed. */
const closeWaitMs = 2_000;

/** How a checked command is started: directly, or through the sandbox's launcher. */
interface Launch {
  file: string;
  argv: string[];
  stdio: StdioOptions;
  mechanism: SandboxMechanism | undefined;
  /** The seccomp program's file, opened for bubblewrap on its descriptor 4 at spawn. */
  seccomp?: string | undefined;
}

let seatbeltTemporary: string | undefined;

/**
 * The file, argument vector and descriptors that run `command`: the program itself, or bwrap /
 * sandbox-exec around it. Descriptors this process inherited without close-on-exec are covered
 * with `/dev/null` so that the child cannot use them.
 *
 * @param command - a checked command.
 * @param options - resolved options.
 * @param signal - the caller's signal (the sandbox probe may wait).
 */
async function launchOf(
  command: ShellCommand,
  options: ResolvedOptions,
  signal: AbortSignal | undefined,
): Promise<Launch> {
  const inner = command.shell
    ? ["/bin/sh", "-c", command.program, "sh", ...command.args]
    : [command.program, ...command.args];
  const stdio: StdioOptions = ["ignore", "pipe", "pipe"];
  let launch: Launch = { file: inner[0]!, argv: inner.slice(1), stdio, mechanism: undefined };
  const sandbox = options.sandbox;
  if (sandbox !== undefined) {
    const { mechanism, executable } = await requireSandbox(signal);
    if (!command.shell) {
      const found = findExecutable(command.program, options.env.PATH);
      if (found === undefined) {
        throw new ShellToolError(
          "spawn-failed",
          `Could not start "${command.program}": not found on PATH (${options.env.PATH})`,
        );
      }
      let real = found;
      try {
        real = realpathSync(found);
      } catch {}
      if (!visibleInside(found, options.root, sandbox) || !visibleInside(real, options.root, sandbox)) {
        throw new ShellToolError(
          "spawn-failed",
          `Could not start "${command.program}": ${real} is not visible inside the sandbox; add its folder to sandbox.readOnlyPaths`,
        );
      }
    }
    if (mechanism === "bubblewrap") {
      const files = sandboxFiles(options.root);
      const plan = {
        root: options.root,
        cwd: command.cwd,
        sandbox,
        identity: files,
        seccomp: files.seccomp !== undefined,
        devices: await privateDevices(),
      };
      launch = {
        file: executable,
        argv: [...bwrapArguments(systemLayout(), plan), "--", ...inner],
        // Descriptor 4 is the seccomp program's file, opened at spawn.
        stdio: ["ignore", "pipe", "pipe", "pipe", "ignore"],
        mechanism,
        seccomp: files.seccomp,
      };
    } else {
      seatbeltTemporary ??= realpathSync(mkdtempSync(path.join(tmpdir(), "replan-sandbox-")));
      launch = {
        file: executable,
        argv: [
          "-p",
          seatbeltProfile(sandbox),
          "-D",
          `ROOT=${options.root}`,
          "-D",
          `TMP=${seatbeltTemporary}`,
          ...inner,
        ],
        stdio,
        mechanism,
      };
    }
  }
  const leaked = leakedDescriptors();
  if (leaked.length > 0) {
    const devNull = nullDescriptor();
    const padded = [...(launch.stdio as unknown[])];
    for (const descriptor of leaked) {
      if (descriptor < padded.length) continue;
      while (padded.length < descriptor) padded.push("ignore");
      padded.push(devNull);
    }
    launch.stdio = padded as StdioOptions;
  }
  return launch;
}

const signalNames = new Map(Object.entries(osConstants.signals).map(([name, number]) => [number, name]));

/**
 * Spawns `command` in its own process group and resolves when the group is gone.
 *
 * @param command - a checked command.
 * @param options - resolved options.
 * @param signal - the caller's signal.
 */
async function spawnCommand(
  command: ShellCommand,
  options: ResolvedOptions,
  signal: AbortSignal | undefined,
): Promise<CommandResult> {
  const launch = await launchOf(command, options, signal);
  signal?.throwIfAborted();
  const sandboxed = launch.mechanism === "bubblewrap";
  return new Promise<CommandResult>((resolve, reject) => {
    const started = performance.now();
    const { file, argv } = launch;
    let child: ChildProcess;
    let program: number | undefined;
    try {
      const stdio = [...(launch.stdio as unknown[])];
      if (launch.seccomp !== undefined) {
        program = openSync(launch.seccomp, "r");
        stdio[seccompDescriptor] = program;
      }
      child = spawn(file, argv, {
        cwd: command.cwd,
        env: options.env,
        detached: true,
        stdio: stdio as StdioOptions,
        windowsHide: true,
      });
    } catch (error) {
      return reject(spawnFailed(file, error));
    } finally {
      if (program !== undefined) closeSync(program);
    }
    const pid = child.pid;
    const childStdout = child.stdout as Readable;
    const childStderr = child.stderr as Readable;
    const stdout = new Capture(options.maxOutputBytes);
    const stderr = new Capture(options.maxOutputBytes);
    let status = "";
    let stopReason: "timeout" | "output-limit" | "aborted" | undefined;
    let exit: { code: number | null; signal: string | null } | undefined;
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
      let exitCode = exit?.code ?? null;
      let exitSignal = exit?.signal ?? null;
      if (sandboxed && stopReason === undefined && exitSignal === null && !/"exit-code"/.test(status)) {
        // bwrap ended before the command ran: its own message says why.
        const message = stderr.text().trim();
        return reject(
          /^bwrap: execvp /m.test(message)
            ? new ShellToolError("spawn-failed", `Could not start "${command.program}": ${message}`)
            : new ShellToolError(
                "sandbox-unavailable",
                `The kernel sandbox could not set up this command: ${message || `bwrap exited with ${exitCode}`}`,
              ),
        );
      }
      if (sandboxed && stopReason !== undefined && exitCode !== null && exitCode > 128) {
        // Inside the sandbox a death by signal reaches us as bwrap's exit code 128 + N.
        exitSignal = signalNames.get(exitCode - 128) ?? null;
        if (exitSignal !== null) exitCode = null;
      }
      resolve({
        command,
        exitCode,
        signal: exitSignal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        durationMs: Math.round(performance.now() - started),
        timedOut: stopReason === "timeout",
        terminationReason: stopReason ?? (exitCode === null ? "signal" : "exit"),
        ok: stopReason === undefined && exitCode === 0,
      });
    };

    const terminate = () => {
      if (!sandboxed) return killGroup(pid!, "SIGTERM");
      // SIGTERM to bwrap would end the sandbox at once (SIGKILL to everything in it): give the
      // processes inside their grace period instead, as without the sandbox.
      const inside = sandboxedProcesses(pid!);
      if (inside.length === 0) return killGroup(pid!, "SIGTERM");
      for (const insidePid of inside) {
        try {
          process.kill(insidePid, "SIGTERM");
        } catch {
          // Already gone.
        }
      }
    };

    const stop = (reason: NonNullable<typeof stopReason>) => {
      if (stopReason !== undefined || exit !== undefined || settled || pid === undefined) return;
      stopReason = reason;
      terminate();
      later(options.killGraceMs, () => {
        killGroup(pid, "SIGKILL");
        later(closeWaitMs, () => finish());
      });
    };
    const onAbort = () => stop("aborted");

    child.once("error", (error) => {
      if (pid === undefined) finish(spawnFailed(file, error));
    });
    if (pid === undefined) return;
    trackGroup(pid);

    const statusStream = sandboxed ? (child.stdio[statusDescriptor] as Readable | null) : null;
    statusStream?.on("data", (chunk: Buffer) => {
      if (status.length < 65_536) status += chunk.toString("utf8");
    });
    const onData = (capture: Capture) => (chunk: Buffer) => {
      if (capture.push(chunk) && options.onOutputLimit === "kill") stop("output-limit");
    };
    childStdout.on("data", onData(stdout));
    childStderr.on("data", onData(stderr));
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
  const command = prepare(request, options, internal);
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
  const { signal, ...shellOptions } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ShellToolError("invalid-options", 'Option "signal" must be an AbortSignal');
  }
  // prepare() checks the request's shape at run time, whatever its static type
  return execute(request as CommandRequest, resolveOptions(shellOptions, []), signal);
}
