// Re-approval (`reapprove`): a replan that needs a person waits, unapplied, for approve, edit or
// reject; what fires it, in a table; hostile answers.
import { tool } from "@langchain/core/tools";
import { Command, isInterrupted, MemorySaver } from "@langchain/langgraph";
import type { Plan, Step } from "@replan/core";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { PlanApprovalRequest } from "./approve-node.js";
import { planExecuteDefaults } from "./defaults.js";
import { PlanExecuteError } from "./errors.js";
import { createPlanExecuteAgent, type ReapproveMode } from "./graph.js";
import { changeOf, needsReapproval } from "./reapproval.js";
import { planReply, scriptedModel, thrownBy, toolStep } from "./test-helpers.js";

const thread = (id: string) => ({ configurable: { thread_id: id } });

/** A payment tool whose primary provider is down; every call is recorded. */
function paymentTool() {
  const calls: string[] = [];
  const charge = tool(
    async ({ provider }) => {
      calls.push(provider);
      if (provider === "primary") throw new Error("primary provider answered 503");
      return `charged via ${provider}`;
    },
    { name: "charge", description: "Charges the card", schema: z.object({ provider: z.string() }) },
  );
  return { charge, calls };
}

/** A run whose `pay` step fails and whose replanner swaps in `pay-backup`. */
function setup(reapprove?: ReapproveMode) {
  const { charge, calls } = paymentTool();
  const { model, counters } = scriptedModel({
    planner: [planReply([toolStep("pay", "charge", { provider: "primary" })])],
    replanner: [planReply([toolStep("pay-backup", "charge", { provider: "backup" })])],
  });
  const agent = createPlanExecuteAgent({
    model,
    tools: [charge],
    checkpointer: new MemorySaver(),
    ...(reapprove ? { reapprove } : {}),
  });
  return { agent, calls, counters };
}

async function pausedAt(run: Promise<unknown>): Promise<PlanApprovalRequest> {
  const state = await run;
  if (!isInterrupted(state)) throw new Error("expected a re-approval interrupt");
  return state.__interrupt__[0]!.value as PlanApprovalRequest;
}

