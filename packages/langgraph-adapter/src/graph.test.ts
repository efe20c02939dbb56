import { readFileSync } from "node:fs";
import { AIMessage, HumanMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { Command, isInterrupted, MemorySaver, MessagesAnnotation, StateGraph } from "@langchain/langgraph";
import type { RunEvent } from "@replan/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PlanExecuteError } from "./errors.js";
import { createPlanExecuteAgent, createPlanExecuteGraph, EXECUTOR_TASKS, NODES } from "./graph.js";
import { addTool, agentStep, planReply, roleOf, scriptedModel, sleepTool, toolStep } from "./test-helpers.js";
import { ScriptedChatModel } from "./testing.js";
import { withEffect } from "./tool-effects.js";

const thread = (id: string) => ({ configurable: { thread_id: id } });

describe("createPlanExecuteAgent", () => {
  it("runs N tool steps concurrently with exactly 2 LLM calls, from a chat message", async () => {
    const { sleeper, trace } = sleepTool();
    const steps = Array.from({ length: 6 }, (_, index) =>
      toolStep(`s${index}`, "sleep", { label: `s${index}`, ms: 40 }),
    );
    const { model } = scriptedModel({ planner: [planReply(steps)], answer: "All six slept." });
    const agent = createPlanExecuteAgent({ model, tools: [sleeper], budget: { concurrency: 8 } });

    const state = await agent.invoke({ messages: [new HumanMessage("Sleep six times")] });

    expect(model.calls).toHaveLength(2);
    expect(trace.maxActive).toBe(6);
    expect(state.outcome?.status).toBe("completed");
    expect(state.run?.goal).toBe("Sleep six times");
    expect(state.results).toEqual(Object.fromEntries(steps.map((step) => [step.id, `${step.id} slept 40`])));
    const last = state.messages.at(-1);
    expect(AIMessage.isInstance(last)).toBe(true);
    expect(last?.text).toBe("All six slept.");
    expect(state.answer).toBe("All six slept.");
    expect(state.run?.usage.llmCalls).toBe(2);
  });

  it("runs agent steps with 1 + executor calls + 1 LLM calls and never calls the replanner on success", async () => {
    const { model, counters } = scriptedModel({
      planner: [
        planReply([agentStep("research"), agentStep("draft", ["research"]), agentStep("review", ["draft"])]),
      ],
      executor: (request) => `did: ${request.messages[1]?.text.split("\n")[1]}`,
    });
    const agent = createPlanExecuteAgent({ model });
    const state = await agent.invoke({ goal: "Write a post" });
    expect(state.outcome?.status).toBe("completed");
    expect(counters).toEqual({ planner: 1, executor: 3, answer: 1, replanner: 0 });
    expect(model.calls).toHaveLength(5);
    expect(state.results.research).toBe("did: Your step (research): think about research");
    // the draft's executor saw the research result
    const draftCall = model.calls.find((call) => call.text.includes("Your step (draft)"));
    expect(draftCall?.text).toContain("- research: did: Your step (research)");
  });

  it("runs the model's tool calls for agent steps (tool-calling loop)", async () => {
    const { model } = scriptedModel({
      planner: [planReply([agentStep("sum")])],
      executor: (request) =>
        request.messages.some((message) => message.getType() === "tool")
          ? `the sum is ${request.messages.at(-1)?.text}`
          : { toolCalls: [{ name: "add", args: { a: 20, b: 22 } }] },
    });
    const state = await createPlanExecuteAgent({ model, tools: [addTool] }).invoke({ goal: "Add 20 and 22" });
    expect(state.results.sum).toBe("the sum is 42");
    expect(state.run?.usage.llmCalls).toBe(4);
  });

  it("starts a step as soon as its own dependencies are done: a fast chain does not wait for a slow step", async () => {
    let releaseSlow!: () => void;
    const released = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const order: string[] = [];
    const gated = tool(
      async ({ label }) => {
        order.push(`start:${label}`);
        if (label === "slow") {
          const timer = setTimeout(() => releaseSlow(), 3000); // only on failure: a barrier would deadlock
          await released;
          clearTimeout(timer);
        }
        if (label === "fast3") releaseSlow();
        order.push(`end:${label}`);
        return label;
      },
      { name: "gated", description: "test tool", schema: z.object({ label: z.string() }) },
    );
    const { model } = scriptedModel({
      planner: [
        planReply([
          toolStep("slow", "gated", { label: "slow" }),
          toolStep("fast1", "gated", { label: "fast1" }),
          toolStep("fast2", "gated", { label: "fast2" }, ["fast1"]),
          toolStep("fast3", "gated", { label: "fast3" }, ["fast2"]),
        ]),
      ],
    });
    const started = Date.now();
    const state = await createPlanExecuteAgent({ model, tools: [gated] }).invoke({ goal: "skewed" });
    expect(state.outcome?.status).toBe("completed");
    expect(order.indexOf("start:fast2")).toBeLessThan(order.indexOf("end:slow"));
    expect(order.indexOf("start:fast3")).toBeLessThan(order.indexOf("end:slow"));
    expect(Date.now() - started).toBeLessThan(2500); // the 3 s fallback never fired
  });

  it("replans exactly once after a failing step, keeping done steps (not run again)", async () => {
    const runs: string[] = [];
    const flaky = tool(
      async ({ source }) => {
        runs.push(source);
        if (source === "primary") throw new Error("primary answered 503");
        return { source, value: 7 };
      },
      { name: "fetch", description: "fetches", schema: z.object({ source: z.string() }) },
    );
    const { model, counters } = scriptedModel({
      planner: [
        planReply([
          toolStep("config", "fetch", { source: "config" }),
          toolStep("data", "fetch", { source: "primary" }, ["config"]),
          toolStep("double", "add", { a: "${data.value}", b: "${data.value}" }, ["data"]),
        ]),
      ],
      replanner: [
        planReply([
          toolStep("data-mirror", "fetch", { source: "mirror" }, ["config"]),
          toolStep("double", "add", { a: "${data-mirror.value}", b: "${data-mirror.value}" }, [
            "data-mirror",
          ]),
        ]),
      ],
    });
    const state = await createPlanExecuteAgent({ model, tools: [flaky, addTool] }).invoke({
      goal: "double the data",
    });
    expect(state.outcome?.status).toBe("completed");
    expect(counters.replanner).toBe(1);
    expect(runs).toEqual(["config", "primary", "mirror"]);
    expect(state.results).toEqual({
      config: { source: "config", value: 7 },
      "data-mirror": { source: "mirror", value: 7 },
      double: 14,
    });
    expect(state.plan?.revision).toBe(1);
    // "double", named again by the rewrite, is replaced in place; "data-mirror" is added at the end
    expect(state.plan?.steps.map((step) => [step.id, step.revision])).toEqual([
      ["config", 0],
      ["double", 1],
      ["data-mirror", 1],
    ]);
    expect(state.run?.history[0]?.steps.find((step) => step.id === "data")?.error?.message).toContain("503");
    // the replanner saw the failure and the done step's result
    const replanCall = model.calls.find((call) => roleOf(call) === "replanner");
    expect(replanCall?.text).toContain('step "data": primary answered 503');
    expect(replanCall?.text).toContain("- config [done]");
  });

  it("replans when the checker finds a result unexpected", async () => {
    const { model, counters } = scriptedModel({
      planner: [planReply([toolStep("sum", "add", { a: 1, b: 1 })])],
      replanner: [planReply([toolStep("sum-again", "add", { a: 2, b: 2 })])],
    });
    const agent = createPlanExecuteAgent({
      model,
      tools: [addTool],
      checker: (step, result) =>
        step.id === "sum" ? { expected: false, reason: `${result} is too small` } : { expected: true },
    });
    const state = await agent.invoke({ goal: "add" });
    expect(counters.replanner).toBe(1);
    expect(state.results).toEqual({ "sum-again": 4 });
    expect(state.run?.history[0]?.steps[0]).toMatchObject({
      status: "failed",
      result: 2,
      error: { code: "unexpected-result", message: "2 is too small" },
    });
  });

  it("fails steps with unknown tools or bad arguments (then replans), without crashing the graph", async () => {
    const { model } = scriptedModel({
      planner: [
        planReply([
          toolStep("ghost", "teleport", { to: "mars" }),
          toolStep("bad", "add", { a: "one", b: 2 }),
        ]),
      ],
      replanner: [planReply([toolStep("good", "add", { a: 1, b: 2 })])],
    });
    const state = await createPlanExecuteAgent({
      model,
      tools: [addTool],
      budget: { maxAttempts: 3 },
    }).invoke({
      goal: "x",
    });
    expect(state.outcome?.status).toBe("completed");
    const failed = state.run?.history[0]?.steps ?? [];
    expect(failed.map((step) => [step.id, step.error?.code, step.attempts])).toEqual([
      ["ghost", "unknown-tool", 1],
      ["bad", "invalid-tool-args", 1],
    ]);
    expect(failed[0]?.error?.message).toContain("known: add");
  });

  it("repairs an invalid plan once, with the validation error", async () => {
    const { model, counters } = scriptedModel({
      planner: [planReply([agentStep("a", ["b"]), agentStep("b", ["a"])]), planReply([agentStep("a")])],
    });
    const state = await createPlanExecuteAgent({ model }).invoke({ goal: "g" });
    expect(state.outcome?.status).toBe("completed");
    expect(counters.planner).toBe(2);
    const repair = model.calls.filter((call) => roleOf(call) === "planner")[1];
    expect(repair?.text).toContain("Your previous answer was invalid: steps form a cycle");
    expect(state.run?.planAttempts).toBe(2);
  });

  it("fails with a typed error that keeps the raw output when the repair is invalid too", async () => {
    const { model } = scriptedModel({ planner: ["I would rather chat than plan."] });
    const error = await createPlanExecuteAgent({ model })
      .invoke({ goal: "g" })
      .catch((caught: unknown) => caught);
    expect(PlanExecuteError.isInstance(error)).toBe(true);
    expect((error as PlanExecuteError).code).toBe("invalid-plan");
    expect((error as PlanExecuteError).rawOutput).toBe("I would rather chat than plan.");
  });

  it("delivers the planner's run-end to a slow consumer before rejecting, and a compiled graph throws from the node", async () => {
    const { model } = scriptedModel({ planner: ["prose, not a plan"] });
    const events: RunEvent[] = [];
    const error = await (async () => {
      const stream = await createPlanExecuteAgent({ model }).stream({ goal: "g" }, { streamMode: "custom" });
      for await (const event of stream) {
        events.push(event as RunEvent);
        await new Promise((resolve) => setTimeout(resolve, 20)); // a consumer slower than the run
      }
    })().catch((caught: unknown) => caught);
    expect(PlanExecuteError.isInstance(error)).toBe(true);
    expect((error as PlanExecuteError).code).toBe("invalid-plan");
    expect(events.filter((event) => event.type === "run-end")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "run-end", outcome: { status: "failed" } });

    const compiled = createPlanExecuteGraph({ model: scriptedModel({ planner: ["prose"] }).model }).compile();
    await expect(compiled.invoke({ goal: "g" })).rejects.toMatchObject({ code: "invalid-plan" });
  });

  it("rejects a run with no goal with invalid-input", async () => {
    const { model } = scriptedModel({ planner: [planReply([agentStep("a")])] });
    await expect(createPlanExecuteAgent({ model }).invoke({ messages: [] })).rejects.toMatchObject({
      code: "invalid-input",
    });
  });

  it("stops at the replan budget, counting replans that fail, and still answers", async () => {
    const failing = tool(
      async () => {
        throw new Error("always down");
      },
      { name: "down", description: "fails", schema: z.object({}) },
    );
    const { model, counters } = scriptedModel({
      planner: [planReply([toolStep("a", "down", {})])],
      replanner: ["not a plan", planReply([toolStep("b", "down", {})])],
    });
    const state = await createPlanExecuteAgent({ model, tools: [failing], budget: { maxReplans: 2 } }).invoke(
      {
        goal: "g",
      },
    );
    expect(state.outcome).toMatchObject({ status: "budget-exceeded", budget: "replans" });
    expect(counters.replanner).toBe(2);
    expect(state.run?.failedReplans).toBe(1);
    expect(state.answer).toBe("final answer");
  });

  it("stops at the LLM-call budget before the call that would exceed it, and answers without a model call", async () => {
    const { model, counters } = scriptedModel({
      planner: [planReply([agentStep("a"), agentStep("b", ["a"]), agentStep("c", ["b"])])],
    });
    const state = await createPlanExecuteAgent({ model, budget: { maxLlmCalls: 2 } }).invoke({ goal: "g" });
    expect(state.outcome).toMatchObject({ status: "budget-exceeded", budget: "llmCalls" });
    expect(counters.answer).toBe(0);
    expect(model.calls).toHaveLength(2); // the plan and step a: step b's call was never made
    expect(state.run?.usage.llmCalls).toBe(2);
    expect(state.answer).toContain("budget-exceeded");
    expect(state.plan?.steps.map((step) => step.status)).toEqual(["done", "failed", "skipped"]);
    expect(state.plan?.steps[1]?.error?.code).toBe("budget-exceeded");
  });

  it("streams progress events on the custom stream, in order", async () => {
    const { model } = scriptedModel({
      planner: [
        planReply([
          toolStep("one", "add", { a: 1, b: 2 }),
          toolStep("two", "add", { a: "${one}", b: 1 }, ["one"]),
        ]),
      ],
    });
    const agent = createPlanExecuteAgent({ model, tools: [addTool] });
    const events: RunEvent[] = [];
    const modes = new Set<string>();
    for await (const [mode, chunk] of await agent.stream(
      { goal: "g" },
      { streamMode: ["custom", "updates"] },
    )) {
      modes.add(mode);
      if (mode === "custom") events.push(chunk as RunEvent);
    }
    expect(modes).toEqual(new Set(["custom", "updates"]));
    expect(
      events.map((event) =>
        event.type.startsWith("step")
          ? `${event.type}:${(event as { step: { id: string } }).step.id}`
          : event.type,
      ),
    ).toEqual([
      "run-start",
      "plan-start",
      "model-call-start",
      "model-call-end",
      "plan-end",
      "step-start:one",
      "step-end:one",
      "step-start:two",
      "step-end:two",
      "run-end",
      "model-call-start",
      "model-call-end",
    ]);
    const calls = events.filter((event) => event.type === "model-call-end");
    expect(calls.map((event) => event.type === "model-call-end" && event.role)).toEqual([
      "planner",
      "answer",
    ]);
    for (const call of calls) {
      if (call.type !== "model-call-end") continue;
      expect(call.durationMs).toBeGreaterThanOrEqual(0);
      expect(call.usage.llmCalls).toBe(1);
    }
  });
});

