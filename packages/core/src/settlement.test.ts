import { describe, expect, it } from "vitest";
import { IllegalTransitionError } from "./errors.js";
import {
  parseRun,
  type RunEvent,
  type RunState,
  runPlan,
  serializeRun,
  type StepSpecInput,
  type ToolFunction,
  transition,
  withEffect,
} from "./index.js";
import { startedRun } from "./test-helpers.js";

const tool = (id: string, name: string): StepSpecInput => ({ id, kind: "tool", tool: name, description: id });
const effects = { tools: { search: "read", put: "idempotent", pay: "write" } } as const;
/** A run with search, put and pay running (attempt 1), as a crash would leave it saved. */
const inFlight = () =>
  startedRun([tool("s", "search"), tool("u", "put"), tool("p", "pay")], { effects }).state;

describe("resume of steps that were in flight", () => {
  it("runs read and idempotent steps again, and asks about a write step instead", () => {
    const { state, effects: work, events } = transition(inFlight(), { type: "resume", at: 5 });
    expect(work).toEqual([
      { type: "execute-step", stepId: "s", attempt: 2, key: "r:0:s", delayMs: 0 },
      { type: "execute-step", stepId: "u", attempt: 2, key: "r:0:u", delayMs: 0 },
      { type: "settle-step", stepId: "p", attempt: 1, key: "r:0:p", cause: "crash" },
    ]);
    expect(state.plan!.steps.map((step) => [step.id, step.status, step.settlement])).toEqual([
      ["s", "running", "re-run"],
      ["u", "running", "re-run"],
      ["p", "running", "unsettled"],
    ]);
    const settles = events.filter((event) => event.type === "step-settle");
    expect(settles.map((event) => [event.step.id, event.settlement])).toEqual([
      ["s", "re-run"],
      ["u", "re-run"],
      ["p", "unsettled"],
    ]);
  });

  it("a step-lost input does the same for one step", () => {
    const lost = transition(inFlight(), { type: "step-lost", at: 5, stepId: "p", attempt: 1 });
    expect(lost.effects).toEqual([
      { type: "settle-step", stepId: "p", attempt: 1, key: "r:0:p", cause: "crash" },
    ]);
    const read = transition(inFlight(), { type: "step-lost", at: 5, stepId: "s", attempt: 1 });
    expect(read.effects[0]).toMatchObject({ type: "execute-step", stepId: "s", attempt: 2 });
  });

  it("a step waiting to be settled is asked about again on a second resume, never run", () => {
    const once = transition(inFlight(), { type: "resume", at: 5 }).state;
    const twice = transition(once, { type: "resume", at: 6 });
    expect(twice.effects.filter((effect) => "stepId" in effect && effect.stepId === "p")).toEqual([
      { type: "settle-step", stepId: "p", attempt: 1, key: "r:0:p", cause: "crash" },
    ]);
  });

  it("settles a write step: it ran (done with the result), run it again, or fail it", () => {
    const waiting = transition(inFlight(), { type: "resume", at: 5 }).state;
    const settle = (
      by: "reconcile" | "person",
      outcome: Parameters<typeof transition>[1] extends infer I ? unknown : never,
    ) => transition(waiting, { type: "step-settle", at: 6, stepId: "p", attempt: 1, by, outcome } as never);
    const ran = settle("reconcile", { type: "ran", result: { charge: 7 } });
    const paid = ran.state.plan!.steps[2]!;
    expect(paid).toMatchObject({
      status: "done",
      result: { charge: 7 },
      settlement: "reconciled",
      attempts: 1,
    });
    expect(ran.events.map((event) => event.type)).toEqual(["step-settle", "step-end"]);
    expect(ran.effects).toEqual([]);

    const again = settle("person", { type: "run-again" });
    expect(again.state.plan!.steps[2]).toMatchObject({
      status: "running",
      settlement: "settled-by-person",
      attempts: 2,
    });
    expect(again.effects).toEqual([
      { type: "execute-step", stepId: "p", attempt: 2, key: "r:0:p", delayMs: 0 },
    ]);

    const failed = settle("person", { type: "fail", error: { code: "failed-by-person", message: "no" } });
    expect(failed.state.plan!.steps[2]).toMatchObject({ status: "failed", settlement: "settled-by-person" });
  });

  it("refuses a settlement for a step that is not waiting for one", () => {
    const waiting = transition(inFlight(), { type: "resume", at: 5 }).state;
    const input = { type: "step-settle", at: 6, by: "person", outcome: { type: "run-again" } } as const;
    expect(() => transition(waiting, { ...input, stepId: "s", attempt: 2 })).toThrow(IllegalTransitionError);
    expect(() => transition(waiting, { ...input, stepId: "p", attempt: 2 })).toThrow(/attempt 1, not 2/);
    expect(() => transition(inFlight(), { ...input, stepId: "p", attempt: 1 })).toThrow(
      /waiting to be settled/,
    );
  });
});

