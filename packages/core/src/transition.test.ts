import { describe, expect, it } from "vitest";
import { IllegalTransitionError, ReplanError } from "./errors.js";
import { agent, startedRun, statusOf } from "./test-helpers.js";
import { createRun, resolveConfig, transition } from "./index.js";

describe("start and plan", () => {
  it("asks the planner once, then executes the ready steps", () => {
    const created = createRun({ runId: "r", goal: "g" });
    const started = transition(created, { type: "start", at: 10 });
    expect(started.state.status).toBe("planning");
    expect(started.effects).toEqual([{ type: "call-planner", attempt: 1, feedback: null }]);
    expect(started.events.map((event) => event.type)).toEqual(["run-start", "plan-start"]);
    expect(created.status).toBe("idle"); // not mutated

    const planned = transition(started.state, {
      type: "plan",
      at: 11,
      output: { steps: [agent("a"), agent("b"), agent("c", ["a", "b"])] },
    });
    expect(planned.state.status).toBe("executing");
    expect(planned.effects).toEqual([
      { type: "execute-step", stepId: "a", attempt: 1, key: "r:0:a", delayMs: 0 },
      { type: "execute-step", stepId: "b", attempt: 1, key: "r:0:b", delayMs: 0 },
    ]);
    expect(statusOf(planned.state)).toEqual({ a: "running", b: "running", c: "pending" });
    expect(planned.state.plan?.steps[0]?.startedAt).toBe(11);
  });

  it("sends an invalid plan back to the planner with feedback, then fails", () => {
    const started = transition(createRun({ runId: "r", goal: "g" }), { type: "start", at: 0 });
    const bad = [agent("a", ["ghost"])];
    const repair = transition(started.state, { type: "plan", at: 1, output: bad });
    expect(repair.state.status).toBe("planning");
    expect(repair.effects).toEqual([
      {
        type: "call-planner",
        attempt: 2,
        feedback: { message: expect.stringContaining('"ghost"'), output: bad },
      },
    ]);
    const failed = transition(repair.state, { type: "plan", at: 2, output: bad });
    expect(failed.state.status).toBe("failed");
    expect(failed.state.outcome?.error?.code).toBe("invalid-plan");
    expect(failed.events.at(-1)?.type).toBe("run-end");
  });

  it("retries a planner error, then fails with its code", () => {
    const started = transition(createRun({ runId: "r", goal: "g", budget: { maxPlanAttempts: 1 } }), {
      type: "start",
      at: 0,
    });
    const failed = transition(started.state, {
      type: "plan-error",
      at: 1,
      error: { code: "boom", message: "down" },
    });
    expect(failed.state.outcome).toMatchObject({ status: "failed", error: { code: "boom" } });
  });

  it("rejects a plan nobody asked for, and a second start", () => {
    const { state } = startedRun([agent("a")]);
    expect(() => transition(state, { type: "plan", at: 2, output: [agent("x")] })).toThrow(
      IllegalTransitionError,
    );
    expect(() => transition(state, { type: "start", at: 2 })).toThrow(/already executing/);
    expect(() =>
      transition(createRun({ runId: "r", goal: "g" }), { type: "plan", at: 0, output: [] }),
    ).toThrow(IllegalTransitionError);
  });

  it("rejects an empty goal and bad limits with invalid-options naming the option", () => {
    expect(() => createRun({ runId: "r", goal: " " })).toThrow(/goal/);
    for (const bad of [{ concurrency: 0 }, { maxAttempts: 1.5 }, { maxReplans: -1 }, { maxTokens: -5 }]) {
      try {
        resolveConfig(bad);
        expect.unreachable();
      } catch (error) {
        expect(ReplanError.isInstance(error) && error.code).toBe("invalid-options");
        expect((error as Error).message).toContain(Object.keys(bad)[0]);
      }
    }
  });
});

