/**
 * How a checked command is started: directly, or inside bubblewrap or `sandbox-exec`, with the
 * descriptors this process leaked covered.
 *
 * @module
 */

import type { StdioOptions } from "node:child_process";
import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bwrapArguments } from "./bwrap-arguments.js";
import { leakedDescriptors, nullDescriptor } from "./descriptors.js";
import { ShellToolError } from "./errors.js";
import type { ShellCommand } from "./options.js";
import type { ResolvedOptions } from "./resolve-options.js";
import type { ResolvedSandbox } from "./sandbox-options.js";
import { privateDevices } from "./private-devices.js";
import { findExecutable, requireSandbox, type SandboxMechanism } from "./sandbox.js";
import { sandboxFiles } from "./sandbox-files.js";
import { systemLayout, visibleInside } from "./sandbox-layout.js";
import { seatbeltProfile } from "./seatbelt.js";
import { launchScript, launcherArgv } from "./warm-sandboxes.js";

/** How a checked command is started: directly, or through the sandbox's launcher. */
export interface Launch {
  file: string;
  argv: string[];
  stdio: StdioOptions;
  mechanism: SandboxMechanism | undefined;
  /** The seccomp program's file, opened for bubblewrap on its descriptor 4 at spawn. */
  seccomp?: string | undefined;
  /**
   * In bubblewrap: the launcher's script that `exec`s the command ({@link launchScript}); `argv`
   * then starts the launcher, the same for every command of this configuration, so that the
   * sandbox can be started ahead of its command.
   */
  script?: string | undefined;
}

let seatbeltTemporary: string | undefined;

/** Throws `spawn-failed` unless `program` is on the child's `PATH` and visible inside the sandbox. */
function checkVisible(program: string, options: ResolvedOptions, sandbox: ResolvedSandbox): void {
  const found = findExecutable(program, options.env.PATH);
  if (found === undefined) {
    throw new ShellToolError(
      "spawn-failed",
      `Could not start "${program}": not found on PATH (${options.env.PATH})`,
    );
  }
  let real = found;
  try {
    real = realpathSync(found);
  } catch {}
  if (!visibleInside(found, options.root, sandbox) || !visibleInside(real, options.root, sandbox)) {
    throw new ShellToolError(
      "spawn-failed",
      `Could not start "${program}": ${real} is not visible inside the sandbox; add its folder to sandbox.readOnlyPaths`,
    );
  }
}

/** bwrap around `inner`, with its status descriptor (3) and the seccomp program's (4). */
async function bubblewrapLaunch(
  executable: string,
  inner: readonly string[],
  command: ShellCommand,
  options: ResolvedOptions,
  sandbox: ResolvedSandbox,
): Promise<Launch> {
  const files = sandboxFiles(options.root);
  const plan = {
    root: options.root,
    cwd: options.root,
    sandbox,
    identity: files,
    seccomp: files.seccomp !== undefined,
    devices: await privateDevices(),
  };
  return {
    file: executable,
    argv: [...bwrapArguments(systemLayout(), plan), "--", ...launcherArgv],
    // 0: the launcher's script; 3: bwrap's status; 4: the seccomp program's file, opened at spawn.
    stdio: ["pipe", "pipe", "pipe", "pipe", "ignore"],
    mechanism: "bubblewrap",
    seccomp: files.seccomp,
    script: launchScript(inner, command.cwd, options.env),
  };
}

/** sandbox-exec around `inner`, with the profile and its `ROOT` and `TMP` parameters. */
function seatbeltLaunch(
  executable: string,
  inner: readonly string[],
  options: ResolvedOptions,
  sandbox: ResolvedSandbox,
): Launch {
  seatbeltTemporary ??= realpathSync(mkdtempSync(path.join(tmpdir(), "replan-sandbox-")));
  return {
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
    stdio: ["ignore", "pipe", "pipe"],
    mechanism: "seatbelt",
  };
}

/** Covers the descriptors this process inherited without close-on-exec with `/dev/null`. */
function coverLeakedDescriptors(stdio: StdioOptions): StdioOptions {
  const leaked = leakedDescriptors();
  if (leaked.length === 0) return stdio;
  const devNull = nullDescriptor();
  const padded = [...(stdio as unknown[])];
  for (const descriptor of leaked) {
    if (descriptor < padded.length) continue;
    while (padded.length < descriptor) padded.push("ignore");
    padded.push(devNull);
  }
  return padded as StdioOptions;
}

/**
 * The file, argument vector and descriptors that run `command`: the program itself, or bwrap /
 * sandbox-exec around it. Descriptors this process inherited without close-on-exec are covered
 * with `/dev/null` so that the child cannot use them.
 *
 * @param command - a checked command.
 * @param options - resolved options.
 * @param signal - the caller's signal (the sandbox probe may wait).
 */
export async function launchOf(
  command: ShellCommand,
  options: ResolvedOptions,
  signal: AbortSignal | undefined,
): Promise<Launch> {
  const inner = command.shell
    ? ["/bin/sh", "-c", command.program, "sh", ...command.args]
    : [command.program, ...command.args];
  let launch: Launch = {
    file: inner[0]!,
    argv: inner.slice(1),
    stdio: ["ignore", "pipe", "pipe"],
    mechanism: undefined,
  };
  const sandbox = options.sandbox;
  if (sandbox !== undefined) {
    const { mechanism, executable } = await requireSandbox(signal);
    if (!command.shell) checkVisible(command.program, options, sandbox);
    launch =
      mechanism === "bubblewrap"
        ? await bubblewrapLaunch(executable, inner, command, options, sandbox)
        : seatbeltLaunch(executable, inner, options, sandbox);
  }
  return { ...launch, stdio: coverLeakedDescriptors(launch.stdio) };
}
