import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IllegalTransitionError } from "./errors.js";
import type { RunInput, RunInputType } from "./run-messages.js";
import type { RunState, RunStatus, StepSpecInput } from "./schemas.js";
import { agent, startedRun } from "./test-helpers.js";
import { createRun, isTerminal, transition } from "./index.js";
import { acceptedInputs, INPUT_TYPES } from "./transition-table.js";

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 150);

/** A well-formed input of `type` for `state`: a step report names a running step on its attempt. */
function sampleInput(state: RunState, type: RunInputType, at: number): RunInput {
  const steps = state.plan?.steps ?? [];
  const target =
    steps.find((step) => step.status === "running" && step.settlement === "unsettled") ??
    steps.find((step) => step.status === "running") ??
    steps[0];
  const report = { at, stepId: target?.id ?? "nowhere", attempt: target?.attempts ?? 1 };
  const error = { code: "boom", message: "down" };
  switch (type) {
    case "plan":
      return { type, at, output: [agent("p1")] };
    case "plan-step":
      return { type, at, output: agent(`p${at}`) };
    case "plan-end":
      return { type, at };
    case "replan":
      return { type, at, output: [] };
    case "replan-step":
      return { type, at, output: { op: "add", step: agent(`r${at}`) } };
    case "replan-end":
      return { type, at };
    case "plan-error":
    case "replan-error":
      return { type, at, error };
    case "step-finish":
      return { type, ...report, result: "ok" };
    case "step-fail":
      return { type, ...report, error };
    case "step-lost":
      return { type, ...report };
    case "step-settle":
      return { type, ...report, by: "person", outcome: { type: "run-again" } };
    case "settle-error":
      return { type, ...report, error };
    case "replan-request":
      return { type, at, reason: "asked" };
    case "usage":
      return { type, at, usage: { llmCalls: 1 } };
    case "approve":
    case "cancel":
    case "start":
    case "tick":
    case "resume":
      return { type, at };
  }
}

/** Whether `transition` takes the input (true), or refuses it as illegal (false). */
function takes(state: RunState, input: RunInput): boolean {
  try {
    transition(state, input);
    return true;
  } catch (error) {
    expect(IllegalTransitionError.isInstance(error), String(error)).toBe(true);
    expect(error).toMatchObject({ code: "illegal-transition", event: input.type });
    return false;
  }
}

/** Checks `acceptedInputs` against what `transition` does with an input of every type. */
function expectAcceptedMatchesTransition(state: RunState, at: number): void {
  const accepted = acceptedInputs(state);
  for (const type of INPUT_TYPES) {
    expect({ status: state.status, type, takes: takes(state, sampleInput(state, type, at)) }).toEqual({
      status: state.status,
      type,
      takes: accepted.includes(type),
    });
  }
}

