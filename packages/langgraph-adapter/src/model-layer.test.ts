// The model layer against the scripted OpenAI-compatible server, through a real ChatOpenAI with its
// default options (maxRetries 6, no timeout): bad answers, transport errors, hangs and budgets.
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import { type RunEvent, runPlan } from "@replan/core";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { fuzzReplay, fuzzRuns, recordUnhandledRejections } from "../../../scripts/fuzz-settings.js";
import { PlanExecuteError } from "./errors.js";
import { toToolFunctions } from "./executors.js";
import { createPlanExecuteAgent } from "./graph.js";
import type { StructuredOutputMethod } from "./defaults.js";
import { modelAnswer, modelExecutor, modelPlanner, modelReplanner } from "./model-layer.js";
import type {
  ScriptedOpenAIReply,
  ScriptedOpenAIServer,
  ScriptedOpenAIServerOptions,
} from "./openai-script.js";
import { startScriptedOpenAIServer } from "./openai-server.js";

const unhandled = recordUnhandledRejections();
const servers: ScriptedOpenAIServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: ScriptedOpenAIServerOptions): Promise<ScriptedOpenAIServer> {
  const server = await startScriptedOpenAIServer(options);
  servers.push(server);
  return server;
}

/** ChatOpenAI exactly as a new user writes it: default options (maxRetries 6, no timeout). */
const openai = (server: ScriptedOpenAIServer) =>
  new ChatOpenAI({ model: "gpt-4.1-mini", apiKey: "k", configuration: { baseURL: server.url } });

const add = tool(async ({ a, b }) => a + b, {
  name: "add",
  description: "Adds two numbers",
  schema: z.object({ a: z.number(), b: z.number() }),
});

const STEP = { id: "sum", description: "Add 2 and 3", dependsOn: [], tool: "add", args: '{"a":2,"b":3}' };
const PLAN_JSON = JSON.stringify({ steps: [STEP] });
const roles = (server: ScriptedOpenAIServer) =>
  server.requests.map((request) => request.headers["x-replan-role"]);
const bodyText = (server: ScriptedOpenAIServer, index: number) =>
  JSON.stringify(server.requests[index]?.body);

/** Runs the graph on one planner script; the answer call answers "done". */
async function runGraph(
  planner: ScriptedOpenAIReply[],
  options: Partial<ScriptedOpenAIServerOptions> = {},
  graph = {},
) {
  const server = await start({ responses: { planner, answer: ["done"] }, ...options });
  const events: RunEvent[] = [];
  const agent = createPlanExecuteAgent({ model: openai(server), tools: [add], ...graph });
  const started = Date.now();
  let state: Awaited<ReturnType<typeof agent.invoke>> | undefined;
  let error: unknown;
  try {
    for await (const [mode, chunk] of await agent.stream(
      { goal: "Add 2 and 3" },
      { streamMode: ["custom", "values"] },
    )) {
      if (mode === "custom") events.push(chunk as RunEvent);
      else state = chunk as typeof state;
    }
  } catch (caught) {
    error = caught;
  }
  return { server, state, error, events, elapsed: Date.now() - started };
}