describe("the updates stream", () => {
  it("carries only node names and the executor's documented task names", async () => {
    const { model } = scriptedModel({
      planner: [planReply([toolStep("one", "add", { a: 1, b: 2 }), agentStep("two", ["one"])])],
      executor: () => "two done",
    });
    const agent = createPlanExecuteAgent({ model, tools: [addTool] });
    const keys = new Set<string>();
    for await (const chunk of await agent.stream({ goal: "g" }, { streamMode: "updates" })) {
      for (const key of Object.keys(chunk)) keys.add(key);
    }
    const nodes = new Set<string>(Object.values(NODES));
    const internal = [...keys].filter((key) => !nodes.has(key));
    expect(internal.length).toBeGreaterThan(0); // LangGraph lists the executor's tasks there
    for (const key of internal) expect(EXECUTOR_TASKS).toContain(key);
    // and the README says so, naming each of them
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    for (const name of EXECUTOR_TASKS) expect(readme).toContain(`\`${name}\``);
    expect(readme).toContain("EXECUTOR_TASKS");
  });
});

describe("run-end", () => {
  it("is published once when the plan is rejected, and when no valid approval comes", async () => {
    const { model } = scriptedModel({ planner: [planReply([agentStep("a")])] });
    const agent = createPlanExecuteAgent({ model, requireApproval: true, checkpointer: new MemorySaver() });
    const events = async (input: unknown, id: string) => {
      const seen: RunEvent[] = [];
      for await (const [mode, chunk] of await agent.stream(input as never, {
        ...thread(id),
        streamMode: ["custom", "updates"],
      })) {
        if (mode === "custom") seen.push(chunk as RunEvent);
      }
      return seen;
    };
    const first = await events({ goal: "g" }, "rejected");
    expect(first.filter((event) => event.type === "run-end")).toEqual([]);
    const rejected = await events(new Command({ resume: { action: "reject" } }), "rejected");
    expect(rejected).toMatchObject([{ type: "run-end", outcome: { status: "cancelled" } }]);

    await events({ goal: "g" }, "garbage");
    let last: RunEvent[] = [];
    for (let round = 0; round < 5; round++) last = await events(new Command({ resume: "?" }), "garbage");
    expect(last).toMatchObject([{ type: "run-end", outcome: { status: "cancelled" } }]);
  });
});

