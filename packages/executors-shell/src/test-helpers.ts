/**
 * Helpers for this package's tests (not exported from the package).
 *
 * @module
 */

import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ShellToolError } from "./errors.js";
import { defaultPrograms } from "./program-rules.js";
import { probeSandbox } from "./sandbox.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

/** The default allowlist plus what the tests need to observe processes and the environment. */
export const testPrograms = Object.freeze({
  ...defaultPrograms,
  sh: {},
  yes: {},
  env: {},
  printenv: {},
  true: {},
});

/**
 * Whether the tests that need bubblewrap run: when it works here, and always on CI (where its
 * absence then fails them loudly instead of skipping).
 */
export const sandboxProbe = await probeSandbox();
export const withSandbox = sandboxProbe.available || process.env.CI !== undefined;

/**
 * The host pids of live `sleep <marker>` processes (e.g. `sleep 61.4242`): how a test finds
 * processes started inside a PID namespace, whose own pids mean nothing here.
 */
export function hostPidsRunning(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (commandLine.trim() === `sleep ${marker}` && isAlive(Number(entry))) found.push(Number(entry));
    } catch {}
  }
  return found;
}

/** A marker unlikely to be in any other command line: a sleep duration such as `61.123456`. */
export function uniqueSleep(): string {
  return `61.${Math.floor(Math.random() * 1e6)}`;
}

/** A fresh real temporary root with `spawn-tree.sh`, a file and a sub-directory in it. */
export function makeRoot(): { root: string; cleanup: () => void } {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), "replan-shell-")));
  copyFileSync(path.join(fixtures, "spawn-tree.sh"), path.join(root, "spawn-tree.sh"));
  mkdirSync(path.join(root, "sub"));
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Whether a process with this pid is alive: signal 0 throws ESRCH when it is gone. A zombie (dead,
 * not yet reaped by init, which can take a second or two in some containers) counts as dead.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true;
  }
}

/** Waits until `predicate` holds, polling every 10 ms; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The pids written by `spawn-tree.sh` to `file` (four once it is fully started). */
export function readPids(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map(Number);
}

/** The ShellToolError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
export async function refusal(promise: Promise<unknown>): Promise<ShellToolError> {
  try {
    await promise;
  } catch (error) {
    if (ShellToolError.isInstance(error)) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}
