/**
 * Short-lived helper commands of the sandbox probe, bounded by a timeout, their process group
 * killed once they exit.
 *
 * @module
 */

import { spawn } from "node:child_process";

/** How long a helper command (and so the probe) may take before it counts as a failure (not cached). */
export const probeTimeoutMs = 10_000;

/**
 * Runs `file args` in its own process group with a timeout; resolves with its exit code (or null)
 * and stderr once it has exited, after killing whatever it left in its group.
 */
export function trial(file: string, args: readonly string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stderr: string; timedOut: boolean; error?: Error }>((resolve) => {
    const child = spawn(file, args, { stdio: ["ignore", "ignore", "pipe", "pipe"], env, detached: true });
    let stderr = "";
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {}
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, probeTimeoutMs);
    child.stderr!.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString("utf8");
    });
    (child.stdio[3] as NodeJS.ReadableStream | null)?.resume();
    const done = (code: number | null, error?: Error) => {
      clearTimeout(timer);
      killGroup();
      for (const stream of child.stdio) stream?.destroy();
      resolve({ code, stderr, timedOut, ...(error === undefined ? {} : { error }) });
    };
    child.once("error", (error) => done(null, error));
    // Wait for stderr to be read, but not for descendants that might keep it open.
    child.once("exit", (code) => setTimeout(() => done(code), 50));
  });
}
