/**
 * What each event type of the feed does to the view's model: one handler per type, each given a
 * fresh copy of the model to change. Types with no handler are ignored (another issue's events).
 *
 * @module
 */
import type { ViewModel, ViewNotice } from "./model.js";
import { isObject, readError, readOutcome, readPlan, readReason, readStep, readUsage } from "./model-read.js";
import { applySnapshot, firstRevision, MAX_REVISIONS, revisionOf, withStep } from "./model-revisions.js";
import { isFinalStatus } from "./run-status.js";

/** Most notices kept (the oldest go first). */
const MAX_NOTICES = 50;

/** One event being applied: the model to change (a copy), the event, its time. */
export interface EventInput {
  /** The new model, already a shallow copy with the event counted: change it and return it. */
  next: ViewModel;
  event: Record<string, unknown> & { type: string };
  at: number | undefined;
  /** Counts the event as ignored, with a warning notice saying what was wrong; returns `next`. */
  malformed(what: string): ViewModel;
}

type EventHandler = (input: EventInput) => ViewModel;

/** Adds a notice to `model` (which must be the copy being built), keeping the newest. */
export function notice(
  model: ViewModel,
  level: ViewNotice["level"],
  text: string,
  at: number | undefined,
): void {
  const entry: ViewNotice = at === undefined ? { level, text } : { level, text, at };
  model.notices = [...model.notices, entry].slice(-MAX_NOTICES);
}

/** A failure the run reports (planning or replanning): an error notice, a warning when retried. */
function failure({ next, event, at }: EventInput, what: string, retrying: string): void {
  const error = readError(event.error);
  notice(
    next,
    event.willRetry ? "warning" : "error",
    `${what} failed: ${error?.message ?? "unknown error"}${event.willRetry ? retrying : ""}`,
    at,
  );
}

const onPlanEnd: EventHandler = ({ next, event, malformed }) => {
  const plan = readPlan(event.plan);
  if (!plan) return malformed("no plan with steps");
  if (typeof (event.plan as { goal?: unknown }).goal === "string" && !next.goal) {
    next.goal = (event.plan as { goal: string }).goal;
  }
  const revisions = [...next.revisions];
  // An edited plan at approval comes as a second plan-end for revision 0: it replaces it.
  while (revisions.length > 0 && revisions.at(-1)!.revision >= plan.revision) revisions.pop();
  revisions.push(firstRevision(plan));
  next.revisions = revisions.slice(-MAX_REVISIONS);
  if (!isFinalStatus(next.status) && next.status !== "approving") next.status = "executing";
  return next;
};

const onStep: EventHandler = ({ next, event, at, malformed }) => {
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
};

const onReplanEnd: EventHandler = ({ next, event, at, malformed }) => {
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
  const { removed, added, replaced } = event;
  revisions.push(revisionOf(plan, previous?.steps ?? [], { removed, added, replaced }));
  next.revisions = revisions.slice(-MAX_REVISIONS);
  next.replanning = undefined;
  if (!isFinalStatus(next.status)) next.status = "executing";
  return next;
};

const onRunEnd: EventHandler = ({ next, event, at, malformed }) => {
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
};

const onApprovalRequest: EventHandler = ({ next, event, malformed }) => {
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
      firstRevision(plan),
    ];
  }
  return next;
};

const onApprovalAnswered: EventHandler = ({ next, event, at }) => {
  next.approval = undefined;
  const action = typeof event.action === "string" ? event.action : "answered";
  const by = typeof event.reason === "string" && event.reason ? `: ${event.reason}` : "";
  const done = { approve: "approved", reject: "rejected", edit: "edited and approved" }[action] ?? action;
  notice(next, "info", `plan ${done} in the view${by}`, at);
  return next;
};

/** The handler of each event type the view shows. */
const handlers: Readonly<Record<string, EventHandler>> = {
  "run-start": ({ next, event, at }) => {
    if (typeof event.runId === "string") next.runId = event.runId;
    if (typeof event.goal === "string") next.goal = event.goal;
    if (at !== undefined) next.startedAt = at;
    if (next.status === "connecting") next.status = "planning";
    return next;
  },
  "plan-start": ({ next }) => {
    next.status = "planning";
    return next;
  },
  "plan-error": (input) => {
    failure(input, "planning", "");
    return input.next;
  },
  "plan-end": onPlanEnd,
  "step-start": onStep,
  "step-retry": onStep,
  "step-end": onStep,
  "replan-start": ({ next, event }) => {
    next.status = "replanning";
    next.replanning = readReason(event.reason) ?? { trigger: "unknown", stepIds: [], message: "" };
    return next;
  },
  "replan-end": onReplanEnd,
  "replan-error": (input) => {
    failure(input, "replanning", " (trying again)");
    if (!input.event.willRetry) input.next.replanning = undefined;
    return input.next;
  },
  "run-end": onRunEnd,
  "approval-request": onApprovalRequest,
  "approval-answered": onApprovalAnswered,
  "view-snapshot": ({ next, event, at, malformed }) =>
    applySnapshot(next, event.state, at) ?? malformed("no run state"),
  "view-state": ({ next, event, malformed }) => {
    const state = event.model;
    if (!isObject(state) || !Array.isArray(state.revisions)) return malformed("no model");
    return { ...(state as unknown as ViewModel), events: next.events, ignored: next.ignored };
  },
  "view-notice": ({ next, event, at }) => {
    const level = event.level === "error" || event.level === "warning" ? event.level : "info";
    if (typeof event.text === "string") notice(next, level, event.text, at);
    return next;
  },
  "stream-end": ({ next }) => {
    next.streamEnded = true;
    return next;
  },
};

/**
 * The handler of an event type, or `undefined` for a type the view does not show (own keys only:
 * a type such as `constructor` or `__proto__` is not a handler).
 */
export function handlerOf(type: string): EventHandler | undefined {
  return Object.hasOwn(handlers, type) ? handlers[type] : undefined;
}