describe("steps", () => {
  it("starts a step the moment its own dependencies are done", () => {
    const { state } = startedRun([agent("a"), agent("slow"), agent("b", ["a"])]);
    const next = transition(state, { type: "step-finish", at: 5, stepId: "a", attempt: 1, result: 1 });
    expect(next.effects).toEqual([
      { type: "execute-step", stepId: "b", attempt: 1, key: "r:0:b", delayMs: 0 },
    ]);
    expect(statusOf(next.state)).toEqual({ a: "done", slow: "running", b: "running" });
    expect(next.state.plan?.steps[0]).toMatchObject({ result: 1, endedAt: 5 });
  });

  it("honours the concurrency limit", () => {
    const { state, effects } = startedRun([agent("a"), agent("b"), agent("c")], { concurrency: 2 });
    expect(effects.map((effect) => effect.type === "execute-step" && effect.stepId)).toEqual(["a", "b"]);
    const next = transition(state, { type: "step-finish", at: 2, stepId: "b", attempt: 1, result: null });
    expect(next.effects).toMatchObject([{ stepId: "c" }]);
  });

  it("rejects finishing a step that never started, is done, or is unknown", () => {
    const { state } = startedRun([agent("a"), agent("b", ["a"])]);
    const finish = (stepId: string, attempt = 1) => ({
      type: "step-finish" as const,
      at: 2,
      stepId,
      attempt,
      result: 0,
    });
    expect(() => transition(state, finish("b"))).toThrow(/"b" is pending, not running/);
    expect(() => transition(state, finish("zzz"))).toThrow(/no step "zzz"/);
    expect(() => transition(state, finish("a", 2))).toThrow(/attempt 1, not 2/);
    const done = transition(state, finish("a")).state;
    expect(() => transition(done, finish("a"))).toThrow(/"a" is done/);
    expect(() =>
      transition(done, {
        type: "step-fail",
        at: 3,
        stepId: "a",
        attempt: 1,
        error: { code: "x", message: "x" },
      }),
    ).toThrow(IllegalTransitionError);
  });

  it("retries a retryable failure with exponential backoff up to maxAttempts", () => {
    const { state } = startedRun([agent("a")], {
      maxAttempts: 3,
      retryBackoffMs: 100,
      hasReplanner: false,
      effects: { agent: "idempotent" }, // a write step is settled instead (settlement.test.ts)
    });
    const error = { code: "flaky", message: "try again" };
    const second = transition(state, { type: "step-fail", at: 2, stepId: "a", attempt: 1, error });
    expect(second.effects).toEqual([
      { type: "execute-step", stepId: "a", attempt: 2, key: "r:0:a", delayMs: 100 },
    ]);
    const third = transition(second.state, { type: "step-fail", at: 3, stepId: "a", attempt: 2, error });
    expect(third.effects).toMatchObject([{ attempt: 3, delayMs: 200 }]);
    const failed = transition(third.state, { type: "step-fail", at: 4, stepId: "a", attempt: 3, error });
    expect(failed.state.status).toBe("failed");
    expect(failed.state.plan?.steps[0]).toMatchObject({ status: "failed", attempts: 3, error });
  });

  it("does not retry a non-retryable failure", () => {
    const { state } = startedRun([agent("a")], { maxAttempts: 3, hasReplanner: false });
    const next = transition(state, {
      type: "step-fail",
      at: 2,
      stepId: "a",
      attempt: 1,
      error: { code: "unknown-tool", message: "no" },
      retryable: false,
    });
    expect(next.state.outcome?.status).toBe("failed");
  });

  it("never starts a failed step's dependents, but runs the other branches", () => {
    const { state } = startedRun([agent("a"), agent("b"), agent("a2", ["a"]), agent("b2", ["b"])], {
      hasReplanner: false,
    });
    const failed = transition(state, {
      type: "step-fail",
      at: 2,
      stepId: "a",
      attempt: 1,
      error: { code: "x", message: "no" },
    });
    expect(failed.effects).toEqual([]);
    const b = transition(failed.state, { type: "step-finish", at: 3, stepId: "b", attempt: 1, result: "ok" });
    expect(b.effects).toMatchObject([{ type: "execute-step", stepId: "b2" }]);
    const end = transition(b.state, { type: "step-finish", at: 4, stepId: "b2", attempt: 1, result: "ok" });
    expect(end.state.outcome).toMatchObject({ status: "failed", reason: expect.stringContaining("a") });
    expect(statusOf(end.state)).toEqual({ a: "failed", b: "done", a2: "skipped", b2: "done" });
  });

  it("completes when every step is done", () => {
    const { state } = startedRun([agent("a")]);
    const end = transition(state, { type: "step-finish", at: 9, stepId: "a", attempt: 1, result: "x" });
    expect(end.state.outcome?.status).toBe("completed");
    expect(end.state.endedAt).toBe(9);
    expect(end.events.map((event) => event.type)).toEqual(["step-end", "run-end"]);
    expect(() =>
      transition(end.state, { type: "step-finish", at: 10, stepId: "a", attempt: 1, result: 0 }),
    ).toThrow(/already ended/);
    expect(transition(end.state, { type: "tick", at: 11 }).state).toBe(end.state);
  });
});

