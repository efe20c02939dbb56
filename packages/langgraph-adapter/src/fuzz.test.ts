// Fuzzing the compiled graph: random and malformed planner/replanner outputs, random executor and
// tool faults, random budgets and random aborts. Properties: the run always ends within its
// bounds, or throws only the documented errors; no unhandled rejection; every done step's result
// is in the final state. FUZZ_RUNS=<n> for more cases (default 1000).
import { tool } from "@langchain/core/tools";
import { Command, MemorySaver } from "@langchain/langgraph";
import type { Executor, RunEvent, RunState } from "@replan/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PlanExecuteError } from "./errors.js";
import { createPlanExecuteAgent, type PlanExecuteBudget } from "./graph.js";
import { type ModelStep, roleOf } from "./test-helpers.js";
import { type ScriptedReply, ScriptedChatModel } from "./testing.js";
import { fuzzReplay, fuzzRuns, recordUnhandledRejections } from "../../../scripts/fuzz-settings.js";

const STEP_TIMEOUT_MS = 20;
const IDS = ["a", "b", "c", "d", "e", "x-1", "step_2"];
const BAD_IDS = ["ü", "👍", "a b", "-", "x".repeat(65)];

const unhandled = recordUnhandledRejections();

/** A step as a model might write it: mostly sensible, sometimes not. */
const stepArbitrary: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      id: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(...IDS) },
        fc.constantFrom(...BAD_IDS),
        fc.string({ maxLength: 6 }),
        fc.constant(""),
      ),
      description: fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: "grapheme", maxLength: 10 })),
      dependsOn: fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...IDS) }, fc.constant("ghost")), {
        maxLength: 3,
      }),
      tool: fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) },
        { weight: 3, arbitrary: fc.constantFrom("echo", "boom", "stall") },
        fc.constantFrom("", "unknown_tool", "toString", "__proto__"),
      ),
      args: fc.oneof(
        fc.constant(null),
        fc.constant('{"value":"${a}"}'),
        fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify({ value })),
        fc.constantFrom("{not json", '"a string"', "[1,2]", "", "null", '{"value":1}'),
      ),
    }),
  },
  // wrong types and missing fields
  fc.record({ id: fc.oneof(fc.integer(), fc.constant(null)), description: fc.integer() }),
  fc.record({
    id: fc.constantFrom(...IDS),
    description: fc.string(),
    dependsOn: fc.constantFrom("a", 7, null),
  }),
  fc.anything({ maxDepth: 1 }),
);

/** A well-formed plan: unique ids, dependencies on earlier steps only, known tools mostly. */
const dagArbitrary: fc.Arbitrary<ModelStep[]> = fc
  .uniqueArray(fc.constantFrom(...IDS), { minLength: 1, maxLength: 6 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id, index) =>
        fc.record({
          id: fc.constant(id),
          description: fc.string({ unit: "grapheme", maxLength: 12 }).map((text) => `do ${id} ${text}`),
          dependsOn: fc.subarray(ids.slice(0, index), { maxLength: Math.min(2, index) }),
          tool: fc.constantFrom(null, null, "echo", "echo", "boom", "stall", "unknown_tool"),
          args: fc.jsonValue({ maxDepth: 1 }).map((value) => JSON.stringify({ value })),
        }),
      ),
    ),
  )
  .map((steps) => steps.map((step) => (step.tool === null ? { ...step, args: null } : step)));

const planArbitrary = fc.oneof(
  { weight: 8, arbitrary: dagArbitrary },
  { weight: 3, arbitrary: fc.array(stepArbitrary, { maxLength: 6 }) },
  // a plain valid chain, and a cycle
  fc.constant<ModelStep[]>([
    { id: "a", description: "first", dependsOn: [], tool: "echo", args: '{"value":"one"}' },
    { id: "b", description: "second", dependsOn: ["a"], tool: null, args: null },
  ]),
  fc.constant<ModelStep[]>([
    { id: "a", description: "x", dependsOn: ["b"], tool: null, args: null },
    { id: "b", description: "y", dependsOn: ["a"], tool: null, args: null },
  ]),
  // empty and huge plans
  fc.constant([]),
  fc.integer({ min: 40, max: 120 }).map((size) =>
    Array.from({ length: size }, (_, index) => ({
      id: `s${index}`,
      description: `step ${index}`,
      dependsOn: index > 0 && index % 3 === 0 ? [`s${index - 1}`] : [],
      tool: index % 2 === 0 ? "echo" : null,
      args: index % 2 === 0 ? `{"value":${index}}` : null,
    })),
  ),
);

