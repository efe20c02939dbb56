import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  IllegalTransitionError,
  parseRun,
  patchOf,
  type RunInput,
  type RunState,
  serializeRun,
  type TransitionResult,
  transition,
} from "./index.js";
import { agent, startedRun, statusOf } from "./test-helpers.js";

const fail = (stepId: string, at: number): RunInput => ({
  type: "step-fail",
  at,
  stepId,
  attempt: 1,
  error: { code: "x", message: "broke" },
});
const finish = (stepId: string, at: number, attempt = 1): RunInput => ({
  type: "step-finish",
  at,
  stepId,
  attempt,
  result: `${stepId}!`,
});
const entry = (output: unknown, at = 10): RunInput => ({ type: "replan-step", at, output });
const end = (at = 20, more: Partial<Extract<RunInput, { type: "replan-end" }>> = {}): RunInput => ({
  type: "replan-end",
  at,
  ...more,
});
const replace = (id: string, dependsOn: string[] = []) => ({ op: "replace", step: agent(id, dependsOn) });

function feed(state: RunState, ...inputs: RunInput[]): TransitionResult {
  let result: TransitionResult = { state, effects: [], events: [] };
  for (const input of inputs) result = transition(result.state, input);
  return result;
}

/** A chain a -> b -> c -> d whose step c failed: the run is replanning (c's cone, d, waits). */
function failedChain(): RunState {
  // Idempotent agent steps: a write step written again after a failure is settled first (write-retries.test.ts).
  const { state } = startedRun([agent("a"), agent("b", ["a"]), agent("c", ["b"]), agent("d", ["c"])], {
    effects: { agent: "idempotent" },
  });
  const replanning = feed(state, finish("a", 2), finish("b", 3), fail("c", 4)).state;
  expect(replanning.status).toBe("replanning");
  return replanning;
}

