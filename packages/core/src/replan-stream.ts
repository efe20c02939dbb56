/**
 * A patch that applies while the replanner writes it: each entry (`replan-step`) is validated on
 * its own and applied at once, so a replacement starts the moment its line ends; `replan-end`
 * validates the whole patch (decision 017).
 *
 * The rules:
 * - An entry is taken when it is valid on its own: its shape (zod); an id it does not name twice;
 *   a `remove`/`replace` of a step that exists and that the replanner was not told had started; an
 *   `add` of a new id; and the plan with the entry applied passes `checkPlan` (dependencies only on
 *   steps in the plan, no cycle, references, `maxSteps`), leaving out the steps that depend on a
 *   step the stream removed (they wait, and are judged at the end). The first taken entry makes
 *   the plan's next revision (the previous one goes to `history`).
 * - A `remove`/`replace` of a step that started after the question (running or done) is dropped
 *   and reported in `conflicts`, as for a whole patch (decision 013).
 * - An entry that is not taken is recorded (`state.replanStream`); later entries are still taken.
 * - `replan-end` validates the patch as written: a rejected entry, a parser issue, an `output`
 *   that disagrees with the streamed entries, a dangling dependency, or a failed step left in
 *   place while something else changed make it invalid. Then the entries whose steps have started
 *   are kept, the others are undone (a removed or replaced step comes back as it was, an added one
 *   goes), and the replanner is asked again, as after an invalid answer. A stream that took nothing
 *   and leaves a failed step is the replanner giving up.
 *
 * @module
 */
import { unknownEffects, withUnknownEffect } from "./unknown-effect.js";
import type { PlanIssue } from "./errors.js";
import type { Draft } from "./draft.js";
import { sameSpec } from "./kept-steps.js";
import { type PatchEntry, PatchEntrySchema, entriesOf, entryId } from "./patch-entry.js";
import { isPlanPatch, PlanPatchSchema } from "./plan-patch.js";
import { invalidPlanError } from "./planning.js";
import { refuseReplan, takeReplan, giveUp } from "./replanning.js";
import type { InputOf } from "./run-messages.js";
import type { ReplanStream, Step } from "./schemas.js";
import { newStep } from "./step-reports.js";
import { checkPlan } from "./validate.js";

/** Most issues of rejected entries kept in `replanStream.issues` (the rest are only counted). */
const MAX_STREAM_ISSUES = 10;

/** The stream under way, or a new one. */
function streamOf(draft: Draft): ReplanStream {
  return (
    draft.state.replanStream ?? {
      removed: [],
      added: [],
      replaced: [],
      conflicts: [],
      issues: [],
      rejected: 0,
    }
  );
}

/** Whether the stream has changed the plan (then the plan is at its new revision). */
function opened(stream: ReplanStream): boolean {
  return stream.removed.length + stream.added.length + stream.replaced.length > 0;
}

/** `replan-step`: one streamed entry, applied when it is valid on its own (see the module). */
export function takeReplanStep(draft: Draft, input: InputOf<"replan-step">): void {
  const stream = streamOf(draft);
  const parsed = PatchEntrySchema.safeParse(input.output);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? "invalid";
    reject(draft, stream, [
      { code: "invalid-shape", stepIds: [], message: `a patch entry is malformed: ${message}` },
    ]);
    return;
  }
  const entry = parsed.data;
  const target = checkTarget(draft, stream, entry);
  if (target === "conflict") {
    draft.set({ replanStream: { ...stream, conflicts: [...stream.conflicts, entryId(entry)] } });
    return;
  }
  if (target) {
    reject(draft, stream, [target]);
    return;
  }
  const plan = draft.state.plan!;
  const revision = opened(stream) ? plan.revision : plan.revision + 1;
  const written =
    entry.op === "remove" ? undefined : newStep(entry.step, revision, draft.state.config.effects);
  // A write step that repeats an effect still unknown is settled before it runs (unknown-effect.ts).
  const step =
    written?.effect === "write"
      ? withUnknownEffect(written, unknownEffects(draft.state.plan!, draft.state.history))
      : written;
  const steps = applied(plan.steps, entry, step);
  const removed = entry.op === "remove" ? [...stream.removed, entry.id] : stream.removed;
  const check = checkPlan(withoutDangling(steps, removed), {
    maxSteps: draft.state.config.maxSteps,
    allowEmpty: true,
  });
  if (!check.ok) {
    reject(draft, stream, check.issues);
    return;
  }
  if (!opened(stream)) {
    const previous = { revision: plan.revision, steps: plan.steps, reason: draft.state.replan!.reason };
    draft.set({ history: [...draft.state.history, { ...previous, replacedAt: input.at }] });
  }
  const list = entry.op === "remove" ? "removed" : entry.op === "add" ? "added" : "replaced";
  draft.set({
    plan: { goal: draft.state.goal, revision, steps },
    replanStream: { ...stream, [list]: [...stream[list], entryId(entry)] },
  });
  draft.emit({ type: "replan-step", at: input.at, op: entry.op, id: entryId(entry), written: step ?? null });
}

