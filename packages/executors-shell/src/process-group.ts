/**
 * Signals to whole process groups, and a last-resort kill of every group still running when this
 * process exits (normally, or on SIGINT, SIGTERM or SIGHUP), so that no child outlives its parent;
 * and the processes inside a bubblewrap sandbox, which are signalled one by one.
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";

const liveGroups = new Set<number>();

/** Signals that end this process by default; on them, live groups are killed first. */
const fatalSignals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function killAllOnExit(): void {
  for (const pid of liveGroups) killGroup(pid, "SIGKILL");
}

/**
 * Kills the live groups, then, when no one else listens for `signal`, lets it end this process as
 * it would have without us (the way `signal-exit` does).
 *
 * @param signal - the signal received.
 */
function killAllOnSignal(signal: NodeJS.Signals): void {
  killAllOnExit();
  if (process.listenerCount(signal) === 1) {
    removeListeners();
    process.kill(process.pid, signal);
  }
}

function addListeners(): void {
  process.on("exit", killAllOnExit);
  for (const signal of fatalSignals) process.on(signal, killAllOnSignal);
}

function removeListeners(): void {
  process.off("exit", killAllOnExit);
  for (const signal of fatalSignals) process.off(signal, killAllOnSignal);
}

/**
 * Sends `signal` to the process group led by `pid`. A group that is already gone is not an error.
 *
 * @param pid - the group leader's pid (spawned with `detached: true`).
 * @param signal - the signal to send.
 */
export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * Records a running group, to be killed if this process exits first.
 *
 * @param pid - the group leader's pid.
 */
export function trackGroup(pid: number): void {
  if (liveGroups.size === 0) addListeners();
  liveGroups.add(pid);
}

/**
 * Forgets a group that is gone.
 *
 * @param pid - the group leader's pid.
 */
export function untrackGroup(pid: number): void {
  if (!liveGroups.delete(pid)) return;
  if (liveGroups.size === 0) removeListeners();
}

/**
 * The host pids of every process inside a bubblewrap sandbox but its init: the descendants of
 * the grandchildren of `bwrapPid` (bwrap → its PID-namespace init → the command and what it
 * started, `setsid` ones included, since orphans are re-parented to that init). Empty when
 * `/proc/<pid>/task/<tid>/children` is not available.
 *
 * @param bwrapPid - the pid of the bwrap process this process spawned.
 */
export function sandboxedProcesses(bwrapPid: number): number[] {
  const children = (pid: number): number[] => {
    const found: number[] = [];
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
        if (text !== "") found.push(...text.split(" ").map(Number));
      }
    } catch {}
    return found;
  };
  const result: number[] = [];
  let frontier = children(bwrapPid).flatMap(children);
  for (let round = 0; frontier.length > 0 && round < 1_000; round++) {
    result.push(...frontier);
    frontier = frontier.flatMap(children);
  }
  return result;
}
