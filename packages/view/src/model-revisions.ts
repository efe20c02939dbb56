/**
 * The plan's revisions in the view's model: a revision from its plan (what it removed, added and
 * kept, computed as core does), a step update in the latest revision, and the revisions rebuilt
 * from a run's saved state.
 *
 * @module
 */
import type { ViewModel, ViewRevision, ViewStep } from "./model.js";
import {
  isObject,
  isStringArray,
  MAX_STEPS,
  readOutcome,
  readPlan,
  readReason,
  readUsage,
  withoutNulls,
} from "./model-read.js";

/** Most revisions kept. */
export const MAX_REVISIONS = 200;

/**
 * A revision from its plan and the steps of the one before (removed/added/replaced computed as
 * core does, unless the event says).
 */
export function revisionOf(
  plan: { revision: number; steps: ViewStep[] },
  previous: ViewStep[],
  given: { removed?: unknown; added?: unknown; replaced?: unknown } = {},
): ViewRevision {
  const before = new Set(previous.map((step) => step.id));
  const introduced = plan.steps.filter((step) => step.revision === plan.revision).map((step) => step.id);
  // An event from before replaced ids were reported lists them under `added`.
  const replaced = isStringArray(given.replaced)
    ? given.replaced
    : isStringArray(given.added)
      ? []
      : introduced.filter((id) => before.has(id) && plan.revision > 0);
  const replacedIds = new Set(replaced);
  const added = isStringArray(given.added) ? given.added : introduced.filter((id) => !replacedIds.has(id));
  const addedIds = new Set(added);
  const kept = plan.steps
    .filter((step) => !addedIds.has(step.id) && !replacedIds.has(step.id))
    .map((step) => step.id);
  const now = new Set(plan.steps.map((step) => step.id));
  const removed = isStringArray(given.removed)
    ? given.removed
    : previous.filter((step) => !now.has(step.id)).map((step) => step.id);
  return { revision: plan.revision, steps: plan.steps, removed, added, replaced, kept };
}

/** A first revision: every step of the plan is added. */
export function firstRevision(plan: { revision: number; steps: ViewStep[] }): ViewRevision {
  return {
    revision: plan.revision,
    steps: plan.steps,
    removed: [],
    added: plan.steps.map((step) => step.id),
    replaced: [],
    kept: [],
  };
}

/** The revisions with `step` replacing the step of the same id in the latest one (or added). */
export function withStep(revisions: ViewRevision[], step: ViewStep): ViewRevision[] {
  if (revisions.length === 0) {
    return [
      { revision: step.revision, steps: [step], removed: [], added: [step.id], replaced: [], kept: [] },
    ];
  }
  const last = revisions.at(-1)!;
  const index = last.steps.findIndex((candidate) => candidate.id === step.id);
  const steps = [...last.steps];
  if (index >= 0) steps[index] = step;
  else if (steps.length < MAX_STEPS) steps.push(step);
  return [...revisions.slice(0, -1), { ...last, steps }];
}

/**
 * Applies a run's saved state (a `@replan/core` `RunState`, or the adapter's thread values with
 * `plan`, `run` and `outcome`): the revisions come from its history and plan.
 */
export function applySnapshot(
  model: ViewModel,
  state: unknown,
  at: number | undefined,
): ViewModel | undefined {
  if (!isObject(state)) return undefined;
  // The adapter's thread values keep the bookkeeping under `run`; a RunState has it at the top.
  const run = isObject(state.run) ? { ...state.run, ...withoutNulls(state) } : state;
  const plan = readPlan(run.plan);
  const next: ViewModel = { ...model };
  if (typeof run.runId === "string") next.runId = run.runId;
  if (typeof run.goal === "string") next.goal = run.goal;
  if (typeof run.startedAt === "number") next.startedAt = run.startedAt;
  if (typeof run.endedAt === "number") next.endedAt = run.endedAt;
  const usage = readUsage(run.usage);
  if (usage) next.usage = usage;
  const revisions = historyRevisions(Array.isArray(run.history) ? run.history : []);
  if (plan) revisions.push(revisionOf(plan, revisions.at(-1)?.steps ?? []));
  if (revisions.length > 0) next.revisions = revisions;
  const outcome = readOutcome(run.outcome);
  if (outcome) {
    next.outcome = outcome;
    next.status = outcome.status;
    next.approval = undefined;
    next.replanning = undefined;
  } else if (typeof run.status === "string") next.status = run.status;
  else if (plan && next.status === "connecting") next.status = "executing";
  if (at !== undefined && next.endedAt === undefined && outcome) next.endedAt = at;
  return next;
}

/** The revisions of a saved run's history (the plans it replaced, with why and when). */
function historyRevisions(history: unknown[]): ViewRevision[] {
  const revisions: ViewRevision[] = [];
  let previous: ViewStep[] = [];
  for (const entry of history.slice(-MAX_REVISIONS)) {
    const old = readPlan(entry);
    if (!old) continue;
    const revision = revisionOf(old, previous);
    const reason = readReason((entry as { reason?: unknown }).reason);
    if (reason) revision.reason = reason;
    const replacedAt = (entry as { replacedAt?: unknown }).replacedAt;
    if (typeof replacedAt === "number") revision.replacedAt = replacedAt;
    revisions.push(revision);
    previous = old.steps;
  }
  return revisions;
}