describe("reapprove", () => {
  it('is "never" by default: a replan runs at once, as before', async () => {
    expect(planExecuteDefaults.reapprove).toBe("never");
    const { agent, calls } = setup();
    const done = await agent.invoke({ goal: "Pay the invoice" }, thread("never"));
    expect(isInterrupted(done)).toBe(false);
    expect(done.outcome?.status).toBe("completed");
    expect(calls).toEqual(["primary", "backup"]);
  });

  it("holds the replan, unapplied, until it is approved, with what it changes", async () => {
    const { agent, calls } = setup("always");
    const request = await pausedAt(agent.invoke({ goal: "Pay the invoice" }, thread("always")));
    expect(request.type).toBe("plan-approval");
    expect(request.change).toEqual({ removed: ["pay"], added: ["pay-backup"], replaced: [], kept: [] });
    expect(request.plan.revision).toBe(1);
    expect(request.plan.steps).toMatchObject([{ id: "pay-backup", status: "pending", attempts: 0 }]);
    expect(request.forecast.modelCalls).toMatchObject({ made: 2, answer: 1, total: 3 });
    // nothing of the replan started, and the state still holds the failed revision
    expect(calls).toEqual(["primary"]);
    const state = await agent.getState(thread("always"));
    expect(state.values.plan?.revision).toBe(0);
    expect(state.values.run?.status).toBe("replanning");
    expect(state.values.pendingReplan?.change.added).toEqual(["pay-backup"]);

    const done = await agent.invoke(new Command({ resume: { action: "approve" } }), thread("always"));
    expect(done.outcome?.status).toBe("completed");
    expect(calls).toEqual(["primary", "backup"]);
    expect(done.pendingReplan).toBeNull();
    expect(done.plan?.revision).toBe(1);
    expect(done.run?.usage.llmCalls).toBe(3); // planner, replanner, answer
  });

  it("runs the person's steps on an edit, and cancels on a rejection (the replanner's call counted)", async () => {
    const edited = setup("always");
    await pausedAt(edited.agent.invoke({ goal: "Pay the invoice" }, thread("edit")));
    const steps = [
      { id: "pay-manual", kind: "tool", tool: "charge", args: { provider: "manual" }, description: "d" },
    ];
    const done = await edited.agent.invoke(
      new Command({ resume: { action: "edit", steps } }),
      thread("edit"),
    );
    expect(done.outcome?.status).toBe("completed");
    expect(edited.calls).toEqual(["primary", "manual"]);

    const rejected = setup("always");
    await pausedAt(rejected.agent.invoke({ goal: "Pay the invoice" }, thread("reject")));
    const end = await rejected.agent.invoke(
      new Command({ resume: { action: "reject", reason: "call the bank first" } }),
      thread("reject"),
    );
    expect(end.outcome).toMatchObject({ status: "cancelled", reason: "plan rejected: call the bank first" });
    expect(rejected.calls).toEqual(["primary"]);
    expect(end.run?.usage.llmCalls).toBe(2); // planner and replanner; a cancelled run writes no answer
  });

  it("answers a hostile resume value with a typed error, then cancels after 5", async () => {
    const { agent, calls } = setup("always");
    await pausedAt(agent.invoke({ goal: "Pay the invoice" }, thread("hostile")));
    const hostile: unknown[] = [
      "approve",
      { action: "edit", steps: "everything" },
      { action: "edit", steps: [{ id: "bad id!", kind: "agent", description: "x" }] },
    ];
    const codes: unknown[] = [];
    for (const value of hostile) {
      const request = await pausedAt(agent.invoke(new Command({ resume: value }), thread("hostile")));
      codes.push(request.errorCode);
      expect(request.error).toBeTruthy();
      expect(request.change?.added).toEqual(["pay-backup"]);
    }
    expect(codes).toEqual(["invalid-approval", "invalid-approval", "invalid-plan"]);
    const trap = {
      get action(): string {
        throw new Error("a getter that throws");
      },
    };
    // a value the checkpointer cannot save is refused before the graph runs; the request stands
    const refused = await agent
      .invoke(new Command({ resume: trap }), thread("hostile"))
      .catch((error: unknown) => error);
    expect(PlanExecuteError.isInstance(refused) && refused.code).toBe("invalid-input");
    expect((refused as Error).message).toContain('Input "resume" must be a value the checkpointer can save');
    const cyclic: Record<string, unknown> = { action: "approve" };
    cyclic.self = cyclic;
    const alsoRefused = await agent
      .invoke(new Command({ resume: cyclic }), thread("hostile"))
      .catch((error: unknown) => error);
    expect(PlanExecuteError.isInstance(alsoRefused) && alsoRefused.code).toBe("invalid-input");
    expect((await agent.getState(thread("hostile"))).values.pendingReplan?.change.added).toEqual([
      "pay-backup",
    ]);
    const again = await pausedAt(agent.invoke(new Command({ resume: "approve please" }), thread("hostile")));
    expect(again.errorCode).toBe("invalid-approval");
    const end = await agent.invoke(new Command({ resume: { action: "maybe" } }), thread("hostile"));
    expect(end.outcome?.reason).toBe("no valid approval after 5 answers");
    expect(end.outcome).toMatchObject({ status: "cancelled", reason: "no valid approval after 5 answers" });
    expect(calls).toEqual(["primary"]);
  });

  it("never holds a replanner's garbage: it is sent back for repair, and only the valid replan waits", async () => {
    const { charge, calls } = paymentTool();
    const { model, counters } = scriptedModel({
      planner: [planReply([toolStep("pay", "charge", { provider: "primary" })])],
      replanner: [
        "I think you should try again later.",
        planReply([toolStep("pay-backup", "charge", { provider: "backup" })]),
      ],
    });
    const agent = createPlanExecuteAgent({
      model,
      tools: [charge],
      reapprove: "writes",
      checkpointer: new MemorySaver(),
    });
    const request = await pausedAt(agent.invoke({ goal: "Pay the invoice" }, thread("garbage")));
    expect(counters.replanner).toBe(2);
    expect(request.change?.added).toEqual(["pay-backup"]);
    // both replanner calls are counted in what the forecast says was made
    expect(request.forecast.modelCalls.made).toBe(3);
    const done = await agent.invoke(new Command({ resume: { action: "approve" } }), thread("garbage"));
    expect(done.outcome?.status).toBe("completed");
    expect(calls).toEqual(["primary", "backup"]);
  });

  it("survives a restart while it waits: another process with the same saver resumes it", async () => {
    const saver = new MemorySaver();
    const make = () => {
      const { charge, calls } = paymentTool();
      const { model, counters } = scriptedModel({
        planner: [planReply([toolStep("pay", "charge", { provider: "primary" })])],
        replanner: [planReply([toolStep("pay-backup", "charge", { provider: "backup" })])],
      });
      return {
        agent: createPlanExecuteAgent({ model, tools: [charge], reapprove: "always", checkpointer: saver }),
        calls,
        counters,
      };
    };
    const first = make();
    await pausedAt(first.agent.invoke({ goal: "Pay the invoice" }, thread("restart")));
    const second = make();
    const done = await second.agent.invoke(new Command({ resume: { action: "approve" } }), thread("restart"));
    expect(done.outcome?.status).toBe("completed");
    // the second process made no planner or replanner call: it applied the held replan
    expect(second.counters).toMatchObject({ planner: 0, replanner: 0, answer: 1 });
    expect([...first.calls, ...second.calls]).toEqual(["primary", "backup"]);
  });

  it("is checked, and needs a checkpointer", async () => {
    const { model } = scriptedModel({ planner: [planReply([])] });
    const bad = thrownBy(() => createPlanExecuteAgent({ model, reapprove: "sometimes" as never }));
    expect(PlanExecuteError.isInstance(bad) && bad.code).toBe("invalid-options");
    expect((bad as Error).message).toBe(
      'Option "reapprove" must be "never", "writes" or "always", got "sometimes"',
    );
    const agent = createPlanExecuteAgent({ model, reapprove: "writes" });
    const refused = await agent.invoke({ goal: "g" }).catch((error: unknown) => error);
    expect(PlanExecuteError.isInstance(refused) && refused.code).toBe("approval-needs-checkpointer");
  });
});

