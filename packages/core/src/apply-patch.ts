/**
 * Applying a replanner's answer to the plan as it is when the answer arrives: a patch (or a full
 * rewrite of the remaining steps, turned into one) becomes the next revision's steps, an invalid
 * answer becomes issues to send back, and a patch that leaves a failed step with nothing new is
 * the replanner giving up.
 *
 * What changed since the question: steps may have started or finished while the replanner was
 * answering. A running or done step is never changed: a patch that removes or replaces one that
 * was not started when the replanner was asked keeps it as it is (reported in `conflicts`); one
 * that touches a step the replanner was told had started is invalid. A step that failed
 * meanwhile may be removed or replaced, like any failed step.
 *
 * @module
 */
import type { PlanIssue } from "./errors.js";
import { isPlanPatch, type PatchDiff, type PlanPatch, PlanPatchSchema } from "./plan-patch.js";
import type { EffectDeclarations, Step, StepSpec, UnknownEffect } from "./schemas.js";
import { newStep } from "./step-reports.js";
import { withUnknownEffect } from "./unknown-effect.js";
import { checkPlan } from "./validate.js";

/** What the plan and the question were when the replanner was asked. */
export interface PatchContext {
  /** The current steps (as they are now). */
  steps: readonly Step[];
  /** Ids of the steps that were done or running when the replanner was asked. */
  locked: readonly string[];
  /** Ids of the failed steps the replanner was asked about. */
  failed: readonly string[];
  /** The revision the new steps get. */
  revision: number;
  /** Most steps in the plan. */
  maxSteps: number;
  /** The run's effect declarations, recorded on each new step. */
  effects: EffectDeclarations | undefined;
  /**
   * Unknown effects of failed `write` steps, by `effectIdentity`: a new `write` step with the same
   * effect (under any id) takes it, and is settled through its key before it runs.
   */
  unknownEffects?: ReadonlyMap<string, UnknownEffect>;
}

/** The outcome of {@link applyAnswer}. */
export type PatchOutcome =
  | { type: "applied"; steps: Step[]; diff: PatchDiff; reason?: string }
  | { type: "invalid"; issues: PlanIssue[] }
  | { type: "gave-up"; failed: string[]; reason?: string };

/**
 * Applies a replanner's output (a patch, or a full list of the remaining steps) to the plan.
 *
 * @param output - what the replanner returned (unknown: it is parsed).
 * @param context - the plan now, and what the replanner was told.
 */
