import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runPlan } from "./index.js";
import type { RunState, Step, StepSpecInput } from "./schemas.js";
import { indexOf, StepIndex } from "./step-index.js";
import { createRun, isTerminal, type RunEvent, type RunInput, transition } from "./index.js";

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 150);

/** A random DAG: step i may depend on any steps before it. */
const dagArbitrary = (prefix: string, maxSteps = 10, minSteps = 1) =>
  fc
    .array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: minSteps, maxLength: maxSteps, size: "max" })
    .map((picks): StepSpecInput[] =>
      picks.map((deps, index) => ({
        id: `${prefix}${index}`,
        kind: "agent",
        description: `step ${index}`,
        dependsOn: index === 0 ? [] : [...new Set(deps.map((pick) => `${prefix}${pick % index}`))],
      })),
    );

/** Checks the invariants between two consecutive states. */
function checkInvariants(before: RunState, after: RunState): void {
  const steps = new Map((after.plan?.steps ?? []).map((step) => [step.id, step]));
  for (const step of before.plan?.steps ?? []) {
    if (step.status !== "done") continue;
    // a done step never changes and is never dropped
    expect(steps.get(step.id)).toEqual(step);
  }
  let running = 0;
  for (const step of after.plan?.steps ?? []) {
    if (step.status === "running" || step.status === "done") {
      for (const dependency of step.dependsOn) expect(steps.get(dependency)?.status).toBe("done");
    }
    if (step.status === "running") running++;
  }
  expect(running).toBeLessThanOrEqual(after.config.concurrency);
  if (isTerminal(after)) expect(running).toBe(0);
  // Work-conserving: while executing, a free slot never sits beside a ready step.
  if (after.status === "executing" && running < after.config.concurrency) {
    const ready = (after.plan?.steps ?? []).filter(
      (step) => step.status === "pending" && step.dependsOn.every((id) => steps.get(id)?.status === "done"),
    );
    expect(ready.map((step) => step.id)).toEqual([]);
  }
  // The index carried from state to state matches one built from scratch, and the earlier
  // state's index was not changed by the transition (states are values).
  for (const state of [before, after]) {
    if (state.plan) expectIndexOf(state.plan.steps);
  }
}

function expectIndexOf(steps: readonly Step[]): void {
  const carried = indexOf(steps);
  const fresh = StepIndex.build(steps);
  expect(carried.counts).toEqual(fresh.counts);
  expect(carried.readyPositions(Number.POSITIVE_INFINITY)).toEqual(
    fresh.readyPositions(Number.POSITIVE_INFINITY),
  );
}

/** Drives random legal inputs (and thrown-away branches) until the run ends, checking invariants. */
function randomRunProperty(options: {
  minPlanSteps: number;
  maxPlanSteps: number;
  turns: number;
  maxConcurrency: number;
}) {
  const { minPlanSteps, maxPlanSteps, turns, maxConcurrency } = options;
  return fc.property(
    dagArbitrary("s", maxPlanSteps, minPlanSteps),
    fc.array(fc.nat(), { minLength: turns, maxLength: turns }),
    fc.integer({ min: 1, max: maxConcurrency }),
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
    fc.boolean(),
    (plan, choices, concurrency, maxReplans, maxAttempts, requireApproval) => {
      const config = { concurrency, maxReplans, maxAttempts, maxSteps: maxPlanSteps + 8, requireApproval };
      let state = createRun({ runId: "r", goal: "g", budget: config });
      const events: RunEvent[] = [];
      let at = 0;
      let replanCount = 0;
      const inputs: RunInput[] = [
        { type: "start", at },
        { type: "plan", at, output: plan },
      ];
      for (let turn = 0; turn < choices.length && !isTerminal(state); turn++) {
        const input = inputs.shift() ?? randomInput(state, choices[turn]!, ++at, replanCount++);
        const result = transition(state, input);
        events.push(...result.events);
        const next = result.state;
        // An empty replacement for a failed step is the replanner giving up: never a completion.
        const gaveUp =
          input.type === "replan" &&
          Array.isArray(input.output) &&
          input.output.length === 0 &&
          state.plan?.steps.some((step) => step.status === "failed");
        if (gaveUp && next.outcome?.status !== "budget-exceeded") expect(next.status).toBe("failed");
        // Another transition from the same state, thrown away: it must not disturb either one.
        if (turn % 3 === 0 && !isTerminal(state)) {
          transition(state, randomInput(state, choices[turn]! + 1, at, -turn));
        }
        checkInvariants(state, next);
        state = next;
      }
      expect(isTerminal(state)).toBe(true);
      expect(state.replans).toBeLessThanOrEqual(maxReplans);
      // Whatever the path (a rejected plan included): one run-start, then exactly one run-end, last.
      expect(events[0]?.type).toBe("run-start");
      expect(events.filter((event) => event.type === "run-end")).toHaveLength(1);
      expect(events.at(-1)).toMatchObject({ type: "run-end", outcome: state.outcome });
      // Honest outcomes: a completed run has every step of its plan done.
      if (state.status === "completed") {
        expect(state.plan?.steps.filter((step) => step.status !== "done")).toEqual([]);
      }
    },
  );
}

