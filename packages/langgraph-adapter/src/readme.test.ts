// The README's examples, run exactly as written: their ChatOpenAI reads OPENAI_API_KEY and
// OPENAI_BASE_URL, which point here at a scripted OpenAI-compatible server on 127.0.0.1.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readmeExamples, runReadmeExample } from "../../../scripts/readme-examples.js";
import { type ModelStep, planReply, toolStep } from "./test-helpers.js";
import {
  type ScriptedOpenAIReply,
  type ScriptedOpenAIRequest,
  startScriptedOpenAIServer,
} from "./testing.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const examples = new Map(readmeExamples(packageDir).map((example) => [example.name, example]));

/** Answers by role: planner, replanner, final answer, or step executor (agents included). */
let script: {
  plan: ModelStep[];
  replan?: ModelStep[];
  answer: string;
  step?: (request: ScriptedOpenAIRequest) => ScriptedOpenAIReply;
};
let server: Awaited<ReturnType<typeof startScriptedOpenAIServer>>;
const saved = { key: process.env.OPENAI_API_KEY, url: process.env.OPENAI_BASE_URL };

beforeAll(async () => {
  server = await startScriptedOpenAIServer({
    apiKey: "readme-key",
    // By the role the model layer sends (x-replan-role); the agent-executor's own agent is
    // not the layer's, so its calls come without a role.
    responses: (request) => {
      if (request.role === "planner") return planReply(script.plan) as ScriptedOpenAIReply;
      if (request.role === "replanner") return planReply(script.replan ?? []) as ScriptedOpenAIReply;
      if (request.role === "answer") return script.answer;
      return script.step?.(request) ?? "step done";
    },
  });
  process.env.OPENAI_API_KEY = "readme-key";
  process.env.OPENAI_BASE_URL = server.url;
});

afterAll(async () => {
  await server.close();
  if (saved.key === undefined) delete process.env.OPENAI_API_KEY;
  else process.env.OPENAI_API_KEY = saved.key;
  if (saved.url === undefined) delete process.env.OPENAI_BASE_URL;
  else process.env.OPENAI_BASE_URL = saved.url;
});

const run = (name: string) => {
  const example = examples.get(name);
  if (!example) throw new Error(`README has no example "${name}"`);
  return runReadmeExample(packageDir, example);
};
const lastToolResult = (request: ScriptedOpenAIRequest) =>
  request.messages.findLast((message) => message.role === "tool")?.content;

describe("README examples run as written", () => {
  it("has the eight examples", () => {
    expect([...examples.keys()]).toEqual([
      "quickstart",
      "model-layer",
      "reconcile",
      "settle-by-person",
      "subgraph",
      "agent-executor",
      "approval",
      "reapproval",
      "streaming",
    ]);
  });

  it("quickstart: two tool steps in parallel, 2 LLM calls", async () => {
    script = {
      plan: [
        toolStep("coffee", "get_price", { item: "coffee" }),
        toolStep("croissant", "get_price", { item: "croissant" }),
      ],
      answer: "Together they cost 5.50 euros.",
    };
    const before = server.requests.length;
    const output = await run("quickstart");
    expect(output.split("\n")).toEqual([
      "Together they cost 5.50 euros.",
      'coffee: done {"item":"coffee","price":3.5}',
      'croissant: done {"item":"croissant","price":2}',
    ]);
    expect(server.requests.length - before).toBe(2);
  });

  it("model-layer: runPlan with the building blocks, every call reported with its role", async () => {
    script = {
      plan: [
        toolStep("coffee", "get_price", { item: "coffee" }),
        toolStep("croissant", "get_price", { item: "croissant" }),
      ],
      answer: "Together they cost 5.50 euros.",
    };
    const before = server.requests.length;
    expect((await run("model-layer")).split("\n")).toEqual([
      "planner call: answered",
      "completed 1",
      "Together they cost 5.50 euros.",
    ]);
    const requests = server.requests.slice(before);
    expect(requests.map((request) => request.headers["x-replan-role"])).toEqual(["planner", "answer"]);
  });

  it("reconcile: a write step cut short is settled by its hook on resume, and pays once", async () => {
    script = { plan: [toolStep("pay", "pay", { amount: 42 })], answer: "unused" };
    expect(await run("reconcile")).toBe('write reconciled {"charged":42} 1');
  });

  it("settle-by-person: a hook that fails puts the step to a person, with the hook's own error", async () => {
    script = { plan: [toolStep("pay", "pay", { amount: 42 })], answer: "unused" };
    expect((await run("settle-by-person")).split("\n")).toEqual([
      "pay reconcile-failed the provider's lookup API answered 502",
      'settled-by-person {"charged":42}',
    ]);
  });

  it("subgraph: the answer lands in the parent's messages", async () => {
    script = {
      plan: [{ id: "venue", description: "Pick a venue", dependsOn: [], tool: null, args: null }],
      answer: "Offsite planned.",
    };
    expect(await run("subgraph")).toBe("Offsite planned.");
  });

  it("agent-executor: createAgent carries out the agent step with its tool", async () => {
    script = {
      plan: [{ id: "compare", description: "Compare the docs", dependsOn: [], tool: null, args: null }],
      answer: "Both document setup and tuning.",
      step: (request) =>
        lastToolResult(request) === undefined
          ? { toolCalls: [{ name: "search", args: { query: "checkpointers" } }] }
          : `found: ${String(lastToolResult(request))}`,
    };
    expect(await run("agent-executor")).toBe("Both document setup and tuning.");
    const agentCalls = server.requests.filter((request) => JSON.stringify(request.body).includes('"search"'));
    expect(agentCalls.length).toBeGreaterThanOrEqual(2);
  });

  it("approval: the plan is shown, then rejected", async () => {
    script = {
      plan: [{ id: "purge", description: "Delete every object", dependsOn: [], tool: null, args: null }],
      answer: "unused",
    };
    expect((await run("approval")).split("\n")).toEqual([
      'proposed: ["Delete every object"]',
      '{"status":"cancelled","reason":"plan rejected: not today"}',
    ]);
  });

  it("reapproval: the plan's forecast, then a replan that adds a write step, approved", async () => {
    script = {
      plan: [toolStep("pay", "charge", { provider: "primary" })],
      replan: [toolStep("pay-backup", "charge", { provider: "backup" })],
      answer: "Invoice 42 charged via backup.",
    };
    const before = server.requests.length;
    expect((await run("reapproval")).split("\n")).toEqual([
      "plan pay: 2 model calls in all, writes pay",
      "replan adds pay-backup: 3 model calls in all, writes pay-backup",
      "completed",
    ]);
    expect(server.requests.length - before).toBe(3);
  });

  it("streaming: progress events as the steps run", async () => {
    script = {
      plan: [
        { id: "outline", description: "Outline", dependsOn: [], tool: null, args: null },
        { id: "write", description: "Write", dependsOn: ["outline"], tool: null, args: null },
      ],
      answer: "Release note drafted.",
    };
    expect((await run("streaming")).split("\n")).toEqual(["▶ outline", "✔ outline", "▶ write", "✔ write"]);
  });
});
