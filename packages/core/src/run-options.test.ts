import { describe, expect, it } from "vitest";
import {
  coreDefaults,
  createRun,
  ReplanError,
  type RunPlanOptions,
  resolveConfig,
  runPlan,
  streamPlan,
  withEffect,
} from "./index.js";
import { agent } from "./test-helpers.js";

const planner = () => [agent("a")];
const executor = () => "done";

/** The message of the `invalid-options` error that `run` rejects or throws with. */
async function refusal(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(ReplanError.isInstance(error) && error.code).toBe("invalid-options");
    return (error as Error).message;
  }
  throw new Error("expected invalid-options");
}

describe("runPlan and streamPlan options", () => {
  const cases: [Record<string, unknown>, string][] = [
    [
      { plannr: planner },
      'Option "plannr" must be one of the options of runPlan: goal, planner, executor, tools, replanner, checker, budget, stepTimeoutMs, cancelGraceMs, planStreaming, signal, onEvent, onState, state, now, generateId (did you mean "planner"?), got a function',
    ],
    [{ planner: "yes" }, 'Option "planner" must be a function, got "yes"'],
    [{ goal: 5 }, 'Option "goal" must be a non-empty string, got 5'],
    [{ goal: " " }, 'Option "goal" must be a non-empty string, got " "'],
    [
      { stepTimeoutMs: 0 },
      'Option "stepTimeoutMs" must be a number > 0 and <= 2147483647, or Infinity (no limit), got 0',
    ],
    [
      { stepTimeoutMs: Number.NaN },
      'Option "stepTimeoutMs" must be a number > 0 and <= 2147483647, or Infinity (no limit), got NaN',
    ],
    [{ cancelGraceMs: -1 }, 'Option "cancelGraceMs" must be a number > 0 and <= 2147483647, got -1'],
    [{ tools: "echo" }, 'Option "tools" must be an object whose values are a function, got "echo"'],
    [{ tools: { echo: {} } }, 'Option "tools.echo" must be a function, got an object'],
    [{ checker: "yes" }, 'Option "checker" must be a function, got "yes"'],
    [{ signal: {} }, 'Option "signal" must be an AbortSignal, got an object'],
    [{ state: { status: "idle" } }, 'Option "state" must be a run state (see parseRun), got an object'],
    [{ budget: null }, 'Option "budget" must be an object, got null'],
    [{ budget: "lots" }, 'Option "budget" must be an object, got "lots"'],
    [{ budget: { maxSteps: "lots" } }, 'Option "budget.maxSteps" must be an integer >= 1, got "lots"'],
    [{ budget: { maxReplans: -1 } }, 'Option "budget.maxReplans" must be an integer >= 0, got -1'],
    [{ budget: { maxTokens: Number.NaN } }, 'Option "budget.maxTokens" must be a number >= 0, got NaN'],
    [
      { budget: { requireApproval: "no" } },
      'Option "budget.requireApproval" must be true or false, got "no"',
    ],
    [
      { budget: { hasReplanner: false } },
      'Option "budget.hasReplanner" must be one of the options of budget: concurrency, maxSteps, maxReplans, maxIdenticalFailures, maxAttempts, maxPlanAttempts, maxLlmCalls, maxTokens, maxWallTimeMs, retryBackoffMs, maxRetryBackoffMs, requireApproval, got false',
    ],
  ];

  it.each(cases)("refuses %j, naming the option", async (bad, message) => {
    const options = { goal: "g", planner, executor, ...bad } as unknown as RunPlanOptions;
    expect(await refusal(() => runPlan(options))).toBe(message);
    expect(await refusal(() => streamPlan(options).result)).toBe(
      message.replace("of runPlan", "of streamPlan"),
    );
  });

  it("refuses options that are not an object, before anything runs", async () => {
    expect(await refusal(() => runPlan(null as never))).toBe(
      "The options of runPlan must be an object, got null",
    );
    expect(await refusal(() => runPlan(undefined as never))).toBe(
      'Option "planner" must be a function, got undefined',
    );
    expect(await refusal(() => runPlan({ planner } as never))).toBe(
      'Option "goal" must be a non-empty string, got undefined',
    );
  });

  it("still streams every event to onEvent and to the iterator", async () => {
    const seen: string[] = [];
    const run = streamPlan({ goal: "g", planner, executor, onEvent: (event) => seen.push(event.type) });
    const streamed: string[] = [];
    for await (const event of run.events) streamed.push(event.type);
    expect((await run.result).status).toBe("completed");
    expect(streamed).toEqual(seen);
    expect(streamed.at(-1)).toBe("run-end");
  });

  it("takes Infinity as no limit where a limit may be absent", async () => {
    const result = await runPlan({
      goal: "g",
      planner,
      executor,
      stepTimeoutMs: Number.POSITIVE_INFINITY,
      budget: { maxLlmCalls: Number.POSITIVE_INFINITY },
    });
    expect(result.status).toBe("completed");
    expect(result.state.config.maxLlmCalls).toBeUndefined();
  });
});

