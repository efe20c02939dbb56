// Streaming plan execution against a real ChatOpenAI and the scripted OpenAI-compatible server,
// which streams its answers in chunks with a delay between them: steps start while the plan is
// still being written (function calling, JSON schema, the compact format), and the planner's
// stream may carry prose, garbage, be cut, or be aborted.
import { tool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import { ChatOpenAI } from "@langchain/openai";
import type { RunEvent } from "@replan/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { PlanFormat, StructuredOutputMethod } from "./defaults.js";
import { createPlanExecuteAgent, type PlanExecuteOptions } from "./graph.js";
import type {
  ScriptedOpenAIReply,
  ScriptedOpenAIServer,
  ScriptedOpenAIServerOptions,
} from "./openai-script.js";
import { startScriptedOpenAIServer } from "./openai-server.js";

const servers: ScriptedOpenAIServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: ScriptedOpenAIServerOptions): Promise<ScriptedOpenAIServer> {
  const server = await startScriptedOpenAIServer(options);
  servers.push(server);
  return server;
}

const chatModel = (server: ScriptedOpenAIServer) =>
  new ChatOpenAI({ model: "gpt-4.1-mini", apiKey: "k", configuration: { baseURL: server.url } });

/** A tool that takes `ms` (or until its signal aborts), recording each call's start and end. */
function fetchTool(ms = 5) {
  const calls: Array<{ id: string; startedAt: number; endedAt?: number; aborted?: boolean }> = [];
  const fetchRecord = tool(
    async ({ id }, runtime) => {
      const call: (typeof calls)[number] = { id, startedAt: Date.now() };
      calls.push(call);
      const signal = (runtime as { signal?: AbortSignal } | undefined)?.signal;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          call.aborted = true;
          resolve();
        });
      });
      call.endedAt = Date.now();
      return `record ${id}`;
    },
    { name: "fetch_record", description: "Fetches a record", schema: z.object({ id: z.string() }) },
  );
  return { fetchRecord, calls };
}

/** The JSON plan (the adapter's model shape) of `n` independent fetches. */
const jsonPlan = (ids: string[]) => ({
  steps: ids.map((id) => ({
    id,
    description: `fetch ${id}`,
    dependsOn: [],
    tool: "fetch_record",
    args: JSON.stringify({ id }),
  })),
});

/** The same plan in the compact format. */
const compactPlan = (ids: string[]) => ids.map((id) => `${id} = fetch_record {"id":"${id}"}`).join("\n");

/** Runs an agent to its end, collecting its progress events. */
async function runWithEvents(options: PlanExecuteOptions, signal?: AbortSignal) {
  const agent = createPlanExecuteAgent({ ...options, checkpointer: new MemorySaver() });
  const events: RunEvent[] = [];
  const streamMode: Array<"custom" | "values"> = ["custom", "values"];
  const config = { configurable: { thread_id: crypto.randomUUID() }, streamMode };
  let state: Record<string, unknown> = {};
  for await (const [mode, chunk] of await agent.stream(
    { goal: "Fetch the records" },
    { ...config, signal },
  )) {
    if (mode === "custom") events.push(chunk as RunEvent);
    else state = chunk as Record<string, unknown>;
  }
  return { events, state };
}

/** When the planner's (first) model call ended, from the events. */
const plannerEnd = (events: RunEvent[]) =>
  events.find((event) => event.type === "model-call-end" && event.role === "planner")?.at ?? Number.NaN;

describe.each<[StructuredOutputMethod, PlanFormat]>([
  ["functionCalling", "json"],
  ["jsonSchema", "json"],
  ["jsonMode", "json"],
  ["functionCalling", "compact"],
])("a streamed plan (%s, %s)", (method, format) => {
  it("starts its first step before the planner's stream ends, and runs every step once", async () => {
    const ids = ["a", "b", "c", "d"];
    const reply: ScriptedOpenAIReply =
      format === "compact" ? compactPlan(ids) : { structured: jsonPlan(ids) };
    const server = await start({ responses: { planner: [reply], answer: ["done"] }, chunkDelayMs: 15 });
    const { fetchRecord, calls } = fetchTool();
    const { events, state } = await runWithEvents({
      model: chatModel(server),
      tools: [fetchRecord],
      structuredOutputMethod: method,
      planFormat: format,
    });

    expect((state.outcome as { status?: string } | null)?.status).toBe("completed");
    expect(calls.map((call) => call.id).sort()).toEqual(ids);
    expect(calls[0]!.startedAt).toBeLessThan(plannerEnd(events));
    const planSteps = events.filter((event) => event.type === "plan-step");
    expect(planSteps.map((event) => (event as { step: { id: string } }).step.id)).toEqual(ids);
    expect(server.requests.map((request) => request.headers["x-replan-role"])).toEqual(["planner", "answer"]);
    expect((server.requests[0]!.body as { stream?: boolean }).stream).toBe(true);
  });
});

