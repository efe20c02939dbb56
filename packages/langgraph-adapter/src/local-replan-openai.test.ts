// Local replanning with a real ChatOpenAI against the scripted OpenAI-compatible server: the plan
// is streamed (steps start while the planner writes), a step fails, and the replanner's patch
// (a forced "patch" tool call, a JSON-schema answer, JSON content, or compact text) is asked for
// while the independent branch keeps running in the same node.
import { tool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import { ChatOpenAI } from "@langchain/openai";
import type { RunEvent } from "@replan/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { PlanFormat, StructuredOutputMethod } from "./defaults.js";
import { createPlanExecuteAgent } from "./graph.js";
import type { ScriptedOpenAIServer } from "./openai-script.js";
import { startScriptedOpenAIServer } from "./openai-server.js";

const servers: ScriptedOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/**
 * A fetch tool: "a" fails unless fetched from the mirror; "b1" ends only once the replanner has
 * been asked (so b2 and b3 start during the replan); each start and end is logged.
 */
function fetchTool(log: string[], replannerAsked: Promise<void>, onEnd: (id: string) => void) {
  return tool(
    async ({ id, source }) => {
      log.push(`start ${id}`);
      if (id === "b1") await replannerAsked;
      if (id === "a" && source !== "mirror") throw new Error("primary answered 503");
      log.push(`end ${id}`);
      onEnd(id);
      return `record ${id} from ${source ?? "primary"}`;
    },
    {
      name: "fetch_record",
      description: "Fetches a record",
      schema: z.object({ id: z.string(), source: z.string().optional() }),
    },
  );
}

const jsonStep = (id: string, dependsOn: string[], source?: string) => ({
  id,
  description: `fetch ${id}`,
  dependsOn,
  tool: "fetch_record",
  args: JSON.stringify(source ? { id, source } : { id }),
});

const PLAN = [
  ["a", []],
  ["a2", ["a"]],
  ["b1", []],
  ["b2", ["b1"]],
  ["b3", ["b2"]],
] as const;

const compactPlan = PLAN.map(([id, after]) =>
  after.length > 0
    ? `${id}[${after.join(",")}] = fetch_record {"id":"${id}"}`
    : `${id} = fetch_record {"id":"${id}"}`,
).join("\n");

describe.each<[StructuredOutputMethod, PlanFormat]>([
  ["functionCalling", "json"],
  ["jsonSchema", "json"],
  ["jsonMode", "json"],
  ["functionCalling", "compact"],
])("a streamed plan replanned locally (%s, %s)", (method, format) => {
  it("asks for a patch while the independent branch runs on, and applies it", async () => {
    const log: string[] = [];
    let b3Done!: () => void;
    const b3 = new Promise<void>((resolve) => {
      b3Done = resolve;
    });
    let asked!: () => void;
    const replannerAsked = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const patch = {
      remove: [],
      add: [],
      replace: [jsonStep("a", [], "mirror")],
      reason: "the mirror has it",
    };
    const server = await startScriptedOpenAIServer({
      responses: async (request) => {
        if (request.role === "planner") {
          return format === "compact"
            ? compactPlan
            : { structured: { steps: PLAN.map(([id, after]) => jsonStep(id, [...after])) } };
        }
        if (request.role === "replanner") {
          log.push("replanner asked");
          asked();
          await b3;
          log.push("replanner answers");
          if (format === "compact")
            return 'a = fetch_record {"id":"a","source":"mirror"}\nreason: the mirror has it';
          return method === "jsonMode" ? JSON.stringify(patch) : { structured: patch };
        }
        return "done";
      },
      chunkDelayMs: 2,
    });
    servers.push(server);
    const model = new ChatOpenAI({
      model: "gpt-4.1-mini",
      apiKey: "k",
      configuration: { baseURL: server.url },
    });
    const agent = createPlanExecuteAgent({
      model,
      tools: [fetchTool(log, replannerAsked, (id) => id === "b3" && b3Done())],
      structuredOutputMethod: method,
      planFormat: format,
      checkpointer: new MemorySaver(),
    });
    const events: RunEvent[] = [];
    let state: Record<string, unknown> = {};
    const stream = await agent.stream(
      { goal: "Fetch the records" },
      { configurable: { thread_id: crypto.randomUUID() }, streamMode: ["custom", "values"] },
    );
    for await (const [mode, chunk] of stream) {
      if (mode === "custom") events.push(chunk as RunEvent);
      else state = chunk as Record<string, unknown>;
    }

    expect((state.outcome as { status: string }).status).toBe("completed");
    expect(log.indexOf("start b3")).toBeGreaterThan(log.indexOf("replanner asked"));
    expect(log.indexOf("end b3")).toBeLessThan(log.indexOf("replanner answers"));
    expect(log.indexOf("start a2")).toBeGreaterThan(log.indexOf("replanner answers"));
    expect(state.results).toMatchObject({ a: "record a from mirror", a2: "record a2 from primary" });
    expect(events.find((event) => event.type === "replan-end")).toMatchObject({
      replaced: ["a"],
      removed: [],
      added: [],
      reason: "the mirror has it",
    });
    expect(server.requests.map((request) => request.headers["x-replan-role"])).toEqual([
      "planner",
      "replanner",
      "answer",
    ]);
    if (method === "functionCalling" && format === "json") {
      expect(JSON.stringify(server.requests[1]?.body)).toContain('"name":"patch"');
    }
  });
});
