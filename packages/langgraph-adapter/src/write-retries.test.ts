// Issue #20, outside attack, in the graph: a `write` tool's failed attempt is never retried blindly
// (maxAttempts > 1), and a replan that writes it again (same id or new, same tool and arguments)
// settles it first; under reapprove: "writes" that replan also waits for a person.
import { tool } from "@langchain/core/tools";
import { Command, isInterrupted, MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { PlanApprovalRequest } from "./approve-node.js";
import { createPlanExecuteAgent } from "./graph.js";
import { agentStep, type ModelStep, planReply, scriptedModel, toolStep } from "./test-helpers.js";
import { withEffect } from "./tool-effects.js";

const thread = (id: string) => ({ configurable: { thread_id: id } });

/** A provider whose charge lands, and then the call fails (or hangs): charges counted by key. */
function provider(mode: "throw" | "hang") {
  const charges = new Map<string, number>();
  const keys: string[] = [];
  const charge = tool(
    async ({ amount }, config) => {
      const key = String(config?.toolCall?.id ?? "");
      keys.push(key);
      charges.set(key, (charges.get(key) ?? 0) + amount);
      if (mode === "throw") throw new Error("connection reset after the request was sent");
      return new Promise<string>(() => {});
    },
    { name: "charge", description: "Charges the card", schema: z.object({ amount: z.number() }) },
  );
  const total = () => [...charges.values()].reduce((sum, n) => sum + n, 0);
  const reconcile = (key: string) =>
    charges.has(key)
      ? { happened: true as const, result: { charged: charges.get(key) } }
      : { happened: false as const };
  return { charge, charges, keys, total, reconcile };
}

function agentFor(options: {
  charge: ReturnType<typeof provider>["charge"];
  reconcile?: (key: string) => unknown;
  replanner?: ModelStep[][];
  reapprove?: "writes";
  maxAttempts?: number;
}) {
  const { model, counters } = scriptedModel({
    planner: [planReply([toolStep("pay", "charge", { amount: 5 })])],
    replanner: (options.replanner ?? [[]]).map((steps) => planReply(steps)),
  });
  const reconcile = options.reconcile as never;
  const agent = createPlanExecuteAgent({
    model,
    tools: [withEffect(options.charge, "write", reconcile ? { reconcile } : {})],
    checkpointer: new MemorySaver(),
    budget: { maxAttempts: options.maxAttempts ?? 3, retryBackoffMs: 0, maxReplans: 2 },
    stepTimeoutMs: 100,
    ...(options.reapprove ? { reapprove: options.reapprove } : {}),
  });
  return { agent, counters };
}

const stepOf = (state: { plan?: { steps: Array<{ id: string }> } | null }, id: string) =>
  state.plan!.steps.find((step) => step.id === id) as Record<string, unknown>;

describe("the graph: a write step's failed attempt under maxAttempts 3", () => {
  it("charge-then-throw without reconcile: charged once, the step fails with unsettled-effect", async () => {
    const bank = provider("throw");
    const { agent } = agentFor({ charge: bank.charge });
    const done = await agent.invoke({ goal: "Pay" }, thread("throw"));
    expect(bank.total()).toBe(5);
    expect(stepOf(done, "pay")).toMatchObject({
      status: "failed",
      attempts: 1,
      unknownEffect: { cause: "failure" },
      error: { code: "unsettled-effect", message: expect.stringContaining("connection reset") },
    });
  });

  it("charge-then-hang with reconcile: done with what the hook found, charged once", async () => {
    const bank = provider("hang");
    const { agent } = agentFor({ charge: bank.charge, reconcile: bank.reconcile });
    const done = await agent.invoke({ goal: "Pay" }, thread("hang"));
    expect(bank.total()).toBe(5);
    expect(done.outcome?.status).toBe("completed");
    expect(stepOf(done, "pay")).toMatchObject({
      status: "done",
      settlement: "reconciled",
      result: { charged: 5 },
    });
  });
});

describe("the graph: a replan that writes the failed write step again", () => {
  const again = {
    "unchanged (same id)": [toolStep("pay", "charge", { amount: 5 })],
    "under a new id": [toolStep("pay-2", "charge", { amount: 5 })],
  };
  for (const [name, steps] of Object.entries(again)) {
    it(`${name}: not run again without reconcile; settled through the first key with it`, async () => {
      const blind = provider("throw");
      const first = agentFor({ charge: blind.charge, replanner: [steps, []], maxAttempts: 1 });
      const failed = await first.agent.invoke({ goal: "Pay" }, thread(`blind-${name}`));
      expect(blind.total()).toBe(5);
      const rewritten = failed.plan!.steps.find((step) => step.revision === 1)!;
      expect(rewritten).toMatchObject({ status: "failed", attempts: 0, error: { code: "unsettled-effect" } });

      const bank = provider("throw");
      const asked: string[] = [];
      const second = agentFor({
        charge: bank.charge,
        reconcile: (key) => {
          asked.push(key);
          return bank.reconcile(key);
        },
        replanner: [steps],
        maxAttempts: 1,
      });
      const done = await second.agent.invoke({ goal: "Pay" }, thread(`reconciled-${name}`));
      expect(bank.total()).toBe(5);
      expect(done.outcome?.status).toBe("completed");
      expect(asked).toEqual([bank.keys[0]]);
      expect(done.plan!.steps.find((step) => step.revision === 1)).toMatchObject({
        status: "done",
        settlement: "reconciled",
        result: { charged: 5 },
      });
    });
  }

  it("reapprove: writes: a replan that runs the write step again waits for a person, then is settled, not re-run", async () => {
    const bank = provider("throw");
    const { agent } = agentFor({
      charge: bank.charge,
      replanner: [[toolStep("pay", "charge", { amount: 5 })], []],
      reapprove: "writes",
      maxAttempts: 1,
    });
    const paused = await agent.invoke({ goal: "Pay" }, thread("reapprove"));
    if (!isInterrupted(paused)) throw new Error("expected a re-approval interrupt");
    const request = paused.__interrupt__[0]!.value as PlanApprovalRequest;
    expect(request.change).toMatchObject({ replaced: ["pay"] });
    expect(request.plan.steps[0]).toMatchObject({ id: "pay", unknownEffect: { cause: "failure" } });
    expect(bank.total()).toBe(5);
    const done = await agent.invoke(new Command({ resume: { action: "approve" } }), thread("reapprove"));
    expect(bank.total()).toBe(5);
    expect(stepOf(done, "pay")).toMatchObject({ status: "failed", error: { code: "unsettled-effect" } });
  });
});

describe("the graph: a write agent step (function executor) written again by a replan", () => {
  it("is settled before it runs; without a hook it fails, and the run ends (no loop)", async () => {
    const { withEffect: declare } = await import("@replan/core");
    let calls = 0;
    const executor = declare(async () => {
      calls++;
      throw new Error("sent the email, then the connection dropped");
    }, "write");
    const { model } = scriptedModel({
      planner: [planReply([agentStep("mail", [], "email the customer")])],
      replanner: [planReply([agentStep("mail-2", [], "email the customer")]), planReply([])],
    });
    const agent = createPlanExecuteAgent({ model, executor, checkpointer: new MemorySaver() });
    const done = await agent.invoke({ goal: "Tell the customer" }, thread("agent-write"));
    expect(calls).toBe(1);
    expect(done.outcome?.status).toBe("failed");
    expect(stepOf(done, "mail-2")).toMatchObject({
      status: "failed",
      attempts: 0,
      error: { code: "unsettled-effect" },
    });
  });
});

describe("the graph: a step written again under the same id is settled again (fuzz finding)", () => {
  it("its attempt 1 is not mistaken for the replaced step's attempt 1: the run ends", async () => {
    const asked: string[] = [];
    const charge = tool(
      async () => {
        throw new Error("reset after sending");
      },
      { name: "charge", description: "Charges the card", schema: z.object({ amount: z.number() }) },
    );
    const { agent } = agentFor({
      charge,
      reconcile: (key) => {
        asked.push(key);
        return { happened: false };
      },
      replanner: [[toolStep("pay", "charge", { amount: 6 })], []],
      maxAttempts: 2,
    });
    const done = await agent.invoke({ goal: "Pay" }, thread("same-id"));
    expect(done.outcome?.status).toBe("failed");
    expect(asked).toHaveLength(2); // once per revision of pay (attempt 1 each), never skipped
  }, 15_000);
});
