/**
 * `write` steps whose effect is unknown (`Step.unknownEffect`): marking one as waiting to be
 * settled, and finding, for a step a replan writes, an earlier step with the same effect whose
 * attempt is still unknown (the new step is then settled through that attempt's key before it
 * runs: a replan never repeats an effect blindly, whatever id it gives the step).
 *
 * @module
 */
import type { Draft } from "./draft.js";
import type { Plan, Step, UnknownEffect } from "./schemas.js";

/**
 * Marks a `write` step as waiting to be settled (running, `unsettled`, its `unknownEffect`
 * recorded) and asks the driver to settle it (`settle-step`): a step lost in a crash, a `write`
 * attempt that failed without ruling its effect out, or a step a replan wrote again after such an
 * attempt (before its first attempt).
 *
 * @param patch - more of the step to change (the failed attempt's error, its start).
 */
export function unsettle(
  draft: Draft,
  step: Step,
  at: number,
  unknown: UnknownEffect,
  patch: Partial<Step> = {},
): void {
  const unsettled = draft.updateStep(step.id, {
    ...patch,
    status: "running",
    settlement: "unsettled",
    unknownEffect: unknown,
  });
  draft.effect({
    type: "settle-step",
    stepId: step.id,
    attempt: unsettled.attempts,
    key: unknown.key,
    cause: unknown.cause,
  });
  draft.emit({ type: "step-settle", at, step: unsettled, settlement: "unsettled" });
}

/**
 * What a step does to the world, for comparing steps across revisions: the tool and its arguments
 * (a tool step), or the description (an agent step: the executor is the same). Ids, dependencies
 * and descriptions of tool steps do not count: a model renaming a step does not make a new effect.
 */
export function effectIdentity(
  step: Pick<Step, "kind" | "description"> & { tool?: string; args?: unknown },
): string {
  return step.kind === "tool"
    ? `tool ${canonicalJson({ tool: step.tool, args: step.args ?? {} })}`
    : `agent ${JSON.stringify(step.description)}`;
}

/**
 * The unknown effects of the failed steps of a plan and of its earlier revisions, by
 * {@link effectIdentity}; the latest wins (the current plan's over the history's).
 */
export function unknownEffects(
  plan: Plan,
  history: readonly { steps: readonly Step[] }[],
): Map<string, UnknownEffect> {
  const found = new Map<string, UnknownEffect>();
  for (const steps of [plan.steps, ...history.map((revision) => revision.steps).reverse()]) {
    for (const step of steps) {
      if (step.status !== "failed" || !step.unknownEffect) continue;
      const identity = effectIdentity(step);
      if (!found.has(identity)) found.set(identity, step.unknownEffect);
    }
  }
  return found;
}

/**
 * A new `write` step that repeats an effect still unknown (see {@link unknownEffects}) takes that
 * unknown effect: it is settled through the earlier attempt's key before it runs.
 */
export function withUnknownEffect(step: Step, known: ReadonlyMap<string, UnknownEffect> | undefined): Step {
  if (step.effect !== "write" || !known?.size) return step;
  const unknown = known.get(effectIdentity(step));
  return unknown ? { ...step, unknownEffect: unknown } : step;
}

/** JSON with object keys sorted, so that equal values compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
