// Issue #20, outside attack: a `write` step whose attempt failed with its effect unknown is never
// retried blindly (maxAttempts > 1), and a replan that writes it again settles it first.
import { describe, expect, it } from "vitest";
import {
  ReplanError,
  type PatchEntryInput,
  type ReplannerOutput,
  type RunEvent,
  runPlan,
  type StepSpecInput,
  type ToolFunction,
  transition,
  withEffect,
} from "./index.js";
import { startedRun } from "./test-helpers.js";

const payStep = (id = "p", amount = 5): StepSpecInput => ({
  id,
  kind: "tool",
  tool: "pay",
  args: { amount },
  description: `pay ${amount}`,
});

/** A payment provider: charges land in `charges` by key, whatever happens to the call after. */
function provider() {
  const charges = new Map<string, number>();
  return {
    charges,
    /** Charges, then throws: the caller cannot tell the charge landed. */
    chargeThenThrow: (async (args, { key }) => {
      charges.set(key, (charges.get(key) ?? 0) + Number(args.amount));
      throw new Error("connection reset after the request was sent");
    }) as ToolFunction,
    /** Charges, then never answers (the step time limit cuts it). */
    chargeThenHang: (async (args, { key }) => {
      charges.set(key, (charges.get(key) ?? 0) + Number(args.amount));
      return new Promise(() => {});
    }) as ToolFunction,
    reconcile: (key: string) =>
      charges.has(key)
        ? { happened: true as const, result: { charged: charges.get(key) } }
        : { happened: false as const },
  };
}

const total = (charges: Map<string, number>) => [...charges.values()].reduce((sum, n) => sum + n, 0);

describe("a write step's failed attempt under maxAttempts > 1", () => {
  it("charge-then-throw without reconcile: charged once, the step fails with unsettled-effect", async () => {
    const bank = provider();
    const result = await runPlan({
      goal: "g",
      planner: () => [payStep()],
      tools: { pay: withEffect(bank.chargeThenThrow, "write") },
      budget: { maxAttempts: 3, retryBackoffMs: 0 },
    });
    expect(total(bank.charges)).toBe(5);
    expect(result.status).toBe("failed");
    expect(result.plan!.steps[0]).toMatchObject({
      status: "failed",
      attempts: 1,
      settlement: "unsettled",
      unknownEffect: { key: `${result.state.runId}:0:p`, cause: "failure" },
      error: { code: "unsettled-effect", message: expect.stringContaining("connection reset") },
    });
  });

  it("charge-then-hang with reconcile: the hook says it happened, the step is done with its result", async () => {
    const bank = provider();
    const events: RunEvent[] = [];
    const result = await runPlan({
      goal: "g",
      planner: () => [payStep()],
      tools: { pay: withEffect(bank.chargeThenHang, "write", { reconcile: bank.reconcile }) },
      budget: { maxAttempts: 3, retryBackoffMs: 0 },
      stepTimeoutMs: 50,
      onEvent: (event) => events.push(event),
    });
    expect(total(bank.charges)).toBe(5);
    expect(result.status).toBe("completed");
    expect(result.results.p).toEqual({ charged: 5 });
    expect(result.plan!.steps[0]).toMatchObject({ attempts: 1, settlement: "reconciled" });
    expect(result.plan!.steps[0]!.unknownEffect).toBeUndefined();
    const settles = events.filter((event) => event.type === "step-settle");
    expect(settles.map((event) => [event.settlement, event.outcome])).toEqual([
      ["unsettled", undefined],
      ["reconciled", "ran"],
    ]);
  });

  it("the hook says it did not happen: the step runs again (attempt 2, same key)", async () => {
    let calls = 0;
    const pay = withEffect<ToolFunction>(
      (_args, { attempt }) => {
        calls++;
        if (attempt === 1) throw new Error("dropped before the provider saw it, but nobody knows that");
        return "paid";
      },
      "write",
      { reconcile: () => ({ happened: false }) },
    );
    const result = await runPlan({
      goal: "g",
      planner: () => [payStep()],
      tools: { pay },
      budget: { maxAttempts: 3, retryBackoffMs: 0 },
    });
    expect(result.status).toBe("completed");
    expect(calls).toBe(2);
    expect(result.plan!.steps[0]).toMatchObject({ attempts: 2, settlement: "reconciled" });
  });

  it("a failure known not to have reached the effect (effectHappened: false) is retried without asking", async () => {
    let calls = 0;
    let asked = 0;
    const pay = withEffect(
      () => {
        calls++;
        if (calls === 1) {
          throw new ReplanError("refused-locally", "the rate limiter refused before sending", {
            retryable: true,
            effectHappened: false,
          });
        }
        if (calls === 2) throw Object.assign(new Error("plain object marker"), { effectHappened: false });
        return "paid";
      },
      "write",
      {
        reconcile: () => {
          asked++;
          return { happened: false };
        },
      },
    );
    const result = await runPlan({
      goal: "g",
      planner: () => [payStep()],
      tools: { pay },
      budget: { maxAttempts: 3, retryBackoffMs: 0 },
    });
    expect(result.status).toBe("completed");
    expect([calls, asked]).toEqual([3, 0]);
  });

  it("a hostile reconcile (throws, hangs, answers garbage, a result that is not JSON) never leads to a retry", async () => {
    const hooks = [
      () => {
        throw new Error("provider API down");
      },
      () => new Promise<never>(() => {}),
      () => ({ happened: "yes" }) as never,
      () => ({ happened: true, result: 10n }) as never,
      () =>
        ({
          happened: true,
          get result() {
            throw new Error("getter");
          },
        }) as never,
      () => null as never,
    ];
    for (const reconcile of hooks) {
      const bank = provider();
      const result = await runPlan({
        goal: "g",
        planner: () => [payStep()],
        tools: { pay: withEffect(bank.chargeThenThrow, "write", { reconcile }) },
        budget: { maxAttempts: 3, retryBackoffMs: 0 },
        stepTimeoutMs: 50,
      });
      expect(total(bank.charges)).toBe(5);
      expect(result.plan!.steps[0]).toMatchObject({ status: "failed", error: { code: "unsettled-effect" } });
    }
  });

  it("read and idempotent steps keep their retries", async () => {
    for (const effect of ["read", "idempotent"] as const) {
      let calls = 0;
      const tool = withEffect(() => {
        if (++calls < 3) throw new Error("flaky");
        return "ok";
      }, effect);
      const result = await runPlan({
        goal: "g",
        planner: () => [payStep()],
        tools: { pay: tool },
        budget: { maxAttempts: 3, retryBackoffMs: 0 },
      });
      expect([result.status, calls]).toEqual(["completed", 3]);
    }
  });

  it("in the pure core: step-fail asks to settle a write step, and retries only with effectHappened: false", () => {
    const { state } = startedRun([payStep()], { maxAttempts: 2, retryBackoffMs: 10 });
    const error = { code: "boom", message: "reset" };
    const unknown = transition(state, { type: "step-fail", at: 2, stepId: "p", attempt: 1, error });
    expect(unknown.effects).toEqual([
      { type: "settle-step", stepId: "p", attempt: 1, key: "r:0:p", cause: "failure" },
    ]);
    const ruledOut = transition(state, {
      type: "step-fail",
      at: 2,
      stepId: "p",
      attempt: 1,
      error,
      effectHappened: false,
    });
    expect(ruledOut.effects).toEqual([
      { type: "execute-step", stepId: "p", attempt: 2, key: "r:0:p", delayMs: 10 },
    ]);
  });
});

