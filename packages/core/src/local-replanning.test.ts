import { describe, expect, it } from "vitest";
import { downstreamOf } from "./downstream.js";
import {
  coreDefaults,
  parseRun,
  type RunConfigInput,
  type RunInput,
  type RunState,
  resolveConfig,
  serializeRun,
  type TransitionResult,
  transition,
} from "./index.js";
import { agent, startedRun, statusOf } from "./test-helpers.js";

const fail = (stepId: string, at: number, message = "broke", attempt = 1): RunInput => ({
  type: "step-fail",
  at,
  stepId,
  attempt,
  error: { code: "x", message },
});
const finish = (stepId: string, at: number, attempt = 1): RunInput => ({
  type: "step-finish",
  at,
  stepId,
  attempt,
  result: `${stepId}!`,
});
const patch = (output: unknown, at = 10): RunInput => ({ type: "replan", at, output });

/** Feeds inputs one after the other; returns the last result. */
function feed(state: RunState, ...inputs: RunInput[]): TransitionResult {
  let result: TransitionResult = { state, effects: [], events: [] };
  for (const input of inputs) result = transition(result.state, input);
  return result;
}

/**
 * Branch a: a -> a2 -> a3. Independent branches b -> b2 and c. With concurrency 3, a, b and c
 * start first.
 */
function branches(config: RunConfigInput = {}): RunState {
  return startedRun(
    [agent("a"), agent("a2", ["a"]), agent("a3", ["a2"]), agent("b"), agent("b2", ["b"]), agent("c")],
    // Idempotent agent steps: retried and written again freely (write steps are settled first: settlement.test.ts).
    { concurrency: 3, effects: { agent: "idempotent" }, ...config },
  ).state;
}

describe("the downstream cone", () => {
  it("holds the direct and transitive dependents, in plan order, and not the steps themselves", () => {
    const steps = [
      agent("a"),
      agent("x"),
      agent("a2", ["a"]),
      agent("j", ["a2", "x"]),
      agent("b", ["x"]),
    ].map((spec) => ({ id: spec.id, dependsOn: spec.dependsOn ?? [] }));
    expect(downstreamOf(steps, ["a"])).toEqual(["a2", "j"]);
    expect(downstreamOf(steps, ["x"])).toEqual(["j", "b"]);
    expect(downstreamOf(steps, ["a", "a2"])).toEqual(["j"]);
    expect(downstreamOf(steps, ["j"])).toEqual([]);
  });
});

describe("scheduling while a replan is pending", () => {
  it("keeps starting and finishing the steps outside the failed step's cone", () => {
    const asked = feed(branches(), fail("a", 2));
    expect(asked.state.status).toBe("replanning");
    expect(asked.effects).toMatchObject([{ type: "call-replanner", reason: { stepIds: ["a"] } }]);
    // b finishes: b2 starts at once, though the replanner has not answered
    const b = transition(asked.state, finish("b", 3));
    expect(b.effects).toEqual([
      { type: "execute-step", stepId: "b2", attempt: 1, key: "r:0:b2", delayMs: 0 },
    ]);
    const done = feed(b.state, finish("b2", 4), finish("c", 5));
    // every independent step is done; the cone (a2, a3) waits for the replanner, the run too
    expect(statusOf(done.state)).toMatchObject({
      a: "failed",
      a2: "pending",
      a3: "pending",
      b2: "done",
      c: "done",
    });
    expect(done.state.status).toBe("replanning");
    expect(done.state.outcome).toBeNull();
    const fixed = transition(done.state, patch({ replace: [agent("a")] }));
    expect(fixed.events[0]).toMatchObject({
      type: "replan-end",
      replaced: ["a"],
      added: [],
      removed: [],
      kept: ["a2", "a3", "b", "b2", "c"],
    });
    expect(fixed.effects).toEqual([
      { type: "execute-step", stepId: "a", attempt: 1, key: "r:1:a", delayMs: 0 },
    ]);
    const end = feed(fixed.state, finish("a", 11), finish("a2", 12), finish("a3", 13));
    expect(end.state.outcome?.status).toBe("completed");
  });

  it("holds the concurrency limit while it replans", () => {
    const asked = feed(branches({ concurrency: 2 }), fail("a", 2));
    // a failed, b still running: one slot, taken by c
    expect(asked.effects.map((effect) => effect.type === "execute-step" && effect.stepId)).toEqual([
      false,
      "c",
    ]);
    expect(transition(asked.state, finish("b", 3)).effects).toMatchObject([{ stepId: "b2" }]);
  });
});

