// budget.maxWallTimeMs in the graph while the node waits: a slow step, or a replanner that takes
// too long, ends the run at the budget (budget-exceeded), as runPlan's timer does.
import { tool } from "@langchain/core/tools";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createPlanExecuteAgent } from "./graph.js";
import { ScriptedChatModel } from "./testing.js";

const slow = tool(
  async (_args, config) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => resolve("late"), 3_000);
      config?.signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new Error("aborted"));
      });
    }),
  { name: "slow", description: "slow", schema: z.object({}), metadata: { effect: "read" } },
);
const fail = tool(
  async () => {
    throw new Error("down");
  },
  { name: "fail", description: "fail", schema: z.object({}), metadata: { effect: "read" } },
);

describe("budget.maxWallTimeMs in the graph", () => {
  it("a step still running when the budget is over: the run ends budget-exceeded at the budget", async () => {
    const model = new ScriptedChatModel({ responses: { planner: ["1. slow()\n"], answer: ["x"] } });
    const agent = createPlanExecuteAgent({
      model,
      tools: [slow],
      planFormat: "compact",
      finalAnswer: false,
      budget: { maxWallTimeMs: 300 },
    });
    const started = Date.now();
    const state = await agent.invoke({ goal: "g" });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(state.outcome).toMatchObject({ status: "budget-exceeded" });
  });

  it("a replanner slower than the budget: the run ends at the budget, not at the model's timeout", async () => {
    const model = new ScriptedChatModel({
      responses: { planner: ["1. fail()\n"], replanner: ["1. slow()\n"], answer: ["x"] },
      latencyMs: 1_000, // every call: the plan at 1 s, the replanner's answer at 2 s
    });
    const agent = createPlanExecuteAgent({
      model,
      tools: [slow, fail],
      planFormat: "compact",
      finalAnswer: false,
      budget: { maxWallTimeMs: 1_400 },
    });
    const started = Date.now();
    const state = await agent.invoke({ goal: "g" });
    expect(Date.now() - started).toBeLessThan(1_950); // before the replanner's answer
    expect(state.outcome).toMatchObject({ status: "budget-exceeded" });
    expect(state.plan?.steps.map((step) => (step.kind === "tool" ? step.tool : step.kind))).toEqual(["fail"]); // its answer never applied
  });
});
