import { describe, expect, it } from "vitest";
import {
  type Executor,
  type PlanRequest,
  type ReplanRequest,
  runPlan,
  withEffect,
  streamPlan,
  unexpected,
} from "./index.js";
import type { RunState, StepSpecInput } from "./schemas.js";
import { parseRun, serializeRun } from "./serialize.js";
import { agent } from "./test-helpers.js";
import type { RunEvent } from "./index.js";

const delay = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/** An executor that records overlapping executions and every call. */
function tracingExecutor(ms = 10) {
  let active = 0;
  const trace = { maxActive: 0, calls: [] as string[] };
  const executor: Executor = async (step, { signal }) => {
    trace.calls.push(step.id);
    active++;
    trace.maxActive = Math.max(trace.maxActive, active);
    try {
      await delay(ms, signal);
      return `${step.id}-result`;
    } finally {
      active--;
    }
  };
  return { executor, trace };
}

const fanOut = (n: number): StepSpecInput[] => [
  ...Array.from({ length: n }, (_, index) => agent(`s${index}`)),
  agent(
    "join",
    Array.from({ length: n }, (_, index) => `s${index}`),
  ),
];

describe("runPlan", () => {
  it("runs independent steps concurrently, up to the concurrency limit", async () => {
    const { executor, trace } = tracingExecutor(15);
    const result = await runPlan({
      goal: "g",
      planner: () => fanOut(8),
      executor,
      budget: { concurrency: 3 },
    });
    expect(result.status).toBe("completed");
    expect(trace.maxActive).toBe(3);
    expect(trace.calls).toHaveLength(9);
    expect(trace.calls.at(-1)).toBe("join");
    expect(result.results.join).toBe("join-result");
  });

  it("starts a step as soon as its own dependencies are done, not after unrelated slow steps", async () => {
    let releaseSlow!: () => void;
    const slowReleased = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const order: string[] = [];
    const result = await runPlan({
      goal: "g",
      planner: () => [agent("slow"), agent("fast1"), agent("fast2", ["fast1"]), agent("fast3", ["fast2"])],
      executor: async (step, { signal }) => {
        order.push(`start:${step.id}`);
        if (step.id === "slow") {
          await Promise.race([
            slowReleased,
            delay(2000, signal).then(() => Promise.reject(new Error("barrier"))),
          ]);
        }
        if (step.id === "fast3") releaseSlow(); // only reachable if the chain did not wait for "slow"
        order.push(`end:${step.id}`);
        return step.id;
      },
    });
    expect(result.status).toBe("completed");
    expect(order.indexOf("start:fast3")).toBeLessThan(order.indexOf("end:slow"));
  });

  it("calls tools directly with resolved references and no executor", async () => {
    const calls: unknown[] = [];
    const result = await runPlan({
      goal: "g",
      planner: () => [
        { id: "list", kind: "tool", tool: "list", description: "list users" },
        {
          id: "first",
          kind: "tool",
          tool: "get",
          args: { id: "${list.0.id}", note: "of ${list.length}" },
          dependsOn: ["list"],
          description: "get",
        },
      ],
      tools: {
        list: () => [{ id: 7 }, { id: 8 }],
        get: (args, { key, attempt }) => {
          calls.push({ args, key, attempt });
          return { name: "Ada" };
        },
      },
      generateId: () => "run1",
    });
    expect(result.status).toBe("completed");
    expect(calls).toEqual([{ args: { id: 7, note: "of 2" }, key: "run1:0:first", attempt: 1 }]);
  });

  it("fails a step whose tool is unknown, without retrying it, and replans", async () => {
    const replans: ReplanRequest[] = [];
    const result = await runPlan({
      goal: "g",
      planner: () => [{ id: "t", kind: "tool", tool: "nope", description: "x" }],
      tools: { ok: () => "fine" },
      replanner: (request) => {
        replans.push(request);
        return [{ id: "t2", kind: "tool", tool: "ok", description: "x" }];
      },
      budget: { maxAttempts: 3 },
    });
    expect(result.status).toBe("completed");
    expect(replans).toHaveLength(1);
    const failed = replans[0]!.plan.steps[0]!;
    expect(failed).toMatchObject({ status: "failed", attempts: 1, error: { code: "unknown-tool" } });
    expect(failed.error?.message).toContain("known: ok");
  });

  it("fails a step whose result is not JSON-serializable (invalid-result) instead of keeping it", async () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    const saved: string[] = [];
    const result = await runPlan({
      goal: "g",
      planner: () => [agent("big"), agent("loop"), agent("fine")],
      executor: (step) => (step.id === "big" ? 10n : step.id === "loop" ? loop : "ok"),
      budget: { maxAttempts: 3 },
      onState: (state) => saved.push(serializeRun(state)), // a save must never throw
    });
    expect(result.status).toBe("failed");
    const steps = result.plan?.steps ?? [];
    expect(steps.map((step) => [step.id, step.status, step.attempts, step.error?.code])).toEqual([
      ["big", "failed", 1, "invalid-result"],
      ["loop", "failed", 1, "invalid-result"],
      ["fine", "done", 1, undefined],
    ]);
    expect(steps[0]?.error?.message).toContain("BigInt");
    expect(saved.length).toBeGreaterThan(0);
  });

  it("times out a step: its signal is aborted and the step fails with step-timeout", async () => {
    let sawAbort = false;
    const result = await runPlan({
      goal: "g",
      planner: () => [agent("hang")],
      executor: (_step, { signal }) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener("abort", () => {
            sawAbort = true;
            reject(signal.reason);
          });
        }),
      stepTimeoutMs: 30,
    });
    expect(result.status).toBe("failed");
    expect(result.plan?.steps[0]?.error?.code).toBe("step-timeout");
    expect(sawAbort).toBe(true);
  });

  it("retries failed attempts with backoff and keeps the same idempotency key", async () => {
    const seen: Array<[number, string]> = [];
    const result = await runPlan({
      goal: "g",
      planner: () => [agent("flaky")],
      // Idempotent: a write step's failed attempt is settled, not retried (settlement.test.ts).
      executor: withEffect<Executor>((_step, { attempt, key }) => {
        seen.push([attempt, key]);
        if (attempt < 3) throw new Error(`flake ${attempt}`);
        return "ok";
      }, "idempotent"),
      budget: { maxAttempts: 3, retryBackoffMs: 1 },
      generateId: () => "r",
    });
    expect(result.status).toBe("completed");
    expect(seen).toEqual([
      [1, "r:0:flaky"],
      [2, "r:0:flaky"],
      [3, "r:0:flaky"],
    ]);
    expect(result.plan?.steps[0]?.attempts).toBe(3);
  });

  it("replans after a failure, keeps done steps and does not run them again", async () => {
    const { executor, trace } = tracingExecutor(1);
    const failing: Executor = (step, context) => {
      if (step.id === "b") throw new Error("the API answered 500");
      return executor(step, context);
    };
    const requests: ReplanRequest[] = [];
    const result = await runPlan({
      goal: "g",
      planner: () => [agent("a"), agent("b", ["a"]), agent("c", ["b"])],
      executor: failing,
      replanner: (request) => {
        requests.push(request);
        return {
          steps: [agent("b-alt", ["a"]), agent("c", ["b-alt"])],
          usage: { llmCalls: 1, promptTokens: 10 },
        };
      },
    });
    expect(result.status).toBe("completed");
    expect(trace.calls).toEqual(["a", "b-alt", "c"]);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.reason).toMatchObject({ trigger: "step-failed", stepIds: ["b"] });
    expect(requests[0]!.results).toEqual({ a: "a-result" });
    expect(result.plan?.revision).toBe(1);
    expect(result.state.history[0]?.steps.map((step) => step.status)).toEqual(["done", "failed", "pending"]);
    expect(result.usage).toEqual({ llmCalls: 1, promptTokens: 10, completionTokens: 0 });
  });

  it("replans on an unexpected result, from the executor or from the checker", async () => {
    for (const via of ["executor", "checker"] as const) {
      let replans = 0;
      const result = await runPlan({
        goal: "g",
        planner: () => [agent("query")],
        executor: (step) => (via === "executor" && step.id === "query" ? unexpected([], "no rows") : []),
        checker: (step, value) =>
          via === "checker" && step.id === "query" && Array.isArray(value) && value.length === 0
            ? { expected: false, reason: "no rows" }
            : { expected: true },
        replanner: () => {
          replans++;
          return [agent("fallback")];
        },
      });
      expect(result.status).toBe("completed");
      expect(replans).toBe(1);
      expect(result.state.history[0]?.steps[0]).toMatchObject({
        status: "failed",
        result: [],
        error: { code: "unexpected-result", message: "no rows" },
      });
    }
  });

  it("repairs an invalid plan with the planner's feedback", async () => {
    const requests: PlanRequest[] = [];
    const result = await runPlan({
      goal: "g",
      planner: (request) => {
        requests.push(request);
        return request.attempt === 1 ? [agent("a", ["missing"])] : [agent("a")];
      },
      executor: () => "ok",
    });
    expect(result.status).toBe("completed");
    expect(requests.map((request) => request.attempt)).toEqual([1, 2]);
    expect(requests[1]?.feedback?.message).toContain('"missing"');
  });

  it("stops at the LLM-call budget that executors report", async () => {
    const result = await runPlan({
      goal: "g",
      planner: () => ({ steps: [agent("a"), agent("b", ["a"]), agent("c", ["b"])], usage: { llmCalls: 1 } }),
      executor: (_step, { reportUsage }) => {
        reportUsage({ llmCalls: 1, promptTokens: 100, completionTokens: 20 });
        return "ok";
      },
      budget: { maxLlmCalls: 2 },
    });
    expect(result.outcome).toMatchObject({ status: "budget-exceeded", budget: "llmCalls" });
    expect(result.results).toEqual({ a: "ok", b: "ok" });
    expect(result.usage).toEqual({ llmCalls: 3, promptTokens: 200, completionTokens: 40 });
  });

  it("stops at the wall-time budget and aborts the steps in flight", async () => {
    let aborted = false;
    const result = await runPlan({
      goal: "g",
      planner: () => [agent("a")],
      executor: (_step, { signal }) =>
        delay(10_000, signal).catch((error) => {
          aborted = true;
          throw error;
        }),
      budget: { maxWallTimeMs: 40 },
    });
    expect(result.outcome).toMatchObject({ status: "budget-exceeded", budget: "wallTime" });
    expect(aborted).toBe(true);
  });

  it("ends at the wall-time budget even when its timer fires before the clock says the budget is over", async () => {
    // A clock that runs slower than the timers (as under load, or with the start recorded late):
    // the first tick sees less than the budget; the runtime must tick again rather than hang.
    let fake = 0;
    const result = await runPlan({
      goal: "g",
      planner: ({ signal }) => delay(60_000, signal).then(() => []),
      now: () => (fake += 5),
      budget: { maxWallTimeMs: 30 },
    });
    expect(result.outcome).toMatchObject({ status: "budget-exceeded", budget: "wallTime" });
  });

  it("cancels through the signal: in-flight work is aborted and partial results kept", async () => {
    const controller = new AbortController();
    const aborted: string[] = [];
    const result = await runPlan({
      goal: "g",
      planner: () => [
        agent("quick"),
        agent("long1", ["quick"]),
        agent("long2", ["quick"]),
        agent("after", ["long1"]),
      ],
      executor: async (step, { signal }) => {
        if (step.id === "quick") return "fast";
        setTimeout(() => controller.abort(new Error("user pressed Ctrl-C")), 5);
        try {
          await delay(10_000, signal);
        } catch (error) {
          aborted.push(step.id);
          throw error;
        }
      },
      signal: controller.signal,
    });
    expect(result.outcome).toEqual({ status: "cancelled", reason: "user pressed Ctrl-C" });
    expect(result.results).toEqual({ quick: "fast" });
    expect(aborted.sort()).toEqual(["long1", "long2"]);
    expect(result.plan?.steps.map((step) => step.status)).toEqual([
      "done",
      "cancelled",
      "cancelled",
      "cancelled",
    ]);
  });

  it("rejects with the signal's reason when it is aborted before the start", async () => {
    const reason = new Error("too late");
    await expect(runPlan({ goal: "g", planner: () => [], signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
  });

  it("does not wait forever for an executor that ignores its signal", async () => {
    const result = await runPlan({
      goal: "g",
      planner: () => [agent("deaf")],
      executor: () => new Promise(() => {}),
      stepTimeoutMs: 20,
    });
    expect(result.plan?.steps[0]?.error?.code).toBe("step-timeout");
  });

  it("resumes from a saved state without running done steps again", async () => {
    const saved: RunState[] = [];
    const controller = new AbortController();
    const runs: string[] = [];
    const planner = () => [agent("a"), agent("b", ["a"]), agent("c", ["b"])];
    // idempotent: an in-flight step runs again on resume (an undeclared executor is write: issue #20)
    await runPlan({
      goal: "g",
      planner,
      executor: withEffect<Executor>(async (step) => {
        runs.push(step.id);
        if (step.id === "b") controller.abort(new Error("crash"));
        return step.id;
      }, "idempotent"),
      onState: (state) => saved.push(state),
      signal: controller.signal,
    });
    // the last state saved before the crash: a done, b running
    const beforeCrash = saved.filter((state) => state.status === "executing").at(-1)!;
    const restored = parseRun(serializeRun(beforeCrash));
    const result = await runPlan({
      planner,
      state: restored,
      executor: (step) => {
        runs.push(step.id);
        return step.id;
      },
    });
    expect(result.status).toBe("completed");
    expect(runs).toEqual(["a", "b", "b", "c"]);
    expect(result.plan?.steps.find((step) => step.id === "b")?.attempts).toBe(2);
  });

  it("survives a throwing listener and rejects bad options eagerly", async () => {
    const result = await runPlan({
      goal: "g",
      planner: () => [agent("a")],
      executor: () => 1,
      onEvent: () => {
        throw new Error("listener bug");
      },
    });
    expect(result.status).toBe("completed");
    await expect(runPlan({ goal: "g", planner: () => [], stepTimeoutMs: -1 })).rejects.toMatchObject({
      code: "invalid-options",
      message: expect.stringContaining("stepTimeoutMs"),
    });
    await expect(runPlan({ goal: "", planner: () => [] })).rejects.toMatchObject({ code: "invalid-options" });
  });

  it("refuses options or a budget that are not objects with invalid-options, not a TypeError or silent defaults", async () => {
    const planner = () => [agent("a")];
    for (const options of [undefined, null, "goal", []]) {
      await expect(runPlan(options as never)).rejects.toMatchObject({ code: "invalid-options" });
    }
    for (const budget of [null, 3, "big", [1]]) {
      await expect(runPlan({ goal: "g", planner, executor: () => 1, budget } as never)).rejects.toMatchObject(
        {
          code: "invalid-options",
          message: expect.stringContaining("budget"),
        },
      );
      // streamPlan throws them at once (issue #17): its events would otherwise end silently.
      expect(() => streamPlan({ goal: "g", planner, executor: () => 1, budget } as never)).toThrow(
        expect.objectContaining({ code: "invalid-options" }),
      );
    }
  });

  it("refuses requireApproval at once instead of waiting forever for an approval it cannot get", async () => {
    const events: string[] = [];
    const run = runPlan({
      goal: "g",
      planner: () => [agent("a")],
      executor: () => 1,
      budget: { requireApproval: true },
      onEvent: (event) => events.push(event.type),
    });
    await expect(run).rejects.toMatchObject({ code: "invalid-options", message: /requireApproval/ });
    expect(events).toEqual([]); // it never started
  });
});

describe("model-call reporter (reserveLlmCall, reportUsage, emit)", () => {
  it("never lets concurrent executors go over maxLlmCalls; calls in flight finish, the run ends budget-exceeded", async () => {
    let made = 0;
    const executor: Executor = async (_step, context) => {
      for (let call = 0; call < 2; call++) {
        if (!context.reserveLlmCall()) {
          throw Object.assign(new Error("no budget"), { code: "budget-exceeded", retryable: false });
        }
        made++;
        await delay(5);
        context.reportUsage({ llmCalls: 1, promptTokens: 10 });
      }
      return "ok";
    };
    const planner = (request: PlanRequest) => {
      expect(request.reserveLlmCall?.()).toBe(true);
      made++;
      request.reportUsage?.({ llmCalls: 1, promptTokens: 3 });
      return ["a", "b", "c", "d"].map((id) => agent(id));
    };
    const result = await runPlan({
      goal: "g",
      planner,
      executor,
      budget: { maxLlmCalls: 6, concurrency: 4 },
    });
    expect(made).toBe(6);
    expect(result.usage.llmCalls).toBe(6);
    expect(result.usage.promptTokens).toBe(3 + 5 * 10);
    expect(result.outcome).toMatchObject({ status: "budget-exceeded", budget: "llmCalls" });
    expect(result.plan?.steps.some((step) => step.status === "cancelled")).toBe(false);
    expect(
      result.plan?.steps.filter((step) => step.error?.code === "budget-exceeded").length,
    ).toBeGreaterThan(0);
  });

  it("counts the usage a failing planner reported, and does not call it again when the error is not retryable", async () => {
    let calls = 0;
    const events: RunEvent[] = [];
    const result = await runPlan({
      goal: "g",
      planner: (request) => {
        calls++;
        request.emit?.({ type: "model-call-start", at: 0, role: "planner", attempt: 1 });
        request.reportUsage?.({ llmCalls: 3, completionTokens: 7 });
        throw Object.assign(new Error("HTTP 500, three times"), {
          code: "model-call-failed",
          retryable: false,
        });
      },
      onEvent: (event) => events.push(event),
    });
    expect(calls).toBe(1);
    expect(result.status).toBe("failed");
    expect(result.usage).toEqual({ llmCalls: 3, promptTokens: 0, completionTokens: 7 });
    expect(events.map((event) => event.type)).toContain("model-call-start");
  });

  it("ends budget-exceeded when the planner's first call is refused (maxLlmCalls 0)", async () => {
    const result = await runPlan({
      goal: "g",
      planner: (request) => {
        if (!request.reserveLlmCall?.())
          throw Object.assign(new Error("no room"), { code: "budget-exceeded" });
        return [agent("a")];
      },
      budget: { maxLlmCalls: 0 },
    });
    expect(result.outcome).toMatchObject({ status: "budget-exceeded", budget: "llmCalls" });
    expect(result.usage.llmCalls).toBe(0);
  });
});

describe("streamPlan", () => {
  it("yields every event in order and resolves the result", async () => {
    const run = streamPlan({
      goal: "g",
      planner: () => [agent("a"), agent("b", ["a"])],
      executor: (step) => step.id,
    });
    const events: RunEvent[] = [];
    for await (const event of run.events) events.push(event);
    expect(events.map((event) => event.type)).toEqual([
      "run-start",
      "plan-start",
      "plan-end",
      "step-start",
      "step-end",
      "step-start",
      "step-end",
      "run-end",
    ]);
    expect((await run.result).status).toBe("completed");
  });
});

describe("step ids that are Object.prototype's names", () => {
  it("__proto__ and constructor are results like any other (own properties, no pollution)", async () => {
    const steps: StepSpecInput[] = [
      { id: "__proto__", description: "a", kind: "agent" },
      { id: "constructor", description: "b", kind: "agent", dependsOn: ["__proto__"] },
    ];
    const result = await runPlan({
      goal: "g",
      planner: () => steps,
      executor: async (step) => `${step.id}!`,
    });
    expect(result.outcome.status).toBe("completed");
    expect(Object.hasOwn(result.results, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(result.results, "__proto__")?.value).toBe("__proto__!");
    expect(Object.hasOwn(result.results, "constructor")).toBe(true);
    expect(Object.getPrototypeOf(result.results)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(result.results))).toEqual({
      constructor: "constructor!",
      ["__proto__"]: "__proto__!",
    });
  });
});