describe("acceptedInputs", () => {
  it("lists, for a state of every status, the inputs of the transition table", () => {
    const expected: Record<RunStatus, RunInputType[]> = {
      idle: ["start", "usage", "tick", "resume", "cancel"],
      planning: ["plan", "plan-step", "plan-end", "plan-error", "usage", "tick", "resume", "cancel"],
      approving: ["approve", "usage", "tick", "resume", "cancel"],
      executing: [
        "step-finish",
        "step-fail",
        "step-lost",
        "replan-request",
        "usage",
        "tick",
        "resume",
        "cancel",
      ],
      replanning: [
        "step-finish",
        "step-fail",
        "step-lost",
        "replan",
        "replan-step",
        "replan-end",
        "replan-error",
        "usage",
        "tick",
        "resume",
        "cancel",
      ],
      completed: ["tick", "resume"],
      failed: ["tick", "resume"],
      cancelled: ["tick", "resume"],
      "budget-exceeded": ["tick", "resume"],
    };
    const idle = createRun({ runId: "r", goal: "g" });
    const planning = transition(idle, { type: "start", at: 0 }).state;
    const approving = startedRun([agent("a")], { requireApproval: true }).state;
    const executing = startedRun([agent("a"), agent("b")], { concurrency: 1 }).state;
    const replanning = transition(executing, { type: "replan-request", at: 2, reason: "change" }).state;
    const completed = transition(executing, {
      type: "step-finish",
      at: 2,
      stepId: "a",
      attempt: 1,
      result: 1,
    });
    const done = transition(completed.state, {
      type: "step-finish",
      at: 3,
      stepId: "b",
      attempt: 1,
      result: 2,
    });
    const failed = transition(planning, {
      type: "plan-error",
      at: 1,
      error: { code: "x", message: "no" },
      retryable: false,
    });
    const cancelled = transition(executing, { type: "cancel", at: 2 }).state;
    const overBudget = startedRun([agent("a")], { maxWallTimeMs: 5 });
    const budgetExceeded = transition(overBudget.state, { type: "tick", at: 100 }).state;
    const states = [
      idle,
      planning,
      approving,
      executing,
      replanning,
      done.state,
      failed.state,
      cancelled,
      budgetExceeded,
    ];
    expect(states.map((state) => state.status)).toEqual(Object.keys(expected));
    for (const state of states) {
      // Fixed order: the order of INPUT_TYPES.
      expect(acceptedInputs(state)).toEqual(
        INPUT_TYPES.filter((type) => expected[state.status].includes(type)),
      );
      expectAcceptedMatchesTransition(state, 200);
    }
  });

  it("leaves out what the state refuses whatever the input's data", () => {
    // A replan under way with no step running: no step report can fit.
    const failing = startedRun([agent("a")], { maxReplans: 1 });
    const replanning = transition(failing.state, {
      type: "step-fail",
      at: 2,
      stepId: "a",
      attempt: 1,
      error: { code: "x", message: "no" },
    }).state;
    expect(replanning.status).toBe("replanning");
    expect(acceptedInputs(replanning)).toEqual([
      "replan",
      "replan-step",
      "replan-end",
      "replan-error",
      "usage",
      "tick",
      "resume",
      "cancel",
    ]);
    expect(() => transition(replanning, sampleInput(replanning, "step-finish", 3))).toThrow(
      'Illegal "step-finish": no step is running (the run is replanning)',
    );
    // A run without a replanner accepts no replan request.
    const alone = startedRun([agent("a")], { hasReplanner: false }).state;
    expect(acceptedInputs(alone)).not.toContain("replan-request");
    expect(() => transition(alone, { type: "replan-request", at: 2, reason: "r" })).toThrow(
      'Illegal "replan-request": the run has no replanner',
    );
  });

  it("matches transition in every state of random runs (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
        fc.record({
          concurrency: fc.integer({ min: 1, max: 3 }),
          maxReplans: fc.integer({ min: 0, max: 2 }),
          maxAttempts: fc.integer({ min: 1, max: 2 }),
          requireApproval: fc.boolean(),
          hasReplanner: fc.boolean(),
          maxLlmCalls: fc.constantFrom(undefined, 3, 6),
        }),
        (size, choices, { maxLlmCalls, ...config }) => {
          const plan: StepSpecInput[] = Array.from({ length: size }, (_, index) =>
            agent(`s${index}`, index > 0 && index % 2 === 0 ? [`s${index - 1}`] : []),
          );
          let state = createRun({
            runId: "r",
            goal: "g",
            budget: { ...config, ...(maxLlmCalls === undefined ? {} : { maxLlmCalls }) },
          });
          let at = 0;
          for (const choice of choices) {
            expectAcceptedMatchesTransition(state, at);
            if (isTerminal(state)) break;
            // Move on with one of the accepted inputs, a plan when one is asked for.
            const accepted = acceptedInputs(state).filter((type) => type !== "cancel" || choice % 23 === 0);
            const type = accepted[choice % accepted.length]!;
            const input =
              type === "plan" && choice % 4 !== 0 ? { type, at, output: plan } : sampleInput(state, type, at);
            state = transition(state, { ...input, at: ++at } as RunInput).state;
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("names only input types that exist, and a state's refusal says why", () => {
    const { state } = startedRun([agent("a")]);
    expect(() => transition(state, { type: "nonsense", at: 1 } as unknown as RunInput)).toThrow(
      'Illegal "nonsense": unknown input type',
    );
    expect(() => transition(state, { type: "approve", at: 1 })).toThrow(
      'Illegal "approve": no plan is waiting for approval (the run is executing)',
    );
    expect(() =>
      transition(state, { type: "step-finish", at: 1, stepId: "a", attempt: 2, result: 1 }),
    ).toThrow('Illegal "step-finish": step "a" is on attempt 1, not 2');
    expect(() =>
      transition(state, { type: "step-finish", at: 1, stepId: "b", attempt: 1, result: 1 }),
    ).toThrow('Illegal "step-finish": there is no step "b" in the plan');
  });
});
