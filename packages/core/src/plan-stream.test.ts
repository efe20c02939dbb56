import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { agent, statusOf } from "./test-helpers.js";
import {
  createRun,
  parseRun,
  type RunConfigInput,
  type RunInput,
  type RunState,
  serializeRun,
  type StepSpecInput,
  type TransitionResult,
  transition,
} from "./index.js";

const tool = (id: string, args: Record<string, unknown>, dependsOn?: string[]): StepSpecInput => ({
  id,
  kind: "tool",
  tool: "fetch",
  description: `fetch ${id}`,
  args,
  ...(dependsOn ? { dependsOn } : {}),
});

/** A run asking its planner (attempt 1). */
function planning(budget: RunConfigInput = {}): RunState {
  return transition(createRun({ runId: "r", goal: "g", budget }), { type: "start", at: 0 }).state;
}

/** Feeds inputs in order; returns every result. */
function feed(state: RunState, inputs: RunInput[]): TransitionResult[] {
  const results: TransitionResult[] = [];
  for (const input of inputs) {
    const result = transition(state, input);
    results.push(result);
    state = result.state;
  }
  return results;
}

const step = (output: unknown, at = 1): RunInput => ({ type: "plan-step", at, output });
const finish = (stepId: string, at = 5): RunInput => ({
  type: "step-finish",
  at,
  stepId,
  attempt: 1,
  result: stepId,
});