describe("a streamed replan", () => {
  it("starts a failed step replaced in place the moment its entry arrives; its dependents need no rewrite", () => {
    const next = transition(failedChain(), entry(replace("c", ["b"])));
    expect(next.state.status).toBe("replanning");
    expect(next.state.plan!.revision).toBe(1);
    expect(next.state.history.at(-1)!.steps.find((step) => step.id === "c")!.status).toBe("failed");
    expect(next.events).toContainEqual(
      expect.objectContaining({ type: "replan-step", op: "replace", id: "c" }),
    );
    expect(next.effects).toEqual([
      expect.objectContaining({ type: "execute-step", stepId: "c", key: "r:1:c" }),
    ]);
    const ended = feed(next.state, end(21, { output: { replace: [agent("c", ["b"])], reason: "retry" } }));
    expect(ended.state.status).toBe("executing");
    expect(ended.events).toContainEqual(
      expect.objectContaining({
        type: "replan-end",
        replaced: ["c"],
        added: [],
        removed: [],
        kept: ["a", "b", "d"],
        reason: "retry",
      }),
    );
    const done = feed(ended.state, finish("c", 22), finish("d", 23));
    expect(done.state.status).toBe("completed");
  });

  it("applies removals and additions in order; an entry is not taken unless valid on its own", () => {
    const state = failedChain();
    const next = feed(
      state,
      entry({ op: "remove", id: "c" }), // d now dangles: it waits, judged at the end
      entry({ op: "add", step: agent("e", ["nope"]) }), // unknown dependency: rejected
      entry({ op: "add", step: agent("c2", ["b"]) }),
      entry({ op: "replace", step: agent("d", ["c2"]) }),
    );
    expect(next.state.replanStream).toMatchObject({
      removed: ["c"],
      added: ["c2"],
      replaced: ["d"],
      rejected: 1,
    });
    expect(statusOf(next.state)).toEqual({ a: "done", b: "done", c2: "running", d: "pending" });
    // the rejected entry makes the patch invalid: c2 started, kept; d's replacement undone; c back
    const ended = transition(next.state, end());
    expect(ended.events).toContainEqual(expect.objectContaining({ type: "replan-error", willRetry: true }));
    expect(statusOf(ended.state)).toEqual({ a: "done", b: "done", c: "failed", d: "pending", c2: "running" });
    expect(ended.state.plan!.steps.find((step) => step.id === "d")!.dependsOn).toEqual(["c"]);
    expect(ended.state.feedback!.message).toContain("nope");
    expect(ended.effects).toContainEqual(expect.objectContaining({ type: "call-replanner", attempt: 2 }));
  });

  it("undoes everything not started and goes back to the previous revision when nothing started", () => {
    const state = failedChain();
    const next = feed(
      state,
      entry({ op: "add", step: agent("x", ["c"]) }),
      end(20, { issues: [{ code: "syntax-error", stepIds: [], message: "line 3" }] }),
    );
    expect(next.state.plan).toEqual(state.plan);
    expect(next.state.history).toEqual(state.history);
    expect(next.state.replanStream ?? null).toBeNull();
  });

  it("refuses an entry that changes a step the replanner was told had started, and drops one that started meanwhile", () => {
    const { state } = startedRun([agent("a"), agent("b"), agent("c", ["a"])], { concurrency: 2 });
    const replanning = feed(state, fail("a", 2)).state; // b was running when the replanner was asked
    expect(replanning.replan!.locked).toEqual(["b"]);
    const next = feed(
      replanning,
      entry({ op: "replace", step: { ...agent("b"), description: "other" } }),
      entry(replace("a")),
      end(),
    );
    expect(next.events).toContainEqual(expect.objectContaining({ type: "replan-error" }));
    expect(next.state.feedback!.message).toContain('step "b" is already done or running');
    // a running step the replanner did not know about: dropped as a conflict, the rest applies
    const late = feed(failedChainWithIdle(), entry(replace("c", ["b"])), entry(replace("e")));
    expect(late.state.replanStream).toMatchObject({ replaced: ["c"], conflicts: ["e"] });
    const ended = transition(late.state, end());
    expect(ended.events).toContainEqual(expect.objectContaining({ type: "replan-end", conflicts: ["e"] }));
  });

  it("gives up when nothing was taken and the failed step stays; a patch leaving it while changing others is invalid", () => {
    const gaveUp = feed(failedChain(), end(20, { output: { reason: "no way" } }));
    expect(gaveUp.state.status).toBe("failed");
    expect(gaveUp.state.outcome!.error!.code).toBe("replanner-gave-up");
    const kept = feed(failedChain(), entry(replace("d", ["c"])), end());
    expect(kept.state.feedback!.message).toContain("stay in the plan");
  });

  it("checks the final answer against the streamed entries, and treats an answer with no entry as a whole replan", () => {
    const mismatch = feed(
      failedChain(),
      entry(replace("c", ["b"])),
      end(20, { output: { replace: [agent("c", ["a"])] } }),
    );
    expect(mismatch.state.feedback!.message).toContain("differs from the one streamed");
    const whole = feed(failedChain(), end(20, { output: { replace: [agent("c", ["b"])] } }));
    expect(whole.state.status).toBe("executing");
    expect(whole.events).toContainEqual(expect.objectContaining({ type: "replan-end", replaced: ["c"] }));
  });

  it("is a row of the table: replan refused mid-stream, replan-step refused when no replan was asked", () => {
    const open = transition(failedChain(), entry(replace("c", ["b"]))).state;
    expect(() => transition(open, { type: "replan", at: 30, output: [] })).toThrow(IllegalTransitionError);
    const { state } = startedRun([agent("a")]);
    expect(() => transition(state, entry(replace("a")))).toThrow(IllegalTransitionError);
  });

  it("a replanner failing mid-stream, and a resume mid-stream, keep the started entries and undo the rest", () => {
    const open = feed(
      failedChain(),
      entry(replace("c", ["b"])),
      entry({ op: "add", step: agent("z", ["d"]) }),
    ).state;
    const failed = transition(open, { type: "replan-error", at: 30, error: { code: "x", message: "cut" } });
    expect(statusOf(failed.state)).toEqual({ a: "done", b: "done", c: "running", d: "pending" });
    expect(failed.state.plan!.revision).toBe(1);
    const restored = parseRun(serializeRun(open));
    const resumed = transition(restored, { type: "resume", at: 31 });
    expect(statusOf(resumed.state)).toEqual({ a: "done", b: "done", c: "running", d: "pending" });
    expect(resumed.effects).toContainEqual(expect.objectContaining({ type: "call-replanner", attempt: 1 }));
    expect(resumed.state.replanStream ?? null).toBeNull();
  });

  it("an aborted run mid-stream ends cancelled; hostile ids and shapes are rejected entries, never exceptions", () => {
    const open = feed(
      failedChain(),
      entry({ op: "remove", id: "__proto__" }),
      entry({ op: "replace", step: { id: "../x", kind: "agent", description: "x" } }),
      entry({ op: "explode" }),
      entry(null),
    ).state;
    expect(open.replanStream).toMatchObject({ rejected: 4 });
    const cancelled = transition(open, { type: "cancel", at: 40 });
    expect(cancelled.state.status).toBe("cancelled");
  });
});

