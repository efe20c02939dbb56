/**
 * Sandboxes started ahead of their command. Setting up bubblewrap's namespaces and mounts costs a
 * command about 15 ms on a 2-core machine, mostly the kernel waiting (RCU grace periods while mount
 * namespaces are made and torn down), not computing. So a few sandboxes per configuration are
 * started while the previous commands run or the model thinks; each waits, fully confined, in a
 * tiny launcher (`/bin/sh` reading a script on its stdin) and, when a command comes, `exec`s it
 * (docs/decisions/005-shell-sandbox.md).
 *
 * Nothing about a warm sandbox is weaker than a cold one: it is the same bubblewrap command line
 * (the same namespaces, mounts, seccomp program, environment), only started earlier; the command's
 * program, arguments and working directory come through the pipe, quoted for the shell. A warm
 * sandbox that waits longer than {@link warmIdleMs}, whose root has been replaced since it started,
 * or that died, is never used; each dies with this process (`--die-with-parent`).
 *
 * @module
 */

import { type ChildProcess, spawn, type StdioOptions } from "node:child_process";
import { closeSync, openSync, statSync } from "node:fs";
import type { Socket } from "node:net";
import { seccompDescriptor } from "./bwrap-arguments.js";
import { killGroup } from "./process-group.js";

/** How long a warm sandbox waits for a command before it is stopped, in ms. */
export const warmIdleMs = 30_000;

/** At most this many configurations keep warm sandboxes; the least recently used is dropped. */
const maxConfigurations = 8;

/** Exit code of the launcher when the working directory cannot be entered or the program not run. */
export const launcherFailureCode = 127;

/** The name the launcher gives itself (`$0`): its own messages start with it. */
export const launcherName = "replan-launcher";

/**
 * The launcher: reads the script to its end (shell built-ins only: no process is started), gives
 * the command `/dev/null` as its input, and runs the script, which `exec`s the command.
 */
export const launcherArgv: readonly string[] = [
  "/bin/sh",
  "-c",
  'REPLAN_LAUNCH_SCRIPT=; while IFS= read -r REPLAN_LAUNCH_LINE; do REPLAN_LAUNCH_SCRIPT="$REPLAN_LAUNCH_SCRIPT$REPLAN_LAUNCH_LINE\n"; done; exec </dev/null; eval "$REPLAN_LAUNCH_SCRIPT"',
  launcherName,
];

/** `value` as one word for the POSIX shell: single-quoted (NUL never reaches here: refused before). */
function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The script a launcher runs for one command: forget the launcher's two variables (restoring
 * them if the command's environment has them), enter the working directory, `exec` the argv.
 *
 * @param argv - the program (or `/bin/sh -c ...` in shell mode) and its arguments.
 * @param cwd - the real working directory, inside the root.
 * @param env - the command's environment (for the launcher's variable names only).
 */
export function launchScript(
  argv: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>>,
): string {
  const lines = ["unset REPLAN_LAUNCH_LINE REPLAN_LAUNCH_SCRIPT"];
  for (const name of ["REPLAN_LAUNCH_LINE", "REPLAN_LAUNCH_SCRIPT"]) {
    if (env[name] !== undefined) lines.push(`export ${name}=${quote(env[name])}`);
  }
  lines.push(
    `cd -- ${quote(cwd)} 2>/dev/null || { echo ${quote(`${launcherName}: cannot enter ${cwd}`)} >&2; exit ${launcherFailureCode}; }`,
    // `cd` sets OLDPWD: the command's environment is exactly the one asked for.
    ...(env.OLDPWD === undefined ? ["unset OLDPWD"] : []),
    `exec ${argv.map(quote).join(" ")}`,
  );
  return `${lines.join("\n")}\n`;
}

/** A sandbox started ahead of its command, waiting in the launcher. */
interface Warm {
  child: ChildProcess;
  /** The root's device and inode when it started: a replaced root makes it stale. */
  rootId: string;
  timer: NodeJS.Timeout;
}

/** What starts one process: bwrap with its command line (ending with the launcher), or a program. */
export interface SandboxSpawn {
  file: string;
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  /** The host working directory of bwrap itself (the root). */
  cwd: string;
  stdio: StdioOptions;
  /** The seccomp program's file, opened on descriptor 4 only for the spawn. */
  seccomp: string | undefined;
}

const pools = new Map<string, Warm[]>();

function keyOf(spec: SandboxSpawn): string {
  return JSON.stringify([spec.file, spec.argv, spec.env, spec.cwd, spec.seccomp]);
}

