import { InMemoryStore, MemorySaver } from "@langchain/langgraph";
import { ReplanError } from "@replan/core";
import { describe, expect, it } from "vitest";
import { PlanExecuteError } from "./errors.js";
import { createPlanExecuteAgent, createPlanExecuteGraph } from "./graph.js";
import { addTool, planReply, scriptedModel, thrownBy, toolStep } from "./test-helpers.js";

const { model } = scriptedModel({ planner: [planReply([toolStep("a", "add", { a: 1, b: 2 })])] });
const invoke = async () => "result";
const named = (name: unknown) => ({ name, description: "a tool", invoke });

/** [option path named in the message, the options given besides `model`] */
type Bad = [string, Record<string, unknown>];

/** Bad options of both entry points. */
const badOptions: Bad[] = [
  ["model", { model: undefined }],
  ["model", { model: null }],
  ["model", { model: 5 }],
  ["model", { model: "gpt-4.1-mini" }],
  ["model", { model: {} }],
  ["model", { model: { invoke } }],
  ["replannerModel", { replannerModel: null }],
  ["replannerModel", { replannerModel: "gpt-4.1" }],
  ["replannerModel", { replannerModel: {} }],
  ["tools", { tools: "echo" }],
  ["tools", { tools: null }],
  ["tools", { tools: {} }],
  ["tools[0]", { tools: [null] }],
  ["tools[0]", { tools: [{}] }],
  ["tools[0]", { tools: [5] }],
  ["tools[0]", { tools: ["echo"] }],
  ["tools[0]", { tools: [{ name: "echo" }] }],
  ["tools[0].name", { tools: [named("")] }],
  ["tools[0].name", { tools: [named("__proto__")] }],
  ["tools[0].name", { tools: [named("has space")] }],
  ["tools[0].name", { tools: [named(5)] }],
  ["tools[0].name", { tools: [named("a".repeat(65))] }],
  ["tools[1].name", { tools: [addTool, addTool] }],
  ["executor", { executor: 5 }],
  ["executor", { executor: "model" }],
  ["executor", { executor: {} }],
  ["executor", { executor: null }],
  ["structuredOutputMethod", { structuredOutputMethod: "xml" }],
  ["structuredOutputMethod", { structuredOutputMethod: 5 }],
  ["structuredOutputMethod", { structuredOutputMethod: null }],
  ["structuredOutputMethod", { structuredOutputMethod: "" }],
  ["structuredOutputMethod", { structuredOutputMethod: "FunctionCalling" }],
  ["modelTimeoutMs", { modelTimeoutMs: 0 }],
  ["modelTimeoutMs", { modelTimeoutMs: -1 }],
  ["modelTimeoutMs", { modelTimeoutMs: Number.NaN }],
  ["modelTimeoutMs", { modelTimeoutMs: "100" }],
  ["modelTimeoutMs", { modelTimeoutMs: null }],
  ["modelTimeoutMs", { modelTimeoutMs: 0.5 }],
  ["modelRetry", { modelRetry: 5 }],
  ["modelRetry", { modelRetry: null }],
  ["modelRetry", { modelRetry: "twice" }],
  ["modelRetry.maxRetries", { modelRetry: { maxRetries: -1 } }],
  ["modelRetry.maxRetries", { modelRetry: { maxRetries: 1.5 } }],
  ["modelRetry.maxRetries", { modelRetry: { maxRetries: 101 } }],
  ["modelRetry.maxRetries", { modelRetry: { maxRetries: Number.NaN } }],
  ["modelRetry.initialDelayMs", { modelRetry: { initialDelayMs: -1 } }],
  ["modelRetry.maxDelayMs", { modelRetry: { maxDelayMs: Number.NaN } }],
  ["modelRetry.retries", { modelRetry: { retries: 2 } }],
  ["budget", { budget: null }],
  ["budget", { budget: "lots" }],
  ["budget", { budget: 5 }],
  ["budget", { budget: [] }],
  ["budget.maxSteps", { budget: { maxSteps: 0 } }],
  ["budget.maxSteps", { budget: { maxSteps: "lots" } }],
  ["budget.concurrency", { budget: { concurrency: 0 } }],
  ["budget.concurrency", { budget: { concurrency: 1.5 } }],
  ["budget.maxReplans", { budget: { maxReplans: -1 } }],
  ["budget.maxAttempts", { budget: { maxAttempts: 0 } }],
  ["budget.maxPlanAttempts", { budget: { maxPlanAttempts: 0 } }],
  ["budget.maxLlmCalls", { budget: { maxLlmCalls: -1 } }],
  ["budget.maxTokens", { budget: { maxTokens: Number.NaN } }],
  ["budget.maxWallTimeMs", { budget: { maxWallTimeMs: "1h" } }],
  ["budget.retryBackoffMs", { budget: { retryBackoffMs: -5 } }],
  ["budget.requireApproval", { budget: { requireApproval: true } }],
  ["budget.hasReplanner", { budget: { hasReplanner: false } }],
  ["budget.maxStep", { budget: { maxStep: 5 } }],
  ["stepTimeoutMs", { stepTimeoutMs: 0 }],
  ["stepTimeoutMs", { stepTimeoutMs: -1 }],
  ["stepTimeoutMs", { stepTimeoutMs: Number.NaN }],
  ["stepTimeoutMs", { stepTimeoutMs: "1000" }],
  ["stepTimeoutMs", { stepTimeoutMs: Number.POSITIVE_INFINITY }],
  ["stepTimeoutMs", { stepTimeoutMs: null }],
  ["requireApproval", { requireApproval: "no" }],
  ["requireApproval", { requireApproval: 1 }],
  ["requireApproval", { requireApproval: null }],
  ["checker", { checker: "yes" }],
  ["checker", { checker: {} }],
  ["checker", { checker: true }],
  ["prompts", { prompts: 5 }],
  ["prompts", { prompts: "Plan well" }],
  ["prompts", { prompts: null }],
  ["prompts.planner", { prompts: { planner: 5 } }],
  ["prompts.replanner", { prompts: { replanner: null } }],
  ["prompts.executor", { prompts: { executor: {} } }],
  ["prompts.answer", { prompts: { answer: 1 } }],
  ["prompts.plannr", { prompts: { plannr: "Plan" } }],
  ["finalAnswer", { finalAnswer: "yes" }],
  ["finalAnswer", { finalAnswer: 0 }],
  ["resultPreviewChars", { resultPreviewChars: 0 }],
  ["resultPreviewChars", { resultPreviewChars: -1 }],
  ["resultPreviewChars", { resultPreviewChars: 1.5 }],
  ["resultPreviewChars", { resultPreviewChars: Number.NaN }],
  ["resultPreviewChars", { resultPreviewChars: "100" }],
  ["maxToolIterations", { maxToolIterations: 0 }],
  ["maxToolIterations", { maxToolIterations: Number.NaN }],
  ["maxToolIterations", { maxToolIterations: -1 }],
  ["maxToolIterations", { maxToolIterations: 2.5 }],
  ["maxToolIterations", { maxToolIterations: "8" }],
  ["maxToolIterations", { maxToolIterations: 1001 }],
  ["now", { now: 5 }],
  ["now", { now: "now" }],
  ["generateId", { generateId: "id" }],
  ["generateId", { generateId: 5 }],
  ["approvePlan", { approvePlan: true }],
  ["timeout", { timeout: 5 }],
];

