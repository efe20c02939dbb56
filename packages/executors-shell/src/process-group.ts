/**
 * Signals to whole process groups, and a last-resort kill of every group still running when this
 * process exits, so that no child outlives its parent.
 *
 * @module
 */

const liveGroups = new Set<number>();

function killAllOnExit(): void {
  for (const pid of liveGroups) killGroup(pid, "SIGKILL");
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
  if (liveGroups.size === 0) process.on("exit", killAllOnExit);
  liveGroups.add(pid);
}

/**
 * Forgets a group that is gone.
 *
 * @param pid - the group leader's pid.
 */
export function untrackGroup(pid: number): void {
  if (!liveGroups.delete(pid)) return;
  if (liveGroups.size === 0) process.off("exit", killAllOnExit);
}
