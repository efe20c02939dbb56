// Load: many concurrent runs on ONE compiled graph with ONE PostgresSaver, each a fan-out plan.
// Every run completes, and no state crosses threads: each thread's results belong to its own goal.
import { tool } from "@langchain/core/tools";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createPlanExecuteAgent } from "./graph.js";
import { postgresAvailable, startPostgres, type TestPostgres } from "./postgres.test-helper.js";
import { roleOf, toolStep } from "./test-helpers.js";
import { ScriptedChatModel } from "./testing.js";

/** Concurrent runs; `LOAD_RUNS=500` for more (seen passing with 200 and 500). */
const RUNS = Number(process.env.LOAD_RUNS ?? 50);
const FAN_OUT = 6;

describe.skipIf(!postgresAvailable)("load on one graph and one Postgres saver", () => {
  let server: TestPostgres;
  let checkpointer: PostgresSaver;

  beforeAll(async () => {
    server = await startPostgres();
    const pool = new pg.Pool({ connectionString: await server.createDatabase("load"), max: 20 });
    checkpointer = new PostgresSaver(pool); // end() closes the pool
    await checkpointer.setup();
  }, 60_000);

  afterAll(async () => {
    await checkpointer?.end();
    await server?.stop();
  }, 60_000);

  it(`${RUNS} concurrent fan-out runs all complete, each with only its own results`, async () => {
    // The tool answers with the goal it was asked for (it comes in the arguments the planner wrote).
    const fetchPart = tool(
      async ({ goal, part }) => {
        await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 10)));
        return { goal, part };
      },
      {
        name: "fetch_part",
        description: "fetches one part of a goal",
        schema: z.object({ goal: z.string(), part: z.number() }),
      },
    );
    const join = tool(async ({ parts }) => ({ joined: parts }), {
      name: "join",
      description: "joins the parts",
      schema: z.object({ parts: z.array(z.unknown()) }),
    });
    // The planner writes a plan for whichever goal it is asked: FAN_OUT parts, then a join.
    const model = new ScriptedChatModel({
      responses: (request) => {
        const role = roleOf(request);
        const goal = request.messages[1]?.text ?? "";
        if (role === "planner") {
          const parts = Array.from({ length: FAN_OUT }, (_, index) =>
            toolStep(`part${index}`, "fetch_part", { goal, part: index }),
          );
          const join_ = toolStep(
            "join",
            "join",
            { parts: parts.map((part) => `\${${part.id}}`) },
            parts.map((part) => part.id),
          );
          return { structured: { steps: [...parts, join_] } };
        }
        return `answer for ${goal.split("\n")[0]}`;
      },
    });
    const agent = createPlanExecuteAgent({
      model,
      tools: [fetchPart, join],
      checkpointer,
      budget: { concurrency: FAN_OUT },
    });

    const goals = Array.from({ length: RUNS }, (_, index) => `goal number ${index}`);
    const started = Date.now();
    const states = await Promise.all(
      goals.map((goal, index) => agent.invoke({ goal }, { configurable: { thread_id: `load-${index}` } })),
    );
    const elapsed = Date.now() - started;

    for (const [index, state] of states.entries()) {
      const goal = goals[index]!;
      expect(state.outcome?.status).toBe("completed");
      expect(state.run?.goal).toBe(goal);
      const parts = Array.from({ length: FAN_OUT }, (_, part) => ({ goal, part }));
      expect(state.results).toEqual({
        ...Object.fromEntries(parts.map((part) => [`part${part.part}`, part])),
        join: { joined: parts },
      });
    }
    // and the same from the checkpoints, read back from Postgres
    const saved = await Promise.all(
      goals.map((_, index) => agent.getState({ configurable: { thread_id: `load-${index}` } })),
    );
    for (const [index, snapshot] of saved.entries()) {
      expect(snapshot.next).toEqual([]);
      expect(snapshot.values.goal).toBe(goals[index]);
      expect(
        Object.values(snapshot.values.results as Record<string, { goal?: string }>).every(
          (result) => result.goal === undefined || result.goal === goals[index],
        ),
      ).toBe(true);
    }
    console.info(`load: ${RUNS} runs x ${FAN_OUT + 1} steps on one PostgresSaver in ${elapsed} ms`);
  }, 120_000);
});