describe("a patch applied to the plan as it is when the answer arrives", () => {
  it("removes, adds and replaces, keeping every step it does not name as it was", () => {
    const asked = feed(branches(), fail("a", 2));
    const before = asked.state.plan!.steps;
    const next = transition(
      asked.state,
      patch({
        remove: ["a", "a3"],
        add: [agent("a-retry"), agent("a-check", ["a2", "b2"])],
        replace: [{ ...agent("a2", ["a-retry"]), description: "do a2 from the retry" }],
        reason: "the source moved",
      }),
    );
    const plan = next.state.plan!;
    expect(plan.revision).toBe(1);
    expect(plan.steps.map((step) => [step.id, step.status, step.revision])).toEqual([
      ["a2", "pending", 1],
      ["b", "running", 0],
      ["b2", "pending", 0],
      ["c", "running", 0],
      ["a-retry", "running", 1],
      ["a-check", "pending", 1],
    ]);
    expect(plan.steps[1]).toBe(before[3]); // kept steps are the same objects
    expect(plan.steps[0]?.description).toBe("do a2 from the retry");
    expect(next.events[0]).toMatchObject({
      type: "replan-end",
      reason: "the source moved",
      removed: ["a", "a3"],
      added: ["a-retry", "a-check"],
      replaced: ["a2"],
      kept: ["b", "b2", "c"],
      conflicts: [],
    });
    expect(next.state.history).toMatchObject([{ revision: 0, reason: { stepIds: ["a"] } }]);
  });

  it("keeps a step that started after the question, and reports the patch's change to it as a conflict", () => {
    // b2 was pending when the replanner was asked, and starts before the answer
    const asked = feed(branches(), fail("a", 2));
    expect(asked.state.replan?.locked).toEqual(["b", "c"]);
    const started = transition(asked.state, finish("b", 3)).state;
    const next = transition(
      started,
      patch({ replace: [agent("a")], remove: ["b2"], add: [agent("z", ["b"])] }),
    );
    expect(next.events[0]).toMatchObject({ removed: [], replaced: ["a"], added: ["z"], conflicts: ["b2"] });
    expect(statusOf(next.state)).toMatchObject({ b2: "running", a: "running" });
    // replacing it is the same: the started step is never changed
    const replaced = transition(
      started,
      patch({ replace: [agent("a"), { ...agent("b2"), description: "new" }] }),
    );
    expect(replaced.events[0]).toMatchObject({ replaced: ["a"], conflicts: ["b2"] });
    expect(replaced.state.plan?.steps.find((step) => step.id === "b2")?.description).toBe("do b2");
  });

  it("lets a patch remove or replace a step that failed after the question", () => {
    const asked = feed(branches(), fail("a", 2));
    const cFailed = transition(asked.state, fail("c", 3)).state;
    const next = transition(cFailed, patch({ replace: [agent("a"), agent("c")] }));
    expect(statusOf(next.state)).toMatchObject({ a: "running", c: "running" });
    expect(next.state.status).toBe("executing");
  });

  it("replans again for a step that failed after the question and that the patch left alone", () => {
    const asked = feed(branches(), fail("a", 2));
    const cFailed = transition(asked.state, fail("c", 3)).state;
    const next = transition(cFailed, patch({ replace: [agent("a")] }));
    expect(next.state.status).toBe("replanning");
    expect(next.effects).toMatchObject([
      { type: "call-replanner", attempt: 2, reason: { stepIds: ["c"] } },
      { type: "execute-step", stepId: "a" },
    ]);
  });

  it.each([
    ["names a step that is not in the plan", { replace: [agent("nope")] }, /no step "nope"/],
    [
      "adds an id that is taken",
      { replace: [agent("a")], add: [agent("b2")] },
      /"b2" is already in the plan/,
    ],
    ["names a step twice", { remove: ["a"], replace: [agent("a")] }, /names step "a" twice/],
    [
      "touches a step it was told had started",
      { replace: [agent("a")], remove: ["c"] },
      /"c" is already done or running/,
    ],
    ["leaves a dependent of a removed step", { remove: ["a"], add: [agent("n")] }, /"a2" depends on "a"/],
    ["makes a cycle", { replace: [agent("a", ["a3"])] }, /cycle/],
    [
      "keeps the failed step while adding others",
      { add: [agent("n")] },
      /failed step\(s\) a stay in the plan/,
    ],
    ["is not a patch", { rewrite: "everything" }, /the patch is malformed/],
    [
      "has a malformed step",
      { add: [{ id: "n", kind: "agent" }] },
      /the patch is malformed: add\.0\.description/,
    ],
  ])("refuses a patch that %s, and asks again with the error", (_name, output, message) => {
    const asked = feed(branches(), fail("a", 2));
    const refused = transition(asked.state, patch(output));
    expect(refused.events[0]).toMatchObject({
      type: "replan-error",
      error: { code: "invalid-plan", message: expect.stringMatching(message) },
      willRetry: true,
    });
    expect(refused.effects).toMatchObject([{ type: "call-replanner", attempt: 2, feedback: { output } }]);
    expect(refused.state.plan).toBe(asked.state.plan);
  });

  it("takes a patch that drops the failed branch entirely, and completes without it", () => {
    const asked = feed(branches(), fail("a", 2));
    const next = transition(asked.state, patch({ remove: ["a", "a2", "a3"], reason: "not needed" }));
    expect(next.events[0]).toMatchObject({ removed: ["a", "a2", "a3"], added: [], replaced: [] });
    const end = feed(next.state, finish("b", 11), finish("b2", 12), finish("c", 13));
    expect(end.state.outcome?.status).toBe("completed");
  });
});