describe("runPlan resuming a saved run", () => {
  /** Runs a plan of one step calling `name` until it is in flight, and returns the state saved then. */
  async function crashWhileRunning(name: string, tools: Record<string, ToolFunction>): Promise<RunState> {
    const saved: RunState[] = [];
    const controller = new AbortController();
    await runPlan({
      goal: "g",
      planner: () => [tool("x", name)],
      tools: { ...tools, [name]: withEffect(() => controller.abort(new Error("crash")), "write") },
      onState: (state) => saved.push(state),
      signal: controller.signal,
    });
    return parseRun(serializeRun(saved.filter((state) => state.status === "executing").at(-1)!));
  }

  it("settles a write step with its reconcile hook: the effect happened, the tool is not called", async () => {
    const calls: string[] = [];
    const state = await crashWhileRunning("pay", {});
    const events: RunEvent[] = [];
    const pay = withEffect(() => calls.push("pay"), "write", {
      reconcile: (key) => {
        calls.push(`reconcile ${key}`);
        return { happened: true, result: { charge: "c1" } };
      },
    });
    const result = await runPlan({
      planner: () => [],
      state,
      tools: { pay },
      onEvent: (event) => events.push(event),
    });
    expect(result.status).toBe("completed");
    expect(result.results.x).toEqual({ charge: "c1" });
    expect(calls).toEqual([`reconcile ${state.runId}:0:x`]);
    expect(result.plan!.steps[0]!.settlement).toBe("reconciled");
    expect(events.filter((event) => event.type === "step-settle").map((event) => event.settlement)).toEqual([
      "unsettled",
      "reconciled",
    ]);
  });

  it("runs the write step again when its reconcile hook finds no effect", async () => {
    const state = await crashWhileRunning("pay", {});
    let paid = 0;
    const pay = withEffect(() => ++paid, "write", { reconcile: () => ({ happened: false }) });
    const result = await runPlan({ planner: () => [], state, tools: { pay } });
    expect(result.status).toBe("completed");
    expect(paid).toBe(1);
    expect(result.plan!.steps[0]).toMatchObject({ attempts: 2, settlement: "reconciled" });
  });

  it("fails a write step that nothing can settle (unsettled-effect), and never runs it", async () => {
    for (const pay of [
      withEffect(() => "paid again", "write"),
      (() => "paid again") as ToolFunction,
      withEffect(() => "paid again", "write", {
        reconcile: () => Promise.reject(new Error("provider down")),
      }),
      withEffect(() => "paid again", "write", { reconcile: () => ({ maybe: true }) as never }),
    ]) {
      const state = await crashWhileRunning("pay", {});
      const result = await runPlan({ planner: () => [], state, tools: { pay } });
      expect(result.status).toBe("failed");
      expect(result.plan!.steps[0]).toMatchObject({ status: "failed", settlement: "unsettled" });
      expect(result.plan!.steps[0]!.error?.code).toBe("unsettled-effect");
      expect(result.results).toEqual({});
    }
  });

  it("a reconcile hook that never answers is cut off by the step time limit", async () => {
    const state = await crashWhileRunning("pay", {});
    const pay = withEffect(() => "paid", "write", { reconcile: () => new Promise(() => {}) });
    const result = await runPlan({ planner: () => [], state, tools: { pay }, stepTimeoutMs: 30 });
    expect(result.plan!.steps[0]!.error).toMatchObject({
      code: "unsettled-effect",
      message: expect.stringContaining("longer than 30 ms"),
    });
  });

  it("withEffect refuses a class that is not one of the three", () => {
    expect(() => withEffect(() => 1, "safe" as never)).toThrow(/Option "effect" must be/);
  });
});
