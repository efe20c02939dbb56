// Replanner answers whose shape is ambiguous or carries its reason in the older form.
import { describe, expect, it } from "vitest";
import { runPlan, type StepSpecInput } from "./index.js";

const tool = (id: string, name: string, dependsOn: string[] = []): StepSpecInput => ({
  id,
  kind: "tool",
  tool: name,
  args: {},
  description: id,
  dependsOn,
});
const tools = {
  fail: async () => {
    throw new Error("down");
  },
  ok: async () => "ok",
};
const plan = [tool("a", "fail"), tool("b", "ok", ["a"]), tool("c", "ok")];

describe("replanner answer shapes", () => {
  it("an object with both steps and a patch's lists is invalid (sent back), not read as a rewrite", async () => {
    const answers: unknown[] = [
      { steps: [tool("a2", "ok")], replace: [tool("a", "ok")] },
      { replace: [tool("a", "ok")] },
    ];
    const feedback: Array<string | undefined> = [];
    const result = await runPlan({
      goal: "g",
      planner: () => plan,
      replanner: (request) => {
        feedback.push(request.feedback?.message);
        return answers.shift() as never;
      },
      tools,
    });
    expect(result.outcome.status).toBe("completed");
    expect(feedback[1]).toContain("both steps and a patch");
    expect(result.plan?.steps.map((step) => `${step.id}:${step.status}`)).toEqual([
      "a:done",
      "b:done",
      "c:done",
    ]);
  });

  it("the older rewrite { steps: [], reason } gives up with its reason", async () => {
    const result = await runPlan({
      goal: "g",
      planner: () => plan,
      replanner: () => ({ steps: [], reason: "the source is gone for good" }) as never,
      tools,
    });
    expect(result.outcome.status).toBe("failed");
    expect(result.outcome.reason).toContain("the source is gone for good");
  });
});
