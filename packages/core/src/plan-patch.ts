/**
 * The replanner's answer as a patch: which steps to remove, which to add and which to replace
 * (same id, new content); every step it does not name stays as it is. The schema, its types, and
 * how a replanner's output is told apart from a full list of steps.
 *
 * @module
 */
import { z } from "zod";
import { StepIdSchema, StepSpecSchema, type StepSpecInput, type Usage } from "./schemas.js";

/**
 * A replanner's patch of the current plan. Every list may be absent (empty); a patch that changes
 * nothing while a failed step stays in the plan is the replanner giving up.
 */
export const PlanPatchSchema = z
  .object({
    /** Ids of steps not yet started to drop (failed steps too). */
    remove: z.array(StepIdSchema).default([]),
    /** New steps, with new ids; they may depend on any step that stays. */
    add: z.array(StepSpecSchema).default([]),
    /** New content for steps not yet started (failed ones included), under the same id. */
    replace: z.array(StepSpecSchema).default([]),
    /** Why: shown in the plan's history, and the run's outcome when the replanner gives up. */
    reason: z.string().optional(),
    /** The usage of the replanner's model call, when it reports it here. */
    usage: z.unknown().optional(),
  })
  .strict();

/** A checked patch, defaults applied. */
export type PlanPatch = z.infer<typeof PlanPatchSchema>;

/** A patch as a replanner may write it (lists optional, `dependsOn` and `args` optional). */
export interface PlanPatchInput {
  remove?: string[];
  add?: StepSpecInput[];
  replace?: StepSpecInput[];
  reason?: string;
  usage?: Partial<Usage>;
}

/**
 * Whether a replanner's output is a patch rather than a full list of steps (an array, or an
 * object with `steps`: the remaining steps rewritten, the older form, still accepted).
 *
 * @param output - what the replanner returned.
 * @example
 * ```ts
 * isPlanPatch({ remove: ["b"] }); // true
 * isPlanPatch([{ id: "b", kind: "agent", description: "Retry" }]); // false
 * ```
 */
export function isPlanPatch(output: unknown): boolean {
  return (
    output !== null && typeof output === "object" && !Array.isArray(output) && !Object.hasOwn(output, "steps")
  );
}

/**
 * What a replan changed, as `replan-end` reports it (ids, in plan order). A type, not an
 * interface, so that events stay assignable to `Record<string, unknown>`.
 */
export type PatchDiff = {
  /** Steps dropped from the plan. */
  removed: string[];
  /** New steps. */
  added: string[];
  /** Steps given new content under the same id (a new revision, so a new idempotency key). */
  replaced: string[];
  /** Steps of the previous revision that stay as they were. */
  kept: string[];
  /**
   * Steps the patch would have removed or replaced but that had started (running or done) when
   * it arrived: a started step is never changed, so these parts of the patch were dropped.
   */
  conflicts: string[];
};
