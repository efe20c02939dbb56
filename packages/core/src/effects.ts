/**
 * Effect classes: what running a step does to the world, declared per tool and for the executor
 * of agent steps, and looked up per step ({@link effectOf}). A resumed run uses them to decide
 * which steps that were in flight may run again.
 *
 * @module
 */
import type { EffectClass, EffectDeclarations, Step, StepSpec } from "./schemas.js";

/** Every effect class, from the most to the least harmless to repeat. */
export const EFFECT_CLASSES: readonly EffectClass[] = Object.freeze(["read", "idempotent", "write"]);

/**
 * The effect class of a step: the one recorded on it (`step.effect`, set when the step was made),
 * else its tool's declaration (a tool step) or the executor's (an agent step). A tool that is not
 * declared, and an agent step when the executor's class is not declared, are `write`: an effect
 * nobody vouched for is treated as one that must not repeat.
 *
 * @param step - a step, or a planner's spec of one.
 * @param declarations - the run's declarations (`state.config.effects`).
 * @example
 * ```ts
 * const effects = { tools: { search: "read" }, agent: "idempotent" } as const;
 * effectOf({ id: "s1", kind: "tool", tool: "search", args: {}, description: "", dependsOn: [] }, effects); // "read"
 * effectOf({ id: "s2", kind: "tool", tool: "pay", args: {}, description: "", dependsOn: [] }, effects); // "write"
 * ```
 */
export function effectOf(step: StepSpec | Step, declarations: EffectDeclarations | undefined): EffectClass {
  if ("effect" in step && step.effect !== undefined) return step.effect;
  if (step.kind === "agent") return declarations?.agent ?? "write";
  const tools = declarations?.tools;
  return (tools && Object.hasOwn(tools, step.tool) ? tools[step.tool] : undefined) ?? "write";
}

/** Whether a step of this class may run again when its outcome is unknown (`read`, `idempotent`). */
export function isRepeatable(effect: EffectClass): boolean {
  return effect !== "write";
}
