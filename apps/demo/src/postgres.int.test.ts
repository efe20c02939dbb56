// With DATABASE_URL, --thread keeps its checkpoints in PostgreSQL (a real server this test starts).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startPostgres,
  type TestPostgres,
} from "../../../packages/langgraph-adapter/src/postgres.test-helper.js";
import { jsonLines, runCli, tempWorkspace } from "./test-helpers.js";

let server: TestPostgres;
let databaseUrl: string;

beforeAll(async () => {
  server = await startPostgres();
  databaseUrl = await server.createDatabase("demo");
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe("durable runs in PostgreSQL", () => {
  it("stores the thread's checkpoints in the database named by DATABASE_URL, and knows it on a second run", async () => {
    const workspace = tempWorkspace();
    const args = ["--json", "--thread", "pg-thread", "--workspace", workspace];
    const first = await runCli(args, { env: { DATABASE_URL: databaseUrl } });
    expect(first.code, first.stderr).toBe(0);
    expect(jsonLines(first.stdout).at(-1)).toMatchObject({ type: "result", status: "completed" });

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        "select count(*)::int as count from checkpoints where thread_id = $1",
        ["pg-thread"],
      );
      expect(rows[0].count).toBeGreaterThan(3);
    } finally {
      await client.end();
    }

    // the same thread again: it is found in PostgreSQL (no SQLite file was used)
    const second = await runCli(args, { env: { DATABASE_URL: databaseUrl } });
    expect(second.code, second.stderr).toBe(0);
    expect(jsonLines(second.stdout).at(-1)).toMatchObject({ type: "result" });
  }, 60_000);
});

describe("the PostgreSQL checkpointer survives a database restart", () => {
  it("a dropped connection does not end the process; the saver works again once the server is back", async () => {
    const { openCheckpointer } = await import("./store.js");
    const store = await openCheckpointer({ thread: "restart", sqlitePath: "/nonexistent", databaseUrl });
    const config = { configurable: { thread_id: "restart", checkpoint_ns: "" } };
    try {
      expect(await store.saver.getTuple(config)).toBeUndefined(); // opens a pooled connection
      await server.crash(); // the idle connection drops: an 'error' event on the pool
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(store.saver.getTuple(config)).rejects.toThrow();
      await server.restart();
      expect(await store.saver.getTuple(config)).toBeUndefined();
    } finally {
      await store.close();
    }
  }, 60_000);
});