/**
 * Runs the goal on a thread and "kills the process" (aborts the run) as soon as `when()` holds,
 * checked every `everyMs`; the run must reject.
 */
async function runUntilCrash(
  agent: ReturnType<typeof createPlanExecuteAgent>,
  threadId: string,
  when: () => boolean,
  everyMs = 2,
): Promise<void> {
  const crash = new AbortController();
  const watcher = setInterval(() => {
    if (when()) crash.abort(new Error("process killed"));
  }, everyMs);
  try {
    await expect(
      agent.invoke({ goal: "g" }, { ...thread(threadId), signal: crash.signal }),
    ).rejects.toThrow();
  } finally {
    clearInterval(watcher);
  }
}

describe("durability", () => {
  it("resumes after a crash without re-running finished steps; the in-flight step runs again once", async () => {
    const { sleeper, trace } = sleepTool();
    const { model } = scriptedModel({
      planner: [
        planReply([
          toolStep("a", "sleep", { label: "a", ms: 1 }),
          toolStep("b", "sleep", { label: "b", ms: 1 }),
          toolStep("slow", "sleep", { label: "slow", ms: 300 }),
          toolStep("after", "sleep", { label: "after", ms: 1 }, ["a", "b"]),
        ]),
      ],
    });
    // idempotent: an in-flight step runs again on resume (undeclared tools are write since issue #20)
    const agent = createPlanExecuteAgent({
      model,
      tools: [withEffect(sleeper, "idempotent")],
      checkpointer: new MemorySaver(),
    });
    await runUntilCrash(agent, "crash", () => trace.calls.includes("after") && trace.active === 1);
    expect(trace.aborted).toEqual(["slow"]);
    expect(trace.calls.sort()).toEqual(["a", "after", "b", "slow"]);

    const state = await agent.invoke(null, thread("crash"));
    expect(state.outcome?.status).toBe("completed");
    expect(trace.calls.sort()).toEqual(["a", "after", "b", "slow", "slow"]);
    expect(state.results).toMatchObject({
      a: "a slept 1",
      b: "b slept 1",
      slow: "slow slept 300",
      after: "after slept 1",
    });
  });

  it("replays two interleaved chains in their original order: only the steps in flight at the crash run again", async () => {
    const { sleeper, trace } = sleepTool();
    const chain = (prefix: string, sleeps: number[]) =>
      sleeps.map((ms, index) =>
        toolStep(
          `${prefix}${index + 1}`,
          "sleep",
          { label: `${prefix}${index + 1}`, ms },
          index > 0 ? [`${prefix}${index}`] : [],
        ),
      );
    const { model } = scriptedModel({
      planner: [planReply([...chain("c", [5, 15, 5, 15, 5, 200]), ...chain("d", [10, 10, 10, 300, 10])])],
    });
    // idempotent: an in-flight step runs again on resume (undeclared tools are write since issue #20)
    const agent = createPlanExecuteAgent({
      model,
      tools: [withEffect(sleeper, "idempotent")],
      checkpointer: new MemorySaver(),
    });
    await runUntilCrash(agent, "chains", () => trace.calls.includes("c6") && trace.calls.includes("d4"));
    const beforeCrash = [...trace.calls];
    expect(beforeCrash).toEqual(expect.arrayContaining(["c1", "c2", "c3", "c4", "c5", "d1", "d2", "d3"]));
    expect(trace.aborted.sort()).toEqual(["c6", "d4"]);

    const state = await agent.invoke(null, thread("chains"));
    expect(state.outcome?.status).toBe("completed");
    const runs = (label: string) => trace.calls.filter((call) => call === label).length;
    for (const label of ["c1", "c2", "c3", "c4", "c5", "d1", "d2", "d3", "d5"]) expect(runs(label)).toBe(1);
    expect(runs("c6")).toBe(2);
    expect(runs("d4")).toBe(2);
    expect(Object.keys(state.results).sort()).toEqual([
      "c1",
      "c2",
      "c3",
      "c4",
      "c5",
      "c6",
      "d1",
      "d2",
      "d3",
      "d4",
      "d5",
    ]);
  });
});

