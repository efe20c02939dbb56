/**
 * The end of a run: its exit code, the `--diagram` file, the summary the view shows, the JSON
 * result, and the web view that stays served until Ctrl-C.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Plan, type RunOutcome, toMermaid } from "@replan/core";
import { errorMessage } from "@replan/core/internal";
import type { PlanExecuteStateType } from "@replan/langgraph";
import { type CliOptions, EXIT } from "./args.js";
import type { DemoRun } from "./prepare-run.js";
import type { View } from "./view.js";
import type { WebView } from "./web.js";

/** Where the end of a run is told. */
export interface RunEnding {
  /** The view. */
  view: View;
  /** The command line (`--diagram`, `--thread`). */
  options: CliOptions;
  /** Writes the `{"type":"result",...}` line in JSON mode (nothing otherwise). */
  result(fields: Record<string, unknown>): void;
  /** When this process started the run, for `durationMs`. */
  startedAt: number;
  /** Aborted by Ctrl-C: ends the web view's wait. */
  signal: AbortSignal;
  /** The web view, with `--web`. */
  web: WebView | undefined;
}

/**
 * The exit code of a run that ended: 0 completed, 4 rejected at approval, 130 cancelled, 1 otherwise.
 *
 * @param status - the outcome's status.
 * @param rejected - whether the plan was rejected at approval.
 * @example
 * ```ts
 * exitCodeOf("cancelled", true); // 4
 * ```
 */
export function exitCodeOf(status: string, rejected: boolean): number {
  if (status === "completed") return EXIT.completed;
  if (status === "cancelled") return rejected ? EXIT.rejected : EXIT.cancelled;
  return EXIT.failed;
}

/**
 * Shows and reports how the run ended, then, with `--web`, keeps the page served until Ctrl-C.
 *
 * @param ending - the view, the command line and where the result goes.
 * @param run - the run.
 * @param rejected - whether the plan was rejected at approval.
 * @returns the run's exit code.
 * @example
 * ```ts
 * return endRun(ending, run, (await runToEnd(loop)).rejected);
 * ```
 */
export async function endRun(ending: RunEnding, run: DemoRun, rejected: boolean): Promise<number> {
  const { view, options, web } = ending;
  const { goal, thread } = run;
  const state = (await run.agent.getState(run.config)).values as PlanExecuteStateType;
  const outcome = state.outcome ?? { status: "failed", reason: "the run ended without an outcome" };
  const exitCode = exitCodeOf(outcome.status, rejected);
  const notes: string[] = [];
  if (options.diagram && state.plan) {
    const note = writeDiagram(view, options.diagram, goal, state.plan, outcome);
    if (note) notes.push(note);
  }
  notes.push(`workspace: ${thread.workspace}`);
  if (thread.named) notes.push(`thread: ${thread.id} (${run.store.description})`);
  const usage = state.run?.usage ?? null;
  view.finish({
    status: outcome.status,
    reason: outcome.reason,
    answer: rejected ? null : (state.answer ?? null),
    plan: state.plan ?? null,
    usage,
    notes,
  });
  const online = run.settings.online;
  ending.result({
    status: outcome.status,
    reason: outcome.reason,
    exitCode,
    answer: state.answer ?? null,
    plan: state.plan ?? null,
    results: state.results ?? {},
    usage,
    goal,
    scenario: online ? null : run.scenario!.name,
    offline: !online,
    model: online ? run.modelName : "offline",
    thread: options.thread ?? null,
    workspace: thread.workspace,
    serviceHits: run.service.hits(),
    resumed: run.resuming,
    durationMs: Date.now() - ending.startedAt,
  });
  if (web) {
    web.finish((await run.agent.getState(run.config)).values);
    view.info(`web view: ${web.url} stays open until Ctrl-C`);
    await web.linger(ending.signal);
  }
  return exitCode;
}

/** Writes the final plan as a Mermaid diagram; returns the note for the summary, or warns. */
function writeDiagram(
  view: View,
  path: string,
  goal: string,
  plan: Plan,
  outcome: Pick<RunOutcome, "status" | "reason">,
): string | undefined {
  const file = resolve(path);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      `# ${goal}\n\nPlan revision ${plan.revision}, ${outcome.status}: ${outcome.reason}\n\n\`\`\`mermaid\n${toMermaid(plan)}\n\`\`\`\n`,
    );
    return `diagram: ${file}`;
  } catch (error) {
    // Checked before the run; the path changed meanwhile. The run's outcome stands.
    view.warn(`cannot write the diagram to ${file}: ${errorMessage(error)}`);
    return undefined;
  }
}
