// Local replanning in the graph: the replanner runs inside the node that runs the steps, so the
// steps that do not depend on the failed one start and finish while it answers; its answer is a
// patch, applied to the plan as it is when the answer arrives. Real graph runs, real tools, a
// scripted model (the only fake).
import { tool } from "@langchain/core/tools";
import { Command, isInterrupted, MemorySaver } from "@langchain/langgraph";
import type { RunEvent } from "@replan/core";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createPlanExecuteAgent, type PlanExecuteOptions } from "./graph.js";
import { roleOf, toolStep } from "./test-helpers.js";
import { type ScriptedReply, type ScriptedRequest, ScriptedChatModel } from "./testing.js";

/** One entry of the run's timeline: what happened, and when (ms since the test started). */
interface Mark {
  what: string;
  at: number;
}

/**
 * Opened by the replanner's first call (a new gate for each test): "b1" ends only then, so the rest
 * of branch b starts while the replanner is answering, however loaded the machine is.
 */
let replannerAsked: { promise: Promise<void>; open: () => void };
beforeEach(() => {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  replannerAsked = { promise, open };
});

/** A fetch tool: logs each call's start and end; "a" fails unless fetched from the mirror; "b1" ends once the replanner is asked. */
function fetchTool(timeline: Mark[], started: number, onEnd: (label: string) => void = () => {}) {
  const mark = (what: string) => timeline.push({ what, at: performance.now() - started });
  return tool(
    async ({ label, source }) => {
      mark(`start ${label}`);
      if (label === "b1") await replannerAsked.promise;
      if (label === "a" && source !== "mirror") {
        mark(`fail ${label}`);
        throw new Error("primary answered 503");
      }
      mark(`end ${label}`);
      onEnd(label);
      return `${label} from ${source ?? "primary"}`;
    },
    {
      name: "fetch",
      description: "Fetches one record",
      schema: z.object({ label: z.string(), source: z.string().optional() }),
    },
  );
}

/** a → a2 (a fails), and b1 → b2 → b3 beside it. */
const PLAN = [
  toolStep("a", "fetch", { label: "a" }),
  toolStep("a2", "fetch", { label: "a2" }, ["a"]),
  toolStep("b1", "fetch", { label: "b1" }),
  toolStep("b2", "fetch", { label: "b2" }, ["b1"]),
  toolStep("b3", "fetch", { label: "b3" }, ["b2"]),
];

const MIRROR_PATCH = {
  remove: [],
  add: [],
  replace: [toolStep("a", "fetch", { label: "a", source: "mirror" })],
  reason: "the mirror has it",
};

type RunOutcome = { status: string; reason: string; error?: { code: string } };

/** Runs the agent to its end (or its first interrupt), collecting events and the last state. */
async function run(
  options: PlanExecuteOptions,
  thread = crypto.randomUUID(),
  input: unknown = { goal: "g" },
) {
  const agent = createPlanExecuteAgent({ ...options, checkpointer: new MemorySaver() });
  return drive(agent, thread, input);
}

async function drive(agent: ReturnType<typeof createPlanExecuteAgent>, thread: string, input: unknown) {
  const events: RunEvent[] = [];
  let state: Record<string, unknown> = {};
  const stream = await agent.stream(input as never, {
    configurable: { thread_id: thread },
    streamMode: ["custom", "values"],
  });
  for await (const [mode, chunk] of stream) {
    if (mode === "custom") events.push(chunk as RunEvent);
    else state = chunk as Record<string, unknown>;
  }
  return { events, state, outcome: state.outcome as RunOutcome | null, agent };
}

/** A model: the planner answers `PLAN`, the replanner each of `replies` in turn (the last repeats). */
function model(replies: Array<ScriptedReply | ((request: ScriptedRequest) => Promise<ScriptedReply>)>) {
  let replans = 0;
  return new ScriptedChatModel({
    responses: async (request) => {
      const role = roleOf(request);
      if (role === "planner") return { structured: { steps: PLAN } };
      if (role === "replanner") {
        replannerAsked.open();
        const reply = replies[Math.min(replans++, replies.length - 1)]!;
        return typeof reply === "function" ? reply(request) : reply;
      }
      return "done";
    },
  });
}

const index = (timeline: Mark[], what: string) => timeline.findIndex((mark) => mark.what === what);
const timeOf = (timeline: Mark[], what: string) =>
  timeline.find((mark) => mark.what === what)?.at ?? Number.NaN;