describe("replanning", () => {
  const failA = {
    type: "step-fail" as const,
    at: 3,
    stepId: "a",
    attempt: 1,
    error: { code: "x", message: "broke" },
  };

  it("replans on failure, keeping done and running steps and replacing the rest", () => {
    const { state } = startedRun([
      agent("done1"),
      agent("a", ["done1"]),
      agent("run1", ["done1"]),
      agent("later", ["a"]),
    ]);
    const s1 = transition(state, {
      type: "step-finish",
      at: 2,
      stepId: "done1",
      attempt: 1,
      result: "d",
    }).state;
    expect(statusOf(s1)).toMatchObject({ a: "running", run1: "running" });
    const replanning = transition(s1, failA);
    expect(replanning.state.status).toBe("replanning");
    expect(replanning.state.replans).toBe(1);
    expect(replanning.effects).toEqual([
      {
        type: "call-replanner",
        attempt: 1,
        reason: { trigger: "step-failed", stepIds: ["a"], message: 'step "a": broke' },
        feedback: null,
      },
    ]);
    // a running step may still finish while the replanner thinks; "later" waits (it depends on "a")
    const during = transition(replanning.state, {
      type: "step-finish",
      at: 4,
      stepId: "run1",
      attempt: 1,
      result: "r",
    });
    expect(during.effects).toEqual([]);

    const merged = transition(during.state, {
      type: "replan",
      at: 5,
      output: [agent("a-fix", ["done1"]), agent("later", ["a-fix", "run1"])],
    });
    expect(merged.state.status).toBe("executing");
    expect(merged.state.plan?.revision).toBe(1);
    expect(merged.state.plan?.steps.map((step) => [step.id, step.status, step.revision])).toEqual([
      ["done1", "done", 0],
      ["run1", "done", 0],
      ["later", "pending", 1],
      ["a-fix", "running", 1],
    ]);
    expect(merged.state.plan?.steps[0]).toBe(s1.plan?.steps[0]); // done steps untouched
    expect(merged.state.history).toHaveLength(1);
    expect(merged.state.history[0]).toMatchObject({ revision: 0, replacedAt: 5 });
    expect(merged.state.history[0]?.steps.find((step) => step.id === "a")?.status).toBe("failed");
    // a full rewrite of the remaining steps is read as a patch: "later" is named again (replaced)
    expect(merged.events[0]).toMatchObject({
      type: "replan-end",
      removed: ["a"],
      added: ["a-fix"],
      replaced: ["later"],
      kept: ["done1", "run1"],
      conflicts: [],
    });
    expect(merged.effects).toMatchObject([{ type: "execute-step", stepId: "a-fix", key: "r:1:a-fix" }]);
  });

  it("rejects a revision that replaces a done step and counts it as a failed replan", () => {
    const { state } = startedRun([agent("d"), agent("a", ["d"])], { maxReplans: 2 });
    const s1 = transition(state, { type: "step-finish", at: 2, stepId: "d", attempt: 1, result: 1 }).state;
    const replanning = transition(s1, failA).state;
    const bad = transition(replanning, { type: "replan", at: 5, output: [agent("d")] });
    expect(bad.state.failedReplans).toBe(1);
    expect(bad.state.replans).toBe(2);
    expect(bad.effects).toEqual([
      expect.objectContaining({
        type: "call-replanner",
        attempt: 2,
        feedback: { message: expect.stringContaining('"d" is already done'), output: [agent("d")] },
      }),
    ]);
    const exhausted = transition(bad.state, {
      type: "replan-error",
      at: 6,
      error: { code: "e", message: "down" },
    });
    expect(exhausted.state.outcome).toMatchObject({ status: "budget-exceeded", budget: "replans" });
    expect(exhausted.state.failedReplans).toBe(2);
    expect(statusOf(exhausted.state)).toEqual({ d: "done", a: "failed" });
  });

  it("treats an unexpected result as a failure that keeps the result", () => {
    const { state } = startedRun([agent("a")]);
    const next = transition(state, {
      type: "step-finish",
      at: 2,
      stepId: "a",
      attempt: 1,
      result: [],
      unexpected: "empty",
    });
    expect(next.state.plan?.steps[0]).toMatchObject({
      status: "failed",
      result: [],
      error: { code: "unexpected-result", message: "empty" },
    });
    expect(next.effects).toMatchObject([
      { type: "call-replanner", reason: { trigger: "unexpected-result" } },
    ]);
  });

  it("replans on demand, and completes when the replanner says nothing is left", () => {
    const { state } = startedRun([agent("a"), agent("b", ["a"]), agent("c", ["a"])], { concurrency: 1 });
    const asked = transition(state, { type: "replan-request", at: 2, reason: "user changed their mind" });
    expect(asked.effects).toMatchObject([{ type: "call-replanner", reason: { trigger: "requested" } }]);
    // no step failed, so nothing waits for the replanner: "b" starts when "a" is done
    const finished = transition(asked.state, {
      type: "step-finish",
      at: 3,
      stepId: "a",
      attempt: 1,
      result: 1,
    });
    expect(finished.effects).toMatchObject([{ type: "execute-step", stepId: "b" }]);
    // "nothing is left": "c" is removed; "b", started meanwhile, is kept and reported as a conflict
    const patched = transition(finished.state, { type: "replan", at: 4, output: [] });
    expect(patched.events).toMatchObject([
      { type: "replan-end", removed: ["c"], conflicts: ["b"], kept: ["a", "b"] },
    ]);
    const end = transition(patched.state, { type: "step-finish", at: 5, stepId: "b", attempt: 1, result: 2 });
    expect(end.state.outcome?.status).toBe("completed");
    expect(end.state.plan?.steps.map((step) => step.id)).toEqual(["a", "b"]);
  });

  it("fails the run when the replanner returns no steps while a step has failed (it gives up)", () => {
    const { state } = startedRun([agent("a"), agent("b"), agent("c", ["a"])]);
    const replanning = transition(state, failA).state;
    const end = transition(replanning, { type: "replan", at: 4, output: [] });
    expect(end.state.status).toBe("failed");
    expect(end.state.outcome).toMatchObject({
      status: "failed",
      reason: expect.stringMatching(/replanner gave up.*failed step\(s\) a/),
      error: { code: "replanner-gave-up" },
    });
    // the failed step stays in the plan; the kept running step is cancelled, the rest skipped
    expect(statusOf(end.state)).toEqual({ a: "failed", b: "cancelled", c: "skipped" });
    expect(end.effects).toMatchObject([{ type: "abort" }]);
    expect(end.events.filter((event) => event.type === "run-end")).toHaveLength(1);
    // an unexpected result replaced by nothing is the same: the goal was not reached
    const odd = transition(startedRun([agent("a")]).state, {
      type: "step-finish",
      at: 3,
      stepId: "a",
      attempt: 1,
      result: "?",
      unexpected: "odd",
    }).state;
    expect(transition(odd, { type: "replan", at: 4, output: { steps: [] } }).state.outcome?.status).toBe(
      "failed",
    );
  });

  it("rejects replan answers nobody asked for and on-demand replans without a replanner", () => {
    const { state } = startedRun([agent("a")], { hasReplanner: false });
    expect(() => transition(state, { type: "replan", at: 2, output: [] })).toThrow(IllegalTransitionError);
    expect(() => transition(state, { type: "replan-request", at: 2, reason: "x" })).toThrow(/no replanner/);
  });

  it("fails without replanning when replanning is off (maxReplans 0)", () => {
    const { state } = startedRun([agent("a")], { maxReplans: 0 });
    expect(transition(state, failA).state.outcome?.status).toBe("failed");
  });

  it("replans again when a step kept during the replan fails afterwards", () => {
    const { state } = startedRun([agent("a"), agent("b")]);
    const replanning = transition(state, failA).state;
    const bFails = transition(replanning, { ...failA, stepId: "b", at: 4 }).state;
    expect(bFails.status).toBe("replanning");
    const merged = transition(bFails, { type: "replan", at: 5, output: [agent("a2")] });
    expect(merged.state.status).toBe("replanning");
    // "b" is replanned, and "a2", which does not depend on it, starts at once
    expect(merged.effects).toMatchObject([
      { type: "call-replanner", reason: { stepIds: ["b"] } },
      { type: "execute-step", stepId: "a2" },
    ]);
  });
});

