/**
 * Starts LangGraph's own dev server (`langgraphjs dev`) on a free loopback port for a test file,
 * and stops its whole process group.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

const APP_DIR = fileURLToPath(new URL("..", import.meta.url));
const CLI = `${realpathSync(`${APP_DIR}node_modules/@langchain/langgraph-cli`)}/dist/cli/cli.mjs`;

/** A running dev server. */
export interface DevServer {
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Stops the process group: SIGTERM, then SIGKILL; resolves when no process of it is left. */
  stop(): Promise<void>;
}

/** Options of {@link startDevServer}. */
export interface DevServerOptions {
  /** Extra environment for the server (over a copy of `process.env` without tracing). */
  env?: Record<string, string>;
  /** How long to wait for `/ok`. @default 60000 */
  startTimeoutMs?: number;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Spawns `langgraphjs dev --no-browser --port P --host 127.0.0.1` in `apps/server` as the leader of
 * its own process group, and waits until `GET /ok` answers 200 (or the process exits, or the
 * timeout passes: then the group is killed and this rejects with the server's output).
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const { env = {}, startTimeoutMs = 60_000 } = options;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const baseEnv: Record<string, string | undefined> = { ...process.env };
  for (const name of ["LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGSMITH_ENDPOINT", "LANGCHAIN_ENDPOINT"])
    delete baseEnv[name];
  const child = spawn(
    process.execPath,
    [CLI, "dev", "--no-browser", "--port", String(port), "--host", "127.0.0.1"],
    {
      cwd: APP_DIR,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...baseEnv,
        LANGSMITH_TRACING: "false",
        LANGCHAIN_TRACING_V2: "false",
        LANGGRAPH_CLI_NO_ANALYTICS: "1",
        BROWSER: "none",
        NO_COLOR: "1",
        ...env,
      },
    },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const server: DevServer = { url, output: () => output, stop: () => stopGroup(child, exited) };

  const deadline = Date.now() + startTimeoutMs;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (Date.now() < deadline && !gone) {
    try {
      const response = await fetch(`${url}/ok`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await server.stop();
  throw new Error(
    `langgraphjs dev did not answer /ok ${gone ? "(it exited)" : `within ${startTimeoutMs} ms`}:\n${output}`,
  );
}

async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals | 0) => {
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      return false; // ESRCH: the group is gone
    }
  };
  if (!signalGroup("SIGTERM")) return;
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (!signalGroup(0)) break;
  }
  if (signalGroup("SIGKILL")) {
    await exited;
    for (let wait = 0; wait < 50 && signalGroup(0); wait++)
      await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (signalGroup(0)) throw new Error(`process group ${pid} of langgraphjs dev is still alive`);
}
