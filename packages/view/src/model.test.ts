import { createRun, type RunEvent, type RunState, transition } from "@replan/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { readApprovalAnswer } from "./approval.js";
import { criticalPath } from "./layout.js";
import { applyEvent, applyEvents, emptyModel, type ViewStep } from "./model.js";

/** A real run driven through core's transition: plan, a failure, a replan that keeps what ran. */
function replannedRun(): { events: RunEvent[]; state: RunState } {
  const events: RunEvent[] = [];
  let state = createRun({ runId: "run-1", goal: "Check stock", budget: { concurrency: 4 } });
  const step = (input: Parameters<typeof transition>[1]) => {
    const result = transition(state, input);
    state = result.state;
    events.push(...result.events);
  };
  step({ type: "start", at: 0 });
  step({
    type: "plan",
    at: 10,
    output: [
      { id: "north", kind: "tool", tool: "getStock", description: "north", args: { w: "north" } },
      { id: "east", kind: "tool", tool: "getStock", description: "east", args: { w: "east" } },
      {
        id: "report",
        kind: "tool",
        tool: "report",
        description: "report",
        dependsOn: ["north", "east"],
        args: { n: "${north}" },
      },
    ],
  });
  step({ type: "step-finish", at: 20, stepId: "north", attempt: 1, result: { items: 3 } });
  step({
    type: "step-fail",
    at: 30,
    stepId: "east",
    attempt: 1,
    error: { code: "tool-error", message: "503" },
    retryable: false,
  });
  step({
    type: "replan",
    at: 40,
    output: [
      { id: "east-replica", kind: "tool", tool: "getStock", description: "replica", args: {} },
      {
        id: "report",
        kind: "tool",
        tool: "report",
        description: "report",
        dependsOn: ["north", "east-replica"],
        args: {},
      },
    ],
  });
  return { events, state };
}

