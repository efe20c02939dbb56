// Crashes of a run whose plan streams (SIGKILL of a child process, PostgresSaver on a real
// PostgreSQL server, a real ChatOpenAI against the scripted server in this process): the resumed
// run does not run finished steps again, and calls the planner again only when the plan was cut.
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { exitOf } from "./child-process.test-helper.js";
import { useDurableFixture, waitUntil } from "./durable-fixture.test-helper.js";
import type { ScriptedOpenAIServer } from "./openai-script.js";
import { startScriptedOpenAIServer } from "./openai-server.js";
import { postgresAvailable } from "./postgres.test-helper.js";

const fixture = fileURLToPath(new URL("./fixtures/streamed-run.mjs", import.meta.url));

/** A compact plan line of the fixture's `work` tool. */
const line = (id: string, hang = false, after: string[] = []) =>
  `${id}${after.length > 0 ? `[${after.join(",")}]` : ""} = work {"label":"${id}","hang":${hang}}`;

describe.skipIf(!postgresAvailable)("crash of a streamed plan (PostgresSaver, child processes)", () => {
  const db = useDurableFixture("streamed_crash");
  const servers: ScriptedOpenAIServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  const run = (server: ScriptedOpenAIServer, thread: string, mode: "start" | "resume", hangMs: number) => {
    return db.start(fixture, {
      THREAD_ID: thread,
      MODE: mode,
      MODEL_URL: server.url,
      HANG_MS: String(hangMs),
    });
  };

  const starts = async (thread: string) => {
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

  /** What the planner node's replay log holds: the steps whose outcome is saved, and the run's inputs. */
  const saved = async (thread: string) => {
    const records = (await db.savedRecords(thread)) as Array<{ stepId?: string; input?: { type: string } }>;
    return {
      steps: new Set(records.flatMap((record) => (record.stepId ? [record.stepId] : []))),
      inputs: records.flatMap((record) => (record.input ? [record.input.type] : [])),
    };
  };

  async function startServer(plan: string, chunkDelayMs: number) {
    const server = await startScriptedOpenAIServer({
      responses: { planner: [plan], answer: ["all done"] },
      chunkDelayMs,
    });
    servers.push(server);
    return server;
  }

  const plannerRequests = (server: ScriptedOpenAIServer) =>
    server.requests.filter((request) => request.headers["x-replan-role"] === "planner").length;

  it("SIGKILL after the plan ended: the resume makes no planner call and runs no finished step again", async () => {
    const plan = [line("a"), line("b"), line("slow", true), line("final", false, ["a", "b", "slow"])].join(
      "\n",
    );
    const server = await startServer(plan, 0);
    const first = run(server, "ended", "start", 600_000);
    await waitUntil(async () => {
      const log = await saved("ended");
      const counted = await starts("ended");
      return (
        log.inputs.includes("plan-end") &&
        log.steps.has("a") &&
        log.steps.has("b") &&
        counted.start.slow === 1
      );
    }, "the plan's end and a, b saved, slow in flight").catch((error: Error) => {
      throw new Error(`${error.message}\nchild stderr:\n${first.stderr()}`);
    });
    first.process.kill("SIGKILL");
    await exitOf(first, 15_000);
    expect(plannerRequests(server)).toBe(1);

    const second = run(server, "ended", "resume", 5);
    const exit = await exitOf(second, 30_000);
    expect(exit, second.stderr()).toEqual({ code: 0, signal: null });
    const state = second.messages.find((message) => message.type === "state") as {
      outcome: { status: string };
    };
    expect(state.outcome.status).toBe("completed");
    expect(plannerRequests(server)).toBe(1); // the plan was complete: no second planner call
    const { start, finish } = await starts("ended");
    expect(start).toEqual({ a: 1, b: 1, slow: 2, final: 1 });
    expect(finish).toEqual({ a: 1, b: 1, slow: 1, final: 1 });
  }, 120_000);

  it("SIGKILL mid-stream: the resume asks for the plan again, keeps what ran, runs each finished step once", async () => {
    const plan = [
      line("a"),
      line("b"),
      ...Array.from({ length: 6 }, (_, i) => line(`c${i}`)),
      line("z", false, ["a"]),
    ].join("\n");
    const server = await startServer(plan, 40); // about 3 s to write the plan
    const first = run(server, "cut", "start", 5);
    await waitUntil(async () => {
      const log = await saved("cut");
      return log.steps.has("a") && log.steps.has("b") && !log.inputs.includes("plan-end");
    }, "a and b saved while the plan is still being written").catch((error: Error) => {
      throw new Error(`${error.message}\nchild stderr:\n${first.stderr()}`);
    });
    first.process.kill("SIGKILL");
    await exitOf(first, 15_000);
    expect((await saved("cut")).inputs).not.toContain("plan-end");

    const second = run(server, "cut", "resume", 5);
    const exit = await exitOf(second, 60_000);
    expect(exit, second.stderr()).toEqual({ code: 0, signal: null });
    const state = second.messages.find((message) => message.type === "state") as {
      outcome: { status: string };
      results: Record<string, unknown>;
    };
    expect(state.outcome.status).toBe("completed");
    expect(Object.keys(state.results).sort()).toEqual(["a", "b", "c0", "c1", "c2", "c3", "c4", "c5", "z"]);
    expect(plannerRequests(server)).toBe(2); // the cut plan is asked for again
    const { start } = await starts("cut");
    expect(start.a).toBe(1);
    expect(start.b).toBe(1);
  }, 120_000);
});