describe("durability of agent steps", () => {
  it("resumes after a crash without re-running finished agent steps; in-flight ones run again once", async () => {
    const runs: string[] = [];
    const sleeps: Record<string, number> = { a: 5, b: 5, slow: 400, after: 5, last: 5 };
    const { model } = scriptedModel({
      planner: [
        planReply([
          agentStep("a"),
          agentStep("b"),
          agentStep("slow"),
          agentStep("after", ["a", "b"]),
          agentStep("last", ["after"]),
        ]),
      ],
    });
    const agent = createPlanExecuteAgent({
      model,
      checkpointer: new MemorySaver(),
      executor: async (step, context) => {
        runs.push(step.id);
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, sleeps[step.id]);
          context.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(context.signal.reason);
          });
        });
        return `${step.id} done`;
      },
    });
    await runUntilCrash(agent, "agent-crash", () => runs.includes("last"), 1);
    const beforeCrash = [...runs];
    expect(beforeCrash.sort()).toEqual(["a", "after", "b", "last", "slow"]);

    const state = await agent.invoke(null, thread("agent-crash"));
    expect(state.outcome?.status).toBe("completed");
    const count = (id: string) => runs.filter((run) => run === id).length;
    expect([count("a"), count("b"), count("after")]).toEqual([1, 1, 1]);
    expect(count("slow")).toBe(2);
    expect(count("last")).toBeLessThanOrEqual(2);
    expect(state.results).toMatchObject({ a: "a done", slow: "slow done", last: "last done" });
  });
});

