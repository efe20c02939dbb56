import { MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { PlanExecuteError } from "./errors.js";
import { toToolFunctions } from "./executors.js";
import { planExecuteRunConfig, recursionLimitFor } from "./graph.js";
import { watchCheckpointer } from "./checkpointer.js";
import { modelAnswer, modelExecutor, modelPlanner, modelReplanner } from "./model-layer.js";
import { startScriptedOpenAIServer } from "./openai-server.js";
import { handlePoolErrors } from "./pool-errors.js";
import { addTool, scriptedModel, thrownBy } from "./test-helpers.js";
import { ScriptedChatModel } from "./testing.js";

const { model } = scriptedModel({ planner: [] });

/** Expects `invalid-options` naming `path` as `Option "path" must ...` (or the options themselves). */
function expectRefused(error: unknown, path: string) {
  expect(PlanExecuteError.isInstance(error), String(error)).toBe(true);
  expect((error as PlanExecuteError).code).toBe("invalid-options");
  expect((error as Error).message).toContain(path);
}

const entryPoints = { modelPlanner, modelReplanner, modelExecutor, modelAnswer } as const;

/** [what the message names, the options] */
const badLayerOptions: Array<[string, unknown]> = [
  ['Option "bogus" must be one of the options of', { bogus: 1 }],
  ['(did you mean "timeoutMs"?)', { timeout: 60_000 }],
  ['Option "tools" must', { tools: "x" }],
  ['Option "tools[0]" must', { tools: [null] }],
  ['Option "tools[1].name" must', { tools: [addTool, addTool] }],
  ['Option "prompts.planner" must', { prompts: { planner: 5 } }],
  ['Option "prompts" must', { prompts: 5 }],
  ['Option "maxSteps" must', { maxSteps: 0 }],
  ['Option "structuredOutputMethod" must', { structuredOutputMethod: "xml" }],
  ['Option "resultPreviewChars" must', { resultPreviewChars: Number.NaN }],
  ['Option "timeoutMs" must', { timeoutMs: Number.NaN }],
  ['Option "retry" must', { retry: "twice" }],
  ['Option "retry.maxRetries" must', { retry: { maxRetries: 101 } }],
  ['Option "retry.retries" must', { retry: { retries: 2 } }],
  ['Option "now" must', { now: 5 }],
  ["The options of", null],
  ["The options of", 5],
];

describe("the arguments of the model layer's entry points", () => {
  it.each(Object.keys(entryPoints))("%s refuses a model that is not a chat model, naming it", (name) => {
    const make = entryPoints[name as keyof typeof entryPoints] as (
      model: unknown,
      options?: unknown,
    ) => unknown;
    for (const bad of [5, null, undefined, "gpt-4.1-mini", {}]) {
      expectRefused(
        thrownBy(() => make(bad, {})),
        'Option "model" must be a chat model',
      );
    }
  });

  it.each(Object.keys(entryPoints))("%s refuses every bad option, naming it", (name) => {
    const make = entryPoints[name as keyof typeof entryPoints] as (
      model: unknown,
      options?: unknown,
    ) => unknown;
    for (const [path, options] of badLayerOptions) {
      const error = thrownBy(() => make(model, options));
      expectRefused(error, path);
      if (path.includes("options of")) expect((error as Error).message).toContain(name);
    }
  });

  it("modelExecutor refuses a bad maxToolIterations; the others refuse it as unknown", () => {
    expectRefused(
      thrownBy(() => modelExecutor(model, { maxToolIterations: 0 })),
      'Option "maxToolIterations" must',
    );
    expectRefused(
      thrownBy(() => modelPlanner(model, { maxToolIterations: 4 } as never)),
      'Option "maxToolIterations" must be one of the options of modelPlanner',
    );
  });

  it("accepts good options", () => {
    const good = {
      tools: [addTool],
      prompts: { planner: "Plan", answer: () => "Answer" },
      maxSteps: 5,
      structuredOutputMethod: "jsonMode",
      resultPreviewChars: 10,
      timeoutMs: Number.POSITIVE_INFINITY,
      retry: { maxRetries: 0, initialDelayMs: 0, maxDelayMs: 0 },
      now: () => 0,
    } as const;
    for (const make of Object.values(entryPoints)) {
      expect(() => make(model)).not.toThrow();
      expect(() => make(model, good)).not.toThrow();
    }
    expect(() => modelExecutor(model, { ...good, maxToolIterations: 3 })).not.toThrow();
  });
});

describe("the arguments of the other functions", () => {
  it("toToolFunctions refuses what is not an array of tools with distinct names", () => {
    expectRefused(
      thrownBy(() => toToolFunctions("x" as never)),
      'Option "tools" must',
    );
    expectRefused(
      thrownBy(() => toToolFunctions([null] as never)),
      'Option "tools[0]" must',
    );
    expectRefused(
      thrownBy(() => toToolFunctions(undefined as never)),
      'Option "tools" must',
    );
    expectRefused(
      thrownBy(() => toToolFunctions([addTool, addTool])),
      'Option "tools[1].name" must',
    );
    expect(Object.keys(toToolFunctions([addTool]))).toEqual(["add"]);
  });

  it("handlePoolErrors refuses what is not a pool, and an onError that is not a function", () => {
    expectRefused(
      thrownBy(() => handlePoolErrors(5 as never)),
      'Option "pool" must',
    );
    expectRefused(
      thrownBy(() => handlePoolErrors(null as never)),
      'Option "pool" must',
    );
    const pool = { on: () => pool };
    expectRefused(
      thrownBy(() => handlePoolErrors(pool, "log" as never)),
      'Option "onError" must',
    );
    expect(handlePoolErrors(pool)).toBe(pool);
  });

  it.each([recursionLimitFor, planExecuteRunConfig])("%o refuses a bad budget", (read) => {
    const limitOf = read as (budget?: unknown) => unknown;
    expectRefused(
      thrownBy(() => limitOf({ maxReplans: Number.NaN })),
      'Option "budget.maxReplans" must',
    );
    expectRefused(
      thrownBy(() => limitOf({ maxReplans: "10" })),
      'Option "budget.maxReplans" must',
    );
    expectRefused(
      thrownBy(() => limitOf({ maxReplan: 10 })),
      'did you mean "maxReplans"?',
    );
    expectRefused(
      thrownBy(() => limitOf(null)),
      'Option "budget" must',
    );
  });

  it("recursionLimitFor still fits a good budget", () => {
    expect(recursionLimitFor()).toBe(25);
    expect(recursionLimitFor({ maxReplans: 10 })).toBe(30);
    expect(planExecuteRunConfig({ maxReplans: 20 })).toEqual({ durability: "sync", recursionLimit: 50 });
  });

  it("watchCheckpointer refuses what is not a checkpointer", () => {
    expectRefused(
      thrownBy(() => watchCheckpointer("postgres" as never)),
      'Option "saver" must',
    );
    expectRefused(
      thrownBy(() => watchCheckpointer({} as never)),
      'Option "saver" must',
    );
    const saver = new MemorySaver();
    const watched = watchCheckpointer(saver);
    expect(watchCheckpointer(watched)).toBe(watched);
  });
});

describe("the arguments of the test doubles", () => {
  it("ScriptedChatModel refuses a missing script, a bad latency and unknown options", () => {
    expectRefused(
      thrownBy(() => new ScriptedChatModel(null as never)),
      "The options of ScriptedChatModel",
    );
    expectRefused(
      thrownBy(() => new ScriptedChatModel({} as never)),
      'Option "responses" must',
    );
    expectRefused(
      thrownBy(() => new ScriptedChatModel({ responses: [], latencyMs: -1 })),
      'Option "latencyMs" must',
    );
    expectRefused(
      thrownBy(() => new ScriptedChatModel({ responses: [], latency: 5 } as never)),
      'did you mean "latencyMs"?',
    );
  });

  it("startScriptedOpenAIServer rejects bad and unknown options", async () => {
    const refused = (options: unknown) =>
      startScriptedOpenAIServer(options as never).then(
        () => undefined,
        (error: unknown) => error,
      );
    expectRefused(await refused({ responses: [], port: 70_000 }), 'Option "port" must');
    expectRefused(await refused({ responses: [], hang: ["1"] }), 'Option "hang[0]" must');
    expectRefused(await refused({ responses: [], latency: 5 }), 'did you mean "latencyMs"?');
    expectRefused(await refused({ responses: 5 }), 'Option "responses" must');
  });
});