describe("budgets and cancellation", () => {
  it("ends the run when LLM calls or tokens go over the budget, aborting what is in flight", () => {
    const { state } = startedRun([agent("a"), agent("b")], { maxLlmCalls: 2 });
    const over = transition(state, {
      type: "step-finish",
      at: 2,
      stepId: "a",
      attempt: 1,
      result: 1,
      usage: { llmCalls: 3 },
    });
    expect(over.state.outcome).toMatchObject({ status: "budget-exceeded", budget: "llmCalls" });
    expect(over.effects).toEqual([{ type: "abort", reason: expect.stringContaining("LLM calls") }]);
    expect(statusOf(over.state)).toEqual({ a: "done", b: "cancelled" });

    const tokens = startedRun([agent("a")], { maxTokens: 100 }).state;
    const usage = transition(tokens, {
      type: "usage",
      at: 2,
      usage: { promptTokens: 80, completionTokens: 30 },
    });
    expect(usage.state.outcome).toMatchObject({ status: "budget-exceeded", budget: "tokens" });
  });

  it("ends the run past its wall time on any input", () => {
    const { state } = startedRun([agent("a")], { maxWallTimeMs: 1000 });
    expect(transition(state, { type: "tick", at: 500 }).state.status).toBe("executing");
    expect(transition(state, { type: "tick", at: 1001 }).state.outcome).toMatchObject({ budget: "wallTime" });
  });

  it("does not call the replanner when no LLM call is left", () => {
    const { state } = startedRun([agent("a")], { maxLlmCalls: 1 });
    const next = transition(state, {
      type: "step-fail",
      at: 2,
      stepId: "a",
      attempt: 1,
      error: { code: "x", message: "x" },
      usage: { llmCalls: 1 },
    });
    expect(next.state.outcome).toMatchObject({ status: "budget-exceeded", budget: "llmCalls" });
    expect(next.effects.some((effect) => effect.type === "call-replanner")).toBe(false);
  });

  it("cancels: running and pending steps are cancelled, done results kept", () => {
    const { state } = startedRun([agent("a"), agent("b", ["a"])]);
    const cancelled = transition(state, { type: "cancel", at: 3, reason: "user" });
    expect(cancelled.state.outcome).toEqual({ status: "cancelled", reason: "user" });
    expect(cancelled.effects).toEqual([{ type: "abort", reason: "user" }]);
    expect(statusOf(cancelled.state)).toEqual({ a: "cancelled", b: "cancelled" });
  });
});