/** Bad options of createPlanExecuteAgent only (createPlanExecuteGraph refuses them as unknown). */
const badAgentOptions: Bad[] = [
  ["checkpointer", { checkpointer: "postgres" }],
  ["checkpointer", { checkpointer: 5 }],
  ["checkpointer", { checkpointer: {} }],
  ["checkpointer", { checkpointer: null }],
  ["store", { store: "redis" }],
  ["store", { store: {} }],
  ["name", { name: "" }],
  ["name", { name: 5 }],
];

function expectRefused(error: unknown, code: string, path: string) {
  expect(PlanExecuteError.isInstance(error), String(error)).toBe(true);
  expect((error as PlanExecuteError).code).toBe(code);
  expect((error as Error).message).toContain(`"${path}" must`);
}

describe("the options of createPlanExecuteGraph and createPlanExecuteAgent", () => {
  it("has at least 80 bad values in its table", () => {
    expect(badOptions.length + badAgentOptions.length).toBeGreaterThanOrEqual(80);
  });

  it.each(badOptions)("refuses %s in %o (both entry points)", (path, options) => {
    for (const create of [createPlanExecuteGraph, createPlanExecuteAgent]) {
      const error = thrownBy(() => create({ model, ...options } as never));
      expectRefused(error, "invalid-options", path);
      expect((error as Error).message).toContain(`Option "${path}"`);
    }
  });

  it.each(badAgentOptions)("refuses %s in %o (createPlanExecuteAgent)", (path, options) => {
    expectRefused(
      thrownBy(() => createPlanExecuteAgent({ model, ...options } as never)),
      "invalid-options",
      path,
    );
  });

  it("refuses options that are not an object, naming the function", () => {
    for (const options of [null, 5, "model", []]) {
      const error = thrownBy(() => createPlanExecuteAgent(options as never));
      expect(PlanExecuteError.isInstance(error)).toBe(true);
      expect((error as PlanExecuteError).code).toBe("invalid-options");
      expect((error as Error).message).toMatch(/createPlanExecuteAgent/);
    }
  });

  it("says which option was meant when one is misspelled, and never throws core's error", () => {
    const error = thrownBy(() => createPlanExecuteAgent({ model, approvePlan: true } as never));
    expect((error as Error).message).toContain('renamed "requireApproval"');
    const typo = thrownBy(() => createPlanExecuteAgent({ model, requireApproal: true } as never));
    expect((typo as Error).message).toContain('did you mean "requireApproval"?');
    for (const [, options] of badOptions) {
      const thrown = thrownBy(() => createPlanExecuteAgent({ model, ...options } as never));
      expect(ReplanError.isInstance(thrown) && !PlanExecuteError.isInstance(thrown)).toBe(false);
    }
  });

  it("accepts every good value", () => {
    const good: Array<Record<string, unknown>> = [
      {},
      { tools: [] },
      { tools: [addTool] },
      { tools: undefined, budget: undefined },
      { executor: model },
      { executor: async () => "done" },
      { replannerModel: model },
      { structuredOutputMethod: "functionCalling" },
      { structuredOutputMethod: "jsonSchema" },
      { structuredOutputMethod: "jsonMode" },
      { modelTimeoutMs: 1 },
      { modelTimeoutMs: Number.POSITIVE_INFINITY },
      { modelRetry: {} },
      { modelRetry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 } },
      { budget: {} },
      { budget: { maxSteps: 1, concurrency: 1, maxReplans: 0, maxAttempts: 3, maxPlanAttempts: 1 } },
      { budget: { maxLlmCalls: Number.POSITIVE_INFINITY, maxTokens: 0, maxWallTimeMs: 1000 } },
      { budget: { retryBackoffMs: 0 } },
      { stepTimeoutMs: 1 },
      { stepTimeoutMs: 2_147_483_647 },
      { requireApproval: false },
      { checker: () => ({ expected: true }) },
      { prompts: {} },
      { prompts: { planner: "Plan {maxSteps} steps with {tools}", answer: () => "Answer" } },
      { finalAnswer: false },
      { resultPreviewChars: 1 },
      { maxToolIterations: 1 },
      { now: () => 0, generateId: () => "run" },
    ];
    for (const options of good) {
      expect(() => createPlanExecuteGraph({ model, ...options } as never)).not.toThrow();
      expect(() => createPlanExecuteAgent({ model, ...options } as never)).not.toThrow();
    }
    for (const checkpointer of [true, false, new MemorySaver()]) {
      expect(() => createPlanExecuteAgent({ model, checkpointer, requireApproval: true })).not.toThrow();
    }
    expect(() => createPlanExecuteAgent({ model, store: new InMemoryStore(), name: "agent" })).not.toThrow();
  });
});

