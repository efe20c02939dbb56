/**
 * One entry of a replanner's patch, as a streamed replan hands it over: remove a step, add one, or
 * replace one in place (same id, new content). A patch is a list of entries (and a reason).
 *
 * @module
 */
import { z } from "zod";
import type { PlanPatchInput } from "./plan-patch.js";
import { StepIdSchema, StepSpecSchema, type StepSpecInput } from "./schemas.js";

/** One patch entry: `remove` a step, `add` a new one, or `replace` one under the same id. */
export const PatchEntrySchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("remove"), id: StepIdSchema }).strict(),
  z.object({ op: z.literal("add"), step: StepSpecSchema }).strict(),
  z.object({ op: z.literal("replace"), step: StepSpecSchema }).strict(),
]);

/** A checked patch entry (defaults applied to its step). */
export type PatchEntry = z.infer<typeof PatchEntrySchema>;

/** A patch entry as a replanner may write it (the step's `dependsOn` and `args` optional). */
export type PatchEntryInput =
  | { op: "remove"; id: string }
  | { op: "add"; step: StepSpecInput }
  | { op: "replace"; step: StepSpecInput };

/** The id an entry names (the removed step's, or the added or replacing step's). */
export function entryId(entry: PatchEntry | PatchEntryInput): string {
  return entry.op === "remove" ? entry.id : entry.step.id;
}

/**
 * The entries as one patch (`{ remove, add, replace, reason }`), in their order within each list.
 *
 * @param entries - the entries.
 * @param reason - the patch's reason, if any.
 * @example
 * ```ts
 * patchOf([{ op: "remove", id: "3" }], "not needed"); // { remove: ["3"], add: [], replace: [], reason: "not needed" }
 * ```
 */
export function patchOf(
  entries: readonly PatchEntryInput[],
  reason?: string,
): Required<Pick<PlanPatchInput, "remove" | "add" | "replace">> & { reason?: string } {
  const patch = {
    remove: [] as string[],
    add: [] as StepSpecInput[],
    replace: [] as StepSpecInput[],
    ...(reason === undefined ? {} : { reason }),
  };
  for (const entry of entries) {
    if (entry.op === "remove") patch.remove.push(entry.id);
    else patch[entry.op].push(entry.step);
  }
  return patch;
}

/**
 * A patch as entries, in an order a streamed replan can apply one by one: removals first, then
 * the replaced and added steps, each after the patch's steps it depends on (a replaced step keeps
 * its place in the plan; an added step may depend on it, and a replacement on an added step).
 *
 * @param patch - a patch.
 * @example
 * ```ts
 * entriesOf({ add: [{ id: "4", kind: "agent", description: "Check", dependsOn: ["3"] }], replace: [{ id: "3", kind: "agent", description: "Retry" }] });
 * // [{ op: "replace", step: 3 }, { op: "add", step: 4 }]
 * ```
 */
export function entriesOf(patch: PlanPatchInput): PatchEntryInput[] {
  const pending: PatchEntryInput[] = [
    ...(patch.replace ?? []).map((step) => ({ op: "replace" as const, step })),
    ...(patch.add ?? []).map((step) => ({ op: "add" as const, step })),
  ];
  const entries: PatchEntryInput[] = (patch.remove ?? []).map((id) => ({ op: "remove" as const, id }));
  const ids = new Set(pending.map(entryId));
  const written = new Set<string>();
  // Each pass writes at least one entry, or writes the rest as they are (a cycle: invalid anyway).
  while (pending.length > 0) {
    const index = pending.findIndex((entry) =>
      (entry.op === "remove" ? [] : (entry.step.dependsOn ?? [])).every(
        (id) => !ids.has(id) || written.has(id) || id === entryId(entry),
      ),
    );
    const next = index < 0 ? pending.splice(0) : pending.splice(index, 1);
    for (const entry of next) {
      entries.push(entry);
      written.add(entryId(entry));
    }
  }
  return entries;
}
