// Fuzzing runPlan: random and malformed planner/replanner outputs (bad shapes, wrong types,
// cycles, unknown ids, huge and empty plans, unicode), random executor and tool faults (throw,
// hang past the timeout, ignore the signal, return garbage), random budgets, random aborts, and a
// crash at a random saved state followed by a resume. Planners also stream their steps (an async
// iterable that may throw or hang mid-way, with the run's streaming on or off). FUZZ_RUNS=<n> for more cases (default 1000).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Executor,
  type PlannerOutput,
  type PlanStepStream,
  type RunResult,
  runPlan,
  type StepSpecInput,
  unexpected,
} from "./index.js";
import type { RunState } from "./schemas.js";
import type { RunEvent } from "./index.js";
import { parseRun, serializeRun } from "./serialize.js";
import { fuzzReplay, fuzzRuns, recordUnhandledRejections } from "../../../scripts/fuzz-settings.js";

const STEP_TIMEOUT_MS = 15;
const IDS = ["a", "b", "c", "d", "e", "x-1", "step_2"];
const OUTCOMES = ["completed", "failed", "cancelled", "budget-exceeded"];

const unhandled = recordUnhandledRejections();

/** A well-formed plan: unique ids, dependencies on earlier steps, agent and tool steps. */
const dagArbitrary = fc.uniqueArray(fc.constantFrom(...IDS), { minLength: 1, maxLength: 6 }).chain((ids) =>
  fc.tuple(
    ...ids.map((id, index) =>
      fc.record({
        id: fc.constant(id),
        kind: fc.constantFrom("agent", "agent", "tool"),
        description: fc.string({ unit: "grapheme", maxLength: 12 }).map((text) => `do ${id} ${text}`),
        dependsOn: fc.subarray(ids.slice(0, index), { maxLength: Math.min(2, index) }),
        tool: fc.constantFrom("echo", "echo", "boom", "missing", "constructor"),
        args: fc.oneof(
          fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
          fc.constant({ from: index > 0 ? `\${${ids[0]}}` : "none" }),
        ),
      }),
    ),
  ),
);

/** Anything a broken model might return. */
const malformedArbitrary = fc.oneof(
  fc.array(
    fc.record(
      {
        id: fc.oneof(
          fc.constantFrom(...IDS, "ü", "👍", "", "x".repeat(70)),
          fc.integer(),
          fc.string({ maxLength: 5 }),
        ),
        kind: fc.constantFrom("agent", "tool", "robot", 3),
        description: fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null)),
        dependsOn: fc.oneof(fc.array(fc.constantFrom(...IDS, "ghost"), { maxLength: 3 }), fc.constant("a")),
        tool: fc.string({ maxLength: 5 }),
        args: fc.anything({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    ),
    { maxLength: 6 },
  ),
  fc.anything({ maxDepth: 2 }),
  fc.constant([
    { id: "a", kind: "agent", description: "x", dependsOn: ["b"] },
    { id: "b", kind: "agent", description: "y", dependsOn: ["a"] },
  ]),
  fc.constant([]),
  fc
    .integer({ min: 51, max: 300 })
    .map((size) =>
      Array.from({ length: size }, (_, index) => ({ id: `s${index}`, kind: "agent", description: "many" })),
    ),
  fc.constantFrom("not a plan", '{"steps": [', null, 42),
);

type PlannerMove =
  | { type: "plan"; output: unknown }
  | { type: "stream"; output: unknown; cut: number | null; end: "throw" | "hang" }
  | { type: "throw" }
  | { type: "hang" }
  | { type: "usage" };
const plannerMoveArbitrary: fc.Arbitrary<PlannerMove> = fc.oneof(
  { weight: 8, arbitrary: dagArbitrary.map((output) => ({ type: "plan" as const, output })) },
  { weight: 4, arbitrary: malformedArbitrary.map((output) => ({ type: "plan" as const, output })) },
  fc.constant({ type: "throw" as const }),
  fc.constant({ type: "hang" as const }),
  fc.constant({ type: "usage" as const }),
);
/** A planner's moves, streamed ones included (a replanner does not stream). */
const streamingMoveArbitrary: fc.Arbitrary<PlannerMove> = fc.oneof(
  { weight: 3, arbitrary: plannerMoveArbitrary },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant("stream" as const),
      output: fc.oneof(dagArbitrary, malformedArbitrary),
      cut: fc.option(fc.nat({ max: 5 }), { freq: 3 }),
      end: fc.constantFrom("throw" as const, "hang" as const),
    }),
  },
);

