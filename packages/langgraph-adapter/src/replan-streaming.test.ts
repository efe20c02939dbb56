// A streamed replan in the graph (decision 017): with the compact format and a model that streams,
// the in-node replanner hands each entry of its patch to the run as its line ends, so a failed
// step replaced in place starts while the replanner still writes, and its dependents (not
// rewritten) run after it. Against a real ChatOpenAI and the scripted OpenAI-compatible server.
import { tool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import { ChatOpenAI } from "@langchain/openai";
import type { RunEvent } from "@replan/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createPlanExecuteAgent, type PlanExecuteOptions } from "./graph.js";
import type { ScriptedOpenAIServer, ScriptedOpenAIServerOptions } from "./openai-script.js";
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

/** fetch_record: b's primary source answers 503; each call's start and end recorded. */
function fetchTool(mirrorMs = 5) {
  const calls: Array<{ id: string; source: string; startedAt: number; endedAt?: number; aborted?: boolean }> =
    [];
  const fetchRecord = tool(
    async ({ id, source = "primary" }, runtime) => {
      const call: (typeof calls)[number] = { id, source, startedAt: Date.now() };
      calls.push(call);
      const signal = (runtime as { signal?: AbortSignal } | undefined)?.signal;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, source === "mirror" ? mirrorMs : 5);
        signal?.addEventListener("abort", () => {
          clearTimeout(timer);
          call.aborted = true;
          resolve();
        });
      });
      call.endedAt = Date.now();
      if (id === "b" && source === "primary") throw new Error("503 from the primary source");
      return `record ${id} (${source})`;
    },
    {
      name: "fetch_record",
      description: "Fetches a record",
      schema: z.object({ id: z.string(), source: z.string().optional() }),
      metadata: { effect: "read" },
    },
  );
  return { fetchRecord, calls };
}

const PLAN = '1. fetch_record(id="a")\n2[1]. fetch_record(id="b")\n3[2]. fetch_record(id="c")\n';
const MIRROR = '2[1]. fetch_record(id="b", source="mirror")\n';
const REASON =
  "reason: the primary source answers 503, so the record is fetched from the mirror, which holds the same records\n";

async function runWithEvents(options: PlanExecuteOptions, signal?: AbortSignal) {
  const agent = createPlanExecuteAgent({ ...options, checkpointer: new MemorySaver() });
  const events: RunEvent[] = [];
  const streamMode: Array<"custom" | "values"> = ["custom", "values"];
  const config = { configurable: { thread_id: crypto.randomUUID() }, streamMode };
  let state: Record<string, unknown> = {};
  for await (const [mode, chunk] of await agent.stream({ goal: "Fetch a, b and c" }, { ...config, signal })) {
    if (mode === "custom") events.push(chunk as RunEvent);
    else state = chunk as Record<string, unknown>;
  }
  return { events, state };
}

const replannerEnd = (events: RunEvent[], nth = 0) =>
  events.filter((event) => event.type === "model-call-end" && event.role === "replanner")[nth]?.at ??
  Number.NaN;
const statusOf = (state: Record<string, unknown>) => (state.outcome as { status?: string } | null)?.status;