describe("resume", () => {
  it("runs again the steps that were running when the state was saved (idempotent ones: issue #20)", () => {
    const { state } = startedRun([agent("a"), agent("b")], { effects: { agent: "idempotent" } });
    const s1 = transition(state, { type: "step-finish", at: 2, stepId: "a", attempt: 1, result: 1 }).state;
    const resumed = transition(s1, { type: "resume", at: 100 });
    expect(resumed.effects).toEqual([
      { type: "execute-step", stepId: "b", attempt: 2, key: "r:0:b", delayMs: 0 },
    ]);
    expect(statusOf(resumed.state)).toEqual({ a: "done", b: "running" });
  });

  it("asks the planner again when it was planning, and starts an idle run", () => {
    const planning = transition(createRun({ runId: "r", goal: "g" }), { type: "start", at: 0 }).state;
    expect(transition(planning, { type: "resume", at: 5 }).effects).toMatchObject([
      { type: "call-planner", attempt: 1 },
    ]);
    expect(transition(createRun({ runId: "r", goal: "g" }), { type: "resume", at: 5 }).state.status).toBe(
      "planning",
    );
  });
});

describe("planner and replanner errors that cannot succeed", () => {
  it("does not retry a non-retryable planner error", () => {
    const started = transition(createRun({ runId: "r", goal: "g" }), { type: "start", at: 0 });
    const failed = transition(started.state, {
      type: "plan-error",
      at: 1,
      error: { code: "planner-failed", message: "401 Incorrect API key" },
      retryable: false,
    });
    expect(failed.state.outcome).toMatchObject({ status: "failed" });
    expect(failed.state.planAttempts).toBe(1);
    expect(failed.effects.some((effect) => effect.type === "call-planner")).toBe(false);
  });

  it("stops replanning after a non-retryable replanner error and fails the run", () => {
    const { state } = startedRun([agent("a")]);
    const replanning = transition(state, {
      type: "step-fail",
      at: 2,
      stepId: "a",
      attempt: 1,
      error: { code: "x", message: "x" },
    });
    const end = transition(replanning.state, {
      type: "replan-error",
      at: 3,
      error: { code: "planner-failed", message: "403" },
      retryable: false,
    });
    expect(end.state.outcome?.status).toBe("failed");
    expect(end.state.replans).toBe(1);
    expect(end.effects.some((effect) => effect.type === "call-replanner")).toBe(false);
  });
});

