// Re-approval after a replan (the `reapprove` option): what a replan changed, whether a person must
// see it before it runs, and the replan held in the state meanwhile.
import {
  effectOf,
  type Plan,
  type RunInput,
  type RunState,
  type Step,
  type TransitionResult,
  type Usage,
} from "@replan/core";
import { z } from "zod";

/**
 * When a replan waits for a person's approval before its steps run: `"never"`, `"writes"` (when
 * the new revision holds a `write` step that is new or changed) or `"always"` (every replan).
 */
export type ReapproveMode = "never" | "writes" | "always";

/** Every {@link ReapproveMode}. */
export const REAPPROVE_MODES = Object.freeze(["never", "writes", "always"] as const);

/**
 * What a replan changed, by step id: `removed` (in the old revision, not in the new one), `added`
 * (new ids), `replaced` (the same id with another spec: description, dependencies, tool or
 * arguments) and `kept` (in both, unchanged: done and running steps, and steps given again as they were).
 */
export interface PlanChange {
  removed: string[];
  added: string[];
  replaced: string[];
  kept: string[];
}

/** A replan held until a person approves it: the replanner's answer, and what the call cost. */
export const PendingReplanSchema = z.object({
  /** The replanner's steps, as it answered them (valid: an invalid answer is never held). */
  output: z.unknown(),
  /** Usage of the replanner's call, added to the run when the answer is applied (or the run cancelled). */
  usage: z
    .object({ llmCalls: z.number(), promptTokens: z.number(), completionTokens: z.number() })
    .optional(),
  /** What the replan changes, as shown to the person. */
  change: z.object({
    removed: z.array(z.string()),
    added: z.array(z.string()),
    replaced: z.array(z.string()),
    kept: z.array(z.string()),
  }),
});

/** A replan held until a person approves it. */
export type PendingReplan = z.infer<typeof PendingReplanSchema>;

/** A step as a planner wrote it: what a person approves (progress left out). */
function specOf(step: Step): string {
  const { id, kind, description, dependsOn } = step;
  return JSON.stringify(
    step.kind === "tool"
      ? { id, kind, description, dependsOn, tool: step.tool, args: step.args }
      : { id, kind, description, dependsOn },
  );
}

/**
 * What changed from one revision of a plan to the next, by id.
 *
 * @param before - the replaced revision.
 * @param after - the new revision.
 */
export function changeOf(before: Plan, after: Plan): PlanChange {
  const old = new Map(before.steps.map((step) => [step.id, step]));
  const now = new Set(after.steps.map((step) => step.id));
  const change: PlanChange = { removed: [], added: [], replaced: [], kept: [] };
  for (const step of after.steps) {
    const previous = old.get(step.id);
    if (!previous) change.added.push(step.id);
    else if (specOf(previous) !== specOf(step)) change.replaced.push(step.id);
    else change.kept.push(step.id);
  }
  for (const step of before.steps) if (!now.has(step.id)) change.removed.push(step.id);
  return change;
}

/**
 * The change a `replan-end` event reports, when it reports one in full (`removed`, `added`,
 * `replaced`, `kept`): the state machine's own account of what it applied.
 */
function reportedChange(event: object): PlanChange | undefined {
  const fields = ["removed", "added", "replaced", "kept"] as const;
  const reported = event as Partial<Record<(typeof fields)[number], unknown>>;
  if (!fields.every((field) => Array.isArray(reported[field]))) return undefined;
  const [removed, added, replaced, kept] = fields.map((field) => [...(reported[field] as string[])]);
  return { removed: removed!, added: added!, replaced: replaced!, kept: kept! };
}

/**
 * Whether a replan must wait for a person: with `"always"`, every replan; with `"writes"`, a
 * replan whose new revision holds a `write` step that was added or replaced (a removed step, or a
 * `write` step given again unchanged, needs no new approval: nothing is done that was not seen);
 * with `"never"`, none.
 *
 * @param change - what the replan changed.
 * @param after - the new revision.
 * @param mode - the `reapprove` option.
 * @param isWrite - whether a step of the new revision is a `write` step.
 */
export function needsReapproval(
  change: PlanChange,
  after: Plan,
  mode: ReapproveMode,
  isWrite: (step: Step) => boolean,
): boolean {
  if (mode === "never") return false;
  if (mode === "always") return true;
  const touched = new Set([...change.added, ...change.replaced]);
  return after.steps.some((step) => touched.has(step.id) && isWrite(step));
}

/**
 * The replan to hold for approval, or undefined when the answer is applied at once: only a valid
 * replan (one that made a new revision) that {@link needsReapproval} is held.
 *
 * @param run - the run before the replanner's answer.
 * @param next - the transition of that answer (computed, not yet applied).
 * @param input - the answer, as given to the transition.
 */
export function replanToHold(
  run: RunState,
  next: TransitionResult,
  input: RunInput,
  mode: ReapproveMode,
  isWrite: (step: Step) => boolean,
): PendingReplan | undefined {
  if (mode === "never" || input.type !== "replan" || !run.plan) return undefined;
  const after = next.state.plan;
  const ended = next.events.find((event) => event.type === "replan-end");
  if (!after || !ended) return undefined;
  const change = reportedChange(ended) ?? changeOf(run.plan, after);
  if (!needsReapproval(change, after, mode, isWrite)) return undefined;
  const usage: Usage | undefined = input.usage
    ? { llmCalls: 0, promptTokens: 0, completionTokens: 0, ...input.usage }
    : undefined;
  return { output: input.output, ...(usage ? { usage } : {}), change };
}

/**
 * The new revision as a person sees it before approving: its own steps (those of this revision)
 * pending, as they will start; the state machine would already have started the ready ones.
 */
export function proposedPlan(after: Plan): Plan {
  return {
    ...after,
    steps: after.steps.map((step) => {
      if (step.revision !== after.revision || step.status !== "running") return step;
      const { startedAt: _notStarted, ...rest } = step;
      return { ...rest, status: "pending", attempts: 0 } as Step;
    }),
  };
}

/**
 * Which steps of `run` are `write` steps: by `effectOf` (the class a step recorded, else the run's
 * declarations `budget.effects`); an undeclared tool or executor is `write`.
 */
export function writeSteps(run: RunState): (step: Step) => boolean {
  return (step) => effectOf(step, run.config.effects) === "write";
}