/** Why the step an entry names cannot be changed (an issue), `conflict` when it started meanwhile, or undefined. */
function checkTarget(
  draft: Draft,
  stream: ReplanStream,
  entry: PatchEntry,
): PlanIssue | "conflict" | undefined {
  const id = entryId(entry);
  const named = [...stream.removed, ...stream.added, ...stream.replaced, ...stream.conflicts];
  if (named.includes(id))
    return { code: "duplicate-id", stepIds: [id], message: `the patch names step "${id}" twice` };
  const step = draft.step(id);
  if (step && entry.op !== "remove" && draft.state.replan!.kept?.includes(id) && sameSpec(step, entry.step)) {
    return "conflict"; // a kept entry written again (a repairing or resumed replanner): nothing to change
  }
  if (entry.op === "add") {
    return step
      ? {
          code: "duplicate-id",
          stepIds: [id],
          message: `step "${id}" is already in the plan: replace it, or add the new step under a new id`,
        }
      : undefined;
  }
  if (!step)
    return { code: "unknown-step", stepIds: [id], message: `there is no step "${id}" to remove or replace` };

  if (draft.state.replan!.locked.includes(id) && step.status !== "failed") {
    return {
      code: "replaces-locked-step",
      stepIds: [id],
      message: `step "${id}" is already done or running and cannot be removed or replaced; add a step with a new id`,
    };
  }
  return step.status === "running" || step.status === "done" ? "conflict" : undefined;
}

/** The steps with one entry applied (a replacement keeps its place; an added step goes last). */
function applied(steps: readonly Step[], entry: PatchEntry, step: Step | undefined): Step[] {
  if (entry.op === "remove") return steps.filter((item) => item.id !== entry.id);
  if (entry.op === "add") return [...steps, step!];
  return steps.map((item) => (item.id === entry.step.id ? step! : item));
}

/** The steps less those that depend, directly or not, on a removed step (they are judged at the end). */
function withoutDangling(steps: readonly Step[], removed: readonly string[]): Step[] {
  const gone = new Set(removed);
  let kept = [...steps];
  // Each pass drops at least one step or stops: at most steps.length + 1 passes.
  for (let pass = 0; pass <= steps.length; pass++) {
    const next = kept.filter((step) => !step.dependsOn.some((id) => gone.has(id)));
    if (next.length === kept.length) break;
    for (const step of kept) if (!next.includes(step)) gone.add(step.id);
    kept = next;
  }
  return kept;
}

/** Records an entry that was not taken. */
function reject(draft: Draft, stream: ReplanStream, issues: PlanIssue[]): void {
  const index = stream.rejected + 1;
  const named = issues.map((issue) => ({
    ...issue,
    message: `streamed patch entry (rejected #${index}): ${issue.message}`,
  }));
  draft.set({
    replanStream: {
      ...stream,
      issues: [...stream.issues, ...named].slice(0, MAX_STREAM_ISSUES),
      rejected: stream.rejected + 1,
    },
  });
}

/**
 * `replan-end`: the patch as written is validated (see the module); valid, the run executes the
 * new revision (`replan-end` event); invalid, the unstarted entries are undone and the replanner
 * is asked again; nothing taken and a failed step left, the replanner gives up.
 */
export function endReplanStream(draft: Draft, input: InputOf<"replan-end">): void {
  const stream = streamOf(draft);
  const named =
    stream.removed.length + stream.added.length + stream.replaced.length + stream.conflicts.length;
  if (input.output !== undefined && named === 0 && stream.rejected === 0 && !input.issues?.length) {
    draft.set({ replanStream: undefined });
    takeReplan(draft, { type: "replan", at: input.at, output: input.output });
    return;
  }
  const issues: PlanIssue[] = [...(input.issues ?? []), ...stream.issues];
  if (stream.rejected > stream.issues.length) {
    const more = stream.rejected - stream.issues.length;
    issues.push({
      code: "invalid-shape",
      stepIds: [],
      message: `${more} more streamed patch entries were invalid`,
    });
  }
  const reason = reasonOf(input.output);
  if (input.output !== undefined) crossCheck(draft, stream, input.output, issues);
  const plan = draft.state.plan!;
  const replan = draft.state.replan!;
  const stillFailed = plan.steps
    .filter((step) => step.status === "failed" && replan.reason.stepIds.includes(step.id))
    .map((step) => step.id);
  if (stillFailed.length > 0 && issues.length === 0) {
    if (!opened(stream)) {
      draft.set({ replanStream: undefined });
      giveUp(draft, input.at, stillFailed, reason);
      return;
    }
    const message = `failed step(s) ${stillFailed.join(", ")} stay in the plan: replace or remove them (an empty patch gives up)`;
    issues.push({ code: "keeps-failed-step", stepIds: stillFailed, message });
  }
  if (issues.length === 0) {
    const check = checkPlan(plan.steps, { maxSteps: draft.state.config.maxSteps, allowEmpty: true });
    if (!check.ok) issues.push(...check.issues);
  }
  if (issues.length > 0) {
    const kept = undoReplanStream(draft);
    const error = invalidPlanError(issues);
    const note =
      kept.length > 0 ? `; kept, as they started: ${kept.join(", ")} (do not write them again)` : "";
    refuseReplan(draft, input.at, {
      error: { ...error, message: `${error.message}${note}` },
      output: input.output,
    });
    rememberKept(draft, kept);
    return;
  }
  const previous = opened(stream)
    ? draft.state.history.at(-1)!.steps.map((step) => step.id)
    : plan.steps.map((step) => step.id);
  const changed = new Set([...stream.removed, ...stream.replaced]);
  draft.set({ status: "executing", replan: null, feedback: null, replanStream: undefined });
  draft.emit({
    type: "replan-end",
    at: input.at,
    plan,
    ...(reason === undefined ? {} : { reason }),
    removed: stream.removed,
    added: stream.added,
    replaced: stream.replaced,
    kept: previous.filter((id) => !changed.has(id)),
    conflicts: stream.conflicts,
  });
}