describe("answers that need parsing (ChatOpenAI defaults, scripted server)", () => {
  it("prose instead of JSON: one repair request with the error, then the plan", async () => {
    const { server, state, elapsed } = await runGraph([
      "Sure! First I would add the numbers, then tell you the sum.",
      { structured: { steps: [STEP] } },
    ]);
    expect(state?.outcome?.status).toBe("completed");
    expect(state?.results).toEqual({ sum: 5 });
    expect(roles(server)).toEqual(["planner", "planner", "answer"]);
    expect(bodyText(server, 1)).toContain(
      "Your previous answer was invalid: the answer holds no JSON object",
    );
    expect(state?.run?.usage.llmCalls).toBe(3);
    expect(elapsed).toBeLessThan(10_000); // was 112 s with the client's own retries
  });

  it("prose twice: invalid-plan with the raw answer, after exactly 2 requests", async () => {
    const { server, error, elapsed } = await runGraph(["I would rather chat than plan."]);
    expect(PlanExecuteError.isInstance(error)).toBe(true);
    expect((error as PlanExecuteError).code).toBe("invalid-plan");
    expect((error as PlanExecuteError).rawOutput).toBe("I would rather chat than plan.");
    expect(server.requests).toHaveLength(2);
    expect(elapsed).toBeLessThan(10_000);
  });

  it.each<[string, string]>([
    ["fenced JSON", `Here is the plan:\n\`\`\`json\n${PLAN_JSON}\n\`\`\`\nGood luck!`],
    ["JSON with trailing prose", `${PLAN_JSON}\n\nI hope this helps. Tell me if {anything} is unclear.`],
    ["JSON after prose", `The plan: ${PLAN_JSON}`],
    ["a bare array of steps", JSON.stringify([STEP])],
    ["args as an object", JSON.stringify({ steps: [{ ...STEP, args: { a: 2, b: 3 } }] })],
    ["steps as a JSON string", JSON.stringify({ steps: JSON.stringify([STEP]) })],
    [
      "missing nullable fields",
      JSON.stringify({ steps: [{ id: "sum", description: "Add", tool: "add", args: { a: 2, b: 3 } }] }),
    ],
  ])("%s: parsed in one request", async (_name, text) => {
    const { server, state } = await runGraph([text]);
    expect(state?.outcome?.status).toBe("completed");
    expect(state?.results).toEqual({ sum: 5 });
    expect(roles(server)).toEqual(["planner", "answer"]);
  });

  it("a tool call whose arguments hold args as an object and no dependsOn: parsed", async () => {
    const { server, state } = await runGraph([
      {
        toolCalls: [
          {
            name: "plan",
            args: { steps: [{ id: "sum", description: "Add", tool: "add", args: { a: 2, b: 3 } }] },
          },
        ],
      },
    ]);
    expect(state?.results).toEqual({ sum: 5 });
    expect(server.requests).toHaveLength(2);
  });

  it("a missing required field (description): one repair naming it", async () => {
    const { server, state } = await runGraph([
      JSON.stringify({ steps: [{ id: "sum", tool: "add", args: "{}" }] }),
      { structured: { steps: [STEP] } },
    ]);
    expect(state?.outcome?.status).toBe("completed");
    expect(bodyText(server, 1)).toContain("steps.0.description");
  });

  it("an empty answer, then truncated JSON: repaired once, then invalid-plan", async () => {
    const empty = await runGraph(["", { structured: { steps: [STEP] } }]);
    expect(empty.state?.outcome?.status).toBe("completed");
    expect(bodyText(empty.server, 1)).toContain("the answer was empty");

    const truncated = await runGraph([PLAN_JSON.slice(0, 40)]);
    expect((truncated.error as PlanExecuteError).code).toBe("invalid-plan");
    expect((truncated.error as PlanExecuteError).message).toContain("incomplete");
    expect(truncated.server.requests).toHaveLength(2);
  });

  it("a huge answer (5 MB of prose around the plan) ends quickly", async () => {
    const huge = `${"blah {not json} ".repeat(300_000)}`;
    // The parse's bounds, on a whole (non-streamed) answer; a streamed one is cut at MAX_PLAN_CHARS
    // (plan-streaming.test.ts).
    const { server, error, elapsed } = await runGraph([huge], {}, { planStreaming: false });
    expect((error as PlanExecuteError).code).toBe("invalid-plan");
    expect(server.requests).toHaveLength(2);
    expect(elapsed).toBeLessThan(15_000);
    // the repair request quotes an excerpt, not the whole answer
    expect(JSON.stringify(server.requests[1]?.body).length).toBeLessThan(20_000);
  });
});

