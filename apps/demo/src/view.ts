/**
 * What the user sees: a live tree in a terminal (ANSI escape codes, a spinner, durations), plain
 * lines when stdout is not a terminal, or one JSON object per line with `--json`.
 *
 * @module
 */
import type { Plan, RunEvent, Step } from "@replan/core";

/** Where a view writes. */
export interface Output {
  write(text: string): unknown;
  /** Terminal width, when a terminal. */
  columns?: number | undefined;
}

/** What a run ended with, for {@link View.finish}. */
export interface RunSummary {
  /** `completed`, `failed`, `cancelled`, `budget-exceeded`. */
  status: string;
  /** Why. */
  reason: string;
  /** The final answer. */
  answer: string | null;
  /** The final plan. */
  plan: Plan | null;
  /** LLM calls and tokens. */
  usage: { llmCalls: number; promptTokens: number; completionTokens: number } | null;
  /** Extra lines (where the diagram went, how to resume, ...). */
  notes: string[];
}

/** A way of showing a run. */
export interface View {
  /** A line of context (mode, workspace, ...). */
  info(message: string): void;
  /** A warning or a problem. */
  warn(message: string): void;
  /** One progress event from the graph's `custom` stream. */
  event(event: RunEvent): void;
  /** Shows the plan that waits for approval (and why a previous answer was refused). */
  approval(plan: Plan, error?: string): void;
  /**
   * The plan was approved at `at`: durations of the steps the planner already marked as started
   * count from then, not from the time the plan was proposed.
   */
  approved(at: number): void;
  /**
   * A run resumed from a checkpoint at `at`, with its saved plan: the tree is shown again, and the
   * steps that were in flight count their durations from `at` (the downtime is not theirs).
   */
  resumed(plan: Plan, at: number): void;
  /** Writes a prompt (no newline) before reading an answer. */
  prompt(text: string): void;
  /** The end of the run. */
  finish(summary: RunSummary): void;
  /** Stops timers and restores the terminal. Idempotent. */
  close(): void;
}

/** Options of {@link createView}. */
export interface ViewOptions {
  /** `live` (a terminal), `plain` (lines) or `json` (one event per line). */
  mode: "live" | "plain" | "json";
  /** Where the run goes. */
  stdout: Output;
  /** Where messages go in `json` mode, and warnings in every mode. */
  stderr: Output;
  /** Colours (ANSI). */
  color: boolean;
  /** The start of this process's run, to show relative times and spot events replayed from a checkpoint. */
  startedAt: number;
  /**
   * The plan waits for an approval: the planner's plan is shown once, with the approval prompt,
   * not also when it is proposed.
   */
  approve?: boolean;
}

const ESC = "\u001b[";
const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

type Paint = (text: string) => string;

function palette(color: boolean) {
  const wrap =
    (open: number, close: number): Paint =>
    (text) =>
      color ? `${ESC}${open}m${text}${ESC}${close}m` : text;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    magenta: wrap(35, 39),
    cyan: wrap(36, 39),
  };
}

/** `1.2s`, `340ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  return `${(ms / 1000).toFixed(1)}s`;
}

/** What a step does, in a few words: the tool and its arguments, or "agent". */
export function stepAction(step: Step, width = 56): string {
  if (step.kind !== "tool") return "agent step";
  let args: string;
  const value = step.args as Record<string, unknown>;
  if (step.tool === "shell" && typeof value.program === "string") {
    const list = Array.isArray(value.args) ? value.args.map(String) : [];
    args = `$ ${[value.program, ...list].join(" ")}`;
    return cut(args, width);
  }
  args = JSON.stringify(value);
  return cut(`${step.tool} ${args === "{}" ? "" : args}`.trim(), width);
}

/**
 * A step error in a few words: a shell failure (JSON of the command's result) becomes
 * `shell: exit 1: <stderr>`, an HTTP error answer `HTTP 503: <error>`, a refusal
 * `<tool>: <code>: <message>`; other messages are kept.
 *
 * @param message - the step error's message.
 */