describe("a replan that writes a failed write step again", () => {
  // maxAttempts 1: the failed attempt is not retried, so the replan is what would run it again.
  for (const [name, answer] of [
    ["unchanged (same id)", () => ({ replace: [payStep()] })],
    ["as a full rewrite naming it again", () => [payStep()]],
    ["under a new id, same tool and arguments", () => ({ remove: ["p"], add: [payStep("p-again")] })],
  ] as const) {
    it(`${name}: without reconcile, not run again (unsettled-effect)`, async () => {
      const bank = provider();
      let replans = 0;
      const result = await runPlan({
        goal: "g",
        planner: () => [payStep()],
        tools: { pay: withEffect(bank.chargeThenThrow, "write") },
        replanner: () => (replans++ === 0 ? answer() : []) as ReplannerOutput,
        budget: { maxReplans: 3 },
      });
      expect(total(bank.charges)).toBe(5);
      expect(result.status).not.toBe("completed");
      const again = result.plan!.steps.find((step) => step.revision === 1)!;
      expect(again).toMatchObject({
        status: "failed",
        attempts: 0,
        unknownEffect: { key: `${result.state.runId}:0:p`, cause: "failure" },
        error: { code: "unsettled-effect" },
      });
    });

    it(`${name}: with reconcile, settled through the first attempt's key`, async () => {
      const bank = provider();
      const keys: string[] = [];
      const result = await runPlan({
        goal: "g",
        planner: () => [payStep()],
        tools: {
          pay: withEffect(bank.chargeThenThrow, "write", {
            reconcile: (key) => {
              keys.push(key);
              return bank.reconcile(key);
            },
          }),
        },
        replanner: () => answer() as ReplannerOutput,
        budget: { maxReplans: 3 },
      });
      expect(total(bank.charges)).toBe(5);
      expect(keys).toEqual([`${result.state.runId}:0:p`]);
      expect(result.status).toBe("completed");
      const again = result.plan!.steps.find((step) => step.revision === 1)!;
      expect(again).toMatchObject({ status: "done", settlement: "reconciled", result: { charged: 5 } });
    });
  }

  it("a streamed replan (entries) that writes it again is settled the same way", async () => {
    const bank = provider();
    const keys: string[] = [];
    async function* replanner(): AsyncGenerator<PatchEntryInput, unknown> {
      yield { op: "add", step: payStep("p-streamed") };
      yield { op: "remove", id: "p" };
      return { add: [payStep("p-streamed")], remove: ["p"] };
    }
    const result = await runPlan({
      goal: "g",
      planner: () => [payStep()],
      tools: {
        pay: withEffect(bank.chargeThenThrow, "write", {
          reconcile: (key) => {
            keys.push(key);
            return bank.reconcile(key);
          },
        }),
      },
      replanner,
    });
    expect(total(bank.charges)).toBe(5);
    expect(keys).toEqual([`${result.state.runId}:0:p`]);
    expect(result.results["p-streamed"]).toEqual({ charged: 5 });
  });

  it("the same tool with other arguments is another effect: it runs", async () => {
    let calls = 0;
    const pay = withEffect(({ amount }: Record<string, unknown>) => {
      calls++;
      if (amount === 5) throw new Error("reset");
      return "paid";
    }, "write");
    const result = await runPlan({
      goal: "g",
      planner: () => [payStep()],
      tools: { pay },
      replanner: () => ({ replace: [payStep("p", 6)] }),
    });
    expect([result.status, calls]).toEqual(["completed", 2]);
  });
});