describe("createRun and resolveConfig options", () => {
  it("takes the limits as budget, and keeps them resolved as state.config", () => {
    const run = createRun({ runId: "r", goal: "g", budget: { concurrency: 2 } });
    expect(run.config).toEqual(resolveConfig({ concurrency: 2 }));
    expect(run.config.concurrency).toBe(2);
    // The former name is refused, with the name it now has.
    expect(() => createRun({ runId: "r", goal: "g", config: {} } as never)).toThrow(
      /Option "config" must be one of the options of createRun: runId, goal, budget/,
    );
  });

  it("refuses unknown and bad options, naming them", async () => {
    expect(await refusal(() => createRun({ runId: "r", goal: "g", budgt: {} } as never))).toBe(
      'Option "budgt" must be one of the options of createRun: runId, goal, budget (did you mean "budget"?), got an object',
    );
    expect(await refusal(() => createRun({ runId: 7, goal: "g" } as never))).toBe(
      'Option "runId" must be a string, got 7',
    );
    expect(await refusal(() => createRun({ runId: "r", goal: "g", budget: { concurrency: 0 } }))).toBe(
      'Option "budget.concurrency" must be an integer >= 1, got 0',
    );
    expect(await refusal(() => resolveConfig({ maxAttempt: 2 } as never))).toBe(
      'Option "maxAttempt" must be one of the options of resolveConfig: concurrency, maxSteps, maxReplans, maxIdenticalFailures, maxAttempts, maxPlanAttempts, maxLlmCalls, maxTokens, maxWallTimeMs, retryBackoffMs, maxRetryBackoffMs, hasReplanner, requireApproval, effects (did you mean "maxAttempts"?), got 2',
    );
    expect(await refusal(() => resolveConfig({ hasReplanner: "yes" } as never))).toBe(
      'Option "hasReplanner" must be true or false, got "yes"',
    );
  });
});

describe("coreDefaults", () => {
  it("is frozen, and is what an empty budget resolves to", () => {
    expect(Object.isFrozen(coreDefaults)).toBe(true);
    expect(() => {
      (coreDefaults as { concurrency: number }).concurrency = 100;
    }).toThrow(TypeError);
    const { stepTimeoutMs, cancelGraceMs, forecast, planStreaming: _planStreaming, ...budget } = coreDefaults;
    expect(resolveConfig({})).toEqual(budget);
    expect([stepTimeoutMs, cancelGraceMs]).toEqual([300_000, 5_000]);
    expect(Object.isFrozen(forecast)).toBe(true);
  });
});

describe("streamPlan and ms delays (issue #17, outside tester)", () => {
  it("streamPlan throws bad options at once, as runPlan rejects them", async () => {
    expect(() => streamPlan({ goal: "g", planner, budget: "lots" as never })).toThrow(
      'Option "budget" must be an object, got "lots"',
    );
    await expect(runPlan({ goal: "g", planner, budget: "lots" as never })).rejects.toThrow(
      'Option "budget" must be an object, got "lots"',
    );
  });

  it("iterating events throws when the run cannot start", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stopped early"));
    const run = streamPlan({ goal: "g", planner, executor: () => "x", signal: controller.signal });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const event of run.events) seen.push(event.type);
      })(),
    ).rejects.toThrow("stopped early");
    await expect(run.result).rejects.toThrow("stopped early");
  });

  it("ms delays longer than a timer can wait are refused; Infinity means no limit", async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ budget: { retryBackoffMs: 3e9 } }, "budget.retryBackoffMs"],
      [{ budget: { maxRetryBackoffMs: 3e9 } }, "budget.maxRetryBackoffMs"],
      [{ budget: { maxWallTimeMs: 3e9 } }, "budget.maxWallTimeMs"],
      [{ budget: { retryBackoffMs: Number.POSITIVE_INFINITY } }, "budget.retryBackoffMs"],
      [{ stepTimeoutMs: 3e9 }, "stepTimeoutMs"],
      [{ cancelGraceMs: 3e9 }, "cancelGraceMs"],
    ];
    for (const [options, name] of bad) {
      expect(() => streamPlan({ goal: "g", planner, executor: () => "x", ...options })).toThrow(
        `Option "${name}" must be a number `,
      );
    }
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      let calls = 0;
      const result = await runPlan({
        goal: "g",
        planner,
        // Idempotent: retried (a write step's failed attempt is settled instead).
        executor: withEffect(() => {
          calls += 1;
          if (calls === 1) throw new ReplanError("flaky", "once", { retryable: true });
          return "ok";
        }, "idempotent"),
        stepTimeoutMs: Number.POSITIVE_INFINITY,
        budget: {
          maxAttempts: 2,
          retryBackoffMs: 0,
          maxRetryBackoffMs: Number.POSITIVE_INFINITY,
          maxWallTimeMs: Number.POSITIVE_INFINITY,
        },
      });
      expect(result.status).toBe("completed");
      expect(result.state.config.maxRetryBackoffMs).toBe(2_147_483_647);
      expect(result.state.config.maxWallTimeMs).toBeUndefined();
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain("TimeoutOverflowWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });
});