export function shortError(message: string): string {
  const match = /^tool "([^"]+)": (\{[\s\S]*\})$/.exec(message);
  if (!match) return message;
  try {
    const value = JSON.parse(match[2]!) as {
      ok?: boolean;
      status?: number;
      body?: unknown;
      exitCode?: number | null;
      terminationReason?: string;
      stderr?: string;
      stdout?: string;
      error?: { code?: string; message?: string };
    };
    if (value.error) return `${match[1]}: ${value.error.code ?? "error"}: ${value.error.message ?? ""}`;
    if (value.ok === false && typeof value.status === "number") {
      // An HTTP answer that is not 2xx (the HTTP tools fail the step with the response).
      const body = value.body as { error?: unknown } | string | null | undefined;
      const detail =
        typeof body === "object" && body !== null && typeof body.error === "string"
          ? body.error
          : typeof body === "string"
            ? body
            : JSON.stringify(body);
      return `HTTP ${value.status}: ${detail}`;
    }
    const output = (value.stderr?.trim() || value.stdout?.trim() || "").split("\n")[0] ?? "";
    const how =
      value.exitCode !== null && value.exitCode !== undefined
        ? `exit ${value.exitCode}`
        : value.terminationReason;
    return `${match[1]}: ${how}${output ? `: ${output}` : ""}`;
  } catch {
    return message;
  }
}

function cut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/** A line of a plan tree: the step, how deep it is drawn, its tree prefix and its other dependencies. */
export interface TreeRow {
  step: Step;
  prefix: string;
  others: string[];
}

/**
 * Lays a plan out as a tree: each step is drawn under the dependency it waits for longest (the
 * deepest one, then the latest in the plan); its other dependencies are listed beside it.
 *
 * @param plan - the plan.
 * @returns the rows, in drawing order.
 */
export function planTree(plan: Plan): TreeRow[] {
  const steps = plan.steps;
  const index = new Map(steps.map((step, position) => [step.id, position]));
  const depth = new Map<string, number>();
  const depthOf = (step: Step, seen: Set<string>): number => {
    const known = depth.get(step.id);
    if (known !== undefined) return known;
    if (seen.has(step.id)) return 0;
    seen.add(step.id);
    let value = 0;
    for (const id of step.dependsOn) {
      const dependency = steps[index.get(id) ?? -1];
      if (dependency) value = Math.max(value, depthOf(dependency, seen) + 1);
    }
    depth.set(step.id, value);
    return value;
  };
  const parent = new Map<string, string>();
  for (const step of steps) {
    depthOf(step, new Set());
    let best: string | undefined;
    for (const id of step.dependsOn) {
      if (!index.has(id)) continue;
      if (
        best === undefined ||
        depth.get(id)! > depth.get(best)! ||
        (depth.get(id) === depth.get(best) && index.get(id)! > index.get(best)!)
      )
        best = id;
    }
    if (best !== undefined) parent.set(step.id, best);
  }
  const children = new Map<string | undefined, Step[]>();
  for (const step of steps) {
    const key = parent.get(step.id);
    children.set(key, [...(children.get(key) ?? []), step]);
  }
  const rows: TreeRow[] = [];
  const visit = (step: Step, lead: string, branch: string) => {
    const main = parent.get(step.id);
    rows.push({ step, prefix: lead + branch, others: step.dependsOn.filter((id) => id !== main) });
    const kids = children.get(step.id) ?? [];
    const next = lead + (branch === "├─ " ? "│  " : branch === "└─ " ? "   " : "");
    kids.forEach((kid, position) => {
      visit(kid, next, position === kids.length - 1 ? "└─ " : "├─ ");
    });
  };
  for (const root of children.get(undefined) ?? []) visit(root, "", "");
  return rows;
}

function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape codes
  return [...text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "")].length;
}

