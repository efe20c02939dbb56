/**
 * A plan that grows while it runs: the planner streams its steps (`plan-step`), each validated on
 * its own and taken at once (it may start before the plan is complete), then ends the stream
 * (`plan-end`), when the whole plan is validated again.
 *
 * The rules (decision 011):
 * - A streamed step is taken when it is valid on its own: its shape, a new id, `dependsOn` and
 *   `${id}` references only to steps already in the plan (so no cycle can form), and room under
 *   `maxSteps`. A step equal to one already kept from an earlier call (a planner that writes its
 *   plan again after a resume or a repair) is not taken twice and is no error.
 * - A streamed step that is not valid on its own is not taken: it is recorded
 *   (`state.planStream`), and the stream's later steps are still taken when valid on their own.
 * - `plan-end` validates the plan as written: a step not taken, an issue of the driver's parser,
 *   a final `output` that disagrees with the streamed steps, or no step at all make it invalid.
 *   Then the steps that have started (running, done or failed) are kept, the others are dropped,
 *   and the planner is asked for the rest (see `planning.ts`).
 * - While the plan is being written the run stays `planning`: ready steps start (unless the run
 *   requires approval), but the run never completes nor replans before `plan-end`.
 *
 * @module
 */
import type { PlanIssue } from "./errors.js";
import type { Draft } from "./draft.js";
import { invalidPlanError, refusePlan } from "./planning.js";
import type { InputOf } from "./run-messages.js";
import { sameSpec } from "./kept-steps.js";
import type { Plan, PlanStream } from "./schemas.js";
import { newStep } from "./step-reports.js";
import { checkPlan } from "./validate.js";

/** Most issues of rejected steps kept in `planStream.issues` (the rest are only counted). */
export const MAX_STREAM_ISSUES = 10;

/** The stream under way, or a new one. */
function streamOf(draft: Draft): PlanStream {
  return draft.state.planStream ?? { streamed: [], issues: [], rejected: 0 };
}

/** `plan-step`: one streamed step, taken when it is valid on its own (see the module). */
export function takePlanStep(draft: Draft, input: InputOf<"plan-step">): void {
  takeStreamedStep(draft, input.at, input.output);
}

/** Takes one streamed step, or records why not; returns whether the plan holds it now. */
function takeStreamedStep(draft: Draft, at: number, output: unknown): boolean {
  const stream = streamOf(draft);
  const steps = draft.state.plan?.steps ?? [];
  const index = stream.streamed.length + stream.rejected + 1;
  const check = checkPlan([output], { maxSteps: draft.state.config.maxSteps, locked: steps });
  if (check.ok) {
    const step = newStep(check.steps[0]!, 0, draft.state.config.effects);
    const plan: Plan = { goal: draft.state.goal, revision: 0, steps: [...steps, step] };
    draft.set({ plan, planStream: { ...stream, streamed: [...stream.streamed, step.id] } });
    draft.emit({ type: "plan-step", at, step });
    return true;
  }
  const id = (output as { id?: unknown } | null)?.id;
  const existing = typeof id === "string" ? steps.find((step) => step.id === id) : undefined;
  if (existing && !stream.streamed.includes(existing.id) && sameSpec(existing, output)) {
    // A kept step written again (a resumed or repairing planner): already in the plan.
    draft.set({ planStream: { ...stream, streamed: [...stream.streamed, existing.id] } });
    return true;
  }
  const issues = check.issues.map((issue) => renamed(issue, index, existing !== undefined));
  draft.set({
    planStream: {
      ...stream,
      issues: [...stream.issues, ...issues].slice(0, MAX_STREAM_ISSUES),
      rejected: stream.rejected + 1,
    },
  });
  return false;
}

/** An issue of a streamed step, named by its place in the stream; a reused id is a duplicate. */
function renamed(issue: PlanIssue, index: number, reused: boolean): PlanIssue {
  if (issue.code === "replaces-locked-step" || (reused && issue.code === "duplicate-id")) {
    const id = issue.stepIds[0];
    return { code: "duplicate-id", stepIds: issue.stepIds, message: `step id "${id}" is used twice` };
  }
  if (issue.code === "unknown-dependency") {
    const [id, dependency] = issue.stepIds;
    return {
      ...issue,
      message: `step "${id}" depends on "${dependency}", which is not written before it`,
    };
  }
  return { ...issue, message: `streamed step #${index}: ${issue.message}` };
}

/**
 * `plan-end`: the plan as written is validated (see the module); valid, it is complete (waiting
 * for approval if required, else executing); invalid, the planner is asked for the rest.
 */
export function endPlanStream(draft: Draft, input: InputOf<"plan-end">): void {
  const issues: PlanIssue[] = [...(input.issues ?? [])];
  const before = streamOf(draft);
  // Already refused (a streamed step was invalid, or the driver's parser found issues): the steps
  // not streamed are not taken (a plan-step event would announce a step the plan then drops).
  const refused = issues.length > 0 || before.rejected > 0;
  if (input.output !== undefined) crossCheck(draft, input.at, input.output, issues, !refused);
  const stream = streamOf(draft);
  issues.push(...stream.issues);
  if (stream.rejected > stream.issues.length) {
    const more = stream.rejected - stream.issues.length;
    issues.push({
      code: "invalid-shape",
      stepIds: [],
      message: `${more} more streamed step(s) were invalid`,
    });
  }
  const plan = draft.state.plan;
  if (!plan || plan.steps.length === 0) {
    issues.push({ code: "empty-plan", stepIds: [], message: "the plan has no steps" });
  }
  if (issues.length > 0) {
    refusePlan(draft, input.at, { error: invalidPlanError(issues), output: input.output });
    return;
  }
  const { state } = draft;
  draft.set({
    status: state.config.requireApproval ? "approving" : "executing",
    planStream: undefined,
    feedback: null,
  });
  draft.emit({ type: "plan-end", at: input.at, plan: plan! });
}

/**
 * Compares the final plan with the streamed one: a step that was not streamed is taken now, unless
 * `take` is false (or rejected, as a streamed one would be); a step that differs from its streamed version, and a
 * streamed step missing from the final plan, are `stream-mismatch` issues.
 */
function crossCheck(draft: Draft, at: number, output: unknown, issues: PlanIssue[], take: boolean): void {
  const raw = Array.isArray(output)
    ? output
    : Array.isArray((output as { steps?: unknown } | null)?.steps)
      ? (output as { steps: unknown[] }).steps
      : undefined;
  if (!raw) {
    issues.push({
      code: "invalid-shape",
      stepIds: [],
      message: "a plan is an array of steps or { steps: [...] }",
    });
    return;
  }
  const written = new Set<string>();
  for (const entry of raw.slice(0, draft.state.config.maxSteps + 1)) {
    const id = (entry as { id?: unknown } | null)?.id;
    const streamed = streamOf(draft).streamed;
    if (typeof id === "string" && streamed.includes(id)) {
      written.add(id);
      const step = draft.step(id)!;
      if (!sameSpec(step, entry)) {
        issues.push({
          code: "stream-mismatch",
          stepIds: [id],
          message: `step "${id}" in the final plan differs from the step streamed`,
        });
      }
    } else if (take && takeStreamedStep(draft, at, entry) && typeof id === "string") written.add(id);
  }
  for (const id of streamOf(draft).streamed) {
    if (!written.has(id)) {
      issues.push({
        code: "stream-mismatch",
        stepIds: [id],
        message: `step "${id}" was streamed but is not in the final plan`,
      });
    }
  }
}