/** A run replanning after c failed, with e (independent, pending, not locked) starting after the question. */
function failedChainWithIdle(): RunState {
  const { state } = startedRun(
    [agent("a"), agent("b", ["a"]), agent("c", ["b"]), agent("d", ["c"]), agent("e", ["b"])],
    { concurrency: 1 },
  );
  const replanning = feed(state, finish("a", 2), finish("b", 3)).state; // c starts (e waits: concurrency 1)
  const failed = feed(replanning, fail("c", 4)).state; // replan asked; e starts now
  expect(failed.replan!.locked).not.toContain("e");
  expect(statusOf(failed).e).toBe("running");
  return failed;
}

describe("a streamed replan (property)", () => {
  const ids = ["a", "b", "c", "d", "x", "y"];
  const entryArb = fc.oneof(
    { arbitrary: fc.constant({ op: "replace" as const, step: agent("c", ["b"]) }), weight: 3 },
    {
      arbitrary: fc.constantFrom("x", "y").map((id) => ({ op: "add" as const, step: agent(id, ["a"]) })),
      weight: 2,
    },
    fc.record({ op: fc.constant("remove" as const), id: fc.constantFrom(...ids) }),
    fc.record({
      op: fc.constantFrom("add" as const, "replace" as const),
      step: fc
        .record({ id: fc.constantFrom(...ids), deps: fc.subarray(ids, { maxLength: 2 }) })
        .map(({ id, deps }) =>
          agent(
            id,
            deps.filter((dep) => dep !== id),
          ),
        ),
    }),
  );

  it("ends, valid, on the plan the whole patch gives; invalid, with every started step kept and nothing else changed", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 6 }), (entries) => {
        const base = failedChain();
        let state = base;
        for (const [index, output] of entries.entries())
          state = transition(state, entry(output, 10 + index)).state;
        const streamed = transition(state, end(30));
        const specs = (run: RunState) => run.plan!.steps.map(({ id, dependsOn }) => ({ id, dependsOn }));
        if (streamed.state.status === "executing") {
          const whole = transition(base, { type: "replan", at: 30, output: patchOf(entries) });
          expect(whole.state.status).toBe("executing");
          expect(specs(streamed.state)).toEqual(specs(whole.state));
          return;
        }
        if (streamed.state.status === "failed") return; // gave up: nothing was taken
        const started = state.plan!.steps.filter((step) => step.status !== "pending").map((step) => step.id);
        const after = new Set(streamed.state.plan!.steps.map((step) => step.id));
        for (const id of started) expect(after.has(id)).toBe(true);
        for (const step of base.plan!.steps) expect(after.has(step.id)).toBe(true);
        expect(streamed.state.replanStream ?? null).toBeNull();
      }),
      { numRuns: Number(process.env.FC_NUM_RUNS ?? 300) },
    );
  });
});