function rootIdOf(root: string): string {
  try {
    const stat = statSync(root);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return "missing";
  }
}

function setRef(child: ChildProcess, on: boolean): void {
  if (on) child.ref();
  else child.unref();
  for (const stream of child.stdio) {
    const socket = stream as Partial<Socket> | null;
    if (on) socket?.ref?.();
    else socket?.unref?.();
  }
}

/**
 * Starts a process (a sandbox, or a command without one) in its own process group, the seccomp
 * program's file open on descriptor 4 only for the spawn.
 *
 * @param spec - what to start.
 */
export function startProcess(spec: SandboxSpawn): ChildProcess {
  let program: number | undefined;
  try {
    const stdio = [...(spec.stdio as unknown[])];
    if (spec.seccomp !== undefined) {
      program = openSync(spec.seccomp, "r");
      stdio[seccompDescriptor] = program;
    }
    return spawn(spec.file, [...spec.argv], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: stdio as StdioOptions,
      windowsHide: true,
    });
  } finally {
    if (program !== undefined) closeSync(program);
  }
}

function stopWarm(warm: Warm): void {
  clearTimeout(warm.timer);
  if (warm.child.pid !== undefined) killGroup(warm.child.pid, "SIGKILL");
  for (const stream of warm.child.stdio) stream?.destroy();
}

function isAlive(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Tops up the pool of `key` to `count` warm sandboxes. */
function refill(key: string, spec: SandboxSpawn, root: string, count: number): void {
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = [];
    pools.set(key, pool);
    while (pools.size > maxConfigurations) {
      const [oldest, dropped] = pools.entries().next().value as [string, Warm[]];
      pools.delete(oldest);
      for (const warm of dropped) stopWarm(warm);
    }
  }
  const rootId = rootIdOf(root);
  while (pool.length < count) {
    let child: ChildProcess;
    try {
      child = startProcess(spec);
    } catch {
      return; // The command's own spawn will report why.
    }
    // An idle sandbox must not keep this process alive, nor crash it by failing.
    child.on("error", () => {});
    if (child.pid === undefined) return;
    // Not tracked for the exit-time kill: bubblewrap's --die-with-parent ends it with this process.
    setRef(child, false);
    const warm: Warm = { child, rootId, timer: setTimeout(() => drop(key, warm), warmIdleMs) };
    warm.timer.unref();
    pool.push(warm);
  }
}

function drop(key: string, warm: Warm): void {
  const pool = pools.get(key);
  const index = pool?.indexOf(warm) ?? -1;
  if (index >= 0) pool!.splice(index, 1);
  stopWarm(warm);
}

/**
 * A sandbox for one command: a warm one of this configuration if one is alive and fresh, else one
 * started now; either way, the pool of this configuration is topped up to `prewarm` afterwards
 * (on the next turn of the event loop, so that this command goes first); with `prewarm` 0, a new
 * sandbox always, and the pool is neither used nor filled. The caller writes the
 * {@link launchScript} to its stdin and owns it from then on (its group is tracked).
 *
 * @param spec - how to start a sandbox of this configuration.
 * @param root - the root (its identity is checked against the warm sandbox's).
 * @param prewarm - how many to keep warm for this configuration (0: none).
 */
export function takeSandbox(spec: SandboxSpawn, root: string, prewarm: number): ChildProcess {
  // 0: this command's sandbox is set up with it, not taken from another tool's warm ones.
  if (prewarm === 0) return startProcess(spec);
  const key = keyOf(spec);
  const pool = pools.get(key);
  let child: ChildProcess | undefined;
  if (pool !== undefined) {
    // Most recently used last: this configuration stays.
    pools.delete(key);
    pools.set(key, pool);
    const rootId = rootIdOf(root);
    while (child === undefined && pool.length > 0) {
      const warm = pool.shift()!;
      if (isAlive(warm.child) && warm.rootId === rootId) {
        clearTimeout(warm.timer);
        child = warm.child;
        setRef(child, true);
      } else stopWarm(warm);
    }
  }
  child ??= startProcess(spec);
  setImmediate(() => refill(key, spec, root, prewarm));
  return child;
}

/** Stops every warm sandbox (tests; a process that wants its children gone before it exits). */
export function stopWarmSandboxes(): void {
  for (const [key, pool] of pools) {
    pools.delete(key);
    for (const warm of pool) stopWarm(warm);
  }
}