describe("applyEvent", () => {
  test("a replan becomes revision 1 with what it removed, added, replaced and kept; the live and saved views agree", () => {
    const { events, state } = replannedRun();
    const live = applyEvents(emptyModel(), events);
    expect(live.runId).toBe("run-1");
    expect(live.status).toBe("executing");
    expect(live.revisions.map((revision) => revision.revision)).toEqual([0, 1]);
    const [first, second] = live.revisions;
    expect(first!.reason).toMatchObject({ trigger: "step-failed", stepIds: ["east"] });
    expect(first!.steps.find((step) => step.id === "east")?.status).toBe("failed");
    // "report", named again by the rewrite, is replaced (same id, new content)
    expect(second).toMatchObject({
      removed: ["east"],
      added: ["east-replica"],
      replaced: ["report"],
      kept: ["north"],
    });

    // The same run opened from its saved state (a finished run, a thread's values).
    const saved = applyEvent(emptyModel(), { type: "view-snapshot", at: 50, state });
    expect(
      saved.revisions.map(({ revision, removed, added, replaced, kept }) => ({
        revision,
        removed,
        added,
        replaced,
        kept,
      })),
    ).toEqual(
      live.revisions.map(({ revision, removed, added, replaced, kept }) => ({
        revision,
        removed,
        added,
        replaced,
        kept,
      })),
    );
    expect(saved.revisions[1]!.steps).toEqual(live.revisions[1]!.steps);
    // The adapter's thread values keep the plan next to `run` (whose plan is null).
    const values = { goal: state.goal, plan: state.plan, outcome: null, run: { ...state, plan: null } };
    expect(applyEvent(emptyModel(), { type: "view-snapshot", state: values }).revisions).toEqual(
      saved.revisions,
    );
  });

  test("an edited plan at approval replaces revision 0; answering clears the request", () => {
    const plan = {
      revision: 0,
      steps: [{ id: "a", kind: "agent", description: "A", dependsOn: [], status: "pending" }],
    };
    let model = applyEvent(emptyModel(), {
      type: "approval-request",
      request: { goal: "G", plan, forecast: { steps: 1, ms: 300 } },
    });
    expect(model.status).toBe("approving");
    expect(model.approval?.forecast).toEqual({ steps: 1, ms: 300 });
    expect(model.approval?.plan.steps.map((step) => step.id)).toEqual(["a"]);
    model = applyEvent(model, { type: "approval-answered", action: "edit" });
    model = applyEvent(model, {
      type: "plan-end",
      plan: { revision: 0, steps: [{ id: "b", kind: "agent", description: "B" }] },
    });
    expect(model.approval).toBeUndefined();
    expect(model.revisions).toHaveLength(1);
    expect(model.revisions[0]!.steps.map((step) => step.id)).toEqual(["b"]);
    expect(model.notices.at(-1)?.text).toBe("plan edited and approved in the view");
  });

  test("unknown events and extra fields are ignored; malformed known events become warnings", () => {
    let model = applyEvent(emptyModel(), { type: "model-call-end", at: 1, tokens: 3 });
    expect(model).toMatchObject({ events: 0, ignored: 1, notices: [] });
    model = applyEvent(model, { type: "step-end", step: { id: 7 } });
    model = applyEvent(model, { type: "run-end", outcome: "done" });
    expect(model.notices.map((notice) => notice.level)).toEqual(["warning", "warning"]);
    model = applyEvent(model, {
      type: "plan-end",
      plan: { steps: [{ id: "a", kind: "tool", tool: "t", effect: "read-only", description: "x" }] },
      forecast: { ms: 3 },
    });
    expect(model.revisions[0]!.steps[0]).toMatchObject({ id: "a", effect: "read-only", status: "pending" });
  });

  test("never throws and stays JSON, whatever it is fed", () => {
    const event = fc.oneof(
      fc.anything(),
      fc.record({
        type: fc.constantFrom(
          "run-start",
          "plan-end",
          "step-start",
          "step-end",
          "replan-start",
          "replan-end",
          "run-end",
          "approval-request",
          "view-snapshot",
          "view-state",
        ),
        at: fc.oneof(fc.integer(), fc.anything()),
        plan: fc.anything(),
        step: fc.anything(),
        state: fc.anything(),
        request: fc.anything(),
        model: fc.anything(),
        outcome: fc.anything(),
      }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (events) => {
        const model = applyEvents(emptyModel(), events);
        expect(() => JSON.stringify(model)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  test("notices and plans are bounded", () => {
    const noisy = Array.from({ length: 1_000 }, () => ({ type: "step-end", step: null }));
    expect(applyEvents(emptyModel(), noisy).notices).toHaveLength(50);
    const huge = {
      type: "plan-end",
      plan: { steps: Array.from({ length: 20_000 }, (_, index) => ({ id: `s${index}` })) },
    };
    expect(applyEvent(emptyModel(), huge).revisions[0]!.steps).toHaveLength(5_000);
  });
});

describe("criticalPath", () => {
  const step = (id: string, dependsOn: string[], startedAt?: number, endedAt?: number): ViewStep => ({
    id,
    description: id,
    kind: "agent",
    dependsOn,
    status: endedAt === undefined ? "pending" : "done",
    attempts: 1,
    revision: 0,
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(endedAt === undefined ? {} : { endedAt }),
  });

  test("is the chain with the longest total duration", () => {
    const steps = [
      step("a", [], 0, 100),
      step("b", [], 0, 900),
      step("c", ["a"], 100, 200),
      step("d", ["b", "c"]),
    ];
    expect(criticalPath(steps, 1_000)).toEqual(["b", "d"]);
  });

  test("survives a cycle and unknown dependencies", () => {
    expect(criticalPath([step("a", ["b"]), step("b", ["a"]), step("c", ["zzz"])], 0)).toEqual(["c"]);
    expect(criticalPath([], 0)).toEqual([]);
  });
});

describe("readApprovalAnswer", () => {
  test("reads the three answers as the adapter's PlanApprovalSchema does, and checks edits with checkPlan", () => {
    expect(readApprovalAnswer({ action: "approve" })).toEqual({ ok: true, answer: { action: "approve" } });
    expect(readApprovalAnswer({ action: "reject", reason: "  no  " })).toEqual({
      ok: true,
      answer: { action: "reject", reason: "no" },
    });
    expect(readApprovalAnswer({ action: "reject", reason: 3 })).toMatchObject({ ok: false });
    expect(readApprovalAnswer({ action: "maybe" })).toMatchObject({ ok: false });
    expect(readApprovalAnswer(null)).toMatchObject({ ok: false });
    expect(readApprovalAnswer({ action: "edit", steps: "nope" })).toMatchObject({ ok: false });
    const cycle = readApprovalAnswer({
      action: "edit",
      steps: [
        { id: "a", kind: "agent", description: "A", dependsOn: ["b"] },
        { id: "b", kind: "agent", description: "B", dependsOn: ["a"] },
      ],
    });
    expect(cycle).toMatchObject({ ok: false, error: expect.stringMatching(/cycle/) });
    const tooMany = readApprovalAnswer(
      {
        action: "edit",
        steps: [
          { id: "a", kind: "agent", description: "A" },
          { id: "b", kind: "agent", description: "B" },
        ],
      },
      { maxSteps: 1 },
    );
    expect(tooMany.ok).toBe(false);
    expect(
      readApprovalAnswer({ action: "edit", steps: [{ id: "a", kind: "agent", description: "A" }] }),
    ).toEqual({
      ok: true,
      answer: { action: "edit", steps: [{ id: "a", kind: "agent", description: "A", dependsOn: [] }] },
    });
  });
});
