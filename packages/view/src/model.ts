/**
 * The view's model of a run, and the pure reducer that folds the event feed into it. It runs in
 * the browser (the element) and on the server (the helper keeps one per run, to send a new page
 * the state so far in one event). It never throws on what it is fed: unknown event types and
 * extra fields are ignored, malformed known events become notices.
 *
 * @module
 */

/** A step as the view knows it: a `@replan/core` `Step`, read leniently (extra fields are kept). */
export interface ViewStep {
  id: string;
  description: string;
  kind: "tool" | "agent";
  tool?: string;
  args?: Record<string, unknown>;
  dependsOn: string[];
  status: string;
  result?: unknown;
  error?: { code: string; message: string };
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  /** The plan revision that introduced the step. */
  revision: number;
  [extra: string]: unknown;
}

/** Why a revision was replaced (a `@replan/core` `ReplanReason`). */
export interface ViewReplanReason {
  trigger: string;
  stepIds: string[];
  message: string;
}

/** One revision of the plan, with what its replan changed. */
export interface ViewRevision {
  revision: number;
  steps: ViewStep[];
  /** Ids of the previous revision's steps that this one dropped. */
  removed: string[];
  /** Ids of the steps this revision introduced (for revision 0: every step). */
  added: string[];
  /** Ids of the steps carried over from the previous revision (done or running then). */
  kept: string[];
  /** Why this revision was replaced by the next one, once it was. */
  reason?: ViewReplanReason;
  replacedAt?: number;
}

/** The plan-approval request a run waits on (the adapter's `PlanApprovalRequest`). */
export interface ViewApprovalRequest {
  goal: string;
  plan: { revision: number; steps: ViewStep[] };
  /** Why the previous answer was refused. */
  error?: string;
  /** What the run is expected to cost or take, when the request carries it (shown as is). */
  forecast?: unknown;
}

/** A message for the person watching. */
export interface ViewNotice {
  level: "info" | "warning" | "error";
  text: string;
  at?: number;
}

/** Everything the view shows about a run: plain JSON. */
export interface ViewModel {
  runId?: string;
  goal?: string;
  /** The run's phase: `@replan/core`'s `RunStatus`, or `"connecting"` before any event. */
  status: string;
  revisions: ViewRevision[];
  outcome?: { status: string; reason: string };
  usage?: { llmCalls: number; promptTokens: number; completionTokens: number };
  startedAt?: number;
  endedAt?: number;
  /** Set while the run waits for plan approval. */
  approval?: ViewApprovalRequest;
  /** Set while the replanner works. */
  replanning?: ViewReplanReason;
  notices: ViewNotice[];
  /** Whether the feed said it has nothing more to send. */
  streamEnded: boolean;
  /** Events applied, and events ignored (unknown type or malformed). */
  events: number;
  ignored: number;
}

/** An event of the feed: a `@replan/core` `RunEvent`, a view event, or anything with a `type`. */
export interface ViewEvent {
  type: string;
  at?: number;
  [field: string]: unknown;
}

/** Most notices kept (the oldest go first). */
const MAX_NOTICES = 50;
/** Most steps read from one plan: more than any valid plan (core's `maxSteps` tops out lower). */
const MAX_STEPS = 5_000;
/** Most revisions kept. */
const MAX_REVISIONS = 200;

const TERMINAL = new Set(["completed", "failed", "cancelled", "budget-exceeded"]);

/**
 * Whether a run status is final.
 *
 * @param status - a run status.
 */
export function isFinalStatus(status: string): boolean {
  return TERMINAL.has(status);
}

/**
 * A model with nothing in it yet.
 *
 * @example
 * ```ts
 * const model = applyEvents(emptyModel(), events);
 * ```
 */
export function emptyModel(): ViewModel {
  return { status: "connecting", revisions: [], notices: [], streamEnded: false, events: 0, ignored: 0 };
}

/**
 * Folds events into a model, in order.
 *
 * @param model - the model so far (not changed).
 * @param events - the events to apply.
 * @returns the new model.
 */
