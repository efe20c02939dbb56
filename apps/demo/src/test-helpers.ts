// Helpers for the end-to-end tests: they run the BUILT CLI (dist/cli.js) as a real process with
// the Node running the tests, without any OpenAI or database settings from the outer environment.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const cliPath = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

/** The environment of a demo process: fast pace, no colours, no key, no database. */
export function demoEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "DATABASE_URL", "FORCE_COLOR"]) delete env[name];
  return { ...env, REPLAN_DEMO_FAST: "1", NO_COLOR: "1", ...extra };
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; `input` is written to its stdin, which is then closed. */
export function startCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): { child: ChildProcess; done: Promise<Finished> } {
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: demoEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  const done = new Promise<Finished>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the CLI to its end. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {},
): Promise<Finished> {
  return startCli(args, { input: "", ...options }).done;
}

/** Calls `onLine` for each complete stdout line as it arrives. */
export function onLines(child: ChildProcess, onLine: (line: string) => void): void {
  let buffer = "";
  child.stdout!.on("data", (chunk: string | Buffer) => {
    buffer += chunk.toString();
    let index = buffer.indexOf("\n");
    while (index >= 0) {
      onLine(buffer.slice(0, index));
      buffer = buffer.slice(index + 1);
      index = buffer.indexOf("\n");
    }
  });
}

/** A JSON event line of `--json` output. */
export interface JsonLine {
  type: string;
  at?: number;
  [key: string]: unknown;
}

/** The JSON lines of a `--json` run. */
export function jsonLines(stdout: string): JsonLine[] {
  return stdout
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as JsonLine);
}

/** A fresh workspace folder. */
export function tempWorkspace(): string {
  return mkdtempSync(join(tmpdir(), "replan-demo-test-"));
}

/** The service hits counted in a workspace, by operation id. */
export function readHits(workspace: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(join(workspace, ".replan", "service-hits.json"), "utf8")) as Record<
      string,
      number
    >;
  } catch {
    return {};
  }
}
