// A checkpointer that fails, in process: the executor learns of a failed save at once, starts no
// other step, and invoke rejects checkpoint-failed; the resume finishes the run. (The same with a
// real PostgreSQL server that is killed or frozen: database-faults.int.test.ts.)
import type { RunnableConfig } from "@langchain/core/runnables";
import { tool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import type { PendingWrite } from "@langchain/langgraph-checkpoint";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { watchCheckpointer } from "./checkpointer.js";
import { PlanExecuteError } from "./errors.js";
import { createPlanExecuteAgent, createPlanExecuteGraph } from "./graph.js";
import { handlePoolErrors } from "./pool-errors.js";
import { planReply, scriptedModel, toolStep } from "./test-helpers.js";
import { withEffect } from "./tool-effects.js";

/** A MemorySaver whose writes fail while `down` is set (like a database that went away). */
class FlakySaver extends MemorySaver {
  down = false;
  failed = 0;

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string): Promise<void> {
    if (this.down) {
      this.failed++;
      throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    }
    return super.putWrites(config, writes, taskId);
  }
}

/** A chain a → b → c → d of tool steps; the saver goes down as soon as `b` returns (if `fail`). */
function setup(fail = true) {
  const saver = new FlakySaver();
  const runs: string[] = [];
  // idempotent: an in-flight step runs again on resume (undeclared tools are write since issue #20)
  const step = withEffect(
    tool(
      async ({ id }) => {
        runs.push(id);
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (fail && id === "b" && runs.filter((run) => run === "b").length === 1) saver.down = true;
        return `${id} done`;
      },
      { name: "step", description: "a step", schema: z.object({ id: z.string() }) },
    ),
    "idempotent",
  );
  const plan = [
    toolStep("a", "step", { id: "a" }),
    toolStep("b", "step", { id: "b" }, ["a"]),
    toolStep("c", "step", { id: "c" }, ["b"]),
    toolStep("d", "step", { id: "d" }, ["c"]),
  ];
  const { model } = scriptedModel({ planner: [planReply(plan)] });
  return { saver, runs, step, model };
}

const thread = (id: string) => ({ configurable: { thread_id: id } });

describe("a checkpointer that fails mid-run", () => {
  it("stops at the failed save: nothing else starts, invoke rejects checkpoint-failed with the saver's error; the resume finishes", async () => {
    const { saver, runs, step, model } = setup();
    const agent = createPlanExecuteAgent({ model, tools: [step], checkpointer: saver, finalAnswer: false });
    const error = await agent.invoke({ goal: "chain" }, thread("flaky")).catch((caught: unknown) => caught);
    expect(PlanExecuteError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "checkpoint-failed" });
    expect((error as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
    // b's outcome could not be saved: c, which needs it, never started
    expect(runs).toEqual(["a", "b"]);

    saver.down = false;
    const state = await agent.invoke(null, thread("flaky"));
    expect(state.outcome?.status).toBe("completed");
    // a was saved: not run again; b (unsaved) ran again, once; c and d once
    expect(runs).toEqual(["a", "b", "b", "c", "d"]);
  });

  it("without a watched checkpointer, the failed save is seen only at the end of the superstep (why the agent watches its own)", async () => {
    const { saver, runs, step, model } = setup();
    const graph = createPlanExecuteGraph({ model, tools: [step], finalAnswer: false }).compile({
      checkpointer: saver,
    });
    await expect(graph.invoke({ goal: "chain" }, thread("unwatched"))).rejects.toThrow("ECONNREFUSED");
    expect(runs).toEqual(["a", "b", "c", "d"]);
  });

  it("watchCheckpointer gives a graph compiled by hand the same behaviour", async () => {
    const { saver, runs, step, model } = setup();
    const watched = watchCheckpointer(saver);
    expect(watchCheckpointer(watched)).toBe(watched);
    expect(watched).toBeInstanceOf(MemorySaver);
    const graph = createPlanExecuteGraph({ model, tools: [step], finalAnswer: false }).compile({
      checkpointer: watched,
    });
    await expect(graph.invoke({ goal: "chain" }, thread("watched"))).rejects.toMatchObject({
      code: "checkpoint-failed",
    });
    expect(runs).toEqual(["a", "b"]);
  });

  it('with durability "exit" (nothing written during the run) a watched saver does not hold outcomes back', async () => {
    const { saver, runs, step, model } = setup(false);
    const agent = createPlanExecuteAgent({ model, tools: [step], checkpointer: saver, finalAnswer: false });
    const started = Date.now();
    const state = await agent.invoke({ goal: "chain" }, { ...thread("exit"), durability: "exit" });
    expect(state.outcome?.status).toBe("completed");
    expect(runs).toEqual(["a", "b", "c", "d"]);
    expect(Date.now() - started).toBeLessThan(10_000); // not the 60 s a write never made would take
  });

  it("a database that is not there when the run starts: invoke rejects checkpoint-failed, the process lives", async () => {
    const { createServer } = await import("node:net");
    // a port with nothing listening: take a free one, then close it
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address() as { port: number };
        probe.close(() => resolve(address.port));
      });
    });
    const pool = handlePoolErrors(
      new pg.Pool({ connectionString: `postgresql://postgres@127.0.0.1:${port}/x` }),
    );
    const { model } = scriptedModel({ planner: [planReply([])] });
    const agent = createPlanExecuteAgent({ model, checkpointer: new PostgresSaver(pool) });
    try {
      for (const input of [{ goal: "g" }, null]) {
        const error = await agent.invoke(input, thread("down")).catch((caught: unknown) => caught);
        expect(error).toMatchObject({ name: "PlanExecuteError", code: "checkpoint-failed" });
        expect((error as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
      }
    } finally {
      await pool.end();
    }
  });

  it("resuming a thread that has no checkpoint rejects nothing-to-resume, saying to send the goal again (withConfig keeps it)", async () => {
    const { model } = scriptedModel({ planner: [planReply([])] });
    const agent = createPlanExecuteAgent({ model, checkpointer: new MemorySaver() }).withConfig({
      tags: ["x"],
    });
    const error = await agent.invoke(null, thread("never-started")).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "PlanExecuteError", code: "nothing-to-resume" });
    expect((error as Error).message).toContain("invoke({ goal }, config)");
  });
});
