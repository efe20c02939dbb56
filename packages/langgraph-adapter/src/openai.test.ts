// A real ChatOpenAI against the scripted OpenAI-compatible server: the wire format end to end.
import { type AIMessage, isAIMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { PlanExecuteError } from "./errors.js";
import { createPlanExecuteAgent } from "./graph.js";
import type { StructuredOutputMethod } from "./defaults.js";
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

function chatModel(server: ScriptedOpenAIServer, apiKey = "test-key", fields: { streaming?: boolean } = {}) {
  return new ChatOpenAI({
    model: "gpt-4.1-mini",
    apiKey,
    configuration: { baseURL: server.url },
    ...fields,
  });
}

const addCalls: Array<{ a: number; b: number }> = [];
const add = tool(
  async ({ a, b }) => {
    addCalls.push({ a, b });
    return String(a + b);
  },
  { name: "add", description: "Adds two numbers", schema: z.object({ a: z.number(), b: z.number() }) },
);

const PLAN = {
  steps: [
    { id: "sum", description: "Add 2 and 3", dependsOn: [], tool: "add", args: '{"a":2,"b":3}' },
    {
      id: "double",
      description: "Double the sum with the add tool",
      dependsOn: ["sum"],
      tool: null,
      args: null,
    },
  ],
};
const FINAL = "2 + 3 is 5, and doubled it is 10.";

/** Planner, agent step (a tool call, then text), final answer. */
const SCRIPT: ScriptedOpenAIReply[] = [
  { structured: PLAN },
  { toolCalls: [{ name: "add", args: { a: 5, b: 5 }, id: "call_double" }] },
  "10",
  FINAL,
];

type Body = {
  messages: Array<{ role: string; content: unknown; tool_call_id?: string; tool_calls?: unknown[] }>;
  tools?: Array<{ function: { name: string } }>;
  tool_choice?: unknown;
  response_format?: { type: string; json_schema?: { name: string } };
  stream?: boolean;
};
const bodyOf = (server: ScriptedOpenAIServer, index: number) => server.requests[index]?.body as Body;
const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

describe.each<StructuredOutputMethod>(["jsonSchema", "functionCalling"])("ChatOpenAI, %s", (method) => {
  it("plans, runs a tool step and an agent step with a tool call, and answers", async () => {
    addCalls.length = 0;
    const server = await start({ apiKey: "test-key", responses: SCRIPT });
    const agent = createPlanExecuteAgent({
      model: chatModel(server),
      tools: [add],
      structuredOutputMethod: method,
    });

    const state = await agent.invoke({ goal: "Add 2 and 3, then double it" });

    expect(state.answer).toBe(FINAL);
    const last = state.messages.at(-1);
    expect(last && isAIMessage(last)).toBe(true);
    expect((last as AIMessage).text).toBe(FINAL);
    expect(state.outcome?.status).toBe("completed");
    expect(state.plan?.steps.map((step) => [step.id, step.status, step.result])).toEqual([
      ["sum", "done", 5],
      ["double", "done", "10"],
    ]);
    expect(state.results).toEqual({ sum: 5, double: "10" });
    expect(addCalls).toEqual([
      { a: 2, b: 3 },
      { a: 5, b: 5 },
    ]);

    // plan + two calls of the agent step's loop + final answer, each with its role on the wire
    expect(server.requests).toHaveLength(4);
    expect(server.requests.map((request) => request.headers["x-replan-role"])).toEqual([
      "planner",
      "executor",
      "executor",
      "answer",
    ]);
    for (const request of server.requests) {
      expect(request.method).toBe("POST");
      expect(request.path).toBe("/v1/chat/completions");
      expect(request.headers.authorization).toBe("Bearer test-key");
    }

    const planner = bodyOf(server, 0);
    if (method === "jsonSchema") {
      expect(planner.response_format?.type).toBe("json_schema");
      expect(planner.response_format?.json_schema?.name).toBe("plan");
      expect(planner.tools).toBeUndefined();
    } else {
      expect(planner.response_format).toBeUndefined();
      expect(planner.tools?.map((entry) => entry.function.name)).toEqual(["plan"]);
      expect(planner.tool_choice).toEqual({ type: "function", function: { name: "plan" } });
    }
    expect(JSON.stringify(planner.messages)).toContain("Add 2 and 3, then double it");

    const stepCall = bodyOf(server, 1);
    expect(stepCall.tools?.map((entry) => entry.function.name)).toEqual(["add"]);
    expect(stepCall.tool_choice).toBeUndefined();
    expect(stepCall.response_format).toBeUndefined();
    expect(JSON.stringify(stepCall.messages)).toContain("Double the sum with the add tool");

    const afterTool = bodyOf(server, 2);
    expect(afterTool.messages.at(-2)?.role).toBe("assistant");
    expect(afterTool.messages.at(-2)?.tool_calls).toHaveLength(1);
    expect(afterTool.messages.at(-1)).toMatchObject({
      role: "tool",
      tool_call_id: "call_double",
      content: "10",
    });

    const answer = bodyOf(server, 3);
    expect(answer.tools).toBeUndefined();
    expect(answer.response_format).toBeUndefined();
    expect(JSON.stringify(answer.messages)).toContain("10");

    // Usage comes back from the wire: one LLM call per request, tokens counted as words.
    const promptWords = server.requests
      .map((request) =>
        words(
          (request.body as Body).messages
            .map((message) => (typeof message.content === "string" ? message.content : ""))
            .join("\n"),
        ),
      )
      .reduce((sum, count) => sum + count, 0);
    expect(state.run?.usage.llmCalls).toBe(4);
    expect(state.run?.usage.promptTokens).toBe(promptWords);
    expect(state.run?.usage.completionTokens).toBeGreaterThan(0);
  });

  it("streams every call when the graph streams messages", async () => {
    const server = await start({ apiKey: "test-key", responses: SCRIPT });
    const agent = createPlanExecuteAgent({
      model: chatModel(server),
      tools: [add],
      structuredOutputMethod: method,
    });

    // The final answer's tokens, by message id: the model's streamed chunks carry the completion's id.
    const finalChunks = new Map<string, string>();
    const finalIds = new Set<string>();
    const nodes = new Set<string>();
    let answer: string | null | undefined;
    let usage: { llmCalls: number; promptTokens: number } | undefined;
    for await (const [mode, chunk] of await agent.stream(
      { goal: "Add 2 and 3, then double it" },
      { streamMode: ["messages", "values"] },
    )) {
      if (mode === "messages") {
        const [message, metadata] = chunk as [AIMessage, { langgraph_node?: string }];
        const id = message.id ?? "";
        nodes.add(metadata.langgraph_node ?? "");
        if (metadata.langgraph_node === "final_answer") finalIds.add(id);
        if (metadata.langgraph_node === "final_answer" && id.startsWith("chatcmpl-"))
          finalChunks.set(id, (finalChunks.get(id) ?? "") + message.text);
      } else {
        const values = chunk as { answer?: string | null; run?: { usage: typeof usage } | null };
        answer = values.answer;
        usage = values.run?.usage;
      }
    }

    expect(answer).toBe(FINAL);
    expect([...finalChunks.values()]).toEqual([FINAL]);
    // the answer is one message (the streamed one), not the stream plus a copy
    expect(finalIds.size).toBe(1);
    // plans are not chat: the planner's structured output stays off the messages stream
    expect(nodes.has("planner")).toBe(false);
    expect(server.requests).toHaveLength(4);
    for (const request of server.requests) {
      expect(request.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    }
    // the role reaches the wire in the streamed path too
    expect(server.requests.map((request) => request.headers["x-replan-role"])).toEqual([
      "planner",
      "executor",
      "executor",
      "answer",
    ]);
    // Usage arrives in the final usage chunk of each stream.
    expect(usage?.llmCalls).toBe(4);
    expect(usage?.promptTokens).toBeGreaterThan(0);
  });
  it("a server that ignores stream: true and answers whole JSON bodies: the call is made again unstreamed", async () => {
    addCalls.length = 0;
    // The planner's reply repeats (a list's last reply does), so its second request gets the plan too.
    const server = await start({
      apiKey: "test-key",
      ignoreStream: true,
      responses: {
        planner: [{ structured: PLAN }],
        executor: [{ toolCalls: [{ name: "add", args: { a: 5, b: 5 }, id: "call_double" }] }, "10"],
        answer: [FINAL],
      },
    });
    const agent = createPlanExecuteAgent({
      model: chatModel(server),
      tools: [add],
      structuredOutputMethod: method,
    });

    const state = await agent.invoke({ goal: "Add 2 and 3, then double it" });

    expect(state.outcome?.status).toBe("completed");
    expect(state.answer).toBe(FINAL);
    expect(state.results).toEqual({ sum: 5, double: "10" });
    expect(addCalls).toEqual([
      { a: 2, b: 3 },
      { a: 5, b: 5 },
    ]);
    // each streamed request answered with a whole body is followed by the same request unstreamed
    const asked = server.requests.map((request) => [
      request.headers["x-replan-role"],
      (request.body as Body).stream === true,
    ]);
    expect(asked.slice(0, 2)).toEqual([
      ["planner", true],
      ["planner", false],
    ]);
    for (const [index, [role, streamed]] of asked.entries()) {
      if (streamed) expect(asked[index + 1]).toEqual([role, false]);
    }
  });
});

describe("ChatOpenAI errors", () => {
  it("an HTTP 500 on every planner request: the layer's retries only (not the client's), then planner-failed", async () => {
    const server = await start({
      apiKey: "test-key",
      responses: [{ error: { status: 500, message: "upstream exploded" } }],
    });
    // ChatOpenAI with its defaults (maxRetries 6): the model layer turns the client's retries off.
    const model = new ChatOpenAI({
      model: "gpt-4.1-mini",
      apiKey: "test-key",
      configuration: { baseURL: server.url },
    });
    const agent = createPlanExecuteAgent({ model, modelRetry: { initialDelayMs: 20 } });

    const error = await agent.invoke({ goal: "Anything" }).then(
      () => undefined,
      (reason: unknown) => reason,
    );

    expect(PlanExecuteError.isInstance(error)).toBe(true);
    expect((error as PlanExecuteError).code).toBe("planner-failed");
    expect((error as PlanExecuteError).message).toContain("upstream exploded");
    const cause = (error as PlanExecuteError).cause as PlanExecuteError & { status?: number };
    expect(cause.code).toBe("model-call-failed");
    expect(cause.status).toBe(500);
    // 1 request + 2 transport retries; a failed call is not asked again as a "repair".
    expect(server.requests).toHaveLength(3);
    expect(JSON.stringify(server.requests.at(-1)?.body)).not.toContain("previous answer was invalid");
  });

  it("a wrong API key gives a 401, thrown from invoke", async () => {
    const server = await start({ apiKey: "test-key", responses: SCRIPT });
    const agent = createPlanExecuteAgent({
      model: chatModel(server, "wrong-key"),
      structuredOutputMethod: "functionCalling",
    });

    const error = await agent.invoke({ goal: "Anything" }).then(
      () => undefined,
      (reason: unknown) => reason,
    );

    expect(PlanExecuteError.isInstance(error)).toBe(true);
    expect((error as PlanExecuteError).code).toBe("planner-failed");
    expect(
      (((error as PlanExecuteError).cause as PlanExecuteError).cause as { status?: number }).status,
    ).toBe(401);
    // A rejected key cannot succeed on a second try: one request only.
    expect(server.requests).toHaveLength(1);
    expect(server.requests.every((request) => request.headers.authorization === "Bearer wrong-key")).toBe(
      true,
    );
  });
});

/** A chat completion or an error, as read off the wire. */
interface WireCompletion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: Array<{
    index: number;
    finish_reason: string | null;
    message: {
      role: string;
      content: string | null;
      tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
    };
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  error?: { message: string; type: string; param: null; code: string | null };
}
async function read(response: Response | Promise<Response>): Promise<WireCompletion> {
  return (await (await response).json()) as WireCompletion;
}

/** The `data:` payloads of a server-sent-events body, `[DONE]` included. */
function events(text: string): string[] {
  return text
    .split("\n\n")
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => {
      expect(block.startsWith("data: ")).toBe(true);
      return block.slice("data: ".length);
    });
}

describe("startScriptedOpenAIServer over raw HTTP", () => {
  it("answers in OpenAI's JSON and event-stream shapes, and records every request", async () => {
    const seen: Array<{ index: number; mode: unknown; text: string; stream: boolean }> = [];
    const server = await start({
      apiKey: "k",
      models: ["gpt-4.1-mini", "scripted-2"],
      responses: (request) => {
        seen.push({
          index: request.index,
          mode: request.structuredOutput,
          text: request.text,
          stream: request.stream,
        });
        const route = request.text.split(" ")[0];
        if (route === "text") return "hello there world";
        if (route === "calls") return { toolCalls: [{ name: "add", args: { a: 1, b: 2 }, id: "call_1" }] };
        if (route === "structured") return { structured: { answer: 42 } };
        return { error: { status: 429, message: "slow down" } };
      },
    });
    const post = (body: object, key = "k") =>
      fetch(`${server.url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: "gpt-4.1-mini", ...body }),
      });
    const user = (text: string) => [{ role: "user", content: text }];
    const addTool = { type: "function", function: { name: "add", parameters: { type: "object" } } };
    const otherTool = { type: "function", function: { name: "other", parameters: { type: "object" } } };

    // Non-streaming text.
    const text = await post({ messages: user("text please") });
    expect(text.status).toBe(200);
    expect(text.headers.get("content-type")).toContain("application/json");
    const textBody = await read(text);
    expect(textBody).toMatchObject({
      object: "chat.completion",
      model: "gpt-4.1-mini",
      choices: [
        { index: 0, message: { role: "assistant", content: "hello there world" }, finish_reason: "stop" },
      ],
      usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
    });
    expect(textBody.id).toMatch(/^chatcmpl-/);
    expect(typeof textBody.created).toBe("number");
    expect(textBody.choices[0]?.message.tool_calls).toBeUndefined();

    // Non-streaming tool calls.
    const calls = await read(post({ messages: user("calls"), tools: [addTool] }));
    expect(calls.choices[0]).toMatchObject({
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "add", arguments: '{"a":1,"b":2}' } },
        ],
      },
      finish_reason: "tool_calls",
    });

    // Structured output follows the request: json_schema → JSON text; json_object → JSON text;
    // tools → a call of the tool that tool_choice forces (else the first one).
    const schema = await read(
      post({
        messages: user("structured"),
        response_format: { type: "json_schema", json_schema: { name: "out", schema: {} } },
      }),
    );
    expect(schema.choices[0]?.message.content).toBe('{"answer":42}');
    expect(schema.choices[0]?.finish_reason).toBe("stop");
    const jsonMode = await read(
      post({ messages: user("structured"), response_format: { type: "json_object" } }),
    );
    expect(JSON.parse(jsonMode.choices[0]?.message.content ?? "")).toEqual({ answer: 42 });
    const forced = await read(
      post({
        messages: user("structured"),
        tools: [addTool, otherTool],
        tool_choice: { type: "function", function: { name: "other" } },
      }),
    );
    expect(forced.choices[0]?.message.tool_calls?.[0]?.function).toEqual({
      name: "other",
      arguments: '{"answer":42}',
    });
    const first = await read(post({ messages: user("structured"), tools: [addTool, otherTool] }));
    expect(first.choices[0]?.message.tool_calls?.[0]?.function.name).toBe("add");

    // A scripted error: its status, OpenAI's error body.
    const limited = await post({ messages: user("other") });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      error: { message: "slow down", type: "rate_limit_exceeded", param: null, code: null },
    });

    // Streaming text, with a final usage chunk.
    const stream = await post({
      messages: user("text please"),
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toContain("text/event-stream");
    const textEvents = events(await stream.text());
    expect(textEvents.at(-1)).toBe("[DONE]");
    const textChunks = textEvents.slice(0, -1).map((data) => JSON.parse(data));
    expect(textChunks.every((chunk) => chunk.object === "chat.completion.chunk")).toBe(true);
    expect(textChunks[0].choices[0].delta.role).toBe("assistant");
    expect(textChunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe(
      "hello there world",
    );
    expect(textChunks.at(-2).choices[0].finish_reason).toBe("stop");
    expect(textChunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 },
    });

    // Streaming tool calls: id and name first, then argument pieces; no usage chunk unless asked.
    const toolStream = events(
      await (await post({ messages: user("calls"), tools: [addTool], stream: true })).text(),
    );
    const toolChunks = toolStream.slice(0, -1).map((data) => JSON.parse(data));
    const deltas = toolChunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, id: "call_1", type: "function", function: { name: "add" } });
    expect(
      deltas.map((delta: { function: { arguments: string } }) => delta.function.arguments).join(""),
    ).toBe('{"a":1,"b":2}');
    expect(toolChunks.at(-1).choices[0].finish_reason).toBe("tool_calls");
    expect(toolChunks.every((chunk) => !("usage" in chunk))).toBe(true);

    // Models, unknown routes, a wrong key.
    const list = await read(fetch(`${server.url}/models`, { headers: { authorization: "Bearer k" } }));
    expect(list).toMatchObject({ object: "list", data: [{ id: "gpt-4.1-mini" }, { id: "scripted-2" }] });
    const unknown = await fetch(`${server.url}/embeddings`, {
      method: "POST",
      headers: { authorization: "Bearer k" },
    });
    expect(unknown.status).toBe(404);
    expect((await read(unknown)).error).toMatchObject({
      type: "invalid_request_error",
      code: "unknown_url",
    });
    const denied = await post({ messages: user("text") }, "nope");
    expect(denied.status).toBe(401);
    expect((await read(denied)).error?.code).toBe("invalid_api_key");

    // What the reply function saw, and what was recorded.
    expect(seen.map((entry) => entry.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(seen.map((entry) => entry.mode)).toEqual([
      null,
      null,
      "jsonSchema",
      "jsonMode",
      "functionCalling",
      null,
      null,
      null,
      null,
    ]);
    expect(seen[7]).toMatchObject({ text: "text please", stream: true });
    expect(server.requests).toHaveLength(12);
    expect(server.requests.map((request) => `${request.method} ${request.path}`).slice(-3)).toEqual([
      "GET /v1/models",
      "POST /v1/embeddings",
      "POST /v1/chat/completions",
    ]);
    expect(server.requests[0]).toMatchObject({
      headers: { authorization: "Bearer k" },
      body: { model: "gpt-4.1-mini", messages: user("text please") },
    });
  });

  it("waits latencyMs, repeats the last scripted reply, and closes with open connections", async () => {
    const server = await start({ responses: ["one", "two"], latencyMs: 50 });
    const ask = async () => {
      const response = await fetch(`${server.url}/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
      });
      return (await read(response)).choices[0]?.message.content;
    };
    const started = Date.now();
    expect([await ask(), await ask(), await ask()]).toEqual(["one", "two", "two"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    // A request still waiting when the server closes: close() does not hang on it.
    const pending = fetch(`${server.url}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ messages: [] }),
    }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const closing = Date.now();
    await server.close();
    expect(Date.now() - closing).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
    await server.close();
  });
});
