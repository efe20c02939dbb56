// Crashes during a local replan (SIGKILL of a child process, PostgresSaver on a real PostgreSQL
// server, a real ChatOpenAI against the scripted server in this process). The replanner runs in
// the node that runs the steps, and its answer is saved in that node's replay log: a resumed run
// runs no finished step again, asks a replan that was pending at the crash once more, and does not
// ask one whose answer was saved.
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { exitOf } from "./child-process.test-helper.js";
import { useDurableFixture, waitUntil } from "./durable-fixture.test-helper.js";
import type { ScriptedOpenAIServer } from "./openai-script.js";
import { startScriptedOpenAIServer } from "./openai-server.js";
import { postgresAvailable } from "./postgres.test-helper.js";

const fixture = fileURLToPath(new URL("./fixtures/streamed-run.mjs", import.meta.url));

/** A compact plan line of the fixture's `work` tool. */
const line = (id: string, options: { hang?: boolean; fail?: boolean; after?: string[] } = {}) => {
  const after = options.after && options.after.length > 0 ? `[${options.after.join(",")}]` : "";
  const fail = options.fail ? ',"fail":true' : "";
  return `${id}${after} = work {"label":"${id}","hang":${options.hang ?? false}${fail}}`;
};

/** The replanner's compact patch: "a" again, without the failure (it waits `HANG_MS`: in flight at a kill). */
const PATCH = `${line("a", { hang: true })}\nreason: the primary is back`;

