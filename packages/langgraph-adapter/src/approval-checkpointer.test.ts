import { HumanMessage } from "@langchain/core/messages";
import { Command, MemorySaver, MessagesAnnotation, StateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { PlanExecuteError } from "./errors.js";
import { createPlanExecuteAgent, createPlanExecuteGraph } from "./graph.js";
import { addTool, planReply, scriptedModel, toolStep } from "./test-helpers.js";

const plan = () => scriptedModel({ planner: [planReply([toolStep("sum", "add", { a: 2, b: 3 })])] });

async function refusal(run: Promise<unknown>) {
  const error = await run.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(PlanExecuteError.isInstance(error), String(error)).toBe(true);
  expect((error as PlanExecuteError).code).toBe("approval-needs-checkpointer");
  expect((error as Error).message).toContain("checkpointer");
}

describe("requireApproval without a checkpointer", () => {
  it("the agent alone refuses the run before any model call", async () => {
    const { model, counters } = plan();
    const agent = createPlanExecuteAgent({ model, tools: [addTool], requireApproval: true });
    await refusal(agent.invoke({ goal: "Add 2 and 3" }));
    expect(model.calls).toHaveLength(0);
    expect(counters.planner).toBe(0);
  });

  it("the graph compiled without one refuses too, and checkpointer: false as well", async () => {
    const { model } = plan();
    await refusal(createPlanExecuteGraph({ model, requireApproval: true }).compile().invoke({ goal: "g" }));
    const agent = createPlanExecuteAgent({ model, requireApproval: true, checkpointer: false });
    await refusal(agent.invoke({ goal: "g" }, { configurable: { thread_id: "t" } }));
    expect(model.calls).toHaveLength(0);
  });

  it("a run without approval needs no checkpointer", async () => {
    const { model } = plan();
    const agent = createPlanExecuteAgent({ model, tools: [addTool], finalAnswer: false });
    expect((await agent.invoke({ goal: "Add 2 and 3" })).results).toEqual({ sum: 5 });
  });

  it("the agent as a subgraph of a parent with a checkpointer uses the parent's, and pauses", async () => {
    const { model } = plan();
    const agent = createPlanExecuteAgent({
      model,
      tools: [addTool],
      requireApproval: true,
      finalAnswer: false,
    });
    const parent = new StateGraph(MessagesAnnotation)
      .addNode("plan_execute", agent)
      .addEdge("__start__", "plan_execute")
      .addEdge("plan_execute", "__end__")
      .compile({ checkpointer: new MemorySaver() });
    const config = { configurable: { thread_id: "parent" } };
    await parent.invoke({ messages: [new HumanMessage("Add 2 and 3")] }, config);
    expect((await parent.getState(config)).next).toEqual(["plan_execute"]); // paused for approval
    expect(model.calls).toHaveLength(1);
    const done = await parent.invoke(new Command({ resume: { action: "approve" } }), config);
    expect((await parent.getState(config)).next).toEqual([]);
    expect(done.messages.at(-1)?.text).toContain("5");
  });
});