export function applyEvents(model: ViewModel, events: Iterable<unknown>): ViewModel {
  let next = model;
  for (const event of events) next = applyEvent(next, event);
  return next;
}

/**
 * Applies one event of the feed. Never throws: an unknown type is counted in `ignored`, a known
 * type with missing or malformed fields adds a warning notice.
 *
 * @param model - the model so far (not changed).
 * @param event - anything; events are objects with a string `type`.
 * @returns the new model.
 * @example
 * ```ts
 * let model = emptyModel();
 * model = applyEvent(model, { type: "run-start", at: 0, runId: "r1", goal: "Check stock" });
 * model.goal; // "Check stock"
 * ```
 */
export function applyEvent(model: ViewModel, event: unknown): ViewModel {
  if (!isObject(event) || typeof event.type !== "string") {
    return { ...model, ignored: model.ignored + 1 };
  }
  const next: ViewModel = { ...model, events: model.events + 1 };
  const at = typeof event.at === "number" ? event.at : undefined;
  const malformed = (what: string) => {
    next.ignored++;
    notice(next, "warning", `ignored a malformed ${event.type} event: ${what}`, at);
    return next;
  };
  switch (event.type) {
    case "run-start": {
      if (typeof event.runId === "string") next.runId = event.runId;
      if (typeof event.goal === "string") next.goal = event.goal;
      if (at !== undefined) next.startedAt = at;
      if (next.status === "connecting") next.status = "planning";
      return next;
    }
    case "plan-start":
      next.status = "planning";
      return next;
    case "plan-error": {
      const error = readError(event.error);
      notice(
        next,
        event.willRetry ? "warning" : "error",
        `planning failed: ${error?.message ?? "unknown error"}`,
        at,
      );
      return next;
    }
    case "plan-end": {
      const plan = readPlan(event.plan);
      if (!plan) return malformed("no plan with steps");
      if (typeof (event.plan as { goal?: unknown }).goal === "string" && !next.goal) {
        next.goal = (event.plan as { goal: string }).goal;
      }
      const revisions = [...next.revisions];
      // An edited plan at approval comes as a second plan-end for revision 0: it replaces it.
      while (revisions.length > 0 && revisions.at(-1)!.revision >= plan.revision) revisions.pop();
      revisions.push({
        revision: plan.revision,
        steps: plan.steps,
        removed: [],
        added: plan.steps.map((step) => step.id),
        kept: [],
      });
      next.revisions = revisions.slice(-MAX_REVISIONS);
      if (!isFinalStatus(next.status) && next.status !== "approving") next.status = "executing";
      return next;
    }
    case "step-start":
    case "step-retry":
    case "step-end": {
      const step = readStep(event.step);
      if (!step) return malformed("no step with an id");
      next.revisions = withStep(next.revisions, step);
      if (event.type === "step-start" && (next.status === "approving" || next.status === "planning")) {
        next.status = "executing";
        next.approval = undefined;
      }
      if (event.type === "step-retry") {
        const error = readError(event.error);
        notice(next, "warning", `${step.id} failed (${error?.message ?? "error"}); retrying`, at);
      }
      return next;
    }
    case "replan-start": {
      const reason = readReason(event.reason);
      next.status = "replanning";
      next.replanning = reason ?? { trigger: "unknown", stepIds: [], message: "" };
      return next;
    }
    case "replan-end": {
      const plan = readPlan(event.plan);
      if (!plan) return malformed("no plan with steps");
      const revisions = [...next.revisions];
      const previous = revisions.at(-1);
      if (previous) {
        revisions[revisions.length - 1] = {
          ...previous,
          ...(next.replanning ? { reason: next.replanning } : {}),
          ...(at !== undefined ? { replacedAt: at } : {}),
        };
      }
      revisions.push(revisionOf(plan, previous?.steps ?? [], event.removed, event.added));
      next.revisions = revisions.slice(-MAX_REVISIONS);
      next.replanning = undefined;
      if (!isFinalStatus(next.status)) next.status = "executing";
      return next;
    }
    case "replan-error": {
      const error = readError(event.error);
      notice(
        next,
        event.willRetry ? "warning" : "error",
        `replanning failed: ${error?.message ?? "unknown error"}${event.willRetry ? " (trying again)" : ""}`,
        at,
      );
      if (!event.willRetry) next.replanning = undefined;
      return next;
    }
    case "run-end": {
      const outcome = readOutcome(event.outcome);
      if (!outcome) return malformed("no outcome");
      next.outcome = outcome;
      next.status = outcome.status;
      next.approval = undefined;
      next.replanning = undefined;
      if (at !== undefined) next.endedAt = at;
      const usage = readUsage(event.usage);
      if (usage) next.usage = usage;
      return next;
    }
    case "approval-request": {
      const request = event.request;
      if (!isObject(request)) return malformed("no request");
      const plan = readPlan(request.plan);
      if (!plan) return malformed("no plan with steps");
      next.approval = {
        goal: typeof request.goal === "string" ? request.goal : (next.goal ?? ""),
        plan,
        ...(typeof request.error === "string" ? { error: request.error } : {}),
        ...(request.forecast !== undefined ? { forecast: request.forecast } : {}),
      };
      next.goal ??= next.approval.goal;
      next.status = "approving";
      const last = next.revisions.at(-1);
      if (!last || last.revision !== plan.revision || last.steps.length !== plan.steps.length) {
        next.revisions = [
          ...next.revisions.filter((revision) => revision.revision < plan.revision),
          {
            revision: plan.revision,
            steps: plan.steps,
            removed: [],
            added: plan.steps.map((s) => s.id),
            kept: [],
          },
        ];
      }
      return next;
    }
    case "approval-answered": {
      next.approval = undefined;
      const action = typeof event.action === "string" ? event.action : "answered";
      const by = typeof event.reason === "string" && event.reason ? `: ${event.reason}` : "";
      const done = { approve: "approved", reject: "rejected", edit: "edited and approved" }[action] ?? action;
      notice(next, "info", `plan ${done} in the view${by}`, at);
      return next;
    }
    case "view-snapshot":
      return applySnapshot(next, event.state, at) ?? malformed("no run state");
    case "view-state": {
      const state = event.model;
      if (!isObject(state) || !Array.isArray(state.revisions)) return malformed("no model");
      return { ...(state as unknown as ViewModel), events: next.events, ignored: next.ignored };
    }
    case "view-notice": {
      const level = event.level === "error" || event.level === "warning" ? event.level : "info";
      if (typeof event.text === "string") notice(next, level, event.text, at);
      return next;
    }
    case "stream-end":
      next.streamEnded = true;
      return next;
    default:
      // Another issue's event (model calls, patches, ...): not shown, not an error.
      next.events--;
      next.ignored++;
      return next;
  }
}

