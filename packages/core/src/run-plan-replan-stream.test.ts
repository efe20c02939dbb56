import { describe, expect, it } from "vitest";
import {
  type Executor,
  type PatchEntryInput,
  type ReplanRequest,
  type RunEvent,
  runPlan,
  withEffect,
} from "./index.js";
import { agent } from "./test-helpers.js";

/** A promise and its resolver. */
function signal<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** Waits at most `ms` for `promise`: a test never hangs. */
function within<T>(promise: Promise<T>, ms = 2000): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms).unref()),
  ]);
}

const plan = [agent("a"), agent("b", ["a"]), agent("c", ["b"])];

/**
 * Fails b's first attempt (revision 0); echoes everything else. Idempotent: a write step written
 * again after a failure is settled first (write-retries.test.ts).
 */
function failingOnce(started: string[]): Executor {
  return withEffect<Executor>((step) => {
    started.push(`${step.id}@${step.revision}`);
    if (step.id === "b" && step.revision === 0) throw new Error("503");
    return `${step.id}!`;
  }, "idempotent");
}

describe("runPlan with a streaming replanner", () => {
  it("starts a replacement before the replanner has finished writing the patch", async () => {
    const started: string[] = [];
    const events: RunEvent[] = [];
    const replacementStarted = signal();
    const executor: Executor = (step, context) => {
      if (step.id === "b" && step.revision === 1) replacementStarted.resolve();
      return failingOnce(started)(step, context);
    };
    async function* replanner(): AsyncGenerator<PatchEntryInput, unknown> {
      yield { op: "replace", step: { ...agent("b", ["a"]), description: "fetch from the mirror" } };
      await within(replacementStarted.promise); // goes on only once the replacement has started
      return { replace: [{ ...agent("b", ["a"]), description: "fetch from the mirror" }], reason: "mirror" };
    }
    const result = await runPlan({
      goal: "g",
      planner: () => plan,
      replanner,
      executor,
      onEvent: (event) => events.push(event),
    });
    expect(result.status).toBe("completed");
    expect(started).toEqual(["a@0", "b@0", "b@1", "c@0"]); // c needed no rewrite
    const types = events.map((event) => event.type);
    expect(types.indexOf("replan-step")).toBeLessThan(types.indexOf("replan-end"));
    expect(events.find((event) => event.type === "replan-end")).toMatchObject({
      replaced: ["b"],
      reason: "mirror",
    });
  });

  it("with planStreaming: false, collects the entries into one patch", async () => {
    const started: string[] = [];
    async function* replanner(): AsyncGenerator<PatchEntryInput> {
      yield { op: "replace", step: agent("b", ["a"]) };
    }
    const events: RunEvent[] = [];
    const result = await runPlan({
      goal: "g",
      planner: () => plan,
      replanner,
      executor: failingOnce(started),
      planStreaming: false,
      onEvent: (event) => events.push(event),
    });
    expect(result.status).toBe("completed");
    expect(events.some((event) => event.type === "replan-step")).toBe(false);
  });

  it("a replanner answering garbage mid-stream gets the repair path; a stream cut by the signal ends cancelled", async () => {
    const requests: ReplanRequest[] = [];
    async function* replanner(request: ReplanRequest): AsyncGenerator<unknown> {
      requests.push(request);
      if (request.attempt === 1) {
        yield "Sure! Here is my patch:";
        yield { op: "replace", step: agent("b", ["a"]) };
        return;
      }
      yield { op: "replace", step: agent("b", ["a"]) };
    }
    const started: string[] = [];
    const result = await runPlan({
      goal: "g",
      planner: () => plan,
      replanner: replanner as never,
      executor: failingOnce(started),
    });
    expect(result.status).toBe("completed");
    expect(requests.map((request) => request.attempt)).toEqual([1, 2]);
    expect(requests[1]!.feedback!.message).toContain("malformed");
    expect(started).toEqual(["a@0", "b@0", "b@1", "c@0"]); // b's replacement started once, kept

    const controller = new AbortController();
    let closed = false;
    async function* endless({ signal: stop }: ReplanRequest): AsyncGenerator<PatchEntryInput> {
      try {
        yield { op: "replace", step: agent("b", ["a"]) };
        await new Promise((_, reject) => stop.addEventListener("abort", () => reject(stop.reason)));
      } finally {
        closed = true;
      }
    }
    const executor = withEffect<Executor>((step, context) => {
      if (step.revision === 1) setTimeout(() => controller.abort(new Error("user stop")), 0);
      return failingOnce([])(step, context);
    }, "idempotent");
    const cut = await within(
      runPlan({ goal: "g", planner: () => plan, replanner: endless, executor, signal: controller.signal }),
    );
    expect(cut.status).toBe("cancelled");
    expect(cut.results).toMatchObject({ a: "a!", b: "b!" });
    expect(closed).toBe(true);
  });
});