/** Cuts a line with ANSI codes to `width` visible characters (so that the live region never wraps). */
function fit(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let out = "";
  let seen = 0;
  for (let position = 0; position < text.length; ) {
    if (text.startsWith(ESC, position)) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape codes
      const code = /^\u001b\[[0-9;?]*[A-Za-z]/.exec(text.slice(position));
      if (code) {
        out += code[0];
        position += code[0].length;
        continue;
      }
    }
    const char = String.fromCodePoint(text.codePointAt(position)!);
    if (seen >= width - 1) {
      out += "…";
      break;
    }
    out += char;
    seen++;
    position += char.length;
  }
  return `${out}${ESC}0m`;
}

/**
 * Creates the view for a mode.
 *
 * @param options - mode, streams, colours and the start time.
 * @returns the view.
 * @example
 * ```ts
 * const view = createView({ mode: "plain", stdout: process.stdout, stderr: process.stderr, color: false, startedAt: Date.now() });
 * view.info("offline");
 * ```
 */
export function createView(options: ViewOptions): View {
  if (options.mode === "json") return jsonView(options);
  return textView(options);
}

function jsonView({ stdout, stderr }: ViewOptions): View {
  const line = (value: unknown) => stdout.write(`${JSON.stringify(value)}\n`);
  return {
    info: (message) => stderr.write(`${message}\n`),
    warn: (message) => stderr.write(`${message}\n`),
    event: (event) => line(event),
    approval: (plan, error) => line({ type: "approval-request", plan, ...(error ? { error } : {}) }),
    approved: () => {},
    resumed: () => {},
    prompt: (text) => stderr.write(text),
    finish: () => {},
    close: () => {},
  };
}

