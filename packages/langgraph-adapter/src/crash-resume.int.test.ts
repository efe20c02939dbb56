// Crash-resume with LangGraph's PostgresSaver against a real PostgreSQL server: a run in a child
// process is killed (SIGKILL) or stopped (SIGTERM, SIGINT) while steps are in flight, then resumed
// in a new process. Side effects are counted in Postgres, which both processes see.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { exitOf } from "./child-process.test-helper.js";
import { useDurableFixture, waitUntil } from "./durable-fixture.test-helper.js";
import { postgresAvailable } from "./postgres.test-helper.js";

const fixture = fileURLToPath(new URL("./fixtures/durable-run.mjs", import.meta.url));
const STEPS = ["a", "b", "slow", "pay", "after", "final"];

describe.skipIf(!postgresAvailable)("crash-resume with PostgresSaver in child processes", () => {
  const db = useDurableFixture("crash_resume");

  const run = (thread: string, mode: "start" | "resume", hangMs: number) => {
    return db.start(fixture, { THREAD_ID: thread, MODE: mode, HANG_MS: String(hangMs) });
  };

  const effects = async (thread: string) =>
    (
      await db.client.query<{ step: string; key: string; event: string; pid: number }>(
        "SELECT step, key, event, pid FROM side_effects WHERE thread = $1 ORDER BY id",
        [thread],
      )
    ).rows;
  const count = (rows: Awaited<ReturnType<typeof effects>>, event: string) =>
    Object.fromEntries(
      STEPS.map((step) => [step, rows.filter((row) => row.step === step && row.event === event).length]),
    );

  /** Step ids whose outcome is saved (in a batch of the executor's "record" task: a pending write on `__return__`). */
  const savedSteps = async (thread: string) =>
    new Set((await db.savedRecords(thread)).map((record) => record.stepId as string));

  /** Runs the plan until a, b and after are saved and slow and pay are in flight, then stops it with `signal`. */
  async function interrupt(thread: string, signal: NodeJS.Signals) {
    const first = run(thread, "start", 600_000);
    await waitUntil(async () => {
      const started = count(await effects(thread), "start");
      const saved = await savedSteps(thread);
      return started.slow === 1 && started.pay === 1 && ["a", "b", "after"].every((step) => saved.has(step));
    }, "a, b and after saved with slow and pay in flight").catch((error: Error) => {
      throw new Error(`${error.message}\nchild stderr:\n${first.stderr()}`);
    });
    first.process.kill(signal);
    const exit = await exitOf(first, 15_000);
    return { first, exit };
  }

  async function resumeAndCheck(thread: string, firstPid: number) {
    const before = await effects(thread);
    expect(count(before, "start")).toEqual({ a: 1, b: 1, slow: 1, pay: 1, after: 1, final: 0 });
    expect(count(before, "finish")).toEqual({ a: 1, b: 1, slow: 0, pay: 0, after: 1, final: 0 });
    // only the finished steps' tasks were saved: a stopped attempt is not saved as a result
    expect([...(await savedSteps(thread))].sort()).toEqual(["a", "after", "b"]);

    const second = run(thread, "resume", 5);
    const exit = await exitOf(second, 30_000);
    expect(exit, second.stderr()).toEqual({ code: 0, signal: null });
    const final = second.messages.find((message) => message.type === "state") as {
      outcome: { status: string };
      results: Record<string, unknown>;
    };
    expect(final.outcome.status).toBe("completed");
    expect(Object.keys(final.results).sort()).toEqual([...STEPS].sort());
    expect(final.results.pay).toMatchObject({ amount: 42, deduplicated: true });

    const after = await effects(thread);
    // finished steps never ran again; in-flight ones ran exactly once more; the rest ran once
    expect(count(after, "start")).toEqual({ a: 1, b: 1, slow: 2, pay: 2, after: 1, final: 1 });
    expect(count(after, "finish")).toEqual({ a: 1, b: 1, slow: 1, pay: 1, after: 1, final: 1 });
    for (const step of ["slow", "pay"]) {
      const starts = after.filter((row) => row.step === step && row.event === "start");
      // the retry carries the SAME idempotency key as the killed attempt, from another process
      expect(starts[0]?.key).toMatch(new RegExp(`^[0-9a-f-]{36}:0:${step}$`));
      expect(starts[1]?.key).toBe(starts[0]?.key);
      expect(starts.map((row) => row.pid)).toEqual([firstPid, second.process.pid]);
    }
    // the charge tool deduplicated the retried call by that key: one charge in all
    const charges = await db.client.query("SELECT key, pid FROM charges WHERE thread = $1", [thread]);
    expect(charges.rows).toEqual([{ key: after.find((row) => row.step === "pay")?.key, pid: firstPid }]);
    expect(count(after, "dedup").pay).toBe(1);
    return after;
  }

  it("SIGKILL mid-run: a new process resumes the thread, finished steps are not run again, in-flight steps once", async () => {
    const { first, exit } = await interrupt("sigkill", "SIGKILL");
    expect(exit).toEqual({ code: null, signal: "SIGKILL" });
    await resumeAndCheck("sigkill", first.process.pid!);
  }, 120_000);

  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s: the child aborts the run through its signal, exits once the checkpointer has flushed, and resumes",
    async (signal) => {
      const thread = signal.toLowerCase();
      const { first, exit } = await interrupt(thread, signal);
      expect(exit, first.stderr()).toEqual({ code: signal === "SIGTERM" ? 143 : 130, signal: null });
      expect(first.messages.map((message) => message.type)).toEqual(["ready", "signal", "stopped"]);
      // the in-flight attempts saw the abort (a clean stop, unlike SIGKILL)
      const stopped = await effects(thread);
      expect(count(stopped, "aborted")).toMatchObject({ slow: 1, pay: 1 });
      await resumeAndCheck(thread, first.process.pid!);
    },
    120_000,
  );
});
