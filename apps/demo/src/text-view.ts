/**
 * The text views: in a terminal (`live`), a tree of the plan redrawn in place with spinners and
 * durations, under a log of what happened; elsewhere (`plain`), one line per event and the plan
 * printed when it changes.
 *
 * @module
 */
import type { Plan, RunEvent, Step } from "@replan/core";
import { ESC, type Palette, palette } from "./ansi.js";
import { type EventStyle, eventLine, statusPaint } from "./event-lines.js";
import { LiveRegion } from "./live-region.js";
import { liveLines, type PlanStyle, planLines } from "./plan-lines.js";
import { formatDuration } from "./step-text.js";
import type { Output, RunSummary, View, ViewOptions } from "./view.js";

/** The `live` and `plain` views; see {@link View} for what each method does. */
export class TextView implements View {
  readonly #stdout: Output;
  readonly #stderr: Output;
  readonly #paint: Palette;
  readonly #live: boolean;
  readonly #startedAt: number;
  readonly #region: LiveRegion;
  readonly #planStyle: PlanStyle;
  readonly #eventStyle: EventStyle;
  #plan: Plan | null = null;
  #planning = false;
  /** Durations of steps started before it (the approval, or the resume) count from it. */
  #floor = 0;
  /** Waiting for an approval, the proposed plan is printed once, with the prompt. */
  #awaitingApproval: boolean;

  /** @param options - see {@link ViewOptions}; `mode` is `live` or `plain`. */
  constructor({ mode, stdout, stderr, color, startedAt, approve = false }: ViewOptions) {
    this.#stdout = stdout;
    this.#stderr = stderr;
    this.#paint = palette(color);
    this.#live = mode === "live";
    this.#startedAt = startedAt;
    this.#awaitingApproval = approve;
    const startOf = (step: Step) => this.#startOf(step);
    this.#region = new LiveRegion(stdout, this.#live, () =>
      liveLines(this.#plan, this.#planning, startedAt, this.#planStyle),
    );
    this.#planStyle = {
      paint: this.#paint,
      live: this.#live,
      frame: () => this.#region.frame,
      startOf,
      width: () => this.#region.width(),
    };
    this.#eventStyle = {
      paint: this.#paint,
      clock: (at) => this.#paint.dim(`${formatDuration(Math.max(0, at - startedAt)).padStart(6)}`),
      restored: (at) => (at < startedAt ? this.#paint.dim(" (restored from the checkpoint)") : ""),
      startOf,
    };
  }

  info(message: string): void {
    this.#region.log(message);
  }

  warn(message: string): void {
    this.#region.clear();
    this.#stderr.write(`${this.#paint.yellow(message)}\n`);
    this.#region.draw();
  }

  event(event: RunEvent): void {
    this.#track(event);
    // In a terminal, the tree shows a step that starts or is done: no line for it.
    const quiet = event.type === "step-start" || (event.type === "step-end" && event.step.status === "done");
    if (this.#live && quiet) {
      this.#region.redraw();
      return;
    }
    const line = eventLine(event, this.#eventStyle);
    if (line !== undefined) this.#region.log(line);
    if (this.#live) return;
    // Plain lines: the plan is printed when it changes (waiting for approval, once, with the prompt).
    if (event.type === "replan-end" || (event.type === "plan-end" && !this.#awaitingApproval))
      this.#printPlan(event.plan);
  }

  approval(plan: Plan, error?: string): void {
    this.#region.clear();
    if (error) this.#stdout.write(`${this.#paint.red(`  ${error}`)}\n`);
    this.#stdout.write(`\n${this.#paint.bold(`  proposed plan (${plan.steps.length} steps):`)}\n`);
    // The planner marks the first ready steps as started; nothing runs before the approval.
    this.#printPlan({
      ...plan,
      steps: plan.steps.map((step) =>
        step.status === "running" ? { ...step, status: "pending", startedAt: undefined } : step,
      ),
    });
    this.#stdout.write("\n");
  }

  approved(at: number): void {
    this.#floor = at;
    this.#awaitingApproval = false;
  }

  resumed(plan: Plan, at: number): void {
    this.#floor = at;
    this.#plan = plan;
    const done = plan.steps.filter((step) => step.status === "done").length;
    const { paint, clock } = this.#eventStyle;
    this.#region.log(
      `${clock(at)}  ${paint.magenta("plan")}, revision ${plan.revision}: ${plan.steps.length} steps, ${done} done${paint.dim(" (restored from the checkpoint)")}`,
    );
    if (!this.#live) this.#printPlan(plan);
  }

  prompt(text: string): void {
    this.#region.clear();
    this.#stdout.write(this.#live ? `${ESC}?25h${text}` : text);
  }

  finish(summary: RunSummary): void {
    const paint = this.#paint;
    if (summary.plan) this.#plan = summary.plan;
    this.#region.clear();
    if (this.#live && summary.plan) {
      this.#stdout.write(`\n${paint.bold(`  final plan, revision ${summary.plan.revision}`)}\n`);
      this.#printPlan(summary.plan);
    }
    if (summary.answer) {
      this.#stdout.write(`\n${paint.bold("answer:")}\n`);
      for (const line of summary.answer.split("\n")) this.#stdout.write(`  ${line}\n`);
    }
    this.#stdout.write("\n");
    const usage = summary.usage
      ? ` · ${summary.usage.llmCalls} LLM calls, ${summary.usage.promptTokens + summary.usage.completionTokens} tokens`
      : "";
    const status = statusPaint(summary.status, paint)(summary.status);
    this.#stdout.write(`${status}: ${summary.reason}${paint.dim(usage)}\n`);
    for (const note of summary.notes) this.#stdout.write(`${paint.dim(note)}\n`);
  }

  close(): void {
    if (this.#region.closed) return;
    this.#region.stopTicking();
    // Steps still shown running were stopped (Ctrl-C, an error): the last picture says so.
    if (this.#live && this.#region.shown && this.#plan?.steps.some((step) => step.status === "running")) {
      const now = Date.now();
      this.#plan = {
        ...this.#plan,
        steps: this.#plan.steps.map((step) =>
          step.status === "running" ? { ...step, status: "cancelled", endedAt: now } : step,
        ),
      };
      this.#region.redraw();
    }
    // The live region stays on screen as the last picture of the run.
    this.#region.close();
  }

  /** What an event changes in the picture: planning, the plan, a step. */
  #track(event: RunEvent): void {
    switch (event.type) {
      case "plan-start":
        this.#planning = true;
        return;
      case "plan-end":
        this.#planning = false;
        this.#plan = event.plan;
        return;
      case "replan-end":
        this.#plan = event.plan;
        return;
      case "step-start":
      case "step-retry":
      case "step-end": {
        const step = event.step;
        if (this.#plan)
          this.#plan = {
            ...this.#plan,
            steps: this.#plan.steps.map((candidate) => (candidate.id === step.id ? step : candidate)),
          };
        return;
      }
    }
  }

  /** A step started before the floor counts from it, unless it had also ended before it. */
  #startOf(step: Step): number {
    return step.endedAt !== undefined && step.endedAt <= this.#floor
      ? (step.startedAt ?? 0)
      : Math.max(step.startedAt ?? 0, this.#floor);
  }

  #printPlan(plan: Plan): void {
    for (const line of planLines(plan, this.#planStyle)) this.#stdout.write(`${line}\n`);
  }
}