describe("durability of an existing agent as executor", () => {
  it("after a crash, an agent step that was in flight resumes its own agent's checkpoint", async () => {
    const seen: string[] = [];
    const stepOf = (state: { messages: { getType(): string; text: string }[] }) =>
      state.messages
        .filter((message) => message.getType() === "human")
        .map((message) => /Your step \(([^)]+)\)/.exec(message.text)?.[1] ?? "?");
    const existing = new StateGraph(MessagesAnnotation)
      .addNode("look", (state) => {
        const ids = stepOf(state);
        seen.push(ids.at(-1)!);
        return { messages: [new AIMessage(`saw ${ids.join(",")}`)] };
      })
      .addNode("wait", async (state, config) => {
        const ms = stepOf(state).at(-1) === "b" ? 400 : 5;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, ms);
          config.signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(new Error("aborted"));
          });
        });
        return {};
      })
      .addEdge("__start__", "look")
      .addEdge("look", "wait")
      .addEdge("wait", "__end__")
      .compile();
    const { model } = scriptedModel({
      planner: [planReply([agentStep("a"), agentStep("b"), agentStep("c", ["a"]), agentStep("d", ["c"])])],
    });
    const agent = createPlanExecuteAgent({ model, executor: existing, checkpointer: new MemorySaver() });
    await runUntilCrash(agent, "agent-ns-crash", () => seen.includes("d"), 1);

    const state = await agent.invoke(null, thread("agent-ns-crash"));
    expect(state.outcome?.status).toBe("completed");
    // a and c were done: not run again. b was waiting in its agent's second node: its agent
    // continues from its own checkpoint (its first node does not run again), in its own namespace
    // (it sees no other step's messages); d, in flight too, sees only its own.
    expect(seen.filter((id) => id === "a")).toHaveLength(1);
    expect(seen.filter((id) => id === "c")).toHaveLength(1);
    expect(seen.filter((id) => id === "b")).toHaveLength(1);
    expect(state.results.b).toBe("saw b");
    expect(state.results.d).toMatch(/^saw d(,d)*$/);
  });
});