describe("the input of a run of createPlanExecuteAgent", () => {
  const agent = createPlanExecuteAgent({ model, tools: [addTool], finalAnswer: false });

  it.each<[string, unknown]>([
    ["goal", { goal: 5 }],
    ["goal", { goal: null }],
    ["goal", { goal: ["Add"] }],
    ["messages", { messages: 5 }],
    ["messages[0]", { messages: [5] }],
    ["messages[1]", { messages: ["Add 1 and 2", null] }],
    ["messages[0]", { messages: [{ text: "no role" }] }],
    ["messages", { messages: { foo: 1 } }],
    ["results", { results: 5 }],
    ["answer", { answer: 5 }],
    ["gaol", { gaol: "Add" }],
  ])("refuses %s in %o when the run starts", async (path, input) => {
    const error = await agent.invoke(input as never).catch((thrown: unknown) => thrown);
    expectRefused(error, "invalid-input", path);
    expect((error as Error).message).toContain(`Input "${path}"`);
  });

  it("refuses an input that is not an object", async () => {
    const error = await agent.invoke(5 as never).catch((thrown: unknown) => thrown);
    expect(PlanExecuteError.isInstance(error)).toBe(true);
    expect((error as PlanExecuteError).code).toBe("invalid-input");
  });

  it("runs a good input", async () => {
    const state = await agent.invoke({ goal: "Add 1 and 2" });
    expect(state.results).toEqual({ a: 3 });
    for (const messages of ["Add", ["Add"], [{ role: "user", content: "Add" }], [["human", "Add"]]]) {
      expect((await agent.invoke({ messages } as never)).results).toEqual({ a: 3 });
    }
  });
});