/** What the planner or replanner model answers on one call. */
const replyArbitrary: fc.Arbitrary<ScriptedReply> = fc.oneof(
  { weight: 12, arbitrary: planArbitrary.map((steps) => ({ structured: { steps } })) },
  fc.anything({ maxDepth: 2 }).map((structured) => ({ structured })),
  fc.constant({ structured: { steps: "not a list" } }),
  fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('{"steps": [', "I would rather chat.", "")),
  fc.constantFrom(
    new Error("model down"),
    Object.assign(new Error("unauthorized"), { status: 401 }),
    Object.assign(new Error("rate limited"), { status: 429 }),
  ),
);

/** What one call of an executor or tool does. */
type Fault = "ok" | "throw" | "hang" | "stall" | "garbage" | "unexpected";
const faultArbitrary = fc.constantFrom<Fault>(
  "ok",
  "ok",
  "ok",
  "ok",
  "throw",
  "hang",
  "stall",
  "garbage",
  "unexpected",
);
const garbageArbitrary = fc.oneof(
  fc.constantFrom(undefined, null, Number.NaN, Number.POSITIVE_INFINITY, -0, "", "x".repeat(5000)),
  fc.constantFrom(10n, circular(), new Date(0), new Map([["k", 1]]), () => "a function"),
  fc.anything({ maxDepth: 2 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
);

function circular() {
  const value: Record<string, unknown> = { name: "loop" };
  value.self = value;
  return value;
}

const budgetArbitrary: fc.Arbitrary<PlanExecuteBudget> = fc.record(
  {
    concurrency: fc.integer({ min: 1, max: 4 }),
    maxReplans: fc.integer({ min: 0, max: 3 }),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
    maxPlanAttempts: fc.integer({ min: 1, max: 3 }),
    maxLlmCalls: fc.integer({ min: 1, max: 12 }),
    retryBackoffMs: fc.constantFrom(0, 1),
  },
  { requiredKeys: ["concurrency", "maxReplans", "maxAttempts", "retryBackoffMs"] },
);

const caseArbitrary = fc.record({
  planner: fc.array(replyArbitrary, { minLength: 1, maxLength: 3 }),
  replanner: fc.array(replyArbitrary, { minLength: 1, maxLength: 3 }),
  faults: fc.array(faultArbitrary, { minLength: 1, maxLength: 12 }),
  garbage: garbageArbitrary,
  budget: budgetArbitrary,
  abortAfterMs: fc.option(fc.integer({ min: 0, max: 40 }), { freq: 3 }),
  finalAnswer: fc.boolean(),
  requireApproval: fc.boolean(),
  approvals: fc.array(
    fc.oneof(
      { weight: 3, arbitrary: fc.constant<unknown>({ action: "approve" }) },
      fc.constant<unknown>({ action: "reject", reason: "fuzz" }),
      dagArbitrary.map((steps): unknown => ({
        action: "edit",
        steps: steps.map(({ id, description, dependsOn }) => ({ id, kind: "agent", description, dependsOn })),
      })),
      // any other answer (LangGraph itself refuses a Command whose resume is null or undefined)
      fc.anything({ maxDepth: 1 }).filter((value) => value !== null && value !== undefined),
    ),
    { minLength: 1, maxLength: 7 },
  ),
});
type Case = typeof caseArbitrary extends fc.Arbitrary<infer T> ? T : never;

const OUTCOMES = ["completed", "failed", "cancelled", "budget-exceeded"];

/** Waits until the signal is aborted, ignoring it afterwards (a stall that does not cooperate). */
const waitForAbort = (signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });

function setup(fuzz: Case) {
  let roll = 0;
  const returned = new Map<string, unknown>();
  // what executor calls returned, by idempotency key (tool output goes through a ToolMessage's text)
  const act = async (label: string, key: string | null, signal: AbortSignal): Promise<unknown> => {
    const fault = fuzz.faults[roll++ % fuzz.faults.length]!;
    if (fault === "throw") throw new Error(`fault in ${label}`);
    if (fault === "hang") return new Promise(() => {}); // never settles, ignores the signal
    if (fault === "stall") {
      await waitForAbort(signal);
      throw signal.reason;
    }
    const value = fault === "garbage" ? fuzz.garbage : `${label} ok`;
    if (key !== null) returned.set(key, value);
    return value;
  };
  const executor: Executor = (step, context) => act(step.id, context.key, context.signal);
  const tools = [
    tool(async ({ value }, config) => act(`echo ${String(value)}`, null, config.signal!), {
      name: "echo",
      description: "echoes",
      schema: z.object({ value: z.unknown() }),
    }),
    tool(
      async () => {
        throw new Error("boom");
      },
      { name: "boom", description: "fails", schema: z.object({}).passthrough() },
    ),
    tool(
      async (_args, config) => {
        await waitForAbort(config.signal!);
        throw config.signal!.reason;
      },
      { name: "stall", description: "waits for its signal", schema: z.object({}).passthrough() },
    ),
  ];
  const counters = { planner: 0, replanner: 0 };
  const model = new ScriptedChatModel({
    responses: (request) => {
      const role = roleOf(request);
      if (role === "planner" || role === "replanner") {
        const list = fuzz[role];
        return list[Math.min(counters[role]++, list.length - 1)]!;
      }
      return role === "answer" ? "answer" : "step";
    },
  });
  const agent = createPlanExecuteAgent({
    model,
    tools,
    executor,
    modelRetry: { initialDelayMs: 1 },
    budget: fuzz.budget,
    stepTimeoutMs: STEP_TIMEOUT_MS,
    finalAnswer: fuzz.finalAnswer,
    requireApproval: fuzz.requireApproval,
    checker: (step, result) =>
      result === "unexpected" || step.id === "e" ? { expected: false, reason: "odd" } : { expected: true },
    checkpointer: new MemorySaver(),
  });
  return { agent, returned, model };
}

/** The documented ways for invoke to throw. */
function checkThrown(error: unknown, abortReason: unknown) {
  if (error === abortReason) return;
  if (
    PlanExecuteError.isInstance(error) &&
    (error.code === "invalid-plan" || error.code === "planner-failed")
  )
    return;
  throw new Error(`undocumented error: ${String(error)}`, { cause: error });
}

/** The final state's invariants. */
function checkState(
  state: {
    outcome: { status: string } | null;
    results: Record<string, unknown>;
    plan: RunState["plan"];
    run: RunState | null;
  },
  fuzz: Case,
  returned: Map<string, unknown>,
  resumed = false,
) {
  expect(OUTCOMES).toContain(state.outcome?.status);
  const run = state.run!;
  expect(run.replans).toBeLessThanOrEqual(fuzz.budget.maxReplans!);
  expect(run.planAttempts).toBeLessThanOrEqual(fuzz.budget.maxPlanAttempts ?? 2);
  const steps = state.plan?.steps ?? [];
  expect(steps.length).toBeLessThanOrEqual(50);
  for (const step of steps) {
    expect(step.attempts).toBeLessThanOrEqual(fuzz.budget.maxAttempts!);
    expect(step.status).not.toBe("running");
    if (step.status === "done") {
      // every finished step's result is in the final state, as the executor or tool returned it
      expect(Object.hasOwn(state.results, step.id)).toBe(true);
      expect(state.results[step.id]).toEqual(step.result);
      const key = `${run.runId}:${step.revision}:${step.id}`;
      if (!returned.has(key)) continue;
      // after a resume, results come from the checkpoint, which stores JSON (NaN, Infinity -> null)
      if (resumed) expect(JSON.stringify(step.result)).toEqual(JSON.stringify(returned.get(key)));
      else expect(step.result).toEqual(returned.get(key));
    }
  }
  expect(Object.keys(state.results).sort()).toEqual(
    steps
      .filter((step) => step.status === "done")
      .map((step) => step.id)
      .sort(),
  );
}

type Agent = ReturnType<typeof setup>["agent"];
type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Streams one invocation, and answers each plan-approval interrupt with the case's next decision,
 * collecting the progress events; settles with the final state or the error.
 */
async function drive(
  agent: Agent,
  input: unknown,
  config: { configurable: { thread_id: string }; signal?: AbortSignal },
  fuzz: Case,
  events: RunEvent[],
): Promise<Settled> {
  let next = input;
  let answered = 0;
  try {
    for (;;) {
      let value: unknown;
      for await (const [mode, chunk] of await agent.stream(next as never, {
        ...config,
        streamMode: ["custom", "values"],
      })) {
        if (mode === "custom") events.push(chunk as RunEvent);
        else value = chunk;
      }
      const snapshot = await agent.getState(config);
      const waiting = snapshot.tasks.some((task) => (task.interrupts ?? []).length > 0);
      if (!waiting) return { ok: true, value: value ?? snapshot.values };
      next = new Command({ resume: fuzz.approvals[answered++ % fuzz.approvals.length] });
    }
  } catch (error) {
    return { ok: false, error };
  }
}

/** Every run that ended (an outcome, or a planner error) published exactly one run-end, last but for the answer's model calls. */
function checkRunEnd(events: RunEvent[], ended: boolean, outcome?: unknown) {
  const ends = events.filter((event) => event.type === "run-end");
  if (!ended) {
    expect(ends.length).toBeLessThanOrEqual(1);
    return;
  }
  expect(ends).toHaveLength(1);
  // run-end is last, but for the model calls of the final answer (written once the outcome is known)
  const last = events.findLast(
    (event) => !(event.type.startsWith("model-call-") && (event as { role?: string }).role === "answer"),
  );
  expect(last?.type).toBe("run-end");
  if (outcome !== undefined) expect(ends[0]).toMatchObject({ outcome });
}

describe("regressions found by fuzzing", () => {
  it("fails a step whose result cannot be checkpointed (BigInt, cycle) instead of crashing the run", async () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    const model = new ScriptedChatModel({
      responses: (request) =>
        roleOf(request) === "planner"
          ? {
              structured: {
                steps: ["big", "loop", "fine"].map((id) => ({
                  id,
                  description: id,
                  dependsOn: [],
                  tool: null,
                  args: null,
                })),
              },
            }
          : "answer",
    });
    const agent = createPlanExecuteAgent({
      model,
      executor: async (step) => (step.id === "big" ? 10n : step.id === "loop" ? loop : "ok"),
      budget: { maxReplans: 0 },
      checkpointer: new MemorySaver(),
    });
    const state = await agent.invoke({ goal: "g" }, { configurable: { thread_id: "bigint" } });
    expect(state.outcome?.status).toBe("failed");
    expect(state.plan?.steps.map((step) => [step.id, step.status, step.error?.code])).toEqual([
      ["big", "failed", "invalid-result"],
      ["loop", "failed", "invalid-result"],
      ["fine", "done", undefined],
    ]);
  });
});

