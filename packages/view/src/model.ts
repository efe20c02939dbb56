/**
 * The view's model of a run, and the pure reducer that folds the event feed into it. It runs in
 * the browser (the element) and on the server (the helper keeps one per run, to send a new page
 * the state so far in one event). It never throws on what it is fed: unknown event types and
 * extra fields are ignored, malformed known events become notices.
 *
 * @module
 */
import { handlerOf, notice } from "./model-events.js";
import { isObject } from "./model-read.js";
import { isFinalStatus } from "./run-status.js";

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
  /** Ids of the steps this revision gave new content under the same id (a replanner's `replace`). */
  replaced: string[];
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

export { isFinalStatus };

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
  const handler = handlerOf(event.type);
  if (!handler) {
    // Another issue's event (model calls, patches, ...): not shown, not an error.
    return { ...model, ignored: model.ignored + 1 };
  }
  const next: ViewModel = { ...model, events: model.events + 1 };
  const at = typeof event.at === "number" ? event.at : undefined;
  const typed = event as Record<string, unknown> & { type: string };
  const malformed = (what: string) => {
    next.ignored++;
    notice(next, "warning", `ignored a malformed ${typed.type} event: ${what}`, at);
    return next;
  };
  return handler({ next, event: typed, at, malformed });
}