describe("transport errors and hangs (ChatOpenAI defaults, scripted server)", () => {
  it("an HTTP 500 then success: one retry, published as an event", async () => {
    const { server, state, events, elapsed } = await runGraph([
      { error: { status: 500, message: "overloaded" } },
      { structured: { steps: [STEP] } },
    ]);
    expect(state?.outcome?.status).toBe("completed");
    expect(roles(server)).toEqual(["planner", "planner", "answer"]);
    // the retry is the same request, not a repair
    expect(bodyText(server, 1)).not.toContain("previous answer was invalid");
    const retry = events.find((event) => event.type === "model-call-retry");
    expect(retry).toMatchObject({ role: "planner", delayMs: 1000, error: { code: "model-call-failed" } });
    expect(state?.run?.usage.llmCalls).toBe(3); // the failed request counts
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(10_000);
  });

  it("a 429 with retry-after: waits what the server asks, then succeeds", async () => {
    const { server, state, events, elapsed } = await runGraph([
      { error: { status: 429, message: "slow down" }, headers: { "retry-after": "1" } },
      { structured: { steps: [STEP] } },
    ]);
    expect(state?.outcome?.status).toBe("completed");
    expect(server.requests).toHaveLength(3);
    expect(events.find((event) => event.type === "model-call-retry")).toMatchObject({ delayMs: 1000 });
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(10_000);
  });

  it("a 429 asking for a longer wait than maxDelayMs: no retry", async () => {
    const { server, error, elapsed } = await runGraph([
      { error: { status: 429, message: "come back later" }, headers: { "retry-after": "3600" } },
    ]);
    expect((error as PlanExecuteError).code).toBe("planner-failed");
    expect(server.requests).toHaveLength(1);
    expect(elapsed).toBeLessThan(5_000);
  });

  it("a 500 on every request: 3 requests (1 + 2 retries), then planner-failed", async () => {
    const { server, error, elapsed } = await runGraph(
      [{ error: { status: 503, message: "down" } }],
      {},
      { modelRetry: { initialDelayMs: 50 } },
    );
    expect((error as PlanExecuteError).code).toBe("planner-failed");
    expect(server.requests).toHaveLength(3);
    expect(elapsed).toBeLessThan(10_000);
  });

  it.each<[string, Partial<ScriptedOpenAIServerOptions>, StructuredOutputMethod]>([
    ["never answers", { hang: [0] }, "functionCalling"],
    ["hangs after the headers", { hangAfterHeaders: [0] }, "functionCalling"],
    ["hangs after the headers of a streamed answer", { hangAfterHeaders: [0] }, "jsonSchema"],
  ])(
    "a server that %s (%s): bounded by the per-call timeout, events show the wait",
    async (_name, hang, method) => {
      const { server, error, events, elapsed } = await runGraph([{ structured: { steps: [STEP] } }], hang, {
        modelTimeoutMs: 500,
        structuredOutputMethod: method,
      });
      expect((error as PlanExecuteError).code).toBe("planner-failed");
      expect(((error as PlanExecuteError).cause as PlanExecuteError).code).toBe("model-timeout");
      expect(server.requests).toHaveLength(1); // a timeout is not retried
      expect(events.map((event) => event.type)).toContain("model-call-start");
      expect(events.find((event) => event.type === "model-call-end")).toMatchObject({
        role: "planner",
        error: { code: "model-timeout" },
      });
      expect(elapsed).toBeGreaterThanOrEqual(450);
      expect(elapsed).toBeLessThan(8_000);
    },
  );

  it.each<[StructuredOutputMethod, object]>([
    ["jsonSchema", { stream: true, response_format: { type: "json_schema" } }],
    ["jsonMode", { response_format: { type: "json_object" } }],
  ])(
    "%s: a prose answer is parsed here and repaired once (no in-call parse, no client retry)",
    async (method, wire) => {
      const { server, state, elapsed } = await runGraph(
        ["Let me think about it first.", { structured: { steps: [STEP] } }],
        {},
        { structuredOutputMethod: method },
      );
      expect(state?.outcome?.status).toBe("completed");
      expect(roles(server)).toEqual(["planner", "planner", "answer"]);
      expect(server.requests[0]?.body).toMatchObject(wire);
      expect(elapsed).toBeLessThan(10_000);
    },
  );

  it("an agent step whose model answers nothing, twice: the step fails invalid-answer after 2 requests", async () => {
    const server = await start({
      responses: { planner: [{ structured: chain(1) }], executor: [""], answer: ["done"] },
    });
    const state = await createPlanExecuteAgent({ model: openai(server), budget: { maxReplans: 0 } }).invoke({
      goal: "g",
    });
    expect(state.plan?.steps[0]).toMatchObject({ status: "failed", error: { code: "invalid-answer" } });
    expect(roles(server)).toEqual(["planner", "executor", "executor", "answer"]);
    expect(state.run?.usage.llmCalls).toBe(4);
  });

  it("a final answer that fails: the run keeps its results and answers with the summary", async () => {
    const server = await start({
      responses: {
        planner: [{ structured: { steps: [STEP] } }],
        answer: [{ error: { status: 502, message: "bad gateway" } }],
      },
    });
    const agent = createPlanExecuteAgent({
      model: openai(server),
      tools: [add],
      modelRetry: { initialDelayMs: 10 },
    });
    const state = await agent.invoke({ goal: "g" });
    expect(state.outcome?.status).toBe("completed");
    expect(state.results).toEqual({ sum: 5 });
    expect(state.answer).toContain("could not be written");
    expect(server.requests).toHaveLength(4); // plan + 3 answer requests
    expect(state.run?.usage.llmCalls).toBe(4);
  });

  it("an abort mid-call ends the call at once, with the caller's reason", async () => {
    const server = await start({ responses: [{ structured: { steps: [STEP] } }], hang: [0] });
    const controller = new AbortController();
    const planner = modelPlanner(openai(server), { tools: [add] });
    setTimeout(() => controller.abort(new Error("user stop")), 200);
    const started = Date.now();
    const result = await Promise.resolve(
      planner({ goal: "g", attempt: 1, feedback: null, signal: controller.signal }),
    ).catch((error: unknown) => error);
    expect((result as Error).message).toBe("user stop");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.requests).toHaveLength(1);
  });
});