describe("plan approval", () => {
  const approvalRun = () => {
    const started = transition(createRun({ runId: "r", goal: "g", budget: { requireApproval: true } }), {
      type: "start",
      at: 0,
    });
    return transition(started.state, { type: "plan", at: 1, output: [agent("a"), agent("b", ["a"])] });
  };

  it("holds a new plan until approved: no step starts before", () => {
    const held = approvalRun();
    expect(held.state.status).toBe("approving");
    expect(held.effects).toEqual([]);
    expect(statusOf(held.state)).toEqual({ a: "pending", b: "pending" });
    const approved = transition(held.state, { type: "approve", at: 5 });
    expect(approved.effects).toMatchObject([{ type: "execute-step", stepId: "a" }]);
    expect(approved.state.plan?.steps[0]?.startedAt).toBe(5);
  });

  it("runs edited steps instead, validated", () => {
    const held = approvalRun().state;
    expect(() => transition(held, { type: "approve", at: 5, steps: [agent("x", ["ghost"])] })).toThrow(
      /ghost/,
    );
    const edited = transition(held, { type: "approve", at: 5, steps: [agent("x")] });
    expect(statusOf(edited.state)).toEqual({ x: "running" });
    expect(edited.events.map((event) => event.type)).toEqual(["plan-end", "step-start"]);
  });

  it("cancels a rejected plan, and rejects approval when nothing waits for it", () => {
    const held = approvalRun().state;
    expect(transition(held, { type: "cancel", at: 5, reason: "no" }).state.outcome?.status).toBe("cancelled");
    expect(() => transition(startedRun([agent("a")]).state, { type: "approve", at: 5 })).toThrow(
      IllegalTransitionError,
    );
  });
});
