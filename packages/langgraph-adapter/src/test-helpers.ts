// Helpers for this package's tests only (not exported).
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { type ScriptedReply, type ScriptedRequest, ScriptedChatModel } from "./testing.js";

export interface ModelStep {
  id: string;
  description: string;
  dependsOn: string[];
  tool: string | null;
  args: string | null;
}

export const toolStep = (
  id: string,
  name: string,
  args: Record<string, unknown>,
  dependsOn: string[] = [],
): ModelStep => ({
  id,
  description: `${name} for ${id}`,
  dependsOn,
  tool: name,
  args: JSON.stringify(args),
});

export const agentStep = (
  id: string,
  dependsOn: string[] = [],
  description = `think about ${id}`,
): ModelStep => ({
  id,
  description,
  dependsOn,
  tool: null,
  args: null,
});

export const planReply = (steps: ModelStep[]): ScriptedReply => ({ structured: { steps } });

export type Role = "planner" | "replanner" | "executor" | "answer";

/** The role of a call, from its metadata (set by the model layer); never from the prompt. */
export function roleOf(request: ScriptedRequest): Role {
  if (request.role === undefined) throw new Error(`a model call without a role (call #${request.index})`);
  return request.role;
}

/** A scripted model that answers each role from its own list (the last answer repeats). */
export function scriptedModel(script: {
  planner: ScriptedReply[];
  replanner?: ScriptedReply[];
  executor?: (request: ScriptedRequest) => ScriptedReply;
  answer?: string;
  latencyMs?: number;
}) {
  const counters: Record<Role, number> = { planner: 0, replanner: 0, executor: 0, answer: 0 };
  const model = new ScriptedChatModel({
    latencyMs: script.latencyMs ?? 0,
    responses: (request) => {
      const role = roleOf(request);
      const index = counters[role]++;
      const pick = (list: ScriptedReply[] | undefined) =>
        list?.[Math.min(index, list.length - 1)] ?? "nothing";
      if (role === "planner") return pick(script.planner);
      if (role === "replanner") return pick(script.replanner);
      if (role === "answer") return script.answer ?? "final answer";
      return script.executor?.(request) ?? "step result";
    },
  });
  return { model, counters };
}

/** A tool that waits `ms` (abortably) and records how many run at once and every call. */
export function sleepTool() {
  const trace = {
    active: 0,
    maxActive: 0,
    calls: [] as string[],
    started: [] as string[],
    aborted: [] as string[],
  };
  const sleeper = tool(
    async ({ label, ms }, config) => {
      trace.calls.push(label);
      trace.active++;
      trace.maxActive = Math.max(trace.maxActive, trace.active);
      try {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            clearTimeout(timer);
            trace.aborted.push(label);
            reject(config?.signal?.reason ?? new Error("aborted"));
          };
          const timer = setTimeout(() => {
            config?.signal?.removeEventListener("abort", onAbort);
            resolve();
          }, ms);
          config?.signal?.addEventListener("abort", onAbort, { once: true });
        });
        return `${label} slept ${ms}`;
      } finally {
        trace.active--;
      }
    },
    {
      name: "sleep",
      description: "Waits ms milliseconds",
      schema: z.object({ label: z.string(), ms: z.number() }),
    },
  );
  return { sleeper, trace };
}

export const addTool = tool(async ({ a, b }) => a + b, {
  name: "add",
  description: "Adds two numbers",
  schema: z.object({ a: z.number(), b: z.number() }),
});

/** What `make` throws, or undefined when it returns. */
export function thrownBy(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  return undefined;
}