/** A planner's stream: the steps one by one (a short pause before each), maybe cut by a throw or a hang. */
async function* streamOf(move: Extract<PlannerMove, { type: "stream" }>, signal: AbortSignal) {
  const steps: unknown[] = Array.isArray(move.output) ? move.output : [move.output];
  for (const [index, step] of steps.entries()) {
    if (move.cut === index) {
      if (move.end === "throw") throw new Error("stream broke");
      await new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    }
    await new Promise((resolve) => setTimeout(resolve, index % 3));
    yield step as StepSpecInput;
  }
}

type Fault = "ok" | "throw" | "sync-throw" | "hang" | "stall" | "garbage" | "unexpected";
const faultArbitrary = fc.constantFrom<Fault>(
  "ok",
  "ok",
  "ok",
  "ok",
  "throw",
  "sync-throw",
  "hang",
  "stall",
  "garbage",
  "unexpected",
);
const garbageArbitrary = fc.oneof(
  fc.constantFrom(undefined, null, Number.NaN, Number.NEGATIVE_INFINITY, "", "x".repeat(10_000), 10n),
  fc.constant(circular()),
  fc.anything({ maxDepth: 2, withBigInt: true, withMap: true, withSet: true, withDate: true }),
);

function circular() {
  const value: Record<string, unknown> = { name: "loop" };
  value.self = value;
  return value;
}

const caseArbitrary = fc.record({
  planner: fc.array(streamingMoveArbitrary, { minLength: 1, maxLength: 3 }),
  planStreaming: fc.boolean(),
  replanner: fc.array(plannerMoveArbitrary, { minLength: 1, maxLength: 3 }),
  faults: fc.array(faultArbitrary, { minLength: 1, maxLength: 12 }),
  garbage: garbageArbitrary,
  budget: fc.record({
    concurrency: fc.integer({ min: 1, max: 4 }),
    maxReplans: fc.integer({ min: 0, max: 3 }),
    maxAttempts: fc.integer({ min: 1, max: 3 }),
    maxPlanAttempts: fc.integer({ min: 1, max: 3 }),
    maxLlmCalls: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
    retryBackoffMs: fc.constantFrom(0, 1),
    maxWallTimeMs: fc.constant(400), // bounds a planner that hangs
  }),
  abortAfterMs: fc.option(fc.integer({ min: 0, max: 30 }), { freq: 4 }),
  crashAt: fc.option(fc.nat(), { freq: 2 }),
  withReplanner: fc.boolean(),
});
type Case = typeof caseArbitrary extends fc.Arbitrary<infer T> ? T : never;

function setup(fuzz: Case) {
  let roll = 0;
  const executions = new Map<string, number>(); // by idempotency key
  const act = (id: string, key: string, signal: AbortSignal): unknown => {
    executions.set(key, (executions.get(key) ?? 0) + 1);
    const fault = fuzz.faults[roll++ % fuzz.faults.length]!;
    if (fault === "sync-throw") throw new Error(`sync fault in ${id}`);
    if (fault === "hang") return new Promise(() => {}); // ignores its signal
    return (async () => {
      if (fault === "throw") throw new Error(`fault in ${id}`);
      if (fault === "stall") {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        throw signal.reason;
      }
      if (fault === "unexpected") return unexpected(`${id} odd`, "looks wrong");
      return fault === "garbage" ? fuzz.garbage : `${id} ok`;
    })();
  };
  const executor: Executor = (step, context) => act(step.id, context.key, context.signal);
  const tools = {
    echo: (args: Record<string, unknown>, context: { key: string; signal: AbortSignal }) =>
      act(`echo ${JSON.stringify(args)}`, context.key, context.signal),
    boom: () => {
      throw new Error("boom");
    },
  };
  const counters = { planner: 0, replanner: 0 };
  const answer = (
    role: "planner" | "replanner",
    signal: AbortSignal,
  ): Promise<PlannerOutput> | PlannerOutput | PlanStepStream => {
    const moves = fuzz[role];
    const move = moves[Math.min(counters[role]++, moves.length - 1)]!;
    if (move.type === "stream") return streamOf(move, signal);
    if (move.type === "throw") throw new Error(`${role} down`);
    if (move.type === "hang") {
      return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    }
    if (move.type === "usage")
      return { steps: [{ id: "u", kind: "agent", description: "u" }], usage: { llmCalls: 1 } };
    return move.output as PlannerOutput;
  };
  return {
    executions,
    options: {
      planner: ({ signal }: { signal: AbortSignal }) => answer("planner", signal),
      ...(fuzz.withReplanner
        ? {
            replanner: ({ signal }: { signal: AbortSignal }) =>
              answer("replanner", signal) as Promise<PlannerOutput> | PlannerOutput,
          }
        : {}),
      planStreaming: fuzz.planStreaming,
      executor,
      tools,
      budget: fuzz.budget,
      stepTimeoutMs: STEP_TIMEOUT_MS,
      cancelGraceMs: 20,
    },
  };
}