describe("plan approval", () => {
  const setup = () => {
    const { sleeper, trace } = sleepTool();
    const { model } = scriptedModel({
      planner: [planReply([toolStep("risky", "sleep", { label: "risky", ms: 1 })])],
    });
    const agent = createPlanExecuteAgent({
      model,
      tools: [sleeper],
      requireApproval: true,
      checkpointer: new MemorySaver(),
    });
    return { agent, trace };
  };

  it("pauses with the plan and runs it once approved", async () => {
    const { agent, trace } = setup();
    const paused = await agent.invoke({ goal: "g" }, thread("approve"));
    if (!isInterrupted(paused)) throw new Error("expected an interrupt");
    const request = paused.__interrupt__[0]?.value as {
      type: string;
      plan: { steps: Array<{ id: string; status: string; startedAt?: number }> };
    };
    expect(request.type).toBe("plan-approval");
    // nothing is started (or shown as started) before approval
    expect(request.plan.steps).toMatchObject([{ id: "risky", status: "pending" }]);
    expect(request.plan.steps[0]?.startedAt).toBeUndefined();
    expect(paused.run?.status).toBe("approving");
    expect(trace.calls).toEqual([]);
    const done = await agent.invoke(new Command({ resume: { action: "approve" } }), thread("approve"));
    expect(done.outcome?.status).toBe("completed");
    expect(trace.calls).toEqual(["risky"]);
  });

  it("runs an edited plan, after asking again when an edit is invalid", async () => {
    const { agent, trace } = setup();
    await agent.invoke({ goal: "g" }, thread("edit"));
    const again = await agent.invoke(
      new Command({
        resume: {
          action: "edit",
          steps: [{ id: "x", kind: "agent", description: "d", dependsOn: ["nope"] }],
        },
      }),
      thread("edit"),
    );
    if (!isInterrupted(again)) throw new Error("expected a second interrupt");
    const retry = again.__interrupt__[0]?.value as { error?: string } | undefined;
    expect(retry?.error).toContain('"nope"');
    const edited = [
      { id: "safe1", kind: "tool", tool: "sleep", args: { label: "safe1", ms: 1 }, description: "safe" },
      {
        id: "safe2",
        kind: "tool",
        tool: "sleep",
        args: { label: "safe2", ms: 1 },
        dependsOn: ["safe1"],
        description: "safe",
      },
    ];
    const done = await agent.invoke(
      new Command({ resume: { action: "edit", steps: edited } }),
      thread("edit"),
    );
    expect(done.outcome?.status).toBe("completed");
    expect(trace.calls).toEqual(["safe1", "safe2"]);
    expect(done.plan?.steps.map((step) => step.id)).toEqual(["safe1", "safe2"]);
  });

  it("cancels the run when the plan is rejected, running nothing", async () => {
    const { agent, trace } = setup();
    await agent.invoke({ goal: "g" }, thread("reject"));
    const done = await agent.invoke(
      new Command({ resume: { action: "reject", reason: "too risky" } }),
      thread("reject"),
    );
    expect(done.outcome).toEqual({ status: "cancelled", reason: "plan rejected: too risky" });
    expect(trace.calls).toEqual([]);
    expect(done.answer).toContain("cancelled");
  });
});