/**
 * Applies a run's saved state (a `@replan/core` `RunState`, or the adapter's thread values with
 * `plan`, `run` and `outcome`): the revisions come from its history and plan.
 */
function applySnapshot(model: ViewModel, state: unknown, at: number | undefined): ViewModel | undefined {
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
  const history = Array.isArray(run.history) ? run.history : [];
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
  if (plan) revisions.push(revisionOf(plan, previous));
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

/** A revision from its plan and the steps of the one before (removed/added computed as core does). */
function revisionOf(
  plan: { revision: number; steps: ViewStep[] },
  previous: ViewStep[],
  removedGiven?: unknown,
  addedGiven?: unknown,
): ViewRevision {
  const added = isStringArray(addedGiven)
    ? addedGiven
    : plan.steps.filter((step) => step.revision === plan.revision).map((step) => step.id);
  const addedIds = new Set(added);
  const kept = plan.steps.filter((step) => !addedIds.has(step.id)).map((step) => step.id);
  const keptIds = new Set(kept);
  const removed = isStringArray(removedGiven)
    ? removedGiven
    : previous.filter((step) => !keptIds.has(step.id) && !addedIds.has(step.id)).map((step) => step.id);
  return { revision: plan.revision, steps: plan.steps, removed, added, kept };
}

/** The revisions with `step` replacing the step of the same id in the latest one (or added). */
function withStep(revisions: ViewRevision[], step: ViewStep): ViewRevision[] {
  if (revisions.length === 0) {
    return [{ revision: step.revision, steps: [step], removed: [], added: [step.id], kept: [] }];
  }
  const last = revisions.at(-1)!;
  const index = last.steps.findIndex((candidate) => candidate.id === step.id);
  const steps = [...last.steps];
  if (index >= 0) steps[index] = step;
  else if (steps.length < MAX_STEPS) steps.push(step);
  return [...revisions.slice(0, -1), { ...last, steps }];
}

function notice(model: ViewModel, level: ViewNotice["level"], text: string, at: number | undefined): void {
  const entry: ViewNotice = at === undefined ? { level, text } : { level, text, at };
  model.notices = [...model.notices, entry].slice(-MAX_NOTICES);
}

/** Reads a plan leniently: `{ revision?, steps: [...] }`; steps without an id are dropped. */
export function readPlan(value: unknown): { revision: number; steps: ViewStep[] } | undefined {
  if (!isObject(value) || !Array.isArray(value.steps)) return undefined;
  const revision = typeof value.revision === "number" && value.revision >= 0 ? value.revision : 0;
  const steps: ViewStep[] = [];
  const seen = new Set<string>();
  for (const raw of value.steps.slice(0, MAX_STEPS)) {
    const step = readStep(raw, revision);
    if (step && !seen.has(step.id)) {
      seen.add(step.id);
      steps.push(step);
    }
  }
  return { revision, steps };
}

/** Reads a step leniently; `undefined` without a string id. */
export function readStep(value: unknown, revision = 0): ViewStep | undefined {
  if (!isObject(value) || typeof value.id !== "string" || value.id === "") return undefined;
  const error = readError(value.error);
  const step: ViewStep = {
    ...value,
    id: value.id,
    description: typeof value.description === "string" ? value.description : "",
    kind:
      value.kind === "tool" || (value.kind !== "agent" && typeof value.tool === "string") ? "tool" : "agent",
    dependsOn: isStringArray(value.dependsOn) ? value.dependsOn : [],
    status: typeof value.status === "string" ? value.status : "pending",
    attempts: typeof value.attempts === "number" ? value.attempts : 0,
    revision: typeof value.revision === "number" ? value.revision : revision,
  };
  if (error) step.error = error;
  else delete step.error;
  if (typeof value.tool !== "string") delete step.tool;
  if (!isObject(value.args)) delete step.args;
  for (const field of ["startedAt", "endedAt"] as const)
    if (typeof value[field] !== "number") delete step[field];
  return step;
}

function readError(value: unknown): { code: string; message: string } | undefined {
  if (!isObject(value)) return undefined;
  return {
    code: typeof value.code === "string" ? value.code : "error",
    message: typeof value.message === "string" ? value.message : String(value.message ?? ""),
  };
}

function readReason(value: unknown): ViewReplanReason | undefined {
  if (!isObject(value)) return undefined;
  return {
    trigger: typeof value.trigger === "string" ? value.trigger : "unknown",
    stepIds: isStringArray(value.stepIds) ? value.stepIds : [],
    message: typeof value.message === "string" ? value.message : "",
  };
}

function readOutcome(value: unknown): { status: string; reason: string } | undefined {
  if (!isObject(value) || typeof value.status !== "string") return undefined;
  return { status: value.status, reason: typeof value.reason === "string" ? value.reason : "" };
}

function readUsage(value: unknown): ViewModel["usage"] {
  if (!isObject(value)) return undefined;
  const number = (field: string) => (typeof value[field] === "number" ? (value[field] as number) : 0);
  return {
    llmCalls: number("llmCalls"),
    promptTokens: number("promptTokens"),
    completionTokens: number("completionTokens"),
  };
}

function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== null && item !== undefined));
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