/** `resumed`: an attempt cut short by the crash counts, so a resumed step may have one more. */
function checkResult(result: RunResult, fuzz: Case, resumed = false) {
  expect(OUTCOMES).toContain(result.status);
  const { state } = result;
  expect(state.replans).toBeLessThanOrEqual(fuzz.budget.maxReplans);
  expect(state.planAttempts).toBeLessThanOrEqual(fuzz.budget.maxPlanAttempts);
  const steps = result.plan?.steps ?? [];
  expect(steps.length).toBeLessThanOrEqual(50);
  for (const step of steps) {
    expect(step.attempts).toBeLessThanOrEqual(fuzz.budget.maxAttempts + (resumed ? 1 : 0));
    expect(["running", "pending"]).not.toContain(step.status);
    if (step.status === "done") expect(result.results[step.id]).toBe(step.result);
  }
  expect(Object.keys(result.results).sort()).toEqual(
    steps
      .filter((step) => step.status === "done")
      .map((step) => step.id)
      .sort(),
  );
  // the final state can always be saved and read back
  expect(parseRun(serializeRun(state)).outcome).toEqual(state.outcome);
}

/** Every run that starts ends with exactly one `run-end`, its last event, carrying the outcome. */
function checkEvents(events: RunEvent[], result: RunResult, fresh: boolean) {
  if (fresh) expect(events[0]?.type).toBe("run-start");
  expect(events.filter((event) => event.type === "run-end")).toHaveLength(1);
  expect(events.at(-1)).toMatchObject({ type: "run-end", outcome: result.outcome });
}

/** Fails (instead of waiting forever) when a run does not end: a hang is a bug to report. */
async function bounded<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

describe("fuzzing runPlan", () => {
  it(`always resolves within its bounds; a crash at any saved state resumes without re-running done steps (${fuzzRuns} cases)`, async () => {
    const seen = { completed: 0, failed: 0, cancelled: 0, "budget-exceeded": 0, rejected: 0, resumed: 0 };
    await fc.assert(
      fc.asyncProperty(caseArbitrary, async (fuzz) => {
        const { options, executions } = setup(fuzz);
        const controller = new AbortController();
        const reason = new Error("fuzz abort");
        const timer =
          fuzz.abortAfterMs === null
            ? undefined
            : setTimeout(() => controller.abort(reason), fuzz.abortAfterMs);
        const saved: string[] = [];
        const saveErrors: unknown[] = [];
        const events: RunEvent[] = [];
        const started = Date.now();
        let result: RunResult;
        try {
          result = await bounded(
            runPlan({
              ...options,
              goal: "fuzz ✨ the runtime",
              signal: controller.signal,
              onEvent: (event) => events.push(event),
              onState: (state: RunState) => {
                try {
                  saved.push(serializeRun(state));
                } catch (error) {
                  saveErrors.push(error);
                }
              },
            }),
            "the run",
          );
        } catch (error) {
          if ((error as Error).message?.includes("did not end")) throw error;
          // the only documented rejection here: the signal was aborted before the start
          expect(error).toBe(reason);
          expect(events).toEqual([]); // it never started
          seen.rejected++;
          return;
        } finally {
          clearTimeout(timer);
        }
        expect(Date.now() - started).toBeLessThan(5000);
        expect(saveErrors).toEqual([]); // every intermediate state could be saved
        checkResult(result, fuzz);
        checkEvents(events, result, true);
        seen[result.status]++;

        // Crash: take a saved state, resume from it; done steps there are never executed again.
        if (fuzz.crashAt === null || saved.length === 0) return;
        const snapshot = parseRun(saved[fuzz.crashAt % saved.length]!);
        const done = (snapshot.plan?.steps ?? []).filter((step) => step.status === "done");
        const before = new Map(executions);
        const resumedEvents: RunEvent[] = [];
        const resumed = await bounded(
          runPlan({ ...options, state: snapshot, onEvent: (event) => resumedEvents.push(event) }),
          "the resumed run",
        );
        checkResult(resumed, fuzz, true);
        // a run resumed before its end ends with one run-end; one that had ended stays silent
        if (snapshot.outcome === null) checkEvents(resumedEvents, resumed, false);
        else expect(resumedEvents).toEqual([]);
        for (const step of done) {
          expect(resumed.results[step.id]).toEqual(step.result);
          const key = `${snapshot.runId}:${step.revision}:${step.id}`;
          expect(executions.get(key)).toBe(before.get(key));
        }
        seen.resumed++;
      }),
      { numRuns: fuzzRuns, ...fuzzReplay },
    );
    await new Promise((resolve) => setTimeout(resolve, 50)); // let stray rejections surface
    expect(unhandled).toEqual([]);
    console.info(`fuzz (runPlan): ${fuzzRuns} cases`, seen);
  }, 600_000);
});