describe("fuzzing the graph", () => {
  it(`always ends within its bounds or throws a documented error (${fuzzRuns} cases)`, async () => {
    let thread = 0;
    const seen = { ended: 0, threw: 0, aborted: 0, resumed: 0 };
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (fuzz) => {
        const { agent, returned } = setup(fuzz);
        const config = { configurable: { thread_id: `fuzz-${thread++}` } };
        const controller = new AbortController();
        const abortReason = new Error("fuzz abort");
        const timer =
          fuzz.abortAfterMs === null
            ? undefined
            : setTimeout(() => controller.abort(abortReason), fuzz.abortAfterMs);
        const started = Date.now();
        const events: RunEvent[] = [];
        const first = await drive(
          agent,
          { goal: "fuzz the graph" },
          { ...config, signal: controller.signal },
          fuzz,
          events,
        );
        clearTimeout(timer);
        expect(Date.now() - started).toBeLessThan(10_000);
        if (first.ok) {
          checkState(first.value as never, fuzz, returned);
          checkRunEnd(events, true, (first.value as { outcome: unknown }).outcome);
          seen.ended++;
          return;
        }
        checkThrown(first.error, abortReason);
        if (first.error !== abortReason) {
          checkRunEnd(events, true); // the planner gave up: its run-end went out before the error
          seen.threw++;
          return;
        }
        seen.aborted++;
        // an aborted run resumes from its checkpoint and ends too (unless it stopped before planning)
        if ((await agent.getState(config)).next.length === 0) {
          checkRunEnd(events, false);
          return;
        }
        // an abort in the planner leaves no plan: resuming plans again, as a new run
        const planned = events.some((event) => event.type === "plan-end");
        const resumedEvents: RunEvent[] = planned ? events : [];
        const second = await drive(agent, null, config, fuzz, resumedEvents);
        if (second.ok) {
          checkState(second.value as never, fuzz, returned, true);
          checkRunEnd(resumedEvents, true, (second.value as { outcome: unknown }).outcome);
          seen.resumed++;
        } else {
          checkThrown(second.error, abortReason);
          checkRunEnd(resumedEvents, second.error !== abortReason);
        }
      }),
      { numRuns: fuzzRuns, ...fuzzReplay },
    );
    await new Promise((resolve) => setTimeout(resolve, 50)); // let stray rejections surface
    expect(unhandled).toEqual([]);
    console.info(`fuzz (graph): ${fuzzRuns} cases`, seen);
  }, 600_000);
});