/** A chain of `n` agent steps: needs 1 (plan) + n (steps) + 1 (answer) calls. */
const chain = (n: number) => ({
  steps: Array.from({ length: n }, (_, index) => ({
    id: `s${index}`,
    description: `step ${index}`,
    dependsOn: index > 0 ? [`s${index - 1}`] : [],
    tool: null,
    args: null,
  })),
});

describe("exact LLM-call budgets", () => {
  it.each([0, 1, 2, 3])(
    "maxLlmCalls %i: the server receives exactly that many requests (graph)",
    async (maxLlmCalls) => {
      const server = await start({
        responses: { planner: [{ structured: chain(5) }], executor: ["ok"], answer: ["done"] },
      });
      const agent = createPlanExecuteAgent({ model: openai(server), budget: { maxLlmCalls } });
      const state = await agent.invoke({ goal: "g" });
      expect(server.requests).toHaveLength(maxLlmCalls);
      expect(state.run?.usage.llmCalls).toBe(maxLlmCalls);
      expect(state.outcome).toMatchObject({ status: "budget-exceeded", budget: "llmCalls" });
    },
  );

  it.each([0, 1, 2, 3])(
    "maxLlmCalls %i: the server receives exactly that many requests (runPlan)",
    async (maxLlmCalls) => {
      const server = await start({ responses: { planner: [{ structured: chain(5) }], executor: ["ok"] } });
      const model = openai(server);
      const result = await runPlan({
        goal: "g",
        planner: modelPlanner(model),
        executor: modelExecutor(model),
        budget: { maxLlmCalls, concurrency: 3 },
      });
      expect(server.requests).toHaveLength(maxLlmCalls);
      expect(result.usage.llmCalls).toBe(maxLlmCalls);
      expect(result.outcome).toMatchObject({ status: "budget-exceeded", budget: "llmCalls" });
    },
  );

  it("parallel agent steps never go over the budget", async () => {
    const fan = { steps: chain(8).steps.map((step) => ({ ...step, dependsOn: [] })) };
    const server = await start({
      responses: { planner: [{ structured: fan }], executor: ["ok"] },
      latencyMs: 20,
    });
    const model = openai(server);
    const result = await runPlan({
      goal: "g",
      planner: modelPlanner(model),
      executor: modelExecutor(model),
      budget: { maxLlmCalls: 4, concurrency: 8 },
    });
    expect(server.requests).toHaveLength(4);
    expect(result.usage.llmCalls).toBe(4);
    expect(result.outcome).toMatchObject({ status: "budget-exceeded", budget: "llmCalls" });
    // the three calls in flight finished; the steps whose calls were refused failed, none was cut short
    const statuses = result.plan!.steps.map((step) => step.status);
    expect(statuses.filter((status) => status === "done")).toHaveLength(3);
    expect(statuses.filter((status) => status === "cancelled")).toHaveLength(0);
  });
});