describe("a plan that grows while it runs (plan-step, plan-end)", () => {
  it("a plan already refused at its end takes no step that was not streamed: no plan-step event for it", () => {
    // "a" refers to "b", written after it: refused as it streams; "b" is taken
    const results = feed(planning(), [
      step(tool("a", { v: "${b}" }, ["b"])),
      step(tool("b", {})),
      {
        type: "plan-end",
        at: 2,
        output: [tool("a", { v: "${b}" }, ["b"]), tool("b", {}), tool("c", {})],
      },
    ]);
    const end = results.at(-1)!;
    expect(end.events.filter((event) => event.type === "plan-step")).toEqual([]);
    expect(end.state.plan?.steps.map((entry) => entry.id)).not.toContain("c");
    expect(end.events.map((event) => event.type)).toContain("plan-error");
  });

  it("takes each valid step at once and starts it while the run is still planning", () => {
    const [first, second, third] = feed(planning(), [
      step(agent("a")),
      step(agent("b", ["a"])),
      step(agent("c")),
    ]);
    expect(first!.state.status).toBe("planning");
    expect(first!.events.map((event) => event.type)).toEqual(["plan-step", "step-start"]);
    expect(first!.events[0]).toMatchObject({
      type: "plan-step",
      at: 1,
      step: { id: "a", status: "pending" },
    });
    expect(first!.effects).toEqual([
      { type: "execute-step", stepId: "a", attempt: 1, key: "r:0:a", delayMs: 0 },
    ]);
    expect(second!.effects).toEqual([]); // b waits for a
    expect(statusOf(third!.state)).toEqual({ a: "running", b: "pending", c: "running" });
    expect(third!.state.plan?.revision).toBe(0);
  });

  it("never completes nor replans before plan-end; plan-end then moves on", () => {
    const [, done, failed, end] = feed(planning({ concurrency: 4 }), [
      step(agent("a")),
      finish("a"),
      { type: "plan-step", at: 6, output: agent("b") },
      { type: "plan-end", at: 7 },
    ]);
    expect(done!.state.status).toBe("planning"); // all steps done, but the plan is not complete
    expect(done!.state.outcome).toBeNull();
    expect(failed!.state.status).toBe("planning");
    expect(end!.state.status).toBe("executing");
    expect(end!.events.map((event) => event.type)).toEqual(["plan-end"]);
    expect(end!.state.planStream).toBeUndefined();
    const [last] = feed(end!.state, [finish("b", 8)]);
    expect(last!.state.status).toBe("completed");
  });

  it("waits for plan-end before replanning a step that failed while the plan was written", () => {
    const fail: RunInput = {
      type: "step-fail",
      at: 2,
      stepId: "a",
      attempt: 1,
      error: { code: "x", message: "no" },
    };
    const [, failed, more, end] = feed(planning(), [
      step(agent("a")),
      fail,
      step(agent("b", ["a"]), 3),
      { type: "plan-end", at: 4 },
    ]);
    expect(failed!.state.status).toBe("planning");
    expect(failed!.effects).toEqual([]);
    expect(more!.state.status).toBe("planning");
    expect(end!.state.status).toBe("replanning");
    expect(end!.effects[0]).toMatchObject({ type: "call-replanner", reason: { stepIds: ["a"] } });
  });

  it.each([
    ["a malformed step", { id: "x", kind: "agent" }, "invalid-shape"],
    ["a reused id", agent("a"), "duplicate-id"],
    ["a dependency not written before it", agent("x", ["later"]), "unknown-dependency"],
    ["a reference outside its dependencies", tool("x", { q: "${a}" }), "invalid-reference"],
    ["a step that depends on itself", agent("x", ["x"]), "self-dependency"],
  ])(
    "does not take %s, records it, takes the later valid steps, and asks for a repair at plan-end",
    (_name, bad, code) => {
      const results = feed(planning(), [
        step(agent("a")),
        step({ ...(bad as object) }, 2),
        step(agent("c"), 3),
        { type: "plan-end", at: 4 },
      ]);
      const rejected = results[1]!;
      expect(rejected.events).toEqual([]);
      expect(rejected.state.planStream).toMatchObject({ streamed: ["a"], rejected: 1, issues: [{ code }] });
      expect(statusOf(results[2]!.state)).toEqual({ a: "running", c: "running" });
      const end = results[3]!;
      expect(end.state.status).toBe("planning");
      expect(end.events.map((event) => event.type)).toEqual(["plan-error", "plan-start"]);
      expect(end.effects).toEqual([
        {
          type: "call-planner",
          attempt: 2,
          feedback: {
            message: expect.stringContaining('Steps "a", "c" have started and are kept'),
            output: undefined,
          },
        },
      ]);
      expect(end.state.feedback?.message).toContain(code === "duplicate-id" ? "used twice" : "");
    },
  );

  it("keeps the started and done steps of an invalid plan, drops the pending ones, and takes the repair's rest", () => {
    const [, , , , end] = feed(planning({ concurrency: 1 }), [
      step(agent("a")),
      finish("a", 2),
      step(agent("b")), // starts (a is done, concurrency 1)
      step(agent("c")), // pending: concurrency
      {
        type: "plan-end",
        at: 4,
        issues: [{ code: "syntax-error", stepIds: [], message: "line 4: garbage" }],
      },
    ]);
    expect(end!.state.status).toBe("planning");
    expect(statusOf(end!.state)).toEqual({ a: "done", b: "running" });
    expect(end!.state.feedback?.message).toBe(
      'line 4: garbage Steps "a", "b" have started and are kept: write only the other steps (they may depend on the kept ones).',
    );
    // The repair writes the rest, may depend on kept steps, and may write a kept step again.
    const [again, fresh, done] = feed(end!.state, [
      step(agent("a"), 5),
      step(agent("d", ["a", "b"]), 6),
      { type: "plan-end", at: 7 },
    ]);
    expect(again!.events).toEqual([]);
    expect(again!.state.planStream?.rejected).toBe(0);
    expect(fresh!.events.map((event) => event.type)).toEqual(["plan-step"]);
    expect(done!.state.status).toBe("executing");
    expect(done!.state.plan?.steps.map((item) => item.id)).toEqual(["a", "b", "d"]);
    // A repair answered as a whole plan (`plan`) adds to the kept steps the same way.
    const whole = transition(end!.state, { type: "plan", at: 5, output: [agent("a"), agent("d", ["b"])] });
    expect(whole.state.status).toBe("executing");
    expect(whole.state.plan?.steps.map((item) => item.id)).toEqual(["a", "b", "d"]);
    const replaced = transition(end!.state, { type: "plan", at: 5, output: [agent("b", ["a"])] });
    expect(replaced.state.feedback?.message).toContain("cannot be replaced");
  });

  it("refuses an empty stream, and fails the run when no attempt is left", () => {
    const [end] = feed(planning({ maxPlanAttempts: 1 }), [{ type: "plan-end", at: 1 }]);
    expect(end!.state.outcome).toMatchObject({ status: "failed", error: { code: "invalid-plan" } });
    expect(end!.state.outcome?.reason).toContain("the plan has no steps");
  });

  it("cross-checks the final output: unstreamed steps are taken, differing or missing ones are a mismatch", () => {
    const [, complete] = feed(planning(), [
      step(agent("a")),
      { type: "plan-end", at: 2, output: { steps: [agent("a"), agent("b", ["a"])] } },
    ]);
    expect(complete!.state.status).toBe("executing");
    expect(complete!.events.map((event) => event.type)).toEqual(["plan-step", "plan-end"]);
    const [, differs] = feed(planning(), [
      step(agent("a")),
      { type: "plan-end", at: 2, output: [{ ...agent("a"), description: "other" }] },
    ]);
    expect(differs!.events[0]).toMatchObject({
      type: "plan-error",
      error: { message: expect.stringContaining("differs") },
    });
    const [, , missing] = feed(planning(), [
      step(agent("a")),
      step(agent("b")),
      { type: "plan-end", at: 2, output: [agent("a")] },
    ]);
    expect(missing!.state.feedback?.message).toContain('step "b" was streamed but is not in the final plan');
  });

  it("takes at most maxSteps steps; the plan is then invalid", () => {
    const results = feed(planning({ maxSteps: 2, concurrency: 1 }), [
      step(agent("a")),
      step(agent("b")),
      step(agent("c")),
      { type: "plan-end", at: 2 },
    ]);
    expect(results[2]!.state.planStream?.issues[0]?.code).toBe("too-many-steps");
    expect(results[3]!.events[0]).toMatchObject({ type: "plan-error" });
    // b was pending (concurrency 1): dropped; a kept.
    expect(statusOf(results[3]!.state)).toEqual({ a: "running" });
  });

  it("with approval required, starts nothing before plan-end and approve", () => {
    const [first, end] = feed(planning({ requireApproval: true }), [
      step(agent("a")),
      { type: "plan-end", at: 2 },
    ]);
    expect(first!.effects).toEqual([]);
    expect(first!.events.map((event) => event.type)).toEqual(["plan-step"]);
    expect(end!.state.status).toBe("approving");
    const approved = transition(end!.state, { type: "approve", at: 3 });
    expect(approved.effects).toEqual([
      { type: "execute-step", stepId: "a", attempt: 1, key: "r:0:a", delayMs: 0 },
    ]);
  });

  it("cancel while the plan is written ends the run and aborts the planner and the steps", () => {
    const [, cancelled] = feed(planning(), [step(agent("a")), { type: "cancel", at: 2, reason: "stop" }]);
    expect(cancelled!.state.status).toBe("cancelled");
    expect(cancelled!.effects).toEqual([{ type: "abort", reason: "stop" }]);
    expect(statusOf(cancelled!.state)).toEqual({ a: "cancelled" });
  });

  it("a planner failing mid-stream keeps the started steps and asks again for the rest", () => {
    const [, , failed] = feed(planning({ concurrency: 1 }), [
      step(agent("a")),
      step(agent("b")),
      { type: "plan-error", at: 2, error: { code: "planner-failed", message: "stream broke" } },
    ]);
    expect(statusOf(failed!.state)).toEqual({ a: "running" });
    expect(failed!.effects).toEqual([
      {
        type: "call-planner",
        attempt: 2,
        feedback: expect.objectContaining({ message: expect.stringContaining('Steps "a"') }),
      },
    ]);
  });

  it("resumes a state saved mid-stream: done steps kept, running ones run again, the planner asked for the rest", () => {
    // idempotent: running steps run again on resume (undeclared executors are write: issue #20)
    const [, , , saved] = feed(planning({ concurrency: 1, effects: { agent: "idempotent" } }), [
      step(agent("a")),
      finish("a", 2),
      step(agent("b")),
      step(agent("c")),
    ]);
    const restored = parseRun(serializeRun(saved!.state));
    const resumed = transition(restored, { type: "resume", at: 10 });
    expect(statusOf(resumed.state)).toEqual({ a: "done", b: "running" });
    expect(resumed.effects).toEqual([
      { type: "call-planner", attempt: 1, feedback: null },
      { type: "execute-step", stepId: "b", attempt: 2, key: "r:0:b", delayMs: 0 },
    ]);
    // A planner that writes its whole plan again: kept steps are not taken twice.
    const [, , c, end] = feed(resumed.state, [
      step(agent("a"), 11),
      step(agent("b"), 11),
      step(agent("c"), 11),
      { type: "plan-end", at: 12 },
    ]);
    expect(c!.events.map((event) => event.type)).toEqual(["plan-step"]);
    expect(end!.state.status).toBe("executing");
    expect(end!.state.plan?.steps.map((item) => item.id)).toEqual(["a", "b", "c"]);
  });

  it("resumes a state saved after plan-end without a planner call", () => {
    const idempotent = planning({ effects: { agent: "idempotent" } }); // re-run on resume (issue #20)
    const [, , end] = feed(idempotent, [step(agent("a")), step(agent("b")), { type: "plan-end", at: 2 }]);
    const resumed = transition(parseRun(serializeRun(end!.state)), { type: "resume", at: 10 });
    expect(resumed.effects.map((effect) => effect.type)).toEqual(["execute-step", "execute-step"]);
  });

  it("refuses plan-step and plan-end when no plan was asked for", () => {
    const [executing] = feed(planning(), [{ type: "plan", at: 1, output: [agent("a")] }]);
    expect(() => transition(executing!.state, step(agent("b"), 2))).toThrow(
      'Illegal "plan-step": no plan was asked for (the run is executing)',
    );
    expect(() => transition(executing!.state, { type: "plan-end", at: 2 })).toThrow(
      'Illegal "plan-end": no plan was asked for (the run is executing)',
    );
  });
});