describe("what fires a re-approval", () => {
  const step = (id: string, tool: string, args: Record<string, unknown> = {}, status = "pending"): Step =>
    ({
      id,
      kind: "tool",
      tool,
      args,
      description: id,
      dependsOn: [],
      status,
      attempts: 0,
      revision: 0,
    }) as Step;
  const plan = (revision: number, steps: Step[]): Plan => ({ goal: "g", revision, steps });
  /** `charge` writes; `lookup` reads. */
  const isWrite = (candidate: Step) => candidate.kind === "tool" && candidate.tool === "charge";
  const before = plan(0, [
    step("find", "lookup", {}, "done"),
    step("pay", "charge", { amount: 5 }),
    step("log", "lookup"),
  ]);

  it.each([
    [
      "adds a read step",
      false,
      [
        step("find", "lookup", {}, "done"),
        step("pay", "charge", { amount: 5 }),
        step("log", "lookup"),
        step("more", "lookup"),
      ],
    ],
    [
      "adds a write step",
      true,
      [
        step("find", "lookup", {}, "done"),
        step("pay", "charge", { amount: 5 }),
        step("log", "lookup"),
        step("refund", "charge"),
      ],
    ],
    [
      "replaces a write step's args",
      true,
      [step("find", "lookup", {}, "done"), step("pay", "charge", { amount: 50 }), step("log", "lookup")],
    ],
    [
      "turns a read step into a write step",
      true,
      [step("find", "lookup", {}, "done"), step("pay", "charge", { amount: 5 }), step("log", "charge")],
    ],
    [
      "removes only (a write step included)",
      false,
      [step("find", "lookup", {}, "done"), step("log", "lookup")],
    ],
    [
      "gives the write step again unchanged",
      false,
      [
        step("find", "lookup", {}, "done"),
        step("pay", "charge", { amount: 5 }),
        step("log", "lookup", { verbose: true }),
      ],
    ],
  ])("a replan that %s: writes → %s; always → true; never → false", (_case, expected, steps) => {
    const after = plan(1, steps as Step[]);
    const change = changeOf(before, after);
    expect(needsReapproval(change, after, "writes", isWrite)).toBe(expected);
    expect(needsReapproval(change, after, "always", isWrite)).toBe(true);
    expect(needsReapproval(change, after, "never", isWrite)).toBe(false);
  });

  it("names what changed by id", () => {
    const after = plan(1, [
      step("find", "lookup", {}, "done"),
      step("pay", "charge", { amount: 50 }),
      step("new", "lookup"),
    ]);
    expect(changeOf(before, after)).toEqual({
      removed: ["log"],
      added: ["new"],
      replaced: ["pay"],
      kept: ["find"],
    });
  });
});