describe("plugging into existing graphs", () => {
  it("works as a node of a parent graph that shares the messages key", async () => {
    const { model } = scriptedModel({
      planner: [planReply([toolStep("sum", "add", { a: 2, b: 3 })])],
      answer: "2 + 3 = 5",
    });
    const planExecute = createPlanExecuteGraph({ model, tools: [addTool] }).compile();
    const greeter = async () => ({ messages: [new AIMessage("Let me plan that.")] });
    const parent = new StateGraph(MessagesAnnotation)
      .addNode("greeter", greeter)
      .addNode("plan_execute", planExecute)
      .addEdge("__start__", "greeter")
      .addEdge("greeter", "plan_execute")
      .addEdge("plan_execute", "__end__")
      .compile({ checkpointer: new MemorySaver() });
    // the goal is the last human message, even with the greeter's message after it
    const state = await parent.invoke({ messages: [new HumanMessage("What is 2 + 3?")] }, thread("parent"));
    expect(state.messages.map((message) => message.text)).toEqual([
      "What is 2 + 3?",
      "Let me plan that.",
      "2 + 3 = 5",
    ]);
  });

  it("works through a wrapper node when the parent's state has other keys", async () => {
    const { model } = scriptedModel({ planner: [planReply([toolStep("sum", "add", { a: 4, b: 4 })])] });
    const planExecute = createPlanExecuteGraph({ model, tools: [addTool], finalAnswer: false }).compile();
    const Ticket = z.object({ question: z.string(), resolution: z.string().optional() });
    const parent = new StateGraph(Ticket)
      .addNode(
        "solve",
        async (state: z.infer<typeof Ticket>) => {
          const result = await planExecute.invoke({ goal: state.question });
          return { resolution: JSON.stringify(result.results) };
        },
        { subgraphs: [planExecute] },
      )
      .addEdge("__start__", "solve")
      .addEdge("solve", "__end__")
      .compile();
    expect(await parent.invoke({ question: "4 + 4" })).toEqual({
      question: "4 + 4",
      resolution: '{"sum":8}',
    });
  });

  it("uses an existing compiled agent (createAgent from langchain) as the executor of agent steps", async () => {
    const { createAgent } = await import("langchain");
    const agentModel = new ScriptedChatModel({
      responses: (request) =>
        request.messages.some((message) => message.getType() === "tool")
          ? `agent says ${request.messages.at(-1)?.text}`
          : { toolCalls: [{ name: "add", args: { a: 40, b: 2 } }] },
    });
    const existing = createAgent({ model: agentModel, tools: [addTool] });
    const { model, counters } = scriptedModel({ planner: [planReply([agentStep("compute")])] });
    const state = await createPlanExecuteAgent({ model, executor: existing }).invoke({
      goal: "compute 40 + 2",
    });
    expect(state.results.compute).toBe("agent says 42");
    expect(agentModel.calls).toHaveLength(2);
    expect(agentModel.calls[0]?.text).toContain("Your step (compute)");
    expect(counters.executor).toBe(0);
    expect(state.run?.usage.llmCalls).toBe(4); // plan + 2 agent calls + answer
  });

  it("runs each agent step of an existing agent in its own checkpoint namespace, concurrently", async () => {
    // The agent counts the messages it sees: with a namespace shared by the steps, a later step
    // would see an earlier step's messages under the one checkpointer.
    let active = 0;
    let maxActive = 0;
    const counter = new StateGraph(MessagesAnnotation)
      .addNode("count", async (state) => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setTimeout(resolve, 20));
        active--;
        return { messages: [new AIMessage(`${state.messages.length} message(s)`)] };
      })
      .addEdge("__start__", "count")
      .addEdge("count", "__end__")
      .compile();
    const ids = ["a", "b", "c", "d", "then"];
    const { model } = scriptedModel({
      planner: [planReply([...ids.slice(0, 4).map((id) => agentStep(id)), agentStep("then", ["a"])])],
    });
    const saver = new MemorySaver();
    const agent = createPlanExecuteAgent({ model, executor: counter, checkpointer: saver });
    const state = await agent.invoke({ goal: "count" }, thread("namespaces"));
    expect(state.outcome?.status).toBe("completed");
    expect(maxActive).toBe(4);
    for (const id of ids) expect(state.results[id]).toBe("1 message(s)");
  });

  it("gives the default executor the results of the steps a step depends on, and only those", async () => {
    const requests: string[] = [];
    const { model } = scriptedModel({
      planner: [planReply([agentStep("a"), agentStep("b"), agentStep("c", ["a"])])],
      executor: (request) => {
        const text = request.messages.at(-1)?.text ?? "";
        requests.push(text);
        return `answer ${/Your step \(([^)]+)\)/.exec(text)?.[1]}`;
      },
    });
    const state = await createPlanExecuteAgent({ model }).invoke({ goal: "g" });
    expect(state.results).toEqual({ a: "answer a", b: "answer b", c: "answer c" });
    const forC = requests.find((text) => text.includes("Your step (c)"))!;
    expect(forC).toContain("Results of the steps it depends on:\n- a: answer a");
    expect(forC).not.toContain("answer b");
    expect(requests.find((text) => text.includes("Your step (a)"))).not.toContain("depends on");
  });

  it("accepts a plain async function as the executor", async () => {
    const { model } = scriptedModel({ planner: [planReply([agentStep("a"), agentStep("b", ["a"])])] });
    const state = await createPlanExecuteAgent({
      model,
      executor: async (step, context) =>
        `${step.id}<-${Object.keys(context.results).join(",")}|${context.key.split(":").slice(1).join(":")}`,
    }).invoke({ goal: "g" });
    expect(state.results).toEqual({ a: "a<-|0:a", b: "b<-a|0:b" });
  });
});

