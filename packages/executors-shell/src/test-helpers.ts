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
  readFileSync,
  realpathSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defaultPrograms } from "./policy.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");

/** The default allowlist plus what the tests need to observe processes and the environment. */
export const testPrograms = Object.freeze({ ...defaultPrograms, sh: {}, yes: {}, env: {}, printenv: {} });

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
