// Effect classes of LangChain tools and of the agent-step executor: declared in a tool's metadata
// (`metadata: { effect: "read" }`) or with withEffect, which also takes a reconcile hook.
import type { StructuredToolInterface } from "@langchain/core/tools";
import {
  declaredEffect,
  EFFECT_CLASSES,
  type EffectClass,
  type EffectDeclarations,
  type Reconcile,
} from "@replan/core";
import { checkOptions, rules } from "@replan/core/internal";
import { PlanExecuteError } from "./errors.js";

const RECONCILE = Symbol.for("@replan/langgraph/reconcile");

/** A LangChain tool with an effect class (and maybe a `reconcile` hook), from {@link withEffect}. */
export type ToolWithEffect<T extends StructuredToolInterface> = T & {
  metadata: Record<string, unknown> & { effect: EffectClass };
};

/**
 * Declares what a LangChain tool does to the world: `read` (no effect), `idempotent` (safe to
 * repeat with the same idempotency key, which the tool gets as its tool call id) or `write` (must
 * not repeat). Returns a new tool (the given one is not changed) whose `metadata.effect` says so;
 * `reconcile(key, context)`, for a `write`, tells on resume whether a call cut short by a crash
 * had its effect (`{ happened: true, result }` or `{ happened: false }`). A tool that declares
 * nothing (neither this nor `metadata.effect`) is `write`.
 *
 * @param tool - a LangChain tool.
 * @param effect - `read`, `idempotent` or `write`.
 * @param options - `reconcile`: the hook.
 * @throws {PlanExecuteError} `invalid-options` for a class that is not one of the three, or a bad hook.
 * @example
 * ```ts
 * const pay = withEffect(payTool, "write", {
 *   reconcile: async (key) => {
 *     const charge = await provider.findCharge(key);
 *     return charge ? { happened: true, result: charge } : { happened: false };
 *   },
 * });
 * ```
 */
export function withEffect<T extends StructuredToolInterface>(
  tool: T,
  effect: EffectClass,
  options: { reconcile?: Reconcile } = {},
): ToolWithEffect<T> {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new PlanExecuteError(
      "invalid-options",
      `withEffect: options must be an object such as { reconcile }, got ${String(options)}`,
    );
  }
  checkOptions(
    { tool, effect, ...options },
    {
      tool: rules.required(rules.custom("be a LangChain tool", isTool)),
      effect: rules.required(rules.oneOf(EFFECT_CLASSES)),
      reconcile: rules.func<Reconcile>(),
    },
    { where: "withEffect", error: (message) => new PlanExecuteError("invalid-options", message) },
  );
  // A copy that inherits everything from the tool (its invoke, schema, name), with its own metadata.
  const declared = Object.create(tool) as ToolWithEffect<T>;
  Object.defineProperty(declared, "metadata", {
    value: { ...metadataOf(tool), effect },
    enumerable: true,
    writable: true,
  });
  if (options.reconcile) Object.defineProperty(declared, RECONCILE, { value: options.reconcile });
  return declared;
}

/** A tool's metadata (LangChain's tools have it; the interface does not say so). */
function metadataOf(tool: StructuredToolInterface): Record<string, unknown> | undefined {
  return (tool as { metadata?: Record<string, unknown> }).metadata;
}

function isTool(value: unknown): value is StructuredToolInterface {
  return typeof (value as { invoke?: unknown } | null)?.invoke === "function";
}

/**
 * A tool's declared class: its `metadata.effect`; `undefined` when it has none.
 *
 * @throws {PlanExecuteError} `invalid-options` when `metadata.effect` is set but is not one of the three.
 */
export function toolEffect(tool: StructuredToolInterface): EffectClass | undefined {
  const effect = metadataOf(tool)?.effect;
  if (effect === undefined) return undefined;
  if (EFFECT_CLASSES.includes(effect as EffectClass)) return effect as EffectClass;
  // a typo ("reed", "Read") must not silently become write, nor anything else
  const shown = typeof effect === "string" ? JSON.stringify(effect.slice(0, 40)) : typeof effect;
  throw new PlanExecuteError(
    "invalid-options",
    `Tool "${tool.name}": metadata.effect must be "read", "idempotent" or "write", got ${shown}`,
  );
}

/** A tool's `reconcile` hook (from {@link withEffect}), if any. */
export function toolReconcile(tool: StructuredToolInterface | undefined): Reconcile | undefined {
  return (tool as { [RECONCILE]?: Reconcile } | undefined)?.[RECONCILE];
}

/** Order of harm: the class of something that does several things is the worst of theirs. */
function worst(classes: EffectClass[]): EffectClass {
  return classes.reduce<EffectClass>(
    (so, next) => (EFFECT_CLASSES.indexOf(next) > EFFECT_CLASSES.indexOf(so) ? next : so),
    "read",
  );
}

/**
 * The run's declarations: each declared tool's class; the executor's, declared with core's
 * `withEffect` on a function, or, for a chat model (the default executor), the worst class of the
 * tools it may call (an undeclared tool makes it `write`). A compiled agent graph is `write`
 * unless `budget.effects.agent` says otherwise. `budget.effects` overrides all of these.
 */
export function effectDeclarations(
  tools: readonly StructuredToolInterface[],
  executor: { kind: "model" | "graph" | "function"; value: unknown },
  override: EffectDeclarations | undefined,
): EffectDeclarations {
  const declared: Record<string, EffectClass> = {};
  for (const tool of tools) {
    const effect = toolEffect(tool);
    if (effect) declared[tool.name] = effect;
  }
  const agent =
    executor.kind === "model"
      ? worst(tools.map((tool) => toolEffect(tool) ?? "write"))
      : executor.kind === "function"
        ? declaredEffect(executor.value)?.effect
        : undefined;
  const merged: EffectDeclarations = {
    tools: { ...declared, ...override?.tools },
    ...(agent ? { agent } : {}),
    ...(override?.agent ? { agent: override.agent } : {}),
  };
  return merged;
}