describe("local replanning in the graph", () => {
  it("starts and finishes the independent branch while the replanner answers, then applies its patch", async () => {
    const timeline: Mark[] = [];
    const started = performance.now();
    let independentDone!: () => void;
    const independent = new Promise<void>((resolve) => {
      independentDone = resolve;
    });
    const fetch = fetchTool(timeline, started, (label) => label === "b3" && independentDone());
    const scripted = model([
      async () => {
        timeline.push({ what: "replanner asked", at: performance.now() - started });
        await independent; // answers only once b3 (which starts after the question) has ended
        timeline.push({ what: "replanner answers", at: performance.now() - started });
        return { structured: MIRROR_PATCH };
      },
    ]);
    const { events, state, outcome } = await run({ model: scripted, tools: [fetch] });

    expect(outcome?.status).toBe("completed");
    // b2 and b3 start after the question and end before the answer
    expect(index(timeline, "start b2")).toBeGreaterThan(index(timeline, "replanner asked"));
    expect(index(timeline, "end b3")).toBeLessThan(index(timeline, "replanner answers"));
    expect(timeOf(timeline, "end b3")).toBeLessThanOrEqual(timeOf(timeline, "replanner answers"));
    // the cone (a2) waits for the patch
    expect(index(timeline, "start a2")).toBeGreaterThan(index(timeline, "replanner answers"));
    expect(state.results).toMatchObject({ a: "a from mirror", a2: "a2 from primary", b3: "b3 from primary" });
    const end = events.find((event) => event.type === "replan-end");
    expect(end).toMatchObject({
      replaced: ["a"],
      added: [],
      removed: [],
      kept: ["a2", "b1", "b2", "b3"],
      conflicts: [],
      reason: "the mirror has it",
    });
    // asked for a patch (its own tool), and told what waits for it
    const ask = scripted.calls.find((call) => roleOf(call) === "replanner");
    expect(ask?.tools[0]?.function.name).toBe("patch");
    expect(ask?.text).toContain("Waiting for your patch (they depend on a failed step): a2");
    // each step ran once (a twice: the failure, then the mirror)
    const starts = timeline.filter((mark) => mark.what.startsWith("start")).map((mark) => mark.what);
    expect(starts.filter((what) => what === "start b2")).toHaveLength(1);
  });

  it("reads a patch written as JSON in the message's text (a JSON-content model), amid prose", async () => {
    const timeline: Mark[] = [];
    const fetch = fetchTool(timeline, performance.now());
    const text = `Here is the patch:\n\`\`\`json\n${JSON.stringify(MIRROR_PATCH)}\n\`\`\``;
    const { outcome, state } = await run({ model: model([text]), tools: [fetch] });
    expect(outcome?.status).toBe("completed");
    expect(state.results).toMatchObject({ a: "a from mirror" });
  });

  it("sends prose, and an object that is no patch, back for repair; then applies the patch", async () => {
    const fetch = fetchTool([], performance.now());
    const scripted = model([
      "I would fetch it from the mirror.",
      { structured: { foo: 1 } },
      { structured: MIRROR_PATCH },
    ]);
    const { outcome, events } = await run({ model: scripted, tools: [fetch] });

    expect(outcome?.status).toBe("completed");
    const errors = events.filter((event) => event.type === "replan-error");
    expect(errors.map((event) => (event as { error: { code: string } }).error.code)).toEqual([
      "invalid-plan",
      "invalid-plan",
    ]);
    const asks = scripted.calls.filter((call) => roleOf(call) === "replanner");
    expect(asks[1]?.text).toContain("Your previous answer was invalid");
    expect(asks[2]?.text).toContain("is not a patch");
  });

  it("gives up on an empty patch: the run fails with the replanner's reason", async () => {
    const fetch = fetchTool([], performance.now());
    const reply = { structured: { remove: [], add: [], replace: [], reason: "no mirror exists" } };
    const { outcome, state } = await run({ model: model([reply]), tools: [fetch] });
    expect(outcome).toMatchObject({ status: "failed", error: { code: "replanner-gave-up" } });
    expect(outcome?.reason).toContain("no mirror exists");
    // the run ends at once: the independent branch's running step is stopped, nothing else starts
    expect(state.results).not.toHaveProperty("b3");
  });

  it("keeps a step that started while the replanner answered: that part of the patch is dropped (conflicts)", async () => {
    const timeline: Mark[] = [];
    let b3Done!: () => void;
    const b3 = new Promise<void>((resolve) => {
      b3Done = resolve;
    });
    const fetch = fetchTool(timeline, performance.now(), (label) => label === "b3" && b3Done());
    const patch = {
      ...MIRROR_PATCH,
      replace: [...MIRROR_PATCH.replace, toolStep("b3", "fetch", { label: "b3", source: "mirror" })],
    };
    const scripted = model([
      async () => {
        await b3; // b3 was pending when asked; it is done when the answer arrives
        return { structured: patch };
      },
    ]);
    const { outcome, state, events } = await run({ model: scripted, tools: [fetch] });

    expect(outcome?.status).toBe("completed");
    expect(state.results).toMatchObject({ b3: "b3 from primary", a: "a from mirror" });
    expect(events.find((event) => event.type === "replan-end")).toMatchObject({
      replaced: ["a"],
      conflicts: ["b3"],
    });
    expect(timeline.filter((mark) => mark.what === "start b3")).toHaveLength(1);
  });

  it("sends back a patch that removes a step it was told is done, and one with hostile ids", async () => {
    const hostile = {
      remove: ["__proto__"],
      add: [toolStep("../../etc/passwd", "fetch", { label: "x" })],
      replace: [toolStep(`a${"x".repeat(5000)}`, "fetch", { label: "a" })],
      reason: null,
    };
    let b1Done!: () => void;
    const b1 = new Promise<void>((resolve) => {
      b1Done = resolve;
    });
    const fetchWith = fetchTool([], performance.now(), (label) => label === "b1" && b1Done());
    const scripted = model([
      async () => {
        await b1;
        return { structured: { remove: ["b1"], add: [], replace: MIRROR_PATCH.replace, reason: "b1 again" } };
      },
      { structured: hostile },
      { structured: MIRROR_PATCH },
    ]);
    const { outcome, events, state } = await run({ model: scripted, tools: [fetchWith] });

    expect(outcome?.status).toBe("completed");
    const errors = events.filter((event) => event.type === "replan-error") as Array<{
      error: { message: string };
    }>;
    expect(errors).toHaveLength(2);
    expect(state.results).toMatchObject({ b1: "b1 from primary", a: "a from mirror" });
    expect(Object.keys(state.results as object)).not.toContain("../../etc/passwd");
  });

  it("ends a branch that keeps failing the same way (maxIdenticalFailures), while the others finish", async () => {
    const fetch = fetchTool([], performance.now());
    // the "fix" fetches from the primary again: a fails the same way
    const again = {
      remove: [],
      add: [],
      replace: [toolStep("a", "fetch", { label: "a", source: "primary" })],
      reason: "retry",
    };
    const scripted = model([{ structured: again }]);
    const { outcome, state } = await run({ model: scripted, tools: [fetch] });
    expect(outcome?.status).toBe("failed");
    expect(outcome?.reason).toContain("failed the same way 2 time(s)");
    expect(state.results).toMatchObject({ b3: "b3 from primary" });
    expect(scripted.calls.filter((call) => roleOf(call) === "replanner")).toHaveLength(1);
  });

  it("stops on an abort while the replanner answers (the caller's reason); a resume asks it once more and runs no finished step again", async () => {
    const timeline: Mark[] = [];
    const fetch = fetchTool(timeline, performance.now());
    const controller = new AbortController();
    const reason = new Error("stop now");
    let answerFirst!: () => void;
    const firstAnswer = new Promise<void>((resolve) => {
      answerFirst = resolve;
    });
    const scripted = model([
      async () => {
        setTimeout(() => controller.abort(reason), 20); // b1 ends first (it waits for this call)
        await firstAnswer; // answered only after the abort: dropped
        return { structured: MIRROR_PATCH };
      },
      { structured: MIRROR_PATCH },
    ]);
    const agent = createPlanExecuteAgent({
      model: scripted,
      tools: [fetch],
      checkpointer: new MemorySaver(),
    });
    const config = { configurable: { thread_id: crypto.randomUUID() } };
    const stopped = agent.invoke({ goal: "g" }, { ...config, signal: controller.signal });
    await expect(stopped).rejects.toBe(reason);
    answerFirst();
    const done = await agent.invoke(null, config);

    expect(done.outcome?.status).toBe("completed");
    expect(done.results).toMatchObject({ a: "a from mirror", b3: "b3 from primary" });
    expect(scripted.calls.filter((call) => roleOf(call) === "replanner")).toHaveLength(2);
    // b1 ended before the abort (saved): not run again
    expect(timeline.filter((mark) => mark.what === "end b1")).toHaveLength(1);
  });

  it("with reapprove, holds the answer: the branches outside the cone finish first, then the graph asks", async () => {
    const timeline: Mark[] = [];
    const fetch = fetchTool(timeline, performance.now());
    const agent = createPlanExecuteAgent({
      model: model([{ structured: MIRROR_PATCH }]),
      tools: [fetch],
      reapprove: "always",
      checkpointer: new MemorySaver(),
    });
    const thread = crypto.randomUUID();
    const paused = await drive(agent, thread, { goal: "g" });

    expect(isInterrupted(paused.state)).toBe(true);
    const request = (paused.state as { __interrupt__: Array<{ value: { change: unknown } }> })
      .__interrupt__[0]!.value;
    expect(request.change).toMatchObject({ replaced: ["a"], added: [], removed: [] });
    // nothing of the replan ran before the approval; the independent branch did
    expect(timeline.filter((mark) => mark.what === "start a")).toHaveLength(1);
    expect(index(timeline, "end b3")).toBeGreaterThan(-1);
    const done = await drive(agent, thread, new Command({ resume: { action: "approve" } }));
    expect(done.outcome?.status).toBe("completed");
    expect(done.state.results).toMatchObject({ a: "a from mirror", a2: "a2 from primary" });
  });
});
