// Local replanning in the graph: the replanner runs inside the executor node, so the steps that do
// not depend on the failed one start and finish while it answers; its answer is a patch.
import { tool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import type { RunEvent } from "@replan/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createPlanExecuteAgent } from "./graph.js";
import { roleOf, toolStep } from "./test-helpers.js";
import { ScriptedChatModel } from "./testing.js";

/** A tool that logs each call's start and end; "a" from the primary source fails; "b" takes 30 ms. */
function branchTools(log: string[], onEnd: (label: string) => void) {
  return tool(
    async ({ label, source }) => {
      log.push(`start ${label}`);
      if (label === "b1") await new Promise((resolve) => setTimeout(resolve, 30));
      if (label === "a" && source !== "mirror") throw new Error("primary answered 503");
      log.push(`end ${label}`);
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

describe("local replanning in the graph", () => {
  it("starts and finishes the independent branch while the replanner answers, then applies its patch", async () => {
    const log: string[] = [];
    let independentDone!: () => void;
    const independent = new Promise<void>((resolve) => {
      independentDone = resolve;
    });
    const fetch = branchTools(log, (label) => {
      if (label === "b2") independentDone();
    });
    const plan = [
      toolStep("a", "fetch", { label: "a" }),
      toolStep("a2", "fetch", { label: "a2" }, ["a"]),
      toolStep("b1", "fetch", { label: "b1" }),
      toolStep("b2", "fetch", { label: "b2" }, ["b1"]),
    ];
    const model = new ScriptedChatModel({
      responses: async (request) => {
        const role = roleOf(request);
        if (role === "planner") return { structured: { steps: plan } };
        if (role === "replanner") {
          log.push("replanner asked");
          // b2 starts only after the question (b1 takes 30 ms): the answer waits for its end
          await independent;
          log.push("replanner answers");
          return {
            structured: {
              remove: [],
              add: [],
              replace: [toolStep("a", "fetch", { label: "a", source: "mirror" })],
              reason: "the mirror has it",
            },
          };
        }
        return "done";
      },
    });
    const events: RunEvent[] = [];
    const agent = createPlanExecuteAgent({ model, tools: [fetch], checkpointer: new MemorySaver() });
    const stream = await agent.stream(
      { goal: "fetch both branches" },
      { configurable: { thread_id: "local" }, streamMode: ["custom", "values"] },
    );
    let state: { outcome?: { status: string } | null; results?: Record<string, unknown> } = {};
    for await (const [mode, chunk] of stream) {
      if (mode === "custom") events.push(chunk as RunEvent);
      else state = chunk as typeof state;
    }
    expect(state.outcome?.status).toBe("completed");
    expect(log.indexOf("start b2")).toBeGreaterThan(log.indexOf("replanner asked"));
    expect(log.indexOf("end b2")).toBeLessThan(log.indexOf("replanner answers"));
    expect(state.results).toMatchObject({ a: "a from mirror", a2: "a2 from primary", b2: "b2 from primary" });
    const end = events.find((event) => event.type === "replan-end");
    expect(end).toMatchObject({
      replaced: ["a"],
      added: [],
      removed: [],
      kept: ["a2", "b1", "b2"],
      reason: "the mirror has it",
    });
    // the replanner was asked for a patch, and told what waits for it
    const ask = model.calls.find((call) => roleOf(call) === "replanner");
    expect(ask?.tools[0]?.function.name).toBe("patch");
    expect(ask?.text).toContain("Waiting for your patch (they depend on a failed step): a2");
  });
});
