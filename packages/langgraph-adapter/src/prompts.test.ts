import { describe, expect, it } from "vitest";
import { createPlanExecuteAgent } from "./graph.js";
import { addTool, agentStep, planReply, roleOf, scriptedModel, toolStep } from "./test-helpers.js";
import { ScriptedChatModel } from "./testing.js";

describe("prompts", () => {
  it("describe every tool (name, description, JSON schema) to the planner by default", async () => {
    const { model } = scriptedModel({ planner: [planReply([toolStep("a", "add", { a: 1, b: 2 })])] });
    await createPlanExecuteAgent({ model, tools: [addTool] }).invoke({ goal: "add" });
    const system = model.calls[0]?.messages[0]?.text ?? "";
    expect(system).toContain("- add: Adds two numbers");
    expect(system).toMatch(/arguments \(JSON schema\): \{.*"a":\{"type":"number"\}/);
    expect(model.calls[0]?.messages[1]?.text).toBe("add");
  });

  it("can be replaced by strings with placeholders or by functions", async () => {
    const model = new ScriptedChatModel({ responses: [planReply([agentStep("a")]), "did a", "answer"] });
    await createPlanExecuteAgent({
      model,
      tools: [addTool],
      budget: { maxSteps: 7 },
      prompts: {
        planner: "PLAN with at most {maxSteps} steps using:\n{tools}",
        executor: ({ maxSteps }) => `EXECUTE (limit ${maxSteps})`,
        answer: "ANSWER briefly",
      },
    }).invoke({ goal: "g" });
    const texts = model.calls.map((call) => call.messages[0]?.text ?? "");
    expect(texts[0]).toMatch(/^PLAN with at most 7 steps using:\n- add: Adds two numbers/);
    expect(texts[1]).toBe("EXECUTE (limit 7)");
    expect(texts[2]).toBe("ANSWER briefly");
  });

  it("truncate long results in the replanner's prompt but keep them whole in state", async () => {
    const long = "x".repeat(5000);
    const { model } = scriptedModel({
      planner: [planReply([agentStep("big"), agentStep("fails", ["big"])])],
      executor: (request) => (request.stepId === "fails" ? new Error("boom") : long),
      replanner: [planReply([])],
    });
    const state = await createPlanExecuteAgent({ model, resultPreviewChars: 100 }).invoke({ goal: "g" });
    expect(state.results.big).toBe(long);
    const replan = model.calls.find((call) => roleOf(call) === "replanner");
    expect(replan?.text).toContain(`${"x".repeat(100)}… [4900 more characters]`);
    // the system prompt (the patch rules since issue #19) and the plan, not the 5000 characters
    expect(replan?.text.length).toBeLessThan(2600);
  });
});