describe.skipIf(!postgresAvailable)("crash during a local replan (PostgresSaver, child processes)", () => {
  const db = useDurableFixture("replan_crash");
  const servers: ScriptedOpenAIServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  const run = (server: ScriptedOpenAIServer, thread: string, mode: "start" | "resume", hangMs: number) =>
    db.start(fixture, { THREAD_ID: thread, MODE: mode, MODEL_URL: server.url, HANG_MS: String(hangMs) });

  /** Tool calls started and finished, by step. */
  const effects = async (thread: string) => {
    const { rows } = await db.client.query<{ step: string; event: string }>(
      "SELECT step, event FROM side_effects WHERE thread = $1 ORDER BY id",
      [thread],
    );
    const count = (event: string) =>
      rows
        .filter((row) => row.event === event)
        .reduce<Record<string, number>>((counts, row) => {
          counts[row.step] = (counts[row.step] ?? 0) + 1;
          return counts;
        }, {});
    return { start: count("start"), finish: count("finish") };
  };

  const saved = async (thread: string) => {
    const records = await db.savedRecords(thread);
    const replan = records.filter((record) => record.kind === "replan");
    const entry = (record: (typeof records)[number]) =>
      (record.input as { type?: unknown } | undefined)?.type === "replan-step";
    return {
      steps: new Set(records.flatMap((record) => (typeof record.stepId === "string" ? [record.stepId] : []))),
      outcomes: (id: string) => records.filter((record) => record.stepId === id).length,
      /** Answers saved (ends, failures), not the entries of a streamed patch. */
      replans: replan.filter((record) => !entry(record)).length,
      entries: replan.filter(entry).length,
    };
  };

  const replannerRequests = (server: ScriptedOpenAIServer) =>
    server.requests.filter((request) => request.headers["x-replan-role"] === "replanner").length;

  async function startServer(
    hang: number[],
    stallStreams: Array<{ request: number; afterChunks: number }> = [],
  ) {
    const server = await startScriptedOpenAIServer({
      responses: { planner: [plan], replanner: [PATCH], answer: ["all done"] },
      hang,
      stallStreams,
    });
    servers.push(server);
    return server;
  }

  const plan = [
    line("a", { fail: true }),
    line("a2", { after: ["a"] }),
    line("b1"),
    line("b2", { hang: true, after: ["b1"] }),
  ].join("\n");

  it("SIGKILL while the replanner is asked: the resume asks it once more and runs no finished step again", async () => {
    const server = await startServer([1]); // the first replanner request (request 1) never answers
    const first = run(server, "pending", "start", 600_000);
    await waitUntil(async () => {
      const log = await saved("pending");
      const { start } = await effects("pending");
      return replannerRequests(server) === 1 && log.steps.has("a") && log.steps.has("b1") && start.b2 === 1;
    }, "the replanner asked while b1 is saved and b2 runs").catch((error: Error) => {
      throw new Error(`${error.message}\nchild stderr:\n${first.stderr()}`);
    });
    first.process.kill("SIGKILL");
    await exitOf(first, 15_000);
    expect((await saved("pending")).replans).toBe(0);

    const second = run(server, "pending", "resume", 5);
    const exit = await exitOf(second, 60_000);
    expect(exit, second.stderr()).toEqual({ code: 0, signal: null });
    const state = second.messages.find((message) => message.type === "state") as {
      outcome: { status: string };
      results: Record<string, unknown>;
    };
    expect(state.outcome.status).toBe("completed");
    expect(Object.keys(state.results).sort()).toEqual(["a", "a2", "b1", "b2"]);
    expect(replannerRequests(server)).toBe(2); // asked once more
    const { start, finish } = await effects("pending");
    // a: the failure, then its replacement; b2 was in flight at the crash (an idempotent tool: run again)
    expect(start).toEqual({ a: 2, a2: 1, b1: 1, b2: 2 });
    expect(finish).toEqual({ a: 1, a2: 1, b1: 1, b2: 1 });
  }, 120_000);

  it("SIGKILL after the replanner's answer was saved: the resume does not ask it again", async () => {
    const server = await startServer([]);
    const first = run(server, "answered", "start", 600_000);
    await waitUntil(async () => {
      const log = await saved("answered");
      const { start } = await effects("answered");
      return log.replans === 1 && log.steps.has("b1") && start.b2 === 1 && (start.a ?? 0) === 2;
    }, "the answer saved, the replaced a and b2 running").catch((error: Error) => {
      throw new Error(`${error.message}\nchild stderr:\n${first.stderr()}`);
    });
    first.process.kill("SIGKILL");
    await exitOf(first, 15_000);

    const second = run(server, "answered", "resume", 5);
    const exit = await exitOf(second, 60_000);
    expect(exit, second.stderr()).toEqual({ code: 0, signal: null });
    const state = second.messages.find((message) => message.type === "state") as {
      outcome: { status: string };
    };
    expect(state.outcome.status).toBe("completed");
    expect(replannerRequests(server)).toBe(1); // the saved answer is applied from the log
    const { start, finish } = await effects("answered");
    // a: the failure, its replacement in flight at the kill, that replacement again (idempotent)
    expect(start).toEqual({ a: 3, a2: 1, b1: 1, b2: 2 });
    expect(finish).toEqual({ a: 1, a2: 1, b1: 1, b2: 1 });
  }, 120_000);

  it("SIGKILL mid-patch (its entry applied and saved, the answer not ended): the entry is kept, the cut answer fails, the next is asked", async () => {
    // the first replanner answer stops after its first line (role chunk + 3 pieces of 16 characters)
    const server = await startServer([], [{ request: 1, afterChunks: 4 }]);
    const first = run(server, "mid-patch", "start", 600_000);
    await waitUntil(async () => {
      const log = await saved("mid-patch");
      const { start } = await effects("mid-patch");
      return log.entries === 1 && log.replans === 0 && start.a === 2 && start.b2 === 1;
    }, "the entry saved, the replaced a and b2 running, the answer not ended").catch((error: Error) => {
      throw new Error(`${error.message}\nchild stderr:\n${first.stderr()}`);
    });
    first.process.kill("SIGKILL");
    await exitOf(first, 15_000);

    const second = run(server, "mid-patch", "resume", 5);
    const exit = await exitOf(second, 60_000);
    expect(exit, second.stderr()).toEqual({ code: 0, signal: null });
    const state = second.messages.find((message) => message.type === "state") as {
      outcome: { status: string };
      results: Record<string, unknown>;
    };
    expect(state.outcome.status).toBe("completed");
    expect(Object.keys(state.results).sort()).toEqual(["a", "a2", "b1", "b2"]);
    expect(replannerRequests(server)).toBe(2); // the cut answer, then one more
    const { start, finish } = await effects("mid-patch");
    // a: the failure, its replacement (applied from the saved entry) in flight at the kill, that
    // replacement again (idempotent); the second answer writes it again: no error, no new run
    expect(start).toEqual({ a: 3, a2: 1, b1: 1, b2: 2 });
    expect(finish).toEqual({ a: 1, a2: 1, b1: 1, b2: 1 });
  }, 120_000);
});