describe("streamed plans, over random streams (fast-check)", () => {
  const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 150);
  /** A stream: valid steps (dependencies on earlier ones), some invalid ones mixed in. */
  const streamArbitrary = fc
    .uniqueArray(fc.constantFrom("a", "b", "c", "d", "e", "f", "g"), { minLength: 1, maxLength: 7 })
    .chain((ids) =>
      fc.tuple(
        ...ids.map((id, index) =>
          fc.oneof(
            {
              weight: 5,
              arbitrary: fc
                .subarray(ids.slice(0, index), { maxLength: Math.min(2, index) })
                .map((deps) => agent(id, deps)),
            },
            {
              weight: 1,
              arbitrary: fc.constantFrom<unknown>(
                agent(id, ["later"]),
                { id, kind: "robot" },
                agent(id, [id]),
              ),
            },
          ),
        ),
      ),
    );

  it("never starts a step before its dependencies, never ends before plan-end, and keeps exactly the started steps of an invalid plan", () => {
    fc.assert(
      fc.property(
        streamArbitrary,
        fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
        fc.integer({ min: 1, max: 3 }),
        (stream, choices, concurrency) => {
          let state = planning({ concurrency, maxPlanAttempts: 2 });
          let at = 1;
          let next = 0;
          const check = (result: TransitionResult) => {
            for (const event of result.events) {
              if (event.type !== "step-start") continue;
              const done = new Set(
                result.state.plan!.steps.filter((item) => item.status === "done").map((item) => item.id),
              );
              for (const dependency of event.step.dependsOn) expect(done.has(dependency)).toBe(true);
            }
            state = result.state;
          };
          for (const choice of choices) {
            const running = (state.plan?.steps ?? []).filter((item) => item.status === "running");
            if (next < stream.length && (choice % 2 === 0 || running.length === 0)) {
              check(transition(state, step(stream[next++], ++at)));
            } else if (running.length > 0) {
              const target = running[choice % running.length]!;
              check(
                transition(state, {
                  type: "step-finish",
                  at: ++at,
                  stepId: target.id,
                  attempt: target.attempts,
                  result: 1,
                }),
              );
            }
            expect(state.status).toBe("planning");
            expect(state.outcome).toBeNull();
          }
          while (next < stream.length) check(transition(state, step(stream[next++], ++at)));
          const before = state;
          const end = transition(before, { type: "plan-end", at: ++at });
          const invalid = (before.planStream?.rejected ?? 0) > 0 || (before.plan?.steps.length ?? 0) === 0;
          if (invalid) {
            expect(end.events[0]?.type).toBe("plan-error");
            const started = (before.plan?.steps ?? [])
              .filter((item) => item.status !== "pending")
              .map((item) => item.id);
            expect((end.state.plan?.steps ?? []).map((item) => item.id)).toEqual(started);
            expect(end.state.status).toBe("planning");
          } else {
            expect(end.state.status).not.toBe("planning");
            expect(end.state.plan?.steps.map((item) => item.id)).toEqual(
              before.plan?.steps.map((item) => item.id),
            );
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
