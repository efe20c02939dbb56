// What the executor node needs to settle interrupted write steps: each tool's reconcile hook, and
// the agent-step executor's (core's withEffect on a function).
import type { StructuredToolInterface } from "@langchain/core/tools";
import { declaredEffect, type Reconcile } from "@replan/core";
import type { AgentStepExecutor } from "./executors.js";
import { isChatModel, isMessagesGraph } from "./runnable-kinds.js";
import { toolReconcile } from "./tool-effects.js";

/** The `reconcile` hooks of a run: by tool name, and `agent` for agent steps. */
export interface ReconcileHooks {
  tools: Readonly<Record<string, Reconcile>>;
  agent?: Reconcile;
}

/** The hooks declared on `tools` (adapter's withEffect) and on a function executor (core's withEffect). */
export function reconcileHooks(
  tools: readonly StructuredToolInterface[],
  executor: AgentStepExecutor,
): ReconcileHooks {
  const hooks: Record<string, Reconcile> = {};
  for (const tool of tools) {
    const reconcile = toolReconcile(tool);
    if (reconcile) hooks[tool.name] = reconcile;
  }
  const agent = typeof executor === "function" ? declaredEffect(executor)?.reconcile : undefined;
  return { tools: hooks, ...(agent ? { agent } : {}) };
}

/** Which kind of executor this is, for its effect class. */
export function executorKind(executor: AgentStepExecutor): {
  kind: "model" | "graph" | "function";
  value: unknown;
} {
  if (isChatModel(executor)) return { kind: "model", value: executor };
  if (isMessagesGraph(executor)) return { kind: "graph", value: executor };
  return { kind: "function", value: executor };
}