describe("the replanner giving up", () => {
  it("ends the run failed, with the replanner's reason, when a patch leaves the failed step and adds nothing", () => {
    const asked = feed(branches(), fail("a", 2));
    const end = transition(asked.state, patch({ remove: ["b2"], reason: "the API is gone for good" }));
    expect(end.state.outcome).toEqual({
      status: "failed",
      reason: "the replanner gave up on failed step(s) a: the API is gone for good",
      error: { code: "replanner-gave-up", message: "the API is gone for good" },
    });
    expect(statusOf(end.state)).toMatchObject({ a: "failed", b: "cancelled", a2: "skipped", b2: "skipped" });
    expect(end.effects).toEqual([{ type: "abort", reason: end.state.outcome?.reason }]);
  });

  it("reads an empty patch the same way", () => {
    const end = transition(feed(branches(), fail("a", 2)).state, patch({}));
    expect(end.state.outcome).toMatchObject({ status: "failed", error: { code: "replanner-gave-up" } });
  });
});

describe("the bound on identical failures", () => {
  it("ends the branch when the replacement fails the same way, and lets the others finish", () => {
    const asked = feed(branches(), fail("a", 2, "HTTP 404"));
    const replaced = transition(asked.state, patch({ replace: [agent("a")] }));
    // the replacement fails as the original did: no second replan, the branch ends
    const again = transition(replaced.state, fail("a", 11, "HTTP 404"));
    expect(again.state.status).toBe("executing");
    expect(again.effects).toEqual([]);
    expect(again.state.replans).toBe(1);
    const end = feed(again.state, finish("b", 12), finish("b2", 13), finish("c", 14));
    expect(end.state.outcome).toEqual({
      status: "failed",
      reason: "step(s) a failed (a failed the same way 2 time(s): the branch ended)",
    });
    expect(statusOf(end.state)).toMatchObject({ a: "failed", a2: "skipped", b2: "done", c: "done" });
  });

  it("replans again when the replacement fails another way", () => {
    const asked = feed(branches(), fail("a", 2, "HTTP 404"));
    const replaced = transition(asked.state, patch({ replace: [agent("a")] }));
    const again = transition(replaced.state, fail("a", 11, "HTTP 500"));
    expect(again.state.status).toBe("replanning");
    expect(again.state.replans).toBe(2);
  });

  it("is a checked option with its default in coreDefaults, kept across a saved state", () => {
    expect(coreDefaults.maxIdenticalFailures).toBe(2);
    expect(resolveConfig().maxIdenticalFailures).toBe(2);
    expect(() => resolveConfig({ maxIdenticalFailures: 0 })).toThrow(
      'Option "maxIdenticalFailures" must be an integer >= 1, got 0',
    );
    // with a bound of 3, the second identical failure still goes to the replanner
    const asked = feed(branches({ maxIdenticalFailures: 3 }), fail("a", 2));
    const again = feed(asked.state, patch({ replace: [agent("a")] }), fail("a", 11));
    expect(again.state.status).toBe("replanning");
    const saved = parseRun(serializeRun(again.state));
    expect(saved.config.maxIdenticalFailures).toBe(3);
    const third = feed(saved, patch({ replace: [agent("a")] }, 12), fail("a", 13));
    expect(third.state.status).toBe("executing");
    // a state saved before the option existed reads with the default
    const { maxIdenticalFailures: _, ...older } = saved.config;
    expect(parseRun({ ...saved, config: older }).config.maxIdenticalFailures).toBe(2);
  });
});
