// The scenario's tools: `fetch_record` (sleeps the step's latency, returns a record; the failing
// step's primary source answers 503) and `combine`. The same work as LangChain tools (adapter and
// baseline) and as plain functions (core).
import { tool } from "@langchain/core/tools";
import type { ToolFunction } from "@replan/core";
import { z } from "zod";
import { recordOf, type Scenario, stepTable } from "./scenarios.js";

const sleep = (ms: number) =>
  ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

/** Observes the tools' calls (the token-time records note when the first step starts). */
export interface ToolHooks {
  /** Called as a tool call starts, before its latency. */
  onStart?: (tool: string) => void;
  /** Called as a fetch succeeds, with the record's id and source (the branches bench notes when each branch ends). */
  onEnd?: (tool: string, id: string, source: string) => void;
}

/**
 * The tools' work for a scenario, as plain async functions.
 *
 * @param scenario - the scenario.
 * @param latencyMs - the latency unit (a step sleeps its latency factor times this).
 * @param hooks - observers of the calls.
 */
export function toolFunctions(
  scenario: Scenario,
  latencyMs: number,
  hooks: ToolHooks = {},
): Record<string, ToolFunction> {
  const steps = stepTable(scenario);
  const latencyOf = (id: string) => (steps.get(id)?.latencyFactor ?? 1) * latencyMs;
  // The records are made before the run, so that the timed run does not include making them.
  const records = new Map<string, ReturnType<typeof recordOf>>();
  for (const step of steps.values()) {
    if (step.tool !== "fetch_record") continue;
    const id = String(step.args.id);
    const source = typeof step.args.source === "string" ? step.args.source : "primary";
    records.set(`${id}:${source}`, recordOf(id, source, scenario.outputChars));
  }
  return {
    fetch_record: async (args) => {
      hooks.onStart?.("fetch_record");
      const id = String(args.id);
      const source = typeof args.source === "string" ? args.source : "primary";
      await sleep(latencyOf(id));
      if (scenario.failure?.stepId === id && source !== "mirror") {
        throw new Error(`503 Service Unavailable: the primary source of record ${id} is down`);
      }
      hooks.onEnd?.("fetch_record", id, source);
      return records.get(`${id}:${source}`) ?? recordOf(id, source, scenario.outputChars);
    },
    combine: async (args) => {
      hooks.onStart?.("combine");
      const parts = Array.isArray(args.parts) ? args.parts.map(String) : [];
      await sleep(latencyOf("join"));
      return { combined: parts.length, ids: parts };
    },
  };
}

/**
 * The same tools as LangChain tools (results as JSON text, as a tool sends them to a model).
 *
 * @param scenario - the scenario.
 * @param latencyMs - the latency unit.
 * @param hooks - observers of the calls.
 */
export function langchainTools(scenario: Scenario, latencyMs: number, hooks: ToolHooks = {}) {
  const work = toolFunctions(scenario, latencyMs, hooks);
  const context = undefined as never; // the functions above do not use the step context
  return [
    tool(async (args) => JSON.stringify(await work.fetch_record!(args, context)), {
      name: "fetch_record",
      description: "Fetches one record by id from the primary source (or the mirror)",
      schema: z.object({
        id: z.string().describe("the record's id"),
        after: z.string().optional().describe("the id of the record fetched before, if any"),
        source: z.enum(["primary", "mirror"]).optional().describe("where to fetch it; default primary"),
      }),
    }),
    tool(async (args) => JSON.stringify(await work.combine!(args, context)), {
      name: "combine",
      description: "Combines fetched records, given their ids, into one summary",
      schema: z.object({ parts: z.array(z.string()).describe("the ids of the records") }),
    }),
  ];
}