describe("a streamed replan in the graph", () => {
  it("starts the failed step's in-place replacement before the replanner's stream ends; its dependent is not rewritten", async () => {
    const server = await start({
      responses: { planner: [PLAN], replanner: [`${MIRROR}${REASON}`], answer: ["done"] },
      chunkDelayMs: 10,
    });
    const { fetchRecord, calls } = fetchTool();
    const { events, state } = await runWithEvents({
      model: chatModel(server),
      tools: [fetchRecord],
      planFormat: "compact",
    });

    expect(statusOf(state)).toBe("completed");
    expect(calls.map((call) => `${call.id}:${call.source}`)).toEqual([
      "a:primary",
      "b:primary",
      "b:mirror",
      "c:primary",
    ]);
    const mirror = calls[2]!;
    expect(mirror.startedAt).toBeLessThan(replannerEnd(events));
    expect(events.filter((event) => event.type === "replan-step")).toEqual([
      expect.objectContaining({ op: "replace", id: "2" }),
    ]);
    expect(events.find((event) => event.type === "replan-end")).toMatchObject({
      replaced: ["2"],
      added: [],
      reason: expect.stringContaining("mirror"),
    });
    expect((server.requests[1]!.body as { stream?: boolean }).stream).toBe(true);
  });

  it("a replanner answering prose and a broken line mid-stream: the started replacement is kept, the repair converges", async () => {
    const broken = `${MIRROR}Sure! Also:\n3[2]. fetch_record(id="c", oops\n`;
    const server = await start({
      responses: {
        planner: [PLAN],
        replanner: [broken, `${MIRROR}reason: kept the mirror\n`],
        answer: ["done"],
      },
      chunkDelayMs: 5,
    });
    const { fetchRecord, calls } = fetchTool();
    const { events, state } = await runWithEvents({
      model: chatModel(server),
      tools: [fetchRecord],
      planFormat: "compact",
    });

    expect(statusOf(state)).toBe("completed");
    // b's replacement started from the first stream and ran once; c ran once, after it
    expect(calls.map((call) => `${call.id}:${call.source}`)).toEqual([
      "a:primary",
      "b:primary",
      "b:mirror",
      "c:primary",
    ]);
    expect(events.filter((event) => event.type === "replan-error")).toHaveLength(1);
    const repair = JSON.stringify((server.requests[2]!.body as { messages: unknown }).messages);
    expect(repair).toContain("kept, as they started: 2");
  });

  it("a stream cut mid-patch is asked again; an entry already applied is not applied twice", async () => {
    const server = await start({
      responses: { planner: [PLAN], replanner: [`${MIRROR}${REASON}`], answer: ["done"] },
      chunkDelayMs: 5,
      cutStreams: [{ request: 1, afterChunks: 5 }],
    });
    const { fetchRecord, calls } = fetchTool();
    const { state } = await runWithEvents({
      model: chatModel(server),
      tools: [fetchRecord],
      planFormat: "compact",
    });

    expect(statusOf(state)).toBe("completed");
    expect(calls.filter((call) => call.source === "mirror")).toHaveLength(1);
    expect(calls.filter((call) => call.id === "c")).toHaveLength(1);
  });

  it("a replanner answering a JSON patch under compact is read whole (nothing streamed)", async () => {
    const json = JSON.stringify({
      remove: [],
      add: [],
      replace: [
        {
          id: "2",
          description: "fetch b from the mirror",
          dependsOn: ["1"],
          tool: "fetch_record",
          args: { id: "b", source: "mirror" },
        },
      ],
      reason: "mirror",
    });
    const server = await start({
      responses: { planner: [PLAN], replanner: [json], answer: ["done"] },
      chunkDelayMs: 2,
    });
    const { fetchRecord, calls } = fetchTool();
    const { events, state } = await runWithEvents({
      model: chatModel(server),
      tools: [fetchRecord],
      planFormat: "compact",
    });

    expect(statusOf(state)).toBe("completed");
    expect(calls.map((call) => `${call.id}:${call.source}`)).toEqual([
      "a:primary",
      "b:primary",
      "b:mirror",
      "c:primary",
    ]);
    expect(events.some((event) => event.type === "replan-step")).toBe(false);
  });

  it("stops on an abort mid-patch: the caller's reason, the started replacement aborted, no answer asked", async () => {
    const server = await start({
      responses: { planner: [PLAN], replanner: [`${MIRROR}${REASON}`], answer: ["done"] },
      stallStreams: [{ request: 1, afterChunks: 4 }], // the replanner stops after its first line
    });
    const { fetchRecord, calls } = fetchTool(10_000);
    const controller = new AbortController();
    const reason = new Error("stop now");
    const run = runWithEvents(
      { model: chatModel(server), tools: [fetchRecord], planFormat: "compact" },
      controller.signal,
    );
    for (let tries = 0; !calls.some((call) => call.source === "mirror") && tries < 1000; tries++)
      await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(reason);

    await expect(run).rejects.toBe(reason);
    const mirror = calls.find((call) => call.source === "mirror");
    expect(mirror).toMatchObject({ aborted: true });
    expect(calls.some((call) => call.id === "c")).toBe(false);
    expect(server.requests.map((request) => request.headers["x-replan-role"])).toEqual([
      "planner",
      "replanner",
    ]);
  });

  it("a patch line replacing a step that already finished is refused; the entry beside it that started is kept", async () => {
    const hostile = `1. fetch_record(id="zzz")\n${MIRROR}-__proto__\n`;
    const server = await start({
      responses: { planner: [PLAN], replanner: [hostile, `${MIRROR}reason: mirror\n`], answer: ["done"] },
      chunkDelayMs: 3,
    });
    const { fetchRecord, calls } = fetchTool();
    const { events, state } = await runWithEvents({
      model: chatModel(server),
      tools: [fetchRecord],
      planFormat: "compact",
    });

    expect(statusOf(state)).toBe("completed");
    expect(calls.map((call) => `${call.id}:${call.source}`)).toEqual([
      "a:primary",
      "b:primary",
      "b:mirror",
      "c:primary",
    ]);
    const repair = JSON.stringify((server.requests[2]!.body as { messages: unknown }).messages);
    expect(repair).toContain('step \\"1\\" is already done or running');
    expect(repair).toContain("kept, as they started: 2");
    expect(events.filter((event) => event.type === "replan-error")).toHaveLength(1);
  });
});