export function applyAnswer(output: unknown, context: PatchContext): PatchOutcome {
  if (isAmbiguous(output)) {
    const message = "the answer holds both steps and a patch (remove, add, replace): give one or the other";
    return { type: "invalid", issues: [{ code: "invalid-shape", stepIds: [], message }] };
  }
  if (isPlanPatch(output)) {
    const parsed = PlanPatchSchema.safeParse(output);
    if (!parsed.success) {
      const message = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join(".") || "patch"}: ${issue.message}`)
        .join(", ");
      return {
        type: "invalid",
        issues: [{ code: "invalid-shape", stepIds: [], message: `the patch is malformed: ${message}` }],
      };
    }
    return applyPatch(parsed.data, context);
  }
  return applyRewrite(output, context);
}

/** An object with `steps` (a rewrite) and a patch's lists too: neither reading is safe. */
function isAmbiguous(output: unknown): boolean {
  if (output === null || typeof output !== "object" || Array.isArray(output)) return false;
  return (
    Object.hasOwn(output, "steps") && ["remove", "add", "replace"].some((key) => Object.hasOwn(output, key))
  );
}

/** The `reason` a rewrite given as `{ steps, reason }` carries, if it is text. */
function rewriteReason(output: unknown): string | undefined {
  const reason = (output as { reason?: unknown } | null)?.reason;
  return typeof reason === "string" && reason.trim() !== "" ? reason.slice(0, 2000) : undefined;
}

/**
 * A full rewrite of the remaining steps (the older answer): the steps not started that it leaves
 * out are removed, the ones it names again are replaced, the others are added. An empty rewrite
 * while a step has failed is the replanner giving up.
 */
function applyRewrite(output: unknown, context: PatchContext): PatchOutcome {
  const locked = new Set(context.locked);
  const check = checkPlan(output, {
    maxSteps: context.maxSteps,
    locked: context.steps.filter((step) => locked.has(step.id)),
    allowEmpty: true,
  });
  if (!check.ok) return { type: "invalid", issues: check.issues };
  const failed = context.steps.filter((step) => step.status === "failed").map((step) => step.id);
  const reason = Array.isArray(output) ? undefined : rewriteReason(output);
  if (check.steps.length === 0 && failed.length > 0)
    return { type: "gave-up", failed, ...(reason === undefined ? {} : { reason }) };
  const named = new Map(check.steps.map((spec) => [spec.id, spec]));
  const existing = new Map(context.steps.map((step) => [step.id, step]));
  // A pending step written again as it was is kept (a failed one written again is run again).
  const unchanged = (spec: StepSpec) => {
    const step = existing.get(spec.id);
    return step !== undefined && step.status === "pending" && specKey(step) === specKey(spec);
  };
  const patch: PlanPatch = {
    remove: context.steps
      .filter((step) => !locked.has(step.id) && !named.has(step.id))
      .map((step) => step.id),
    replace: check.steps.filter((spec) => existing.has(spec.id) && !unchanged(spec)),
    add: check.steps.filter((spec) => !existing.has(spec.id)),
    ...(reason === undefined ? {} : { reason }),
  };
  return applyPatch(patch, context);
}

/** What a step does, as a planner wrote it (its progress left out), for comparison. */
function specKey(step: StepSpec | Step): string {
  const { id, kind, description, dependsOn } = step;
  const tool = step.kind === "tool" ? { tool: step.tool, args: step.args } : {};
  return JSON.stringify({ id, kind, description, dependsOn, ...tool });
}

/** Applies a parsed patch: checks what it names, builds the new steps, checks the whole plan. */
function applyPatch(patch: PlanPatch, context: PatchContext): PatchOutcome {
  const { steps, revision } = context;
  const byId = new Map(steps.map((step) => [step.id, step]));
  const issues: PlanIssue[] = [];
  const conflicts = checkTargets(patch, context, byId, issues);
  if (issues.length > 0) return { type: "invalid", issues };
  const removed = new Set(patch.remove.filter((id) => !conflicts.has(id)));
  const replacements = new Map(
    patch.replace.filter((spec) => !conflicts.has(spec.id)).map((spec) => [spec.id, spec]),
  );
  const next: Step[] = [];
  const make = (spec: StepSpec) =>
    withUnknownEffect(newStep(spec, revision, context.effects), context.unknownEffects);
  for (const step of steps) {
    if (removed.has(step.id)) continue;
    const spec = replacements.get(step.id);
    next.push(spec ? make(spec) : step);
  }
  for (const spec of patch.add) next.push(make(spec));
  const stillFailed = context.failed.filter((id) => !removed.has(id) && !replacements.has(id));
  if (stillFailed.length > 0) {
    if (patch.add.length === 0 && replacements.size === 0) {
      return { type: "gave-up", failed: stillFailed, ...(patch.reason ? { reason: patch.reason } : {}) };
    }
    const message = `failed step(s) ${stillFailed.join(", ")} stay in the plan: replace or remove them (an empty patch gives up)`;
    return { type: "invalid", issues: [{ code: "keeps-failed-step", stepIds: stillFailed, message }] };
  }
  const check = checkPlan(next as StepSpec[], { maxSteps: context.maxSteps, allowEmpty: true });
  if (!check.ok) return { type: "invalid", issues: check.issues };
  const diff: PatchDiff = {
    removed: steps.filter((step) => removed.has(step.id)).map((step) => step.id),
    added: patch.add.map((spec) => spec.id),
    replaced: steps.filter((step) => replacements.has(step.id)).map((step) => step.id),
    kept: steps.filter((step) => !removed.has(step.id) && !replacements.has(step.id)).map((step) => step.id),
    conflicts: steps.filter((step) => conflicts.has(step.id)).map((step) => step.id),
  };
  return { type: "applied", steps: next, diff, ...(patch.reason ? { reason: patch.reason } : {}) };
}

/**
 * Checks the ids a patch names (known, each named once, new ones not taken, none the replanner
 * was told had started), recording issues.
 *
 * @returns the ids of steps that started after the question and that the patch would change.
 */
function checkTargets(
  patch: PlanPatch,
  context: PatchContext,
  byId: ReadonlyMap<string, Step>,
  issues: PlanIssue[],
): Set<string> {
  const locked = new Set(context.locked);
  const conflicts = new Set<string>();
  const named = new Set<string>();
  const name = (id: string) => {
    if (named.has(id))
      issues.push({ code: "duplicate-id", stepIds: [id], message: `the patch names step "${id}" twice` });
    named.add(id);
  };
  for (const id of [...patch.remove, ...patch.replace.map((spec) => spec.id)]) {
    name(id);
    const step = byId.get(id);
    if (!step) {
      issues.push({
        code: "unknown-step",
        stepIds: [id],
        message: `there is no step "${id}" to remove or replace`,
      });
    } else if (locked.has(id) && step.status !== "failed") {
      issues.push({
        code: "replaces-locked-step",
        stepIds: [id],
        message: `step "${id}" is already done or running and cannot be removed or replaced; add a step with a new id`,
      });
    } else if (step.status === "running" || step.status === "done") conflicts.add(id);
  }
  for (const spec of patch.add) {
    name(spec.id);
    if (byId.has(spec.id)) {
      issues.push({
        code: "duplicate-id",
        stepIds: [spec.id],
        message: `step "${spec.id}" is already in the plan: replace it, or add the new step under a new id`,
      });
    }
  }
  return conflicts;
}
