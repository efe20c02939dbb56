// The forecast an approval request carries: its model-call count equals the calls the graph makes
// when nothing fails, over random plans; its critical path is the plan's longest chain.
import { Command, isInterrupted, MemorySaver } from "@langchain/langgraph";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PlanApprovalRequest } from "./approve-node.js";
import { createPlanExecuteAgent } from "./graph.js";
import { addTool, agentStep, type ModelStep, planReply, scriptedModel, toolStep } from "./test-helpers.js";

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 25);

/** A random DAG of agent and tool steps, each agent step with a number of tool rounds before it answers. */
const planArbitrary = fc
  .array(
    fc.record({
      deps: fc.array(fc.nat(), { maxLength: 3 }),
      tool: fc.boolean(),
      rounds: fc.integer({ min: 0, max: 2 }),
    }),
    { minLength: 1, maxLength: 10 },
  )
  .map((picks) => ({
    steps: picks.map(({ deps, tool }, index): ModelStep => {
      const dependsOn = index === 0 ? [] : [...new Set(deps.map((pick) => `s${pick % index}`))];
      return tool
        ? toolStep(`s${index}`, "add", { a: index, b: 1 }, dependsOn)
        : agentStep(`s${index}`, dependsOn);
    }),
    rounds: Object.fromEntries(picks.map(({ rounds }, index) => [`s${index}`, rounds])),
  }));

/** The longest chain of dependencies, by brute force. */
function longestChain(steps: readonly ModelStep[]): number {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const ending = (id: string): number => 1 + Math.max(0, ...byId.get(id)!.dependsOn.map(ending));
  return Math.max(...steps.map((step) => ending(step.id)));
}

/** Runs a plan to its approval, approves it, and counts every model call of the run. */
async function approveAndCount(plan: { steps: ModelStep[]; rounds: Record<string, number> }, id: string) {
  const { model } = scriptedModel({
    planner: [planReply(plan.steps)],
    // an agent step calls the add tool `rounds` times, then answers
    executor: (request) => {
      const done = request.messages.filter((message) => message.getType() === "tool").length;
      return done < plan.rounds[request.stepId!]!
        ? { toolCalls: [{ name: "add", args: { a: 1, b: done } }] }
        : "ok";
    },
  });
  const agent = createPlanExecuteAgent({
    model,
    tools: [addTool],
    requireApproval: true,
    checkpointer: new MemorySaver(),
    budget: { concurrency: 3 },
  });
  const config = { configurable: { thread_id: id } };
  const paused = await agent.invoke({ goal: "random plan" }, config);
  if (!isInterrupted(paused)) throw new Error("expected the approval interrupt");
  const request = paused.__interrupt__[0]!.value as PlanApprovalRequest;
  const callsAtApproval = model.calls.length;
  const done = await agent.invoke(new Command({ resume: { action: "approve" } }), config);
  return { request, callsAtApproval, calls: model.calls.length, done };
}

describe("the approval request's forecast", () => {
  it("counts the model calls the run makes when nothing fails, over random plans", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(planArbitrary, async (plan) => {
        const { request, callsAtApproval, calls, done } = await approveAndCount(plan, `random-${run++}`);
        expect(done.outcome?.status).toBe("completed");
        const { forecast } = request;
        const rounds = plan.steps.reduce((sum, step) => sum + (step.tool ? 0 : plan.rounds[step.id]!), 0);
        // the forecast counts each agent step's least calls (an answer without tools), and bounds the rest
        expect(forecast.modelCalls.made).toBe(callsAtApproval);
        expect(forecast.modelCalls.total + rounds).toBe(calls);
        expect(forecast.modelCalls.most).toBeGreaterThanOrEqual(calls);
        expect(done.run?.usage.llmCalls).toBe(calls);
        expect(forecast.criticalPath.depth).toBe(longestChain(plan.steps));
        expect(forecast.criticalPath.steps).toHaveLength(forecast.criticalPath.depth);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("names the critical path, the calls by kind and a token estimate", async () => {
    const plan = {
      steps: [
        toolStep("a", "add", { a: 1, b: 2 }),
        agentStep("b", ["a"]),
        agentStep("c", ["b"]),
        agentStep("d"),
      ],
      rounds: { b: 0, c: 0, d: 0 },
    };
    const { request, calls } = await approveAndCount(plan, "named");
    expect(request.forecast.criticalPath).toEqual({ steps: ["a", "b", "c"], depth: 3 });
    // planner 1, three agent steps at 1 each (at most 8 each, the default maxToolIterations), the answer 1
    expect(request.forecast.modelCalls).toEqual({
      made: 1,
      agentSteps: 3,
      checks: 0,
      answer: 1,
      total: 5,
      most: 26,
    });
    expect(calls).toBe(5);
    expect(request.forecast.steps).toEqual({ agent: 3, tool: 1 });
    expect(request.forecast.tokens.estimate).toBeGreaterThan(0);
    expect(request.forecast.tokens.total).toBe(
      request.forecast.tokens.made + request.forecast.tokens.estimate,
    );
  });

  it("knows no bound for a function executor, and counts no answer without finalAnswer", async () => {
    const { model } = scriptedModel({ planner: [planReply([agentStep("x")])] });
    const agent = createPlanExecuteAgent({
      model,
      executor: () => "done by a function",
      finalAnswer: false,
      requireApproval: true,
      checkpointer: new MemorySaver(),
    });
    const paused = await agent.invoke({ goal: "g" }, { configurable: { thread_id: "function" } });
    if (!isInterrupted(paused)) throw new Error("expected the approval interrupt");
    const { forecast } = paused.__interrupt__[0]!.value as PlanApprovalRequest;
    expect(forecast.modelCalls).toEqual({
      made: 1,
      agentSteps: 0,
      checks: 0,
      answer: 0,
      total: 1,
      most: null,
    });
  });
});
