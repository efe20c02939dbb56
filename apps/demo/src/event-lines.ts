/**
 * One line of text per progress event, as the text views log them above the tree.
 *
 * @module
 */
import type { RunEvent, Step } from "@replan/core";
import type { Palette } from "./ansi.js";
import { formatDuration, shortError, stepAction } from "./step-text.js";

/** What writing an event's line needs to know besides the event. */
export interface EventStyle {
  /** The colours. */
  paint: Palette;
  /** The time of an event since the start of the run, padded. */
  clock(at: number): string;
  /** A note for an event that happened before this process started (replayed from a checkpoint). */
  restored(at: number): string;
  /** When a step's duration counts from (a resume or an approval may move it). */
  startOf(step: Step): number;
}

/**
 * The line an event is logged as, or undefined for the events that are not logged (`run-start`,
 * the model calls).
 *
 * @param event - the event.
 * @param style - colours, clock and the step durations' start.
 * @example
 * ```ts
 * eventLine({ type: "step-start", at, step }, style); // "  1.0s  ▶ start east  getStock {…}"
 * ```
 */
export function eventLine(event: RunEvent, style: EventStyle): string | undefined {
  const { paint } = style;
  const at = style.clock(event.at);
  switch (event.type) {
    case "plan-start":
      return `${at}  ${paint.magenta("planning…")}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`;
    case "plan-end":
      return `${at}  ${paint.magenta("plan")}, revision ${event.plan.revision}: ${event.plan.steps.length} steps${style.restored(event.at)}`;
    case "plan-error":
      return `${at}  ${paint.red("✖ planning failed")}: ${event.error.message}${event.willRetry ? " (asking again)" : ""}`;
    case "step-start":
      return `${at}  ${paint.cyan("▶ start")} ${event.step.id}  ${paint.dim(stepAction(event.step))}${style.restored(event.at)}`;
    case "step-retry":
      return `${at}  ${paint.yellow("↺ retry")} ${event.step.id} in ${formatDuration(event.delayMs)}: ${event.error.message}`;
    case "step-end":
      return stepEndLine(event.step, at, style.restored(event.at), style);
    case "replan-start":
      return `${at}  ${paint.yellow("↻ replanning")}: ${shortError(event.reason.message.replace(/^step "[^"]+": /, ""))}`;
    case "replan-end": {
      const list = (ids: string[]) => ids.join(", ") || "nothing";
      return `${at}  ${paint.yellow(`↻ revision ${event.plan.revision}`)}: removed ${list(event.removed)}; added ${list(event.added)}; replaced ${list(event.replaced)}; kept ${list(event.kept)}`;
    }
    case "replan-error":
      return `${at}  ${paint.red("✖ replanning failed")}: ${event.error.message}${event.willRetry ? " (asking again)" : ""}`;
    case "run-end":
      return `${at}  ${statusPaint(event.outcome.status, paint)(`■ ${event.outcome.status}`)}: ${event.outcome.reason}`;
    default:
      return undefined;
  }
}

/** The colour of a run's final status: green when completed, yellow when cancelled, red otherwise. */
export function statusPaint(status: string, paint: Palette): (text: string) => string {
  return status === "completed" ? paint.green : status === "cancelled" ? paint.yellow : paint.red;
}

/** A step that ended: done, or failed with its error in a few words, and how long it took. */
function stepEndLine(step: Step, at: string, restored: string, style: EventStyle): string {
  const { paint } = style;
  const took =
    step.startedAt !== undefined && step.endedAt !== undefined
      ? ` (${formatDuration(step.endedAt - style.startOf(step))})`
      : "";
  if (step.status === "done") return `${at}  ${paint.green("✔ done ")} ${step.id}${took}${restored}`;
  return `${at}  ${paint.red("✖ FAIL ")} ${step.id}${took}: ${step.error ? shortError(step.error.message) : step.status}${restored}`;
}