describe("fuzz: requests the server received == usage.llmCalls", () => {
  const replyArbitrary: fc.Arbitrary<ScriptedOpenAIReply> = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 4 }).map((n) => ({ structured: chain(n) })) },
    fc.constantFrom<ScriptedOpenAIReply>(
      "prose, no plan",
      "",
      `\`\`\`json\n${JSON.stringify(chain(2))}\n\`\`\``,
      `${JSON.stringify(chain(1)).slice(0, 30)}`,
      { error: { status: 500, message: "boom" } },
      { error: { status: 429, message: "slow" }, headers: { "retry-after": "0" } },
      { error: { status: 400, message: "bad request" } },
      "ok",
    ),
  );
  const caseArbitrary = fc.record({
    replies: fc.array(replyArbitrary, { minLength: 1, maxLength: 12 }),
    maxLlmCalls: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined }),
    maxReplans: fc.integer({ min: 0, max: 2 }),
    hang: fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 1 }),
  });
  const runs = Math.max(15, Math.floor(fuzzRuns / 40));

  it(`holds for every scripted answer sequence (${runs} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async ({ replies, maxLlmCalls, maxReplans, hang }) => {
        const server = await startScriptedOpenAIServer({ responses: replies, hang });
        try {
          const model = openai(server);
          // A request that times out counts as a call: the timeout must leave the server time to
          // read it (under load), so only the hanging requests reach it.
          const options = { retry: { initialDelayMs: 1 }, timeoutMs: 1_000 };
          const result = await runPlan({
            goal: "g",
            planner: modelPlanner(model, options),
            replanner: modelReplanner(model, options),
            executor: modelExecutor(model, options),
            tools: toToolFunctions([add]),
            budget: { maxReplans, ...(maxLlmCalls === undefined ? {} : { maxLlmCalls }) },
          });
          const chatRequests = server.requests.filter((request) => request.path === "/v1/chat/completions");
          expect(chatRequests.length).toBe(result.usage.llmCalls);
          if (maxLlmCalls !== undefined)
            expect(result.usage.llmCalls).toBeLessThanOrEqual(Math.max(maxLlmCalls, 0));
          // and the answer, when the budget allows it, counts too
          const writer = modelAnswer(model, options);
          if (maxLlmCalls === undefined) {
            const before = chatRequests.length;
            const answer = await writer({ goal: "g", plan: result.plan, outcome: result.outcome }).catch(
              () => undefined,
            );
            if (answer) expect(server.requests.length - before).toBe(answer.usage.llmCalls);
          }
        } finally {
          await server.close();
        }
      }),
      { numRuns: runs, ...fuzzReplay },
    );
    expect(unhandled).toEqual([]);
  }, 120_000);
});

describe("a model that ignores its abort signal", () => {
  it("is still bounded by the per-call timeout", async () => {
    const { ScriptedChatModel } = await import("./testing.js");
    const stuck = new ScriptedChatModel({ responses: () => new Promise<never>(() => {}) });
    const planner = modelPlanner(stuck, { timeoutMs: 200 });
    const started = Date.now();
    const error = await Promise.resolve(
      planner({ goal: "g", attempt: 1, feedback: null, signal: new AbortController().signal }),
    ).catch((caught: unknown) => caught);
    expect((error as PlanExecuteError).code).toBe("model-timeout");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("rejects bad options with their names", () => {
    const server = { url: "http://127.0.0.1:9/v1" } as ScriptedOpenAIServer;
    expect(() => modelPlanner(openai(server), { timeoutMs: 0 })).toThrow(/Option "timeoutMs"/);
    expect(() => modelExecutor(openai(server), { retry: { maxRetries: -1 } })).toThrow(/retry.maxRetries/);
    expect(() => modelPlanner({} as never)).toThrow(/chat model/);
  });
});
