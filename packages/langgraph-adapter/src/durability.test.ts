// What `durability: "sync"` changes: what a crash leaves saved at the moment a step's saved outcome
// has already started the steps that depend on it.
import { tool } from "@langchain/core/tools";
import { MemorySaver } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createPlanExecuteAgent } from "./graph.js";
import { planReply, scriptedModel, toolStep } from "./test-helpers.js";
import { withEffect } from "./tool-effects.js";

/**
 * A MemorySaver whose checkpoint writes (`put`) are held until `release()` (or `holdMs`), while
 * pending writes (`putWrites`) go through at once: a database that is slow on the big row.
 * `snapshot()` is what a crash at that moment leaves behind.
 */
class SlowCheckpointSaver extends MemorySaver {
  private released = false;
  private readonly gate: Promise<void>;
  release!: () => void;

  constructor(holdMs: number) {
    super();
    this.gate = new Promise<void>((resolve) => {
      this.release = () => {
        this.released = true;
        resolve();
      };
      setTimeout(this.release, holdMs);
    });
  }

  override async put(...args: Parameters<MemorySaver["put"]>) {
    if (!this.released) await this.gate;
    return super.put(...args);
  }

  /** A new saver holding only what this one has saved so far. */
  snapshot(): MemorySaver {
    const copy = new MemorySaver();
    copy.storage = structuredClone(this.storage);
    copy.writes = structuredClone(this.writes);
    return copy;
  }
}

/**
 * Runs `first` then `second` (which needs `first`) under the given durability; when `second`
 * starts, `first`'s outcome is saved and applied, and a crash is simulated: the saver's content
 * at that moment is resumed in a new agent. Returns how often each tool ran in all.
 */
async function crashWhenSecondStarts(durability: "sync" | "async") {
  const calls = { first: 0, second: 0 };
  // Under "sync" the step waits for the held writes (released by the timer); under "async" it
  // does not, and the writes stay held until it starts.
  const saver = new SlowCheckpointSaver(durability === "sync" ? 200 : 15_000);
  let crashed: MemorySaver | undefined;
  const count = tool(
    async ({ label }: { label: "first" | "second" }) => {
      calls[label]++;
      if (label === "second" && !crashed) {
        crashed = saver.snapshot();
        saver.release();
      }
      return `${label} done`;
    },
    {
      name: "count",
      description: "Counts its calls",
      schema: z.object({ label: z.enum(["first", "second"]) }),
    },
  );
  const steps = [
    toolStep("a", "count", { label: "first" }),
    toolStep("b", "count", { label: "second" }, ["a"]),
  ];
  const config = { configurable: { thread_id: `durability-${durability}` } };
  const agent = (checkpointer: MemorySaver) =>
    createPlanExecuteAgent({
      model: scriptedModel({ planner: [planReply(steps)] }).model,
      tools: [withEffect(count, "idempotent")], // re-run on resume (undeclared: write, issue #20)
      finalAnswer: false,
      checkpointer,
    });
  await agent(saver).invoke({ goal: "Count twice" }, { ...config, durability });
  let resumed: string | undefined;
  try {
    const state = await agent(crashed!).invoke(null, config);
    resumed = state.outcome?.status;
  } catch (error) {
    resumed = (error as { code?: string }).code;
  }
  return { calls, resumed };
}

describe('durability: "sync" (createPlanExecuteAgent\'s default)', () => {
  it("keeps a saved outcome across a crash once it has started the steps that need it", async () => {
    const { calls, resumed } = await crashWhenSecondStarts("sync");
    expect(resumed).toBe("completed");
    // "first" is not run again after the crash; "second" was in flight, so it runs again (once).
    expect(calls).toEqual({ first: 1, second: 2 });
  });

  it('differs from "async": there the checkpoint the outcome hangs on may not be written yet, and a crash loses it', async () => {
    const { calls, resumed } = await crashWhenSecondStarts("async");
    // The planner's and the executor's checkpoints were still being written when "second" started:
    // the crash left nothing to resume, although "first"'s outcome was saved and applied.
    expect(resumed).toBe("nothing-to-resume");
    expect(calls).toEqual({ first: 1, second: 1 });
  });
});