describe("a streamed plan in the lean compact form the default prompt asks for", () => {
  it("runs numbered steps as their lines end, references to earlier results resolved, prose skipped", async () => {
    const text = [
      "Plan:",
      "1. First, fetch record a.",
      '1. fetch_record(id="a")',
      "2. fetch_record(id=$1) # by reference: step 1's whole result",
      '3. fetch_record(id="c")',
    ].join("\n");
    const server = await start({ responses: { planner: [text], answer: ["done"] }, chunkDelayMs: 15 });
    const { fetchRecord, calls } = fetchTool();
    const { events, state } = await runWithEvents({
      model: chatModel(server),
      tools: [fetchRecord],
      planFormat: "compact",
    });

    expect((state.outcome as { status?: string } | null)?.status).toBe("completed");
    expect(calls.map((call) => call.id).sort()).toEqual(["a", "c", "record a"]);
    expect(calls[0]!.startedAt).toBeLessThan(plannerEnd(events));
    const planSteps = events.filter((event) => event.type === "plan-step");
    expect(planSteps.map((event) => (event as { step: { id: string } }).step.id)).toEqual(["1", "2", "3"]);
    const system = JSON.stringify((server.requests[0]!.body as { messages: unknown[] }).messages[0]);
    expect(system).toContain("1. tool(name=value, ...)");
  });
});

describe("a streamed plan that goes wrong", () => {
  it("skips prose between the steps of a compact plan", async () => {
    const text = `Here is my plan.\n${compactPlan(["a"])}\nNow the second one:\n${compactPlan(["b"])}\nThat is all.`;
    const server = await start({ responses: { planner: [text], answer: ["done"] }, chunkDelayMs: 5 });
    const { fetchRecord, calls } = fetchTool();
    const { state } = await runWithEvents({
      model: chatModel(server),
      tools: [fetchRecord],
      planFormat: "compact",
    });

    expect((state.outcome as { status?: string } | null)?.status).toBe("completed");
    expect(calls.map((call) => call.id)).toEqual(["a", "b"]);
  });

  it("keeps the steps that started before a garbage line, and repairs only the rest", async () => {
    const broken = `${compactPlan(["a"])}\nb = fetch_record {"id": "b"\n${compactPlan(["c"])}`;
    const repaired = compactPlan(["a", "b", "c"]);
    const server = await start({
      responses: { planner: [broken, repaired], answer: ["done"] },
      chunkDelayMs: 5,
    });
    const { fetchRecord, calls } = fetchTool();
    const { events, state } = await runWithEvents({
      model: chatModel(server),
      tools: [fetchRecord],
      planFormat: "compact",
    });

    expect((state.outcome as { status?: string } | null)?.status).toBe("completed");
    // a and c started from the first stream; the repair added b; nothing ran twice
    expect(calls.map((call) => call.id).sort()).toEqual(["a", "b", "c"]);
    const errors = events.filter((event) => event.type === "plan-error");
    expect(errors).toHaveLength(1);
    const repair = JSON.stringify((server.requests[1]!.body as { messages: unknown }).messages);
    expect(repair).toContain("invalid");
  });

  it("repairs a JSON plan whose stream turns to garbage, without running a started step twice", async () => {
    const server = await start({
      responses: (request) => {
        if (request.role === "answer") return "done";
        if (request.index === 0) {
          const { steps } = jsonPlan(["a", "b"]);
          return { content: `{"steps":[${JSON.stringify(steps[0])}, {"id": "b", "descr#@!!garbage` };
        }
        return { structured: jsonPlan(["a", "b"]) };
      },
      chunkDelayMs: 5,
    });
    const { fetchRecord, calls } = fetchTool();
    const { state } = await runWithEvents({
      model: chatModel(server),
      tools: [fetchRecord],
      structuredOutputMethod: "jsonMode",
    });

    expect((state.outcome as { status?: string } | null)?.status).toBe("completed");
    expect(calls.map((call) => call.id)).toEqual(["a", "b"]);
    expect(server.requests.map((request) => request.headers["x-replan-role"])).toEqual([
      "planner",
      "planner",
      "answer",
    ]);
  });

  it("retries a stream cut mid-step, and takes each step once", async () => {
    const reply = { structured: jsonPlan(["a", "b", "c"]) };
    const server = await start({
      responses: { planner: [reply], answer: ["done"] },
      chunkDelayMs: 5,
      cutStreams: [{ request: 0, afterChunks: 14 }],
    });
    const { fetchRecord, calls } = fetchTool();
    const { state } = await runWithEvents({
      model: chatModel(server),
      tools: [fetchRecord],
      modelRetry: { initialDelayMs: 0 },
    });

    expect((state.outcome as { status?: string } | null)?.status).toBe("completed");
    expect(calls.map((call) => call.id).sort()).toEqual(["a", "b", "c"]);
    expect(server.requests.map((request) => request.headers["x-replan-role"])).toEqual([
      "planner",
      "planner",
      "answer",
    ]);
  });

  it("stops on an abort mid-stream: the caller's reason, and no step left running", async () => {
    const ids = ["a", "b", "c", "d", "e", "f"];
    const server = await start({
      responses: { planner: [compactPlan(ids)], answer: ["done"] },
      chunkDelayMs: 20,
    });
    const { fetchRecord, calls } = fetchTool(10_000);
    const controller = new AbortController();
    const reason = new Error("stop now");
    const run = runWithEvents(
      { model: chatModel(server), tools: [fetchRecord], planFormat: "compact" },
      controller.signal,
    );
    for (let tries = 0; calls.length === 0 && tries < 500; tries++)
      await new Promise((r) => setTimeout(r, 5));
    controller.abort(reason);

    await expect(run).rejects.toBe(reason);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.length).toBeLessThan(ids.length);
    expect(calls.every((call) => call.endedAt !== undefined && call.aborted)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });
});