describe("properties of transition", () => {
  it("keeps done steps, never runs a step before its dependencies, respects concurrency, and always ends", () => {
    fc.assert(randomRunProperty({ minPlanSteps: 1, maxPlanSteps: 10, turns: 400, maxConcurrency: 4 }), {
      numRuns: NUM_RUNS,
    });
  });

  it("keeps the same invariants, and an index that matches a fresh one, on plans of 64 to 200 steps", () => {
    fc.assert(randomRunProperty({ minPlanSteps: 64, maxPlanSteps: 200, turns: 2500, maxConcurrency: 16 }), {
      numRuns: Math.max(10, Math.round(NUM_RUNS / 10)),
    });
  });
});

/** A legal input chosen by `choice` among what the state allows. */
function randomInput(state: RunState, choice: number, at: number, salt: number): RunInput {
  const options: RunInput[] = [];
  for (const step of state.plan?.steps ?? []) {
    if (step.status !== "running") continue;
    const base = { at, stepId: step.id, attempt: step.attempts };
    options.push({ type: "step-finish", ...base, result: `${step.id}@${at}` });
    options.push({ type: "step-finish", ...base, result: `${step.id}@${at}` });
    options.push({ type: "step-finish", ...base, result: null, unexpected: "odd" });
    options.push({
      type: "step-fail",
      ...base,
      error: { code: "x", message: "boom" },
      retryable: choice % 2 === 0,
    });
  }
  if (state.status === "replanning" && state.plan && state.replan) {
    const locked = state.replan.locked;
    const fresh = (index: number): StepSpecInput => ({
      id: `n${salt}-${index}`,
      kind: "agent",
      description: "new",
      dependsOn: locked.length > 0 && index % 2 === 0 ? [locked[(choice + index) % locked.length]!] : [],
    });
    options.push({ type: "replan", at, output: [fresh(0), fresh(1)] });
    options.push({ type: "replan", at, output: [] });
    options.push({ type: "replan", at, output: [{ ...fresh(2), dependsOn: ["ghost"] }] });
    options.push({ type: "replan-error", at, error: { code: "down", message: "replanner down" } });
  }
  if (state.status === "approving" && state.plan) {
    options.push({ type: "approve", at });
    options.push({ type: "approve", at, steps: state.plan.steps.slice(0, 1 + (choice % 3)).map(specOf) });
    options.push({ type: "cancel", at, reason: "plan rejected" });
  }
  if (choice % 37 === 0) options.push({ type: "cancel", at, reason: "random" });
  if (options.length === 0) return { type: "tick", at };
  return options[choice % options.length]!;
}

/** A step's spec, for an edited plan (dependencies kept only inside the edited prefix). */
function specOf(step: Step, index: number, steps: Step[]): StepSpecInput {
  const kept = new Set(steps.slice(0, index).map((earlier) => earlier.id));
  return {
    id: step.id,
    kind: "agent",
    description: step.description,
    dependsOn: step.dependsOn.filter((id) => kept.has(id)),
  };
}

describe("properties of runPlan", () => {
  it("always resolves with every done step's result, and no step starts before its dependencies end", async () => {
    await fc.assert(
      fc.asyncProperty(
        dagArbitrary("t", 8),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 64, maxLength: 64 }),
        async (plan, dice) => {
          let roll = 0;
          let clock = 0;
          const started = new Map<string, number>();
          const ended = new Map<string, number>();
          const result = await runPlan({
            goal: "g",
            planner: () => plan,
            replanner: ({ plan: current }) => {
              const done = current.steps.filter((step) => step.status === "done").map((step) => step.id);
              return [{ id: `fix${roll}`, kind: "agent", description: "fix", dependsOn: done.slice(0, 1) }];
            },
            executor: async (step) => {
              const value = dice[roll++ % dice.length]!;
              started.set(step.id, ++clock);
              await new Promise((resolve) => setTimeout(resolve, value % 3));
              ended.set(step.id, ++clock);
              if (value === 0) throw new Error("random failure");
              if (value === 1) return new Promise(() => {}); // hangs until the step timeout
              return `${step.id}:${value}`;
            },
            stepTimeoutMs: 15,
            budget: { maxReplans: 2, concurrency: 3 },
          });
          expect(isTerminal(result.state)).toBe(true);
          for (const step of result.plan?.steps ?? []) {
            if (step.status === "done") expect(result.results[step.id]).toBe(step.result);
            if (started.has(step.id)) {
              for (const dependency of step.dependsOn) {
                expect(ended.get(dependency)).toBeLessThan(started.get(step.id)!);
              }
            }
          }
        },
      ),
      { numRuns: Math.max(10, Math.floor(NUM_RUNS / 5)) },
    );
  });
});
