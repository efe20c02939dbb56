// Issue #20, outside attack: the settlement request carries the reconcile hook's own error; a
// Command without an answer (resume: null, undefined, missing) to the approval or the settlement
// pause is a typed error, the state untouched and the run still resumable with a good answer.
import { tool } from "@langchain/core/tools";
import { Command, isInterrupted, MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PlanExecuteError } from "./errors.js";
import { createPlanExecuteAgent } from "./graph.js";
import type { EffectSettlementRequest } from "./settle-node.js";
import { agentStep, planReply, scriptedModel, toolStep } from "./test-helpers.js";
import { withEffect } from "./tool-effects.js";

const thread = (id: string) => ({ configurable: { thread_id: id } });
const empties = () => [new Command({ resume: null }), new Command({ resume: undefined }), new Command({})];
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe("a Command without an answer", () => {
  it("to a plan approval: invalid-approval, nothing changed, a good answer then runs the plan", async () => {
    const { model } = scriptedModel({ planner: [planReply([agentStep("a")])] });
    const agent = createPlanExecuteAgent({ model, requireApproval: true, checkpointer: new MemorySaver() });
    await agent.invoke({ goal: "g" }, thread("approve"));
    const before = await agent.getState(thread("approve"));
    for (const command of empties()) {
      const error = await failure(agent.invoke(command as never, thread("approve")));
      expect(PlanExecuteError.isInstance(error) && error.code, String(error)).toBe("invalid-approval");
    }
    const after = await agent.getState(thread("approve"));
    expect(after.config.configurable?.checkpoint_id).toBe(before.config.configurable?.checkpoint_id);
    const done = await agent.invoke(new Command({ resume: { action: "approve" } }), thread("approve"));
    expect(done.outcome?.status).toBe("completed");
  });

  it("on a thread with no checkpoint: nothing-to-resume", async () => {
    const { model } = scriptedModel({ planner: [planReply([agentStep("a")])] });
    const agent = createPlanExecuteAgent({ model, checkpointer: new MemorySaver() });
    const error = await failure(agent.invoke(new Command({ resume: null }), thread("none")));
    expect(PlanExecuteError.isInstance(error) && error.code).toBe("nothing-to-resume");
  });
});

describe("a write step cut short by the caller's abort", () => {
  /** A charge that lands, then waits until the call is aborted. */
  function provider(reconcile: (key: string) => unknown) {
    let charges = 0;
    const charge = tool(
      async (_args, config) => {
        charges++;
        await new Promise((_, reject) => {
          const signal = config?.signal;
          if (signal?.aborted) reject(signal.reason);
          signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
        });
        return "unreachable";
      },
      { name: "charge", description: "Charges the card", schema: z.object({ amount: z.number() }) },
    );
    return { charge: withEffect(charge, "write", { reconcile: reconcile as never }), charges: () => charges };
  }

  it("is settled by a person, who sees the reconcile hook's own error; an empty answer is invalid-settlement", async () => {
    const bank = provider(() => {
      throw new Error("the provider's lookup API answered 502");
    });
    const { model } = scriptedModel({ planner: [planReply([toolStep("pay", "charge", { amount: 5 })])] });
    const agent = createPlanExecuteAgent({ model, tools: [bank.charge], checkpointer: new MemorySaver() });
    const controller = new AbortController();
    const stopped = failure(agent.invoke({ goal: "Pay" }, { ...thread("abort"), signal: controller.signal }));
    while (bank.charges() === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error("the user stopped the run"));
    await stopped;

    const paused = await agent.invoke(null, thread("abort"));
    if (!isInterrupted(paused)) throw new Error("expected a settlement interrupt");
    const request = paused.__interrupt__[0]!.value as EffectSettlementRequest;
    expect(request).toMatchObject({
      type: "effect-settlement",
      step: { id: "pay" },
      reconcileError: { code: "reconcile-failed", message: "the provider's lookup API answered 502" },
      why: expect.stringContaining("the provider's lookup API answered 502"),
    });
    for (const command of empties()) {
      const error = await failure(agent.invoke(command as never, thread("abort")));
      expect(PlanExecuteError.isInstance(error) && error.code, String(error)).toBe("invalid-settlement");
    }
    const done = await agent.invoke(
      new Command({ resume: { action: "ran", result: "charged by hand" } }),
      thread("abort"),
    );
    expect(done.outcome?.status).toBe("completed");
    expect(done.plan?.steps[0]).toMatchObject({
      status: "done",
      settlement: "settled-by-person",
      result: "charged by hand",
    });
    expect(bank.charges()).toBe(1);
  });
});
