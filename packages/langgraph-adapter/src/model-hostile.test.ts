// The model layer against hostile OpenAI-compatible servers: a real ChatOpenAI with its default
// options, pointed at small node:http servers that answer badly on the wire. Every case must end
// within a bound, with a typed error or a repaired answer, usage.llmCalls equal to the requests
// the server saw, and model-call-start/end events that pair up.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { type RunEvent, type RunResult, runPlan } from "@replan/core";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { recordUnhandledRejections } from "../../../scripts/fuzz-settings.js";
import { toToolFunctions } from "./executors.js";
import type { StructuredOutputMethod } from "./defaults.js";
import { modelExecutor, modelPlanner } from "./model-layer.js";

const unhandled = recordUnhandledRejections();

interface Hostile {
  url: string;
  /** Chat-completion requests received. */
  count: () => number;
  bodies: unknown[];
  close: () => Promise<void>;
}
type Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  index: number,
  body: Record<string, unknown>,
) => void;

const opened: Hostile[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((server) => server.close()));
  expect(unhandled).toEqual([]);
});

async function hostile(handler: Handler): Promise<Hostile> {
  const bodies: unknown[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {}
      bodies.push(body);
      handler(request, response, bodies.length - 1, body);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const made: Hostile = {
    url: `http://127.0.0.1:${port}/v1`,
    count: () => bodies.length,
    bodies,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
        setTimeout(resolve, 1000).unref();
      }),
  };
  opened.push(made);
  return made;
}

const add = tool(async ({ a, b }) => a + b, {
  name: "add",
  description: "Adds two numbers",
  schema: z.object({ a: z.number(), b: z.number() }),
});
const STEP = { id: "sum", description: "Add 2 and 3", dependsOn: [], tool: "add", args: '{"a":2,"b":3}' };
const PLAN = { steps: [STEP] };

