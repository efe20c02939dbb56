// A fixture script run in a child process by the durability tests: its JSON lines on stdout are
// collected as messages, its stderr kept for failure messages, its exit awaited with a bound.
import { type ChildProcess, spawn } from "node:child_process";

/** A running fixture: its process, the JSON messages it printed so far, its stderr, its exit. */
export interface Child {
  process: ChildProcess;
  messages: Array<Record<string, unknown>>;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node <fixture>` with `env` added to this process's environment. */
export function startChild(fixture: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, [fixture], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const messages: Array<Record<string, unknown>> = [];
  let buffer = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        messages.push(JSON.parse(line));
      } catch {
        // not ours
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return { process: child, messages, stderr: () => stderr, exited };
}

/** Waits for the child to exit, killing it (SIGKILL) if it takes longer than `ms`. */
export async function exitOf(child: Child, ms: number) {
  const timer = setTimeout(() => child.process.kill("SIGKILL"), ms);
  try {
    return await child.exited;
  } finally {
    clearTimeout(timer);
  }
}
