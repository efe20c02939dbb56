import { describe, expect, it } from "vitest";
import {
  type Executor,
  type PlanRequest,
  parseRun,
  type RunEvent,
  type RunState,
  runPlan,
  withEffect,
  serializeRun,
  type StepSpecInput,
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

const echo: Executor = (step) => `${step.id}!`;

describe("runPlan with a streaming planner", () => {
  it("starts a step before the planner has finished writing the plan", async () => {
    const started = signal();
    const events: RunEvent[] = [];
    const executor: Executor = (step) => {
      if (step.id === "a") started.resolve();
      return `${step.id}!`;
    };
    async function* planner(): AsyncGenerator<StepSpecInput> {
      yield agent("a");
      await within(started.promise); // the planner goes on only once a has started
      yield agent("b", ["a"]);
    }
    const result = await runPlan({ goal: "g", planner, executor, onEvent: (event) => events.push(event) });
    expect(result.status).toBe("completed");
    expect(result.results).toEqual({ a: "a!", b: "b!" });
    const types = events.map((event) => `${event.type}${"step" in event ? `:${event.step.id}` : ""}`);
    expect(types.indexOf("step-start:a")).toBeLessThan(types.indexOf("plan-step:b"));
    expect(types.filter((type) => type.startsWith("plan-"))).toEqual([
      "plan-start",
      "plan-step:a",
      "plan-step:b",
      "plan-end",
    ]);
  });

  it("with planStreaming: false, collects the whole stream before any step starts", async () => {
    const events: string[] = [];
    async function* planner(): AsyncGenerator<StepSpecInput> {
      yield agent("a");
      events.push("planner-done");
      yield agent("b", ["a"]);
    }
    const executor: Executor = (step) => {
      events.push(`run:${step.id}`);
      return step.id;
    };
    const result = await runPlan({ goal: "g", planner, executor, planStreaming: false });
    expect(result.status).toBe("completed");
    expect(events).toEqual(["planner-done", "run:a", "run:b"]);
  });

  it("counts the usage the planner reports through reportUsage", async () => {
    const planner = async function* (request: PlanRequest): AsyncGenerator<StepSpecInput> {
      request.reportUsage?.({ llmCalls: 1, promptTokens: 10, completionTokens: 4 });
      yield agent("a");
    };
    const result = await runPlan({ goal: "g", planner, executor: echo });
    expect(result.usage).toEqual({ llmCalls: 1, promptTokens: 10, completionTokens: 4 });
  });

  it("a stream that throws mid-way is a plan-error: started steps are kept, the repair writes the rest", async () => {
    const requests: PlanRequest[] = [];
    const aDone = signal();
    const planner = async function* (request: PlanRequest): AsyncGenerator<StepSpecInput> {
      requests.push(request);
      if (request.attempt === 1) {
        yield agent("a");
        await within(aDone.promise);
        throw new Error("connection reset");
      }
      yield agent("b", ["a"]);
    };
    const calls: string[] = [];
    const executor: Executor = (step) => {
      calls.push(step.id);
      if (step.id === "a") setTimeout(aDone.resolve, 0);
      return `${step.id}!`;
    };
    const result = await runPlan({ goal: "g", planner, executor });
    expect(result.status).toBe("completed");
    expect(calls).toEqual(["a", "b"]); // a ran once
    expect(requests[1]?.kept?.map((step) => step.id)).toEqual(["a"]);
    expect(requests[1]?.feedback?.message).toContain("connection reset");
  });

  it("a planner stream that never ends is cut by the signal; the run ends cancelled", async () => {
    const controller = new AbortController();
    let closed = false;
    const planner = async function* ({ signal: stop }: PlanRequest): AsyncGenerator<StepSpecInput> {
      try {
        yield agent("a");
        await new Promise((_, reject) => stop.addEventListener("abort", () => reject(stop.reason)));
      } finally {
        closed = true;
      }
    };
    const executor: Executor = (step) => {
      setTimeout(() => controller.abort(new Error("user stop")), 0);
      return step.id;
    };
    const result = await within(runPlan({ goal: "g", planner, executor, signal: controller.signal }));
    expect(result.status).toBe("cancelled");
    expect(result.results).toEqual({ a: "a" });
    expect(closed).toBe(true);
  });

  it("stops reading a stream after maxSteps + 1 steps (an endless generator) and asks for a repair", async () => {
    let yielded = 0;
    const planner = async function* (request: PlanRequest): AsyncGenerator<StepSpecInput> {
      if (request.attempt > 1) return;
      for (let index = 0; ; index++) {
        yielded++;
        yield agent(`s${index}`);
      }
    };
    const result = await runPlan({
      goal: "g",
      planner,
      executor: echo,
      budget: { maxSteps: 3, maxPlanAttempts: 2 },
    });
    expect(yielded).toBeLessThanOrEqual(5);
    expect(result.status).toBe("completed"); // the repair wrote nothing more: the kept steps are the plan
    expect(Object.keys(result.results).sort()).toEqual(["s0", "s1", "s2"]);
  });

  it("resumes a run saved mid-stream without re-running finished steps; no planner call once the plan was complete", async () => {
    const saved: RunState[] = [];
    const bStarted = signal();
    const planner = async function* (): AsyncGenerator<StepSpecInput> {
      yield agent("a");
      yield agent("b");
      await within(bStarted.promise);
      yield agent("c", ["a"]);
    };
    const calls: string[] = [];
    const crash = new AbortController();
    const executor: Executor = async (step, { signal: stop }) => {
      calls.push(step.id);
      if (step.id === "b") {
        bStarted.resolve();
        await new Promise((_, reject) => stop.addEventListener("abort", () => reject(stop.reason)));
      }
      if (step.id === "c") crash.abort(new Error("crash"));
      return step.id;
    };
    await runPlan({
      goal: "g",
      planner,
      executor: withEffect(executor, "idempotent"), // re-run on resume (undeclared: write, issue #20)
      signal: crash.signal,
      onState: (state) => saved.push(parseRun(serializeRun(state))),
    });
    // The last state saved while planning, with a done: the "crash" happened there.
    const midStream = saved
      .filter((state) => state.status === "planning" && state.plan?.steps[0]?.status === "done")
      .at(-1)!;
    expect(midStream).toBeDefined();
    const plannerCalls: number[] = [];
    calls.length = 0;
    const replay = async function* (request: PlanRequest): AsyncGenerator<StepSpecInput> {
      plannerCalls.push(request.attempt);
      yield agent("a");
      yield agent("b");
      yield agent("c", ["a"]);
    };
    const recording: Executor = (step) => {
      calls.push(step.id);
      return `${step.id}!`;
    };
    const resumed = await within(runPlan({ planner: replay, executor: recording, state: midStream }));
    expect(resumed.status).toBe("completed");
    expect(calls.sort()).toEqual(["b", "c"]); // a, done before the crash, is not run again
    expect(resumed.results).toEqual({ a: "a", b: "b!", c: "c!" });
    expect(plannerCalls).toEqual([1]);
  });

  it("resumes a run saved after plan-end without a planner call", async () => {
    const crash = new AbortController();
    let saved: RunState | undefined;
    const planner = async function* (): AsyncGenerator<StepSpecInput> {
      yield agent("a");
      yield agent("b");
    };
    const executor: Executor = (_step, { signal: stop }) =>
      new Promise((_, reject) => stop.addEventListener("abort", () => reject(stop.reason)));
    const onState = (state: RunState) => {
      if (state.status !== "executing" || saved) return;
      saved = parseRun(serializeRun(state));
      setTimeout(() => crash.abort(new Error("crash")), 0);
    };
    const idempotent = withEffect(executor, "idempotent"); // re-run on resume (undeclared: write, issue #20)
    await within(runPlan({ goal: "g", planner, executor: idempotent, signal: crash.signal, onState }));
    expect(saved?.plan?.steps.map((step) => step.status)).toEqual(["running", "running"]);
    const never = () => {
      throw new Error("the planner must not be called");
    };
    const finished = await within(runPlan({ planner: never, executor: echo, state: saved! }));
    expect(finished.status).toBe("completed");
    expect(finished.results).toEqual({ a: "a!", b: "b!" });
  });
});
