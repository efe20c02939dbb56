/**
 * The place a run lives in: its workspace folder (the files the shell steps see, and `.replan/`
 * with the checkpoints and the service's hit counts), its thread id, its checkpointer, and what
 * the demo remembers about a thread to resume it the same way.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { errorMessage } from "@replan/core/internal";
import type { CliOptions } from "./args.js";
import { ConfigError } from "./errors.js";
import { SCENARIOS } from "./scenarios.js";
import { type OpenCheckpointer, openCheckpointer } from "./store.js";

/** What the demo remembers about a thread, next to its workspace, to resume it the same way. */
export interface ThreadMeta {
  thread: string;
  goal: string;
  scenario: string | null;
}

/** A run's workspace and thread. */
export interface DemoThread {
  /** The folder the shell steps are confined to. */
  workspace: string;
  /** `<workspace>/.replan`: checkpoints, service hits, thread notes. */
  stateDir: string;
  /** `--thread`, or a fresh id for a one-off run. */
  id: string;
  /** Whether `--thread` named the thread (so that it can be resumed). */
  named: boolean;
  /** What an earlier run of this `--thread` remembered, if any. */
  meta: ThreadMeta | undefined;
  /** Remembers the goal and scenario of this `--thread` for the next run. */
  remember(goal: string, scenario: string | null): void;
}

/**
 * Makes the workspace (given, `<tmp>/replan-demo/<thread>`, or a new temp folder) and fills it
 * with every scenario's files; reads what an earlier run of the thread remembered.
 *
 * @param options - `--workspace` and `--thread`.
 * @example
 * ```ts
 * const thread = openWorkspace(parseCli(["--thread", "t1"], {})); // thread.workspace: <tmp>/replan-demo/t1
 * ```
 */
export function openWorkspace(options: Pick<CliOptions, "workspace" | "thread">): DemoThread {
  const workspace = resolve(
    options.workspace ??
      (options.thread !== undefined
        ? join(tmpdir(), "replan-demo", options.thread)
        : mkdtempSync(join(tmpdir(), "replan-demo-"))),
  );
  const stateDir = join(workspace, ".replan");
  mkdirSync(stateDir, { recursive: true });
  for (const known of SCENARIOS) known.setup(workspace);
  const metaFile = join(stateDir, `thread-${options.thread ?? "none"}.json`);
  return {
    workspace,
    stateDir,
    id: options.thread ?? randomUUID(),
    named: options.thread !== undefined,
    meta: options.thread !== undefined ? readMeta(metaFile) : undefined,
    remember(goal, scenario) {
      if (options.thread === undefined) return;
      writeFileSync(
        metaFile,
        JSON.stringify({ thread: options.thread, goal, scenario } satisfies ThreadMeta),
      );
    },
  };
}

/**
 * Opens the thread's checkpointer: in memory for a one-off run, else PostgreSQL (`DATABASE_URL`)
 * or a SQLite file (`--db`, by default in the workspace).
 *
 * @param thread - the workspace and thread.
 * @param options - `--db`.
 * @param env - the environment (`DATABASE_URL`).
 * @throws {@link ConfigError} when the database cannot be opened.
 * @example
 * ```ts
 * const store = await openThreadStore(thread, options, process.env);
 * ```
 */
export async function openThreadStore(
  thread: DemoThread,
  options: Pick<CliOptions, "db">,
  env: NodeJS.ProcessEnv,
): Promise<OpenCheckpointer> {
  try {
    return await openCheckpointer({
      thread: thread.named ? thread.id : undefined,
      sqlitePath: resolve(options.db ?? join(thread.stateDir, "checkpoints.sqlite")),
      databaseUrl: env.DATABASE_URL?.trim() || undefined,
    });
  } catch (error) {
    throw new ConfigError(`cannot open the checkpoint database: ${errorMessage(error)}`, { cause: error });
  }
}

function readMeta(file: string): ThreadMeta | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as Partial<ThreadMeta>;
    if (typeof value.goal !== "string") return undefined;
    return { thread: String(value.thread), goal: value.goal, scenario: value.scenario ?? null };
  } catch {
    return undefined;
  }
}
