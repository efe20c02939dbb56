/**
 * Where checkpoints go: in memory for a one-off run, a SQLite file for `--thread`, or PostgreSQL
 * when `DATABASE_URL` is set.
 *
 * @module
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type BaseCheckpointSaver, MemorySaver } from "@langchain/langgraph";
import { handlePoolErrors } from "@replan/langgraph";

/** Options of {@link openCheckpointer}. */
export interface CheckpointerOptions {
  /** The thread id; without one, checkpoints stay in memory. */
  thread?: string | undefined;
  /** The SQLite file used with a thread. */
  sqlitePath: string;
  /** A PostgreSQL connection string; wins over SQLite when set. */
  databaseUrl?: string | undefined;
}

/** An open checkpointer, with a description for people and a way to close it. */
export interface OpenCheckpointer {
  /** The checkpointer to compile the graph with. */
  saver: BaseCheckpointSaver;
  /** e.g. `SQLite /tmp/x/checkpoints.sqlite`. */
  description: string;
  /** Releases connections and file handles. */
  close(): Promise<void>;
}

/**
 * Opens the checkpointer for a run.
 *
 * @param options - thread, SQLite path, PostgreSQL URL.
 * @returns the checkpointer.
 * @throws when the database cannot be opened (the message says which).
 * @example
 * ```ts
 * const store = await openCheckpointer({ thread: "t1", sqlitePath: "/tmp/ws/.replan/checkpoints.sqlite" });
 * ```
 */
export async function openCheckpointer(options: CheckpointerOptions): Promise<OpenCheckpointer> {
  const { thread, sqlitePath, databaseUrl } = options;
  if (thread === undefined) {
    return {
      saver: new MemorySaver(),
      description: "memory (pass --thread to make the run resumable)",
      close: async () => {},
    };
  }
  if (databaseUrl) {
    const { PostgresSaver } = await import("@langchain/langgraph-checkpoint-postgres");
    const { default: pg } = await import("pg");
    // Not PostgresSaver.fromConnString: its pool has no 'error' listener, so a database restart
    // would end the process. Here a dropped connection fails the run (checkpoint-failed), which
    // `--thread` resumes; bounded waits keep a frozen server from hanging it.
    const pool = handlePoolErrors(
      new pg.Pool({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000, query_timeout: 30_000 }),
    );
    const saver = new PostgresSaver(pool);
    try {
      await saver.setup();
    } catch (error) {
      await pool.end().catch(() => {});
      throw error;
    }
    return {
      saver,
      description: `PostgreSQL ${redact(databaseUrl)}`,
      close: () => saver.end(),
    };
  }
  mkdirSync(dirname(sqlitePath), { recursive: true });
  const { SqliteSaver } = await import("@langchain/langgraph-checkpoint-sqlite");
  const saver = SqliteSaver.fromConnString(sqlitePath);
  return {
    saver,
    description: `SQLite ${sqlitePath}`,
    close: async () => {
      (saver as unknown as { db?: { close(): void } }).db?.close();
    },
  };
}

/** A connection string without its password. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(DATABASE_URL)";
  }
}