function textView({ mode, stdout, stderr, color, startedAt, approve = false }: ViewOptions): View {
  const paint = palette(color);
  const live = mode === "live";
  let plan: Plan | null = null;
  let drawn = 0;
  let frame = 0;
  let planning = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  let floor = 0;
  let awaitingApproval = approve;
  // A step started before the floor (the approval, or the resume) counts from it, unless it had
  // also ended before it.
  const startOf = (step: Step) =>
    step.endedAt !== undefined && step.endedAt <= floor
      ? (step.startedAt ?? 0)
      : Math.max(step.startedAt ?? 0, floor);
  const width = () => (stdout.columns ? Math.max(20, stdout.columns - 1) : undefined);

  const clock = (at: number) => paint.dim(`${formatDuration(Math.max(0, at - startedAt)).padStart(6)}`);
  const restored = (at: number) => (at < startedAt ? paint.dim(" (restored from the checkpoint)") : "");

  const icon = (step: Step): string => {
    switch (step.status) {
      case "done":
        return paint.green("✔");
      case "failed":
        return paint.red("✖");
      case "running":
        return live ? paint.cyan(SPINNER[frame % SPINNER.length]!) : paint.cyan("▶");
      case "pending":
        return paint.dim("○");
      default:
        return paint.yellow("⊘");
    }
  };

  const timing = (step: Step): string => {
    if (step.status === "running" && step.startedAt !== undefined && live)
      return paint.cyan(formatDuration(Date.now() - startOf(step)));
    if (step.startedAt !== undefined && step.endedAt !== undefined)
      return paint.dim(formatDuration(step.endedAt - startOf(step)));
    return "";
  };

  /** The plan as tree lines, each fitted to the terminal's width (the action gives way first). */
  const treeLines = (current: Plan): string[] => {
    const rows = planTree(current);
    const nameWidth = Math.max(...rows.map((row) => visibleLength(row.prefix) + row.step.id.length), 4);
    const columns = width();
    return rows.map(({ step, prefix, others }) => {
      const name = `${prefix}${step.id}`;
      const pad = " ".repeat(Math.max(0, nameWidth - visibleLength(name)));
      const after = others.length > 0 ? paint.dim(` ← ${others.join(", ")}`) : "";
      const error =
        step.status === "failed" && step.error
          ? paint.red(`  ${cut(shortError(step.error.message), 70)}`)
          : "";
      const time = timing(step);
      const head = `    ${icon(step)} ${paint.dim(prefix)}${paint.bold(step.id)}${pad}  `;
      const tail = `${after}${time ? `  ${time}` : ""}`;
      const room = columns === undefined ? 56 : columns - visibleLength(head) - visibleLength(tail);
      const action = paint.dim(stepAction(step, Math.min(56, Math.max(8, room))));
      const line = `${head}${action}${tail}${error}`;
      return columns === undefined ? line : fit(line, columns);
    });
  };

  const liveLines = (): string[] => {
    if (!plan) return planning ? [`  ${paint.cyan(SPINNER[frame % SPINNER.length]!)} planning…`] : [];
    const counts: Record<string, number> = {};
    for (const step of plan.steps) counts[step.status] = (counts[step.status] ?? 0) + 1;
    const status = Object.entries(counts)
      .map(([name, count]) => `${count} ${name}`)
      .join(" · ");
    return [
      "",
      paint.bold(`  plan, revision ${plan.revision}`),
      ...treeLines(plan),
      paint.dim(`  ${status} · ${formatDuration(Date.now() - startedAt)}`),
    ];
  };

  const clear = () => {
    if (live && drawn > 0) stdout.write(`${ESC}${drawn}F${ESC}0J`);
    drawn = 0;
  };
  const draw = () => {
    if (!live || closed) return;
    const columns = width() ?? 99;
    const lines = liveLines().map((line) => fit(line, columns));
    if (lines.length > 0) stdout.write(`${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  const redraw = () => {
    clear();
    draw();
  };
  const log = (text: string) => {
    clear();
    stdout.write(`${text}\n`);
    draw();
  };
  if (live) {
    stdout.write(`${ESC}?25l`);
    timer = setInterval(() => {
      frame++;
      if (drawn > 0) {
        clear();
        draw();
      }
    }, 90);
    timer.unref();
  }

  const updateStep = (step: Step) => {
    if (!plan) return;
    plan = { ...plan, steps: plan.steps.map((candidate) => (candidate.id === step.id ? step : candidate)) };
  };

  const printPlan = (current: Plan) => {
    for (const line of treeLines(current)) stdout.write(`${line}\n`);
  };

  return {
    info: (message) => log(message),
    warn: (message) => {
      clear();
      stderr.write(`${paint.yellow(message)}\n`);
      draw();
    },
    event(event) {
      const at = clock(event.at);
      switch (event.type) {
        case "run-start":
          return;
        case "plan-start":
          planning = true;
          return log(
            `${at}  ${paint.magenta("planning…")}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ""}`,
          );
        case "plan-end":
          planning = false;
          plan = event.plan;
          log(
            `${at}  ${paint.magenta("plan")}, revision ${event.plan.revision}: ${event.plan.steps.length} steps${restored(event.at)}`,
          );
          // Waiting for approval, the tree comes once, with the prompt.
          if (!live && !awaitingApproval) printPlan(event.plan);
          return;
        case "plan-error":
          return log(
            `${at}  ${paint.red("✖ planning failed")}: ${event.error.message}${event.willRetry ? " (asking again)" : ""}`,
          );
        case "step-start":
          updateStep(event.step);
          if (live) return redraw();
          return log(
            `${at}  ${paint.cyan("▶ start")} ${event.step.id}  ${paint.dim(stepAction(event.step))}${restored(event.at)}`,
          );
        case "step-retry":
          updateStep(event.step);
          return log(
            `${at}  ${paint.yellow("↺ retry")} ${event.step.id} in ${formatDuration(event.delayMs)}: ${event.error.message}`,
          );
        case "step-end": {
          updateStep(event.step);
          const step = event.step;
          const took =
            step.startedAt !== undefined && step.endedAt !== undefined
              ? ` (${formatDuration(step.endedAt - startOf(step))})`
              : "";
          if (step.status === "done") {
            if (live) return redraw();
            return log(`${at}  ${paint.green("✔ done ")} ${step.id}${took}${restored(event.at)}`);
          }
          return log(
            `${at}  ${paint.red("✖ FAIL ")} ${step.id}${took}: ${step.error ? shortError(step.error.message) : step.status}${restored(event.at)}`,
          );
        }
        case "replan-start":
          return log(
            `${at}  ${paint.yellow("↻ replanning")}: ${shortError(event.reason.message.replace(/^step "[^"]+": /, ""))}`,
          );
        case "replan-end": {
          plan = event.plan;
          const kept = event.plan.steps.filter((step) => !event.added.includes(step.id));
          log(
            `${at}  ${paint.yellow(`↻ revision ${event.plan.revision}`)}: removed ${event.removed.join(", ") || "nothing"}; added ${event.added.join(", ") || "nothing"}; kept ${kept.map((step) => step.id).join(", ") || "nothing"}`,
          );
          if (!live) printPlan(event.plan);
          return;
        }
        case "replan-error":
          return log(
            `${at}  ${paint.red("✖ replanning failed")}: ${event.error.message}${event.willRetry ? " (asking again)" : ""}`,
          );
        case "run-end": {
          const status = event.outcome.status;
          const paintStatus =
            status === "completed" ? paint.green : status === "cancelled" ? paint.yellow : paint.red;
          return log(`${at}  ${paintStatus(`■ ${status}`)}: ${event.outcome.reason}`);
        }
      }
    },
    approval(current, error) {
      clear();
      if (error) stdout.write(`${paint.red(`  ${error}`)}\n`);
      stdout.write(`\n${paint.bold(`  proposed plan (${current.steps.length} steps):`)}\n`);
      // The planner marks the first ready steps as started; nothing runs before the approval.
      printPlan({
        ...current,
        steps: current.steps.map((step) =>
          step.status === "running" ? { ...step, status: "pending", startedAt: undefined } : step,
        ),
      });
      stdout.write("\n");
    },
    approved(at) {
      floor = at;
      awaitingApproval = false;
    },
    resumed(saved, at) {
      floor = at;
      plan = saved;
      const done = saved.steps.filter((step) => step.status === "done").length;
      log(
        `${clock(at)}  ${paint.magenta("plan")}, revision ${saved.revision}: ${saved.steps.length} steps, ${done} done${paint.dim(" (restored from the checkpoint)")}`,
      );
      if (!live) printPlan(saved);
    },
    prompt(text) {
      clear();
      stdout.write(live ? `${ESC}?25h${text}` : text);
    },
    finish(summary) {
      if (summary.plan) plan = summary.plan;
      clear();
      if (live && summary.plan) {
        stdout.write(`\n${paint.bold(`  final plan, revision ${summary.plan.revision}`)}\n`);
        printPlan(summary.plan);
      }
      if (summary.answer) {
        stdout.write(`\n${paint.bold("answer:")}\n`);
        for (const line of summary.answer.split("\n")) stdout.write(`  ${line}\n`);
      }
      stdout.write("\n");
      const usage = summary.usage
        ? ` · ${summary.usage.llmCalls} LLM calls, ${summary.usage.promptTokens + summary.usage.completionTokens} tokens`
        : "";
      const paintStatus =
        summary.status === "completed"
          ? paint.green
          : summary.status === "cancelled"
            ? paint.yellow
            : paint.red;
      stdout.write(`${paintStatus(`${summary.status}`)}: ${summary.reason}${paint.dim(usage)}\n`);
      for (const note of summary.notes) stdout.write(`${paint.dim(note)}\n`);
    },
    close() {
      if (closed) return;
      if (timer) clearInterval(timer);
      // Steps still shown running were stopped (Ctrl-C, an error): the last picture says so.
      if (live && drawn > 0 && plan?.steps.some((step) => step.status === "running")) {
        const now = Date.now();
        plan = {
          ...plan,
          steps: plan.steps.map((step) =>
            step.status === "running" ? { ...step, status: "cancelled", endedAt: now } : step,
          ),
        };
        redraw();
      }
      closed = true;
      // The live region stays on screen as the last picture of the run.
      if (live) stdout.write(`${ESC}?25h`);
    },
  };
}
