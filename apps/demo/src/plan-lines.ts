/**
 * A plan drawn as text: one line per step (status icon, tree prefix, id, action, other
 * dependencies, duration, error), and the live region's picture of a run.
 *
 * @module
 */
import type { Plan, Step } from "@replan/core";
import { fit, type Palette, SPINNER, visibleLength } from "./ansi.js";
import { planTree } from "./plan-tree.js";
import { cut, formatDuration, shortError, stepAction } from "./step-text.js";

/** What drawing a plan needs to know besides the plan. */
export interface PlanStyle {
  /** The colours. */
  paint: Palette;
  /** A live terminal: running steps spin and count their time. */
  live: boolean;
  /** The spinner's frame. */
  frame(): number;
  /** When a step's duration counts from (a resume or an approval may move it). */
  startOf(step: Step): number;
  /** The width lines are cut to, or undefined when stdout is not a terminal. */
  width(): number | undefined;
}

/** The widest the action of a step may be. */
const ACTION_WIDTH = 56;

/**
 * The plan as tree lines, each fitted to the terminal's width (the action gives way first).
 *
 * @param plan - the plan.
 * @param style - colours, liveness, clock and width.
 * @example
 * ```ts
 * for (const line of planLines(plan, style)) process.stdout.write(`${line}\n`);
 * ```
 */
export function planLines(plan: Plan, style: PlanStyle): string[] {
  const { paint } = style;
  const rows = planTree(plan);
  const nameWidth = Math.max(...rows.map((row) => visibleLength(row.prefix) + row.step.id.length), 4);
  const columns = style.width();
  return rows.map(({ step, prefix, others }) => {
    const name = `${prefix}${step.id}`;
    const pad = " ".repeat(Math.max(0, nameWidth - visibleLength(name)));
    const after = others.length > 0 ? paint.dim(` ← ${others.join(", ")}`) : "";
    const error =
      step.status === "failed" && step.error ? paint.red(`  ${cut(shortError(step.error.message), 70)}`) : "";
    const time = timing(step, style);
    const head = `    ${icon(step, style)} ${paint.dim(prefix)}${paint.bold(step.id)}${pad}  `;
    const tail = `${after}${time ? `  ${time}` : ""}`;
    const room = columns === undefined ? ACTION_WIDTH : columns - visibleLength(head) - visibleLength(tail);
    const action = paint.dim(stepAction(step, Math.min(ACTION_WIDTH, Math.max(8, room))));
    const line = `${head}${action}${tail}${error}`;
    return columns === undefined ? line : fit(line, columns);
  });
}

/**
 * What the live region shows: a spinner while planning, then the plan's revision, its tree and a
 * status line (how many steps are in each status, and the time since the start).
 *
 * @param plan - the current plan, or null before the first.
 * @param planning - whether the planner is at work.
 * @param startedAt - the start of the run, for the time in the status line.
 * @param style - colours, liveness, clock and width.
 */
export function liveLines(
  plan: Plan | null,
  planning: boolean,
  startedAt: number,
  style: PlanStyle,
): string[] {
  const { paint } = style;
  if (!plan) return planning ? [`  ${paint.cyan(SPINNER[style.frame() % SPINNER.length]!)} planning…`] : [];
  const counts: Record<string, number> = {};
  for (const step of plan.steps) counts[step.status] = (counts[step.status] ?? 0) + 1;
  const status = Object.entries(counts)
    .map(([name, count]) => `${count} ${name}`)
    .join(" · ");
  return [
    "",
    paint.bold(`  plan, revision ${plan.revision}`),
    ...planLines(plan, style),
    paint.dim(`  ${status} · ${formatDuration(Date.now() - startedAt)}`),
  ];
}

/** The icon of a step's status; a running step spins in a live terminal. */
function icon(step: Step, { paint, live, frame }: PlanStyle): string {
  switch (step.status) {
    case "done":
      return paint.green("✔");
    case "failed":
      return paint.red("✖");
    case "running":
      return live ? paint.cyan(SPINNER[frame() % SPINNER.length]!) : paint.cyan("▶");
    case "pending":
      return paint.dim("○");
    default:
      return paint.yellow("⊘");
  }
}

/** How long a step took, or has been running in a live terminal; empty when it has not run. */
function timing(step: Step, { paint, live, startOf }: PlanStyle): string {
  if (step.status === "running" && step.startedAt !== undefined && live)
    return paint.cyan(formatDuration(Date.now() - startOf(step)));
  if (step.startedAt !== undefined && step.endedAt !== undefined)
    return paint.dim(formatDuration(step.endedAt - startOf(step)));
  return "";
}
