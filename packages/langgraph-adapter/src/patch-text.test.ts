// A replanner that answers in @replan/core's patch text (~ replace, + add, - remove, # reason)
// when the patch is read whole (a model that does not stream, or reapprove on): the graph reads it
// with core's parser, as it reads a streamed one.
import { tool } from "@langchain/core/tools";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createPlanExecuteAgent } from "./graph.js";
import { ScriptedChatModel } from "./testing.js";

function setup() {
  const runs: string[] = [];
  const make = (name: string, fails = false) =>
    tool(
      async () => {
        runs.push(name);
        if (fails) throw new Error(`${name} is down`);
        return name;
      },
      { name, description: name, schema: z.object({}), metadata: { effect: "read" } },
    );
  return { runs, tools: [make("fail", true), make("ok"), make("fast")] };
}

describe("core's patch text, read whole", () => {
  it.each([
    ["~1. ok()\n# use ok", ["1:done", "2:done"], ["fail", "ok", "fast"]],
    ["~1. ok()\nreason: use ok", ["1:done", "2:done"], ["fail", "ok", "fast"]],
    ["-1\n-2\n+3. ok()\n# drop the failed branch", ["3:done"], ["fail", "ok"]],
  ])("%j patches the plan", async (answer, statuses, runs) => {
    const { runs: ran, tools } = setup();
    const model = new ScriptedChatModel({
      responses: { planner: ["1. fail()\n2[1]. fast()\n"], replanner: [answer], answer: ["x"] },
    });
    const agent = createPlanExecuteAgent({ model, tools, finalAnswer: false, planFormat: "compact" });
    const state = await agent.invoke({ goal: "g" });
    expect(state.outcome?.status).toBe("completed");
    expect(state.plan?.steps.map((step) => `${step.id}:${step.status}`)).toEqual(statuses);
    expect(ran).toEqual(runs);
  });

  it("a line it cannot read is sent back with why", async () => {
    const { tools } = setup();
    const model = new ScriptedChatModel({
      responses: {
        planner: ["1. fail()\n2[1]. fast()\n"],
        replanner: ["~1. ok(\n# broken", "~1. ok()\n# fixed"],
        answer: ["x"],
      },
    });
    const agent = createPlanExecuteAgent({ model, tools, finalAnswer: false, planFormat: "compact" });
    const state = await agent.invoke({ goal: "g" });
    expect(state.outcome?.status).toBe("completed");
    expect(model.calls.filter((call) => call.role === "replanner")).toHaveLength(2);
  });
});
