import { describe, expect, it } from "vitest";
import { type Executor, type RunEvent, runPlan, withEffect } from "./index.js";
import { agent } from "./test-helpers.js";

/** A promise with its resolver, to make one call wait for an event of another. */
function signalled<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe("runPlan: local replanning", () => {
  it("runs the independent branches to their end while the replanner answers, then the patch", async () => {
    const events: RunEvent[] = [];
    const independentDone = signalled();
    let lateDone = 0;
    const order: string[] = [];
    const result = await runPlan({
      goal: "g",
      planner: () => [agent("a"), agent("a2", ["a"]), agent("b"), agent("b2", ["b"]), agent("c")],
      executor: async (step) => {
        order.push(`start ${step.id}`);
        if (step.id === "a" && step.revision === 0) throw new Error("the source moved");
        if (step.id === "b") await new Promise((resolve) => setTimeout(resolve, 20));
        if (step.id === "b2" || step.id === "c") {
          lateDone++;
          if (lateDone === 2) independentDone.resolve();
        }
        return `${step.id}!`;
      },
      replanner: async (request) => {
        order.push("replanner asked");
        // answers only once b2, which starts after the question, and c have finished
        await independentDone.promise;
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push("replanner answers");
        expect(request.plan.steps.find((step) => step.id === "b2")?.status).toBe("pending");
        return { replace: [{ ...agent("a"), description: "do a from the new source" }], reason: "moved" };
      },
      onEvent: (event) => events.push(event),
    });
    expect(result.status).toBe("completed");
    expect(order.indexOf("start b2")).toBeGreaterThan(order.indexOf("replanner asked"));
    expect(order.indexOf("start b2")).toBeLessThan(order.indexOf("replanner answers"));
    const ends = events.filter((event) => event.type === "step-end" && event.step.status === "done");
    const replanEnd = events.findIndex((event) => event.type === "replan-end");
    for (const id of ["b", "b2", "c"]) {
      const end = events.indexOf(ends.find((event) => event.type === "step-end" && event.step.id === id)!);
      expect(end).toBeLessThan(replanEnd);
    }
    expect(events[replanEnd]).toMatchObject({
      replaced: ["a"],
      kept: ["a2", "b", "b2", "c"],
      reason: "moved",
    });
    expect(result.results).toMatchObject({ a: "a!", a2: "a2!", b2: "b2!" });
  });

  it("ends the run failed with the replanner's reason when it gives up", async () => {
    const result = await runPlan({
      goal: "g",
      planner: () => [agent("a"), agent("b")],
      executor: (step) => {
        if (step.id === "a") throw new Error("no");
        return "ok";
      },
      replanner: () => ({ reason: "nothing else can fetch it" }),
    });
    expect(result.outcome).toMatchObject({
      status: "failed",
      reason: "the replanner gave up on failed step(s) a: nothing else can fetch it",
    });
  });

  it("stops replanning a step that keeps failing the same way, and finishes the other branches", async () => {
    let replans = 0;
    const result = await runPlan({
      goal: "g",
      planner: () => [agent("a"), agent("a2", ["a"]), agent("b")],
      // Idempotent: written again freely (a write step with an unknown effect is settled first).
      executor: withEffect<Executor>((step) => {
        if (step.id === "a") throw new Error("HTTP 404");
        return "ok";
      }, "idempotent"),
      replanner: () => {
        replans++;
        return { replace: [agent("a")] };
      },
      budget: { maxReplans: 5 },
    });
    expect(replans).toBe(1);
    expect(result.outcome.reason).toMatch(/a failed the same way 2 time\(s\)/);
    expect(result.results).toEqual({ b: "ok" });
  });
});