describe("cancellation", () => {
  it("aborts in-flight steps when the caller aborts", async () => {
    const { sleeper, trace } = sleepTool();
    const { model } = scriptedModel({
      planner: [planReply([toolStep("long", "sleep", { label: "long", ms: 5000 })])],
    });
    const controller = new AbortController();
    // abort once the step is running (not after a fixed delay: under load it may not have started)
    const watcher = setInterval(() => {
      if (trace.calls.includes("long")) controller.abort(new Error("user cancelled"));
    }, 5);
    const started = Date.now();
    await expect(
      createPlanExecuteAgent({ model, tools: [sleeper] }).invoke(
        { goal: "g" },
        { signal: controller.signal },
      ),
    ).rejects.toThrow();
    clearInterval(watcher);
    expect(Date.now() - started).toBeLessThan(4000); // the 5 s step did not run to its end
    expect(trace.aborted).toEqual(["long"]);
  });

  it("validates options eagerly", () => {
    const { model } = scriptedModel({ planner: [] });
    expect(() => createPlanExecuteGraph({ model: {} as never })).toThrow(/model/);
    expect(() => createPlanExecuteGraph({ model, budget: { concurrency: 0 } })).toThrow(/concurrency/);
    expect(() => createPlanExecuteGraph({ model, tools: [addTool, addTool] })).toThrow(
      /Option "tools\[1\].name" must differ from the other tools. names/,
    );
    expect(() => createPlanExecuteGraph({ model, executor: 42 as never })).toThrow(/executor/);
  });
});
