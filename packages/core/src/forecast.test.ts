import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Checker,
  criticalPath,
  type Executor,
  forecastPlan,
  type Plan,
  ReplanError,
  runPlan,
  type Step,
  type StepSpecInput,
  type ToolFunction,
} from "./index.js";

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 100);

/** A random DAG of agent and tool steps: step i may depend on any steps before it. */
const planArbitrary = fc
  .array(fc.record({ deps: fc.array(fc.nat(), { maxLength: 3 }), tool: fc.boolean() }), {
    minLength: 1,
    maxLength: 14,
  })
  .map((picks): StepSpecInput[] =>
    picks.map(({ deps, tool }, index) => {
      const dependsOn = index === 0 ? [] : [...new Set(deps.map((pick) => `s${pick % index}`))];
      const base = { id: `s${index}`, description: `step ${index}`, dependsOn };
      return tool ? { ...base, kind: "tool", tool: "echo", args: { n: index } } : { ...base, kind: "agent" };
    }),
  );

/** A plan as the state machine holds it: every step pending. */
function pendingPlan(specs: StepSpecInput[]): Plan {
  const steps = specs.map(
    (spec) =>
      ({
        ...spec,
        dependsOn: spec.dependsOn ?? [],
        ...(spec.kind === "tool" ? { args: spec.args ?? {} } : {}),
        status: "pending",
        attempts: 0,
        revision: 0,
      }) as Step,
  );
  return { goal: "g", revision: 0, steps };
}

/** Every path's length, by brute force: the longest chain of dependencies. */
function longestPathBruteForce(steps: readonly Step[]): number {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const longestEndingAt = (id: string): number => {
    const step = byId.get(id)!;
    const deps = step.dependsOn.filter((dep) => byId.has(dep));
    return 1 + Math.max(0, ...deps.map(longestEndingAt));
  };
  return Math.max(0, ...steps.map((step) => longestEndingAt(step.id)));
}

