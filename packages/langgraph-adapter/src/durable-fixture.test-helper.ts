// The one fixture of the durability tests that run a plan in child processes against a real
// PostgreSQL server: the server and a database (started before the file's tests, stopped after),
// a client for the tests' queries, children started with the database's URL and killed at the end,
// a bounded wait, and the executor's replay log as saved.
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { type Child, exitOf, startChild } from "./child-process.test-helper.js";
import { startPostgres, type TestPostgres } from "./postgres.test-helper.js";

/** The fixture of one test file (see {@link useDurableFixture}). */
export interface DurableFixture {
  /** The database's connection string (set once `beforeAll` has run). */
  readonly url: string;
  /** A connected client of the database. */
  readonly client: pg.Client;
  /** The server (to crash, freeze or restart it). */
  readonly server: TestPostgres;
  /** Starts `node <fixture>` with `PG_URL` and `env`; it is killed (SIGKILL) after the file's tests if still running. */
  start(fixture: string, env: Record<string, string>): Child;
  /** The records saved by the nodes' replay logs on `thread` (outcomes, run inputs, replanner answers). */
  savedRecords(thread: string): Promise<Array<Record<string, unknown>>>;
}

/**
 * Registers `beforeAll`/`afterAll` hooks that start a PostgreSQL server with a fresh database
 * (named from `database`) and stop it, killing the children still running.
 *
 * @param database - the database name's prefix.
 */
export function useDurableFixture(database: string): DurableFixture {
  let server: TestPostgres | undefined;
  let client: pg.Client | undefined;
  let url = "";
  const children = new Set<Child>();

  beforeAll(async () => {
    server = await startPostgres();
    url = await server.createDatabase(database);
    client = new pg.Client({ connectionString: url });
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    for (const child of children) if (child.process.exitCode === null) child.process.kill("SIGKILL");
    await Promise.all([...children].map((child) => exitOf(child, 5000)));
    await client?.end();
    await server?.stop();
  }, 60_000);

  return {
    get url() {
      return url;
    },
    get client() {
      if (!client) throw new Error("the durable fixture is used before its beforeAll ran");
      return client;
    },
    get server() {
      if (!server) throw new Error("the durable fixture is used before its beforeAll ran");
      return server;
    },
    start(fixture, env) {
      const child = startChild(fixture, { PG_URL: url, ...env });
      children.add(child);
      return child;
    },
    async savedRecords(thread) {
      const { rows } = await this.client.query<{ body: string }>(
        "SELECT convert_from(blob, 'UTF8') AS body FROM checkpoint_writes WHERE thread_id = $1 AND channel = '__return__'",
        [thread],
      );
      return rows.flatMap((row) => {
        const list = (JSON.parse(row.body) as { records?: unknown[] } | null)?.records;
        return Array.isArray(list) ? (list as Array<Record<string, unknown>>) : [];
      });
    },
  };
}

/**
 * Waits until `condition` holds, polling every 20 ms; generous by default (on a loaded machine a
 * child process takes seconds to start).
 *
 * @throws an error naming `what` after `ms`.
 */
export async function waitUntil(condition: () => Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await condition().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