/** The reason of a final patch output, if it has one. */
function reasonOf(output: unknown): string | undefined {
  const reason = isPlanPatch(output) ? (output as { reason?: unknown }).reason : undefined;
  return typeof reason === "string" && reason.trim() !== "" ? reason : undefined;
}

/**
 * Compares the final answer with the streamed entries: it must be a patch whose entries are the
 * streamed ones (the same op, id and step), else `stream-mismatch`.
 */
function crossCheck(draft: Draft, stream: ReplanStream, output: unknown, issues: PlanIssue[]): void {
  if (!isPlanPatch(output)) {
    issues.push({
      code: "stream-mismatch",
      stepIds: [],
      message: "the final answer is not a patch, but patch entries were streamed",
    });
    return;
  }
  const ops = new Map<string, string>();
  for (const id of stream.removed) ops.set(id, "remove");
  for (const id of stream.added) ops.set(id, "add");
  for (const id of stream.replaced) ops.set(id, "replace");
  for (const id of stream.conflicts) ops.set(id, "conflict");
  const seen = new Set<string>();
  const parsed = PlanPatchSchema.safeParse(output);
  if (!parsed.success) {
    issues.push({ code: "invalid-shape", stepIds: [], message: "the final patch is malformed" });
    return;
  }
  const { remove, add, replace } = parsed.data;
  for (const entry of entriesOf({ remove, add, replace })) {
    const id = entryId(entry);
    seen.add(id);
    const op = ops.get(id);
    const step = draft.step(id);
    const same =
      op === "conflict" ||
      (op === entry.op && (entry.op === "remove" || (step !== undefined && sameSpec(step, entry.step))));
    if (!same)
      issues.push({
        code: "stream-mismatch",
        stepIds: [id],
        message: `the final patch's entry for step "${id}" differs from the one streamed`,
      });
  }
  for (const id of ops.keys()) {
    if (!seen.has(id))
      issues.push({
        code: "stream-mismatch",
        stepIds: [id],
        message: `the patch entry for step "${id}" was streamed but is not in the final patch`,
      });
  }
}

/** Notes the entries kept, on the replan asked again (they may be written again: no error). */
export function rememberKept(draft: Draft, kept: readonly string[]): void {
  const { replan } = draft.state;
  if (!replan || kept.length === 0) return;
  draft.set({ replan: { ...replan, kept: [...new Set([...(replan.kept ?? []), ...kept])] } });
}

/**
 * Closes a streamed patch that will not be completed (invalid at its end, the replanner failed,
 * or the run resumed mid-stream): the entries whose steps have started are kept (their work
 * cannot be undone), the others are undone: a removed or replaced step comes back as it was, an
 * added step goes. With nothing kept, the plan goes back to its previous revision.
 *
 * @returns the ids of the entries kept.
 */
export function undoReplanStream(draft: Draft): string[] {
  const stream = draft.state.replanStream;
  if (!stream) return [];
  draft.set({ replanStream: undefined });
  if (!opened(stream)) return [];
  const history = draft.state.history;
  const base = history.at(-1)!;
  const plan = draft.state.plan!;
  const current = new Map(plan.steps.map((step) => [step.id, step]));
  const started = (step: Step | undefined): step is Step => step !== undefined && step.status !== "pending";
  const removed = new Set(stream.removed);
  const replaced = new Set(stream.replaced);
  const steps: Step[] = [];
  for (const step of base.steps) {
    const now = current.get(step.id);
    if (removed.has(step.id)) steps.push(step);
    else if (replaced.has(step.id)) steps.push(started(now) ? now : step);
    else steps.push(now ?? step);
  }
  const keptAdded = stream.added.map((id) => current.get(id)).filter(started);
  steps.push(...keptAdded);
  const kept = [
    ...stream.replaced.filter((id) => started(current.get(id))),
    ...keptAdded.map((step) => step.id),
  ];
  if (kept.length === 0) {
    draft.set({ plan: { ...plan, revision: base.revision, steps }, history: history.slice(0, -1) });
  } else draft.set({ plan: { ...plan, steps } });
  return kept;
}