describe("forecastPlan: model calls equal the calls of runPlan when nothing fails", () => {
  it("holds over random plans, executors and checkers", async () => {
    await fc.assert(
      fc.asyncProperty(
        planArbitrary,
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 1, max: 4 }),
        async (specs, callsPerAgentStep, callsPerCheck, concurrency) => {
          let calls = 0; // every call of the fake model, whoever makes it
          let forecast: ReturnType<typeof forecastPlan> | undefined;
          const planner = () => {
            calls++;
            return { steps: specs, usage: { llmCalls: 1, promptTokens: 100, completionTokens: 50 } };
          };
          const executor: Executor = (step, context) => {
            for (let call = 0; call < callsPerAgentStep; call++) {
              calls++;
              context.reportUsage({ llmCalls: 1 });
            }
            return step.id;
          };
          const checker: Checker = (_step, _result, context) => {
            for (let call = 0; call < callsPerCheck; call++) {
              calls++;
              context.reportUsage({ llmCalls: 1 });
            }
            return { expected: true };
          };
          const tools: Record<string, ToolFunction> = { echo: ({ n }) => n };
          const result = await runPlan({
            goal: "g",
            planner,
            executor,
            checker,
            tools,
            budget: { concurrency },
            onEvent: (event) => {
              if (event.type !== "plan-end") return;
              // what the run spent so far: the planner's one call
              forecast = forecastPlan(event.plan, {
                usage: { llmCalls: calls, promptTokens: 100, completionTokens: 50 },
                agentStepCalls: callsPerAgentStep,
                checkCalls: callsPerCheck,
              });
            },
          });
          expect(result.status).toBe("completed");
          expect(forecast?.modelCalls.total).toBe(calls);
          expect(forecast?.modelCalls.most).toBe(calls);
          expect(result.usage.llmCalls).toBe(calls);
          expect(forecast?.tokens.made).toBe(150);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("criticalPath", () => {
  it("is a chain of dependencies as long as the longest path, found by brute force", () => {
    fc.assert(
      fc.property(planArbitrary, fc.array(fc.boolean(), { maxLength: 14 }), (specs, doneFlags) => {
        const plan = pendingPlan(specs);
        // some steps already done: they are no longer on any path to come
        const steps = plan.steps.map((step, index) =>
          doneFlags[index] ? ({ ...step, status: "done", result: 1 } as Step) : step,
        );
        const path = criticalPath(steps);
        const toCome = steps.filter((step) => step.status === "pending");
        expect(path.depth).toBe(longestPathBruteForce(toCome));
        expect(path.steps).toHaveLength(path.depth);
        const byId = new Map(steps.map((step) => [step.id, step]));
        path.steps.forEach((id, index) => {
          expect(byId.get(id)?.status).toBe("pending");
          if (index > 0) expect(byId.get(id)?.dependsOn).toContain(path.steps[index - 1]);
        });
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it("chooses the same path every time, and is empty when nothing is left", () => {
    const plan = pendingPlan([
      { id: "a", kind: "agent", description: "a" },
      { id: "b", kind: "agent", description: "b" },
      { id: "c", kind: "agent", description: "c", dependsOn: ["b", "a"] },
    ]);
    expect(criticalPath(plan.steps)).toEqual({ steps: ["b", "c"], depth: 2 });
    const done = plan.steps.map((step) => ({ ...step, status: "done" }) as Step);
    expect(criticalPath(done)).toEqual({ steps: [], depth: 0 });
  });

  it("refuses a cycle with invalid-plan, and a deep chain needs no recursion", () => {
    const cyclic = pendingPlan([
      { id: "a", kind: "agent", description: "a", dependsOn: ["b"] },
      { id: "b", kind: "agent", description: "b", dependsOn: ["a"] },
    ]);
    const error = (() => {
      try {
        criticalPath(cyclic.steps);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(ReplanError.isInstance(error) && error.code).toBe("invalid-plan");
    const chain = pendingPlan(
      Array.from({ length: 20_000 }, (_, index) => ({
        id: `s${index}`,
        kind: "agent" as const,
        description: "d",
        dependsOn: index === 0 ? [] : [`s${index - 1}`],
      })),
    );
    expect(criticalPath(chain.steps).depth).toBe(20_000);
  });
});

describe("forecastPlan", () => {
  const plan = pendingPlan([
    { id: "fetch", kind: "tool", tool: "get", description: "Fetch", args: {} },
    { id: "sum", kind: "agent", description: "Summarize", dependsOn: ["fetch"] },
  ]);

  it("counts each kind of call, with a range and the answer", () => {
    const forecast = forecastPlan(plan, {
      usage: { llmCalls: 2, promptTokens: 10, completionTokens: 5 },
      agentStepCalls: { least: 1, most: 8 },
      checkCalls: 1,
      answerCalls: 1,
    });
    expect(forecast.steps).toEqual({ agent: 1, tool: 1 });
    expect(forecast.modelCalls).toEqual({ made: 2, agentSteps: 1, checks: 2, answer: 1, total: 6, most: 13 });
    expect(forecast.criticalPath).toEqual({ steps: ["fetch", "sum"], depth: 2 });
    expect(forecastPlan(plan, { agentStepCalls: { least: 1 } }).modelCalls.most).toBeNull();
  });

  it("estimates tokens by the documented formula", () => {
    const tokens = { charsPerToken: 4, promptChars: 40, resultChars: 100, outputTokens: 10 };
    const forecast = forecastPlan(plan, { tokens, answerCalls: 1 });
    // agent step "sum": goal (1) + "Summarize" (9) + one dependency (100) + 40 = 150 chars -> 38 + 10
    // answer: goal (1) + "Fetch" (5) + 100 + "Summarize" (9) + 100 + 40 = 255 chars -> 64 + 10
    expect(forecast.tokens).toEqual({ made: 0, estimate: 48 + 74, total: 122 });
  });

  it("counts only what is still to run", () => {
    const halfway: Plan = {
      ...plan,
      steps: [
        { ...plan.steps[0]!, status: "done", result: 1 },
        { ...plan.steps[1]!, status: "running" },
      ],
    };
    const forecast = forecastPlan(halfway, { checkCalls: 1 });
    expect(forecast.steps).toEqual({ agent: 1, tool: 0 });
    expect(forecast.modelCalls.total).toBe(2);
    expect(forecast.criticalPath).toEqual({ steps: ["sum"], depth: 1 });
  });

  it("flags the write steps still to run: recorded class first, else the declarations, else write", () => {
    const steps: Step[] = [
      { ...plan.steps[0]!, status: "done", result: 1 }, // a write that ended: nothing more to flag
      plan.steps[1]!, // an agent step, executor declared idempotent
      {
        id: "pay",
        kind: "tool",
        tool: "pay",
        args: {},
        description: "Pay",
        dependsOn: [],
        status: "pending",
        attempts: 0,
        revision: 0,
      },
      {
        id: "mail",
        kind: "tool",
        tool: "mail",
        args: {},
        description: "Mail",
        dependsOn: [],
        status: "pending",
        attempts: 0,
        revision: 0,
      },
      {
        id: "look",
        kind: "tool",
        tool: "pay",
        args: {},
        description: "Recorded",
        dependsOn: [],
        status: "pending",
        attempts: 0,
        revision: 0,
        effect: "read",
      },
    ];
    const effects = { tools: { get: "read", pay: "write" }, agent: "idempotent" } as const;
    expect(forecastPlan({ ...plan, steps }, { effects }).writes).toEqual(["pay", "mail"]);
    expect(forecastPlan({ ...plan, steps }).writes).toEqual(["sum", "pay", "mail"]);
    expect(() => forecastPlan(plan, { effects: { tools: { get: "delete" } } } as never)).toThrow(
      'Option "effects.tools.get" must be',
    );
  });

  it.each([
    [null, 'Option "plan" must be a plan'],
    [{ goal: "g", steps: [{ id: "x" }] }, 'Option "plan" must be a plan'],
  ])("refuses %j as a plan with invalid-options", (bad, message) => {
    expect(() => forecastPlan(bad as never)).toThrow(message);
  });

  it.each([
    [{ agentStepCalls: -1 }, 'Option "agentStepCalls"'],
    [{ agentStepCalls: { most: 2 } }, 'Option "agentStepCalls.least"'],
    [{ tokens: { charsPerToken: 0 } }, 'Option "tokens.charsPerToken" must be a number > 0'],
    [{ answerCals: 1 }, 'did you mean "answerCalls"?'],
    [{ usage: { llmCalls: Number.NaN } }, 'Option "usage.llmCalls"'],
  ])("refuses %j with invalid-options", (options, message) => {
    let error: unknown;
    try {
      forecastPlan(plan, options as never);
    } catch (thrown) {
      error = thrown;
    }
    expect(ReplanError.isInstance(error) && error.code).toBe("invalid-options");
    expect((error as Error).message).toContain(message);
  });
});
