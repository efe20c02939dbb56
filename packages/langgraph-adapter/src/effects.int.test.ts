// Effect-aware resume with LangGraph's PostgresSaver against a real PostgreSQL server: a run in a
// child process is killed (SIGKILL) while a `write` step (a payment, counted in Postgres) and a
// `read` step are in flight, then resumed in new processes. The payment must happen once in all:
// settled by the tool's reconcile hook, or by a person's answer to an interrupt.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { exitOf } from "./child-process.test-helper.js";
import { useDurableFixture, waitUntil } from "./durable-fixture.test-helper.js";
import { postgresAvailable } from "./postgres.test-helper.js";

const fixture = fileURLToPath(new URL("./fixtures/effects-run.mjs", import.meta.url));

interface Final {
  outcome: { status: string } | null;
  results: Record<string, unknown>;
  plan: {
    steps: Array<{ id: string; status: string; attempts: number; settlement?: string; effect?: string }>;
  };
  interrupts: Array<{ type: string; step: { id: string }; key: string; error?: { code: string } }>;
}

describe.skipIf(!postgresAvailable)("effect-aware resume with PostgresSaver in child processes", () => {
  const db = useDurableFixture("effects");

  const count = async (table: "payments" | "calls", thread: string, step?: string) =>
    Number(
      (
        await db.client.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${table} WHERE thread = $1${step ? " AND step = $2" : ""}`,
          step ? [thread, step] : [thread],
        )
      ).rows[0]?.n ?? 0,
    );

  /** Runs a child to its end and returns its final state. */
  async function runToEnd(env: Record<string, string>): Promise<Final> {
    const child = db.start(fixture, { HANG_MS: "5", ...env });
    const exit = await exitOf(child, 60_000);
    expect(exit, child.stderr()).toEqual({ code: 0, signal: null });
    return child.messages.find((message) => message.type === "state") as unknown as Final;
  }

  /** Starts the plan, and kills it (SIGKILL) once pay (after or before its payment) and lookup are in flight. */
  async function killInFlight(thread: string, phase: "after" | "before", reconcile: boolean) {
    const env = { THREAD_ID: thread, MODE: "start", PHASE: phase, HANG_MS: "600000" };
    const first = db.start(fixture, { ...env, RECONCILE: reconcile ? "1" : "0" });
    await waitUntil(
      async () =>
        (await count("calls", thread, "pay")) === 1 &&
        (await count("calls", thread, "lookup")) === 1 &&
        (await count("payments", thread)) === (phase === "after" ? 1 : 0),
      "pay and lookup in flight",
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nchild stderr:\n${first.stderr()}`);
    });
    first.process.kill("SIGKILL");
    expect(await exitOf(first, 15_000)).toEqual({ code: null, signal: "SIGKILL" });
  }

  const step = (final: Final, id: string) => final.plan.steps.find((candidate) => candidate.id === id)!;

  it("reconcile finds the payment made: pay is not called again, lookup (read) runs again", async () => {
    await killInFlight("reconciled", "after", true);
    const final = await runToEnd({ THREAD_ID: "reconciled", MODE: "resume", RECONCILE: "1" });
    expect(final.outcome?.status).toBe("completed");
    expect(final.results.pay).toMatchObject({ paid: 42, reconciled: true });
    expect(step(final, "pay")).toMatchObject({
      status: "done",
      settlement: "reconciled",
      effect: "write",
      attempts: 1,
    });
    expect(await count("payments", "reconciled")).toBe(1);
    expect(await count("calls", "reconciled", "pay")).toBe(1);
    expect(await count("calls", "reconciled", "lookup")).toBe(2);
  }, 180_000);

  it("reconcile finds no payment: pay runs again, and pays once in all", async () => {
    await killInFlight("not-paid", "before", true);
    const final = await runToEnd({ THREAD_ID: "not-paid", MODE: "resume", RECONCILE: "1", PHASE: "before" });
    expect(final.outcome?.status).toBe("completed");
    expect(step(final, "pay")).toMatchObject({ status: "done", settlement: "reconciled", attempts: 2 });
    expect(await count("payments", "not-paid")).toBe(1);
    expect(await count("calls", "not-paid", "pay")).toBe(2);
  }, 180_000);

  it("without reconcile a person is asked: a bad answer is asked again, 'it ran' settles it with the given result", async () => {
    await killInFlight("person-ran", "after", false);
    const paused = await runToEnd({ THREAD_ID: "person-ran", MODE: "resume" });
    expect(paused.outcome).toBeNull();
    expect(paused.interrupts).toEqual([
      expect.objectContaining({ type: "effect-settlement", step: expect.objectContaining({ id: "pay" }) }),
    ]);
    expect(paused.interrupts[0]!.key).toMatch(/:0:pay$/);
    expect(step(paused, "lookup").status).toBe("done"); // the read step ran again meanwhile
    const again = await runToEnd({
      THREAD_ID: "person-ran",
      MODE: "answer",
      ANSWER: JSON.stringify({ action: "maybe" }),
    });
    expect(again.interrupts[0]?.error?.code).toBe("invalid-settlement");
    const final = await runToEnd({
      THREAD_ID: "person-ran",
      MODE: "answer",
      ANSWER: JSON.stringify({ action: "ran", result: { paid: 42, by: "person" } }),
    });
    expect(final.outcome?.status).toBe("completed");
    expect(final.results.pay).toEqual({ paid: 42, by: "person" });
    expect(step(final, "pay")).toMatchObject({ settlement: "settled-by-person", attempts: 1 });
    expect(await count("payments", "person-ran")).toBe(1);
    expect(await count("calls", "person-ran", "pay")).toBe(1);
    expect(await count("calls", "person-ran", "lookup")).toBe(2);
  }, 240_000);

  it("a pay that charges then throws (maxAttempts 3), killed while its hook is asked: resumed, it pays once", async () => {
    const thread = "throw-then-kill";
    const env = { THREAD_ID: thread, PHASE: "throw", MAX_ATTEMPTS: "3", RECONCILE: "1" };
    const first = db.start(fixture, { ...env, MODE: "start", HANG_MS: "5", RECONCILE_HANG_MS: "600000" });
    await waitUntil(
      async () =>
        (await count("payments", thread)) === 1 && (await count("calls", thread, "reconcile")) === 1,
      "pay failed after charging, and its reconcile hook asked",
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nchild stderr:\n${first.stderr()}`);
    });
    first.process.kill("SIGKILL");
    expect(await exitOf(first, 15_000)).toEqual({ code: null, signal: "SIGKILL" });
    const final = await runToEnd({ ...env, MODE: "resume" });
    expect(final.outcome?.status).toBe("completed");
    expect(step(final, "pay")).toMatchObject({ status: "done", settlement: "reconciled", attempts: 1 });
    expect(final.results.pay).toMatchObject({ paid: 42, reconciled: true });
    expect(await count("payments", thread)).toBe(1);
    expect(await count("calls", thread, "pay")).toBe(1);
  }, 240_000);

  it("without reconcile, a person's 'run again' runs pay once more, and it pays once in all", async () => {
    await killInFlight("person-again", "before", false);
    const paused = await runToEnd({ THREAD_ID: "person-again", MODE: "resume", PHASE: "before" });
    expect(paused.interrupts.map((request) => request.type)).toEqual(["effect-settlement"]);
    const final = await runToEnd({
      THREAD_ID: "person-again",
      MODE: "answer",
      PHASE: "before",
      ANSWER: JSON.stringify({ action: "run-again" }),
    });
    expect(final.outcome?.status).toBe("completed");
    expect(step(final, "pay")).toMatchObject({ settlement: "settled-by-person", attempts: 2 });
    expect(await count("payments", "person-again")).toBe(1);
    expect(await count("calls", "person-again", "pay")).toBe(2);
  }, 240_000);
});