function completion(message: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    id: "chatcmpl-x",
    object: "chat.completion",
    created: 1,
    model: "m",
    choices: [{ index: 0, message: { role: "assistant", ...message }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    ...extra,
  };
}
function json(response: ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(text);
}
const toolCall = (name: string, args: unknown, id = "call_1") => ({
  id,
  type: "function",
  function: { name, arguments: args },
});
/** The plan in the shape the request asked for: a call of the forced tool, or JSON text. */
function plan(response: ServerResponse, body: Record<string, unknown>, value: unknown = PLAN) {
  if (body.stream) return sse(response, [JSON.stringify(value)], true);
  if (body.tools && !body.response_format)
    return json(
      response,
      completion({ content: null, tool_calls: [toolCall("plan", JSON.stringify(value))] }),
    );
  return json(response, completion({ content: JSON.stringify(value) }));
}
function chunk(delta: Record<string, unknown>, finish: string | null = null) {
  return `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}
function sse(response: ServerResponse, pieces: string[], done: boolean, extra = "") {
  response.writeHead(200, { "content-type": "text/event-stream" });
  response.write(chunk({ role: "assistant", content: "" }));
  for (const piece of pieces) response.write(chunk({ content: piece }));
  response.write(chunk({}, "stop"));
  response.write(extra);
  response.end(done ? "data: [DONE]\n\n" : "");
}

interface Outcome {
  result: RunResult;
  events: RunEvent[];
  elapsed: number;
}

/** runPlan with the layer's planner and executor on a default ChatOpenAI; checks the invariants. */
async function run(
  server: Hostile,
  options: {
    method?: StructuredOutputMethod;
    timeoutMs?: number;
    maxLlmCalls?: number;
    signal?: AbortSignal;
    bound?: number;
  } = {},
): Promise<Outcome> {
  const model = new ChatOpenAI({
    model: "gpt-4.1-mini",
    apiKey: "k",
    configuration: { baseURL: server.url },
  });
  const layer = {
    tools: [add],
    retry: { initialDelayMs: 10 },
    timeoutMs: options.timeoutMs ?? 3_000,
    ...(options.method ? { structuredOutputMethod: options.method } : {}),
  };
  const events: RunEvent[] = [];
  const started = Date.now();
  const result = await runPlan({
    goal: "Add 2 and 3",
    planner: modelPlanner(model, layer),
    executor: modelExecutor(model, layer),
    tools: toToolFunctions([add]),
    budget: {
      maxReplans: 0,
      ...(options.maxLlmCalls === undefined ? {} : { maxLlmCalls: options.maxLlmCalls }),
    },
    onEvent: (event) => events.push(event),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const elapsed = Date.now() - started;
  expect(elapsed).toBeLessThan(options.bound ?? 15_000);
  expect(result.usage.llmCalls).toBe(server.count());
  const starts = events.filter((event) => event.type === "model-call-start").length;
  const ends = events.filter((event) => event.type === "model-call-end").length;
  expect(ends).toBe(starts);
  expect(starts).toBe(server.count());
  for (const key of ["promptTokens", "completionTokens"] as const) {
    expect(Number.isFinite(result.usage[key])).toBe(true);
    expect(result.usage[key]).toBeGreaterThanOrEqual(0);
  }
  return { result, events, elapsed };
}

const planError = (outcome: Outcome) =>
  (outcome.result.outcome as { error?: { code: string; message: string } }).error;

describe("hostile 200 answers", () => {
  it.each<[string, Handler, number, string | null]>([
    ["a non-JSON body", (_q, r) => json(r, "<html>oops</html>"), 1, "model-call-failed"],
    [
      "JSON without choices",
      (_q, r) => json(r, { id: "x", object: "chat.completion" }),
      1,
      "model-call-failed",
    ],
    ["choices: []", (_q, r) => json(r, { ...completion({}), choices: [] }), 1, "model-call-failed"],
    ["content null, no tool calls", (_q, r) => json(r, completion({ content: null })), 2, "invalid-plan"],
    [
      "finish_reason length with truncated JSON",
      (_q, r) =>
        json(r, {
          ...completion({}),
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: JSON.stringify(PLAN).slice(0, 30) },
              finish_reason: "length",
            },
          ],
        }),
      2,
      "invalid-plan",
    ],
    [
      "tool-call arguments that are not JSON",
      (_q, r) => json(r, completion({ content: null, tool_calls: [toolCall("plan", "{steps: [oops")] })),
      2,
      "invalid-plan",
    ],
    [
      "tool-call arguments as an object",
      (_q, r) => json(r, completion({ content: null, tool_calls: [toolCall("plan", PLAN)] })),
      1,
      null,
    ],
    [
      "tool-call arguments as a huge string",
      (_q, r) =>
        json(r, completion({ content: null, tool_calls: [toolCall("plan", `"${"x".repeat(5_000_000)}"`)] })),
      2,
      "invalid-plan",
    ],
    [
      "several tool calls (one is the plan)",
      (_q, r) =>
        json(
          r,
          completion({
            content: null,
            tool_calls: [toolCall("other", "{}", "a"), toolCall("plan", JSON.stringify(PLAN), "b")],
          }),
        ),
      1,
      null,
    ],
    [
      "two plan tool calls",
      (_q, r) =>
        json(
          r,
          completion({
            content: null,
            tool_calls: [toolCall("plan", JSON.stringify(PLAN), "a"), toolCall("plan", '{"steps":[]}', "b")],
          }),
        ),
      1,
      null,
    ],
    [
      "a call of an unknown function with the plan",
      (_q, r) =>
        json(r, completion({ content: null, tool_calls: [toolCall("make_plan", JSON.stringify(PLAN))] })),
      1,
      null,
    ],
    [
      "content and a tool call",
      (_q, r) =>
        json(r, completion({ content: "Here you go", tool_calls: [toolCall("plan", JSON.stringify(PLAN))] })),
      1,
      null,
    ],
    [
      "unicode and NUL bytes in content",
      (_q, r) =>
        json(
          r,
          completion({
            content: `\u0000\u{1F600} ${JSON.stringify({ steps: [{ ...STEP, description: "a\u0000b \u{1F680} \uD800" }] })}`,
          }),
        ),
      1,
      null,
    ],
    [
      "no usage in the response",
      (_q, r) => {
        const reply = completion({ content: null, tool_calls: [toolCall("plan", JSON.stringify(PLAN))] });
        delete (reply as { usage?: unknown }).usage;
        json(r, reply);
      },
      1,
      null,
    ],
    [
      "negative and string usage numbers",
      (_q, r) =>
        json(
          r,
          completion(
            { content: null, tool_calls: [toolCall("plan", JSON.stringify(PLAN))] },
            { usage: { prompt_tokens: -5, completion_tokens: "7", total_tokens: null } },
          ),
        ),
      1,
      null,
    ],
  ])("%s", async (name, handler, requests, code) => {
    const server = await hostile(handler);
    const outcome = await run(server);
    if (code === "model-call-failed")
      expect(planError(outcome)?.message).toContain("not a valid chat completion");
    void name;
    expect(server.count()).toBe(requests);
    if (code === null) {
      expect(outcome.result.outcome.status).toBe("completed");
      expect(outcome.result.results).toEqual({ sum: 5 });
    } else {
      expect(outcome.result.outcome.status).toBe("failed");
      expect(planError(outcome)?.code).toBe(code);
    }
  });
});

/** Answers the planner with `first` at request 0, then the plan; the executor is not needed (a tool step). */
const firstThenPlan =
  (first: Handler): Handler =>
  (q, r, i, body) =>
    i === 0 ? first(q, r, i, body) : plan(r, body);

describe("hostile transports", () => {
  it.each<[string, Handler, StructuredOutputMethod, number, string | null, number?]>([
    [
      "400: not retried",
      (_q, r) => json(r, { error: { message: "bad" } }, 400),
      "functionCalling",
      1,
      "model-call-failed",
    ],
    [
      "401: not retried",
      (_q, r) => json(r, { error: { message: "Incorrect API key" } }, 401),
      "functionCalling",
      1,
      "model-call-failed",
    ],
    [
      "404 model not found",
      (_q, r) => json(r, { error: { message: "model not found", code: "model_not_found" } }, 404),
      "functionCalling",
      1,
      "model-call-failed",
    ],
    [
      "429 retry-after 0, then the plan",
      firstThenPlan((_q, r) => json(r, { error: { message: "slow" } }, 429, { "retry-after": "0" })),
      "functionCalling",
      2,
      null,
    ],
    [
      "429 with a date retry-after, then the plan",
      firstThenPlan((_q, r) =>
        json(r, { error: { message: "slow" } }, 429, {
          "retry-after": new Date(Date.now() + 1000).toUTCString(),
        }),
      ),
      "functionCalling",
      2,
      null,
    ],
    [
      "429 with a huge retry-after",
      (_q, r) => json(r, { error: { message: "slow" } }, 429, { "retry-after": "99999999999" }),
      "functionCalling",
      1,
      "model-call-failed",
    ],
    [
      "503 forever",
      (_q, r) => json(r, { error: { message: "down" } }, 503),
      "functionCalling",
      3,
      "model-call-failed",
    ],
    [
      "a socket closed mid-response, then the plan",
      firstThenPlan((_q, r) => {
        r.writeHead(200, { "content-type": "application/json", "content-length": "500" });
        r.write('{"id":"x","choices":[');
        setTimeout(() => r.socket?.destroy(), 20);
      }),
      "functionCalling",
      2,
      null,
    ],
    [
      "a socket closed before any answer",
      (_q, r) => r.socket?.destroy(),
      "functionCalling",
      3,
      "model-call-failed",
    ],
    ["SSE without [DONE]", (_q, r) => sse(r, [JSON.stringify(PLAN)], false), "jsonSchema", 1, null],
    [
      "SSE with garbage lines",
      (_q, r) => sse(r, [JSON.stringify(PLAN)], true, "data: {not json\n\ngarbage\n\n: comment\n\n"),
      "jsonSchema",
      1,
      "model-call-failed",
    ],
    [
      "SSE that stalls mid-stream forever",
      (_q, r) => {
        r.writeHead(200, { "content-type": "text/event-stream" });
        r.write(chunk({ role: "assistant", content: "" }));
        r.write(chunk({ content: '{"steps":' }));
      },
      "jsonSchema",
      1,
      "model-timeout",
    ],
    [
      "SSE that sends the first byte then nothing",
      (_q, r) => {
        r.writeHead(200, { "content-type": "text/event-stream" });
        r.write("d");
      },
      "jsonSchema",
      1,
      "model-timeout",
    ],
    [
      "JSON at 1 byte per second",
      (_q, r) => {
        r.writeHead(200, { "content-type": "application/json" });
        const text = JSON.stringify(completion({ content: JSON.stringify(PLAN) }));
        let at = 0;
        const timer = setInterval(() => {
          if (r.destroyed || at >= text.length) return clearInterval(timer);
          r.write(text[at++]!);
        }, 1000);
        r.on("close", () => clearInterval(timer));
      },
      "functionCalling",
      1,
      "model-timeout",
    ],
    ["jsonMode: a plan in the text", (_q, r, _i, body) => plan(r, body), "jsonMode", 1, null],
    // A server that ignores `stream: true`: the client reads no event, so the call asks again
    // unstreamed (two requests, both counted) and reads the plan from the JSON body.
    [
      "jsonSchema: a non-streamed JSON body",
      (_q, r) => json(r, completion({ content: JSON.stringify(PLAN) })),
      "jsonSchema",
      2,
      null,
    ],
  ])("%s (%s)", async (_name, handler, method, requests, code, bound) => {
    const server = await hostile(handler);
    const outcome = await run(server, { method, timeoutMs: 2_000, bound: bound ?? 15_000 });
    expect(server.count()).toBe(requests);
    if (code === null) {
      expect(outcome.result.outcome.status).toBe("completed");
      expect(outcome.result.results).toEqual({ sum: 5 });
    } else {
      expect(outcome.result.outcome.status).toBe("failed");
      expect(planError(outcome)?.code).toBe(code);
    }
  });
});

describe("hostile plans, agent steps, aborts and budgets", () => {
  it.each<[string, unknown]>([
    ["10,000 steps", { steps: Array.from({ length: 10_000 }, (_, i) => ({ ...STEP, id: `s${i}` })) }],
    ["colliding step ids", { steps: [STEP, STEP] }],
    ["__proto__ as a step id", { steps: [{ ...STEP, id: "__proto__" }] }],
    [
      "constructor as a step id, depended on",
      {
        steps: [
          { ...STEP, id: "constructor" },
          { ...STEP, id: "b", dependsOn: ["constructor"] },
        ],
      },
    ],
  ])("%s: a typed answer within the bound", async (name, value) => {
    const server = await hostile((_q, r, _i, body) => plan(r, body, value));
    const outcome = await run(server);
    const ok = outcome.result.outcome.status === "completed";
    if (name.startsWith("10,000") || name.startsWith("colliding")) {
      expect(outcome.result.outcome.status).toBe("failed");
      expect(planError(outcome)?.code).toBe("invalid-plan");
      expect(server.count()).toBe(2); // one repair
      // the repair request quotes an excerpt, not 10,000 steps
      expect(JSON.stringify(server.bodies[1]).length).toBeLessThan(50_000);
    } else {
      expect(ok).toBe(true);
      const id = name.startsWith("__proto__") ? "__proto__" : "constructor";
      expect(Object.hasOwn(outcome.result.results, id)).toBe(true);
      expect(outcome.result.results[id]).toBe(5);
      expect(({} as Record<string, unknown>).description).toBeUndefined(); // no prototype pollution
    }
  });

  it("an agent step whose tool call has arguments as an object: the tool runs", async () => {
    const agentPlan = {
      steps: [{ id: "sum", description: "Add 2 and 3", dependsOn: [], tool: null, args: null }],
    };
    const server = await hostile((_q, r, i, body) => {
      if (i === 0) return plan(r, body, agentPlan);
      if (i === 1)
        return json(r, completion({ content: null, tool_calls: [toolCall("add", { a: 2, b: 3 })] }));
      const last = (body.messages as Array<{ role: string; content: string }>).at(-1);
      json(r, completion({ content: `the tool said ${last?.role}:${last?.content}` }));
    });
    const outcome = await run(server);
    expect(outcome.result.outcome.status).toBe("completed");
    expect(outcome.result.results).toEqual({ sum: "the tool said tool:5" });
    expect(server.count()).toBe(3);
  });

  it("an agent step answered by unknown tools, several calls, content and calls: bounded by maxToolIterations", async () => {
    const agentPlan = { steps: [{ id: "sum", description: "Add", dependsOn: [], tool: null, args: null }] };
    const server = await hostile((_q, r, i, body) => {
      if (i === 0) return plan(r, body, agentPlan);
      json(
        r,
        completion({
          content: "thinking",
          tool_calls: [
            toolCall("nope", "{}", `a${i}`),
            toolCall("add", "{bad", `b${i}`),
            toolCall("add", '{"a":1,"b":1}', `c${i}`),
          ],
        }),
      );
    });
    const outcome = await run(server);
    expect(outcome.result.outcome.status).toBe("failed");
    expect(server.count()).toBe(1 + 8); // plan + maxToolIterations
  });

  it("an abort mid-call ends the run at once; the hanging request is counted and its events pair up", async () => {
    const server = await hostile(() => {}); // never answers
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("user stop")), 300);
    const outcome = await run(server, { signal: controller.signal, timeoutMs: 60_000, bound: 10_000 });
    expect(outcome.result.outcome.status).not.toBe("completed");
    expect(server.count()).toBe(1);
  });

  it("maxLlmCalls at the boundary with parallel agent steps that hang: never over, events pair", async () => {
    const fan = {
      steps: Array.from({ length: 6 }, (_, i) => ({
        id: `s${i}`,
        description: "x",
        dependsOn: [],
        tool: null,
        args: null,
      })),
    };
    const server = await hostile((_q, r, i, body) => {
      if (i === 0) return plan(r, body, fan);
      if (i % 2 === 0) return; // hangs until the timeout
      json(r, completion({ content: "ok" }));
    });
    const outcome = await run(server, { maxLlmCalls: 4, timeoutMs: 1_000 });
    expect(server.count()).toBe(4);
    expect(outcome.result.outcome).toMatchObject({ status: "budget-exceeded" });
  });
});

describe("OPENAI_BASE_URL", () => {
  it("a ChatOpenAI that finds the server through the environment: the layer's retries and roles still apply", async () => {
    const server = await hostile((_q, r, i, body) =>
      i === 0 ? json(r, { error: { message: "down" } }, 502) : plan(r, body),
    );
    const saved = process.env.OPENAI_BASE_URL;
    process.env.OPENAI_BASE_URL = server.url;
    try {
      const model = new ChatOpenAI({ model: "gpt-4.1-mini", apiKey: "k" });
      const result = await runPlan({
        goal: "g",
        planner: modelPlanner(model, { tools: [add], retry: { initialDelayMs: 10 } }),
        tools: toToolFunctions([add]),
      });
      expect(result.outcome.status).toBe("completed");
      expect(server.count()).toBe(2);
      expect(result.usage.llmCalls).toBe(2);
    } finally {
      if (saved === undefined) delete process.env.OPENAI_BASE_URL;
      else process.env.OPENAI_BASE_URL = saved;
    }
  });
});

describe("the graph on hostile servers (createPlanExecuteAgent, ChatOpenAI defaults)", () => {
  it.each<[string, Handler, StructuredOutputMethod, "error" | "answer"]>([
    ["a non-JSON 200", (_q, r) => json(r, "<html>oops</html>"), "functionCalling", "error"],
    [
      "plan arguments as an object",
      (_q, r, i) =>
        i === 0
          ? json(r, completion({ content: null, tool_calls: [toolCall("plan", PLAN)] }))
          : json(r, completion({ content: "5" })),
      "functionCalling",
      "answer",
    ],
    [
      "a stream that stalls",
      (_q, r) => {
        r.writeHead(200, { "content-type": "text/event-stream" });
        r.write(chunk({ role: "assistant", content: "" }));
      },
      "jsonSchema",
      "error",
    ],
    [
      "a 401",
      (_q, r) => json(r, { error: { message: "Incorrect API key" } }, 401),
      "functionCalling",
      "error",
    ],
  ])("%s (%s): bounded, typed, counted, paired", async (name, handler, method, expected) => {
    const { createPlanExecuteAgent } = await import("./graph.js");
    const { PlanExecuteError } = await import("./errors.js");
    const server = await hostile(handler);
    const agent = createPlanExecuteAgent({
      model: new ChatOpenAI({ model: "gpt-4.1-mini", apiKey: "k", configuration: { baseURL: server.url } }),
      tools: [add],
      structuredOutputMethod: method,
      // Arguments as an object come in a whole completion (a stream's argument deltas are text).
      planStreaming: name !== "plan arguments as an object",
      modelTimeoutMs: 1_000,
      modelRetry: { initialDelayMs: 10 },
    });
    const events: RunEvent[] = [];
    let state: { answer?: string | null; run?: { usage: { llmCalls: number } } | null } | undefined;
    let error: unknown;
    const started = Date.now();
    try {
      for await (const [mode, value] of await agent.stream(
        { goal: "Add 2 and 3" },
        { streamMode: ["custom", "values"] },
      )) {
        if (mode === "custom") events.push(value as RunEvent);
        else state = value as typeof state;
      }
    } catch (caught) {
      error = caught;
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    if (expected === "error") expect(PlanExecuteError.isInstance(error)).toBe(true);
    else {
      expect(error).toBeUndefined();
      expect(state?.answer).toBe("5");
      expect(state?.run?.usage.llmCalls).toBe(server.count());
    }
    const starts = events.filter((event) => event.type === "model-call-start").length;
    expect(events.filter((event) => event.type === "model-call-end")).toHaveLength(starts);
    expect(starts).toBe(server.count());
  });
});

/** A streamed answer of tool-call argument pieces: `[index, name or undefined, piece]`. */
function toolSse(
  response: ServerResponse,
  pieces: Array<[number, string | undefined, string]>,
  finish = "tool_calls",
) {
  response.writeHead(200, { "content-type": "text/event-stream" });
  response.write(chunk({ role: "assistant", content: null }));
  for (const [index, name, piece] of pieces) {
    const call =
      name === undefined
        ? { index, function: { arguments: piece } }
        : { index, id: `call_${index}`, type: "function", function: { name, arguments: piece } };
    response.write(chunk({ tool_calls: [call] }));
  }
  response.write(chunk({}, finish));
  response.end("data: [DONE]\n\n");
}
/** A streamed text answer in pieces, ending with `finish`. */
function textSse(response: ServerResponse, pieces: string[], finish = "stop") {
  response.writeHead(200, { "content-type": "text/event-stream" });
  response.write(chunk({ role: "assistant", content: "" }));
  for (const piece of pieces) response.write(chunk({ content: piece }));
  response.write(chunk({}, finish));
  response.end("data: [DONE]\n\n");
}
const pieces = (text: string, size = 8) =>
  Array.from({ length: Math.ceil(text.length / size) }, (_, at) => text.slice(at * size, at * size + size));
const stepOf = (id: string, a: number, dependsOn: string[] = []) => ({
  id,
  description: `add ${a}`,
  dependsOn,
  tool: "add",
  args: JSON.stringify({ a, b: 0 }),
});

describe("streamed plans on hostile servers (the graph, planStreaming on)", () => {
  async function runGraph(handler: Handler, options: { planFormat?: "json" | "compact" } = {}) {
    const { createPlanExecuteAgent } = await import("./graph.js");
    const roles: string[] = [];
    const server = await hostile((request, response, index, body) => {
      roles.push(String(request.headers["x-replan-role"]));
      handler(request, response, index, body);
    });
    const seen: number[] = [];
    const counting = tool(
      async ({ a, b }) => {
        seen.push(a);
        return a + b;
      },
      { name: "add", description: "Adds two numbers", schema: z.object({ a: z.number(), b: z.number() }) },
    );
    const agent = createPlanExecuteAgent({
      model: new ChatOpenAI({ model: "gpt-4.1-mini", apiKey: "k", configuration: { baseURL: server.url } }),
      tools: [counting],
      structuredOutputMethod: "functionCalling",
      ...(options.planFormat ? { planFormat: options.planFormat } : {}),
      modelTimeoutMs: 2_000,
      modelRetry: { initialDelayMs: 10 },
      budget: { maxReplans: 0 },
    });
    let state: { outcome?: { status: string; error?: { code: string; message: string } } | null } | undefined;
    let error: unknown;
    try {
      state = (await agent.invoke({ goal: "Add" })) as typeof state;
    } catch (caught) {
      error = caught;
    }
    const code = (error as { code?: string } | undefined)?.code ?? state?.outcome?.error?.code;
    return { server, seen, state, code, error, planCalls: roles.filter((role) => role === "planner").length };
  }

  it("reads only the plan tool's call: another call's plan-shaped arguments never run (interleaved or in sequence)", async () => {
    for (const interleaved of [true, false]) {
      const notes = pieces(JSON.stringify({ steps: [stepOf("n1", 111)] })).map(
        (piece, at) => [0, at === 0 ? "notes" : undefined, piece] as [number, string | undefined, string],
      );
      const plan = pieces(JSON.stringify({ steps: [stepOf("p1", 1)] })).map(
        (piece, at) => [1, at === 0 ? "plan" : undefined, piece] as [number, string | undefined, string],
      );
      const mixed = interleaved
        ? notes
            .flatMap((piece, at) => [piece, ...(plan[at] ? [plan[at]!] : [])])
            .concat(plan.slice(notes.length))
        : [...notes, ...plan];
      const { seen, state, server } = await runGraph((_q, r, i) =>
        i === 0 ? toolSse(r, mixed) : textSse(r, ["1"]),
      );
      expect(state?.outcome?.status).toBe("completed");
      expect(seen).toEqual([1]);
      expect(server.count()).toBe(2); // the plan, the answer: no repair
    }
  });

  it("plan arguments cut short (no closing brackets, finish_reason length) are not a whole plan", async () => {
    const text = JSON.stringify({ steps: [stepOf("a", 1), stepOf("b", 2, ["a"])] }).slice(0, -2);
    const { code, planCalls } = await runGraph((_q, r) =>
      toolSse(
        r,
        pieces(text).map((piece, at) => [0, at === 0 ? "plan" : undefined, piece]),
        "length",
      ),
    );
    expect(code).toBe("invalid-plan");
    expect(planCalls).toBe(2); // the plan, and its one repair: both cut
  });

  it("a compact plan cut at a line's end by the output limit (finish_reason length) is refused", async () => {
    const { code, planCalls } = await runGraph(
      (_q, r) => textSse(r, pieces("1. add(a=1, b=0)\n2. add(a=2, b=0)\n"), "length"),
      {
        planFormat: "compact",
      },
    );
    expect(code).toBe("invalid-plan");
    expect(planCalls).toBe(2);
  });

  it("a plan longer than the 200 000 characters read from a stream is refused, not run as a shorter plan", async () => {
    const long = Array.from({ length: 20 }, (_, k) => `${k + 1}. add(a=${k}, b=0) # ${"x".repeat(14_000)}\n`);
    const { code, seen, state, error } = await runGraph((_q, r) => textSse(r, long), {
      planFormat: "compact",
    });
    expect(code).toBe("invalid-plan");
    expect(state?.outcome?.error?.message ?? String(error)).toContain("longer than 200000 characters");
    expect(seen.length).toBeLessThan(20); // the steps taken while it streamed ran, the rest never did
  });
});