describe("re-approval in the graph, by the declared effect classes", () => {
  /** `probe` reads (and its primary source is down); `charge` writes. */
  function run(mode: ReapproveMode, replan: ReturnType<typeof toolStep>[]) {
    const calls: string[] = [];
    const probe = tool(
      async ({ source }) => {
        calls.push(`probe:${source}`);
        if (source === "primary") throw new Error("primary answered 503");
        return "ok";
      },
      { name: "probe", description: "Reads a status", schema: z.object({ source: z.string() }) },
    );
    const { charge } = paymentTool();
    const { model } = scriptedModel({
      planner: [
        planReply([
          toolStep("check", "probe", { source: "primary" }),
          toolStep("pay", "charge", { provider: "card" }, ["check"]),
        ]),
      ],
      replanner: [planReply(replan)],
    });
    const agent = createPlanExecuteAgent({
      model,
      tools: [probe, charge],
      reapprove: mode,
      checkpointer: new MemorySaver(),
      // `pay` waits for `check`, so the replan decides its fate (a step that does not depend on the
      // failed one runs on while the replanner answers)
      budget: { concurrency: 1, effects: { tools: { probe: "read", charge: "write" } } },
    });
    return agent.invoke(
      { goal: "Check, then pay" },
      thread(`${mode}-${replan.map((step) => step.id).join("-")}`),
    );
  }
  const check2 = toolStep("check", "probe", { source: "mirror" });
  const pay = toolStep("pay", "charge", { provider: "card" }, ["check"]);
  const cases = [
    ["replaces the read step", [check2, pay], { writes: false, always: true, never: false }],
    [
      "adds a write step",
      [check2, pay, toolStep("tip", "charge", { provider: "tip" })],
      { writes: true, always: true, never: false },
    ],
    [
      "replaces a write step's args",
      [check2, toolStep("pay", "charge", { provider: "other" }, ["check"])],
      { writes: true, always: true, never: false },
    ],
    ["removes only (the write step)", [check2], { writes: false, always: true, never: false }],
  ] as const;

  it.each(cases)("a replan that %s", async (_case, replan, expected) => {
    for (const mode of ["writes", "always", "never"] as const) {
      const state = await run(mode, [...replan]);
      expect(isInterrupted(state), mode).toBe(expected[mode]);
      if (isInterrupted(state)) {
        const request = state.__interrupt__[0]!.value as PlanApprovalRequest;
        expect(request.change?.replaced).toContain("check");
        // the forecast flags the write steps the new revision would run
        const writes = replan.filter((step) => step.tool === "charge").map((step) => step.id);
        expect(request.forecast.writes).toEqual(writes);
      } else expect(state.outcome?.status).toBe("completed");
    }
  });
});
