/**
 * What the user sees: a live tree in a terminal (ANSI escape codes, a spinner, durations), plain
 * lines when stdout is not a terminal, or one JSON object per line with `--json`. This file holds
 * the contract every view keeps, and picks the view for a mode.
 *
 * @module
 */
import type { Plan, RunEvent } from "@replan/core";
import { jsonView } from "./json-view.js";
import { TextView } from "./text-view.js";

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
   * @default false
   */
  approve?: boolean;
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
  return new TextView(options);
}
