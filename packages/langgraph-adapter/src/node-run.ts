// One run of a node that executes steps (the executor node, and the streaming planner node, which
// is also the executor of the plan it streams): its parts, wired the same way, and the one way they
// are started, stopped, drained and saved. See executor-node.ts for what each part does.
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { RunState } from "@replan/core";
import { MAX_DELAY_MS } from "@replan/core/internal";
import { AgentStepHost } from "./agent-step-host.js";
import { isWatched } from "./checkpointer.js";
import { deferred, NodeControl, TaskCalls } from "./node-control.js";
import { NodeReplanner } from "./node-replanner.js";
import { ReplayLog } from "./replay-log.js";
import { RUN_GUARD, type RunGuard } from "./run-guard.js";
import { runUpdate } from "./state.js";
import { type ExecutorNodeSettings, StepDispatcher } from "./step-dispatcher.js";

/** The parts of one run of a node that executes steps. */
export interface NodeRun {
  control: NodeControl;
  dispatcher: StepDispatcher;
  log: ReplayLog;
  host: AgentStepHost;
}

/**
 * Runs `body` with the run's guard (the stop signal of `createPlanExecuteAgent`'s runs), telling
 * the guard when the node has stopped.
 */
export async function withRunGuard<T>(
  runConfig: LangGraphRunnableConfig,
  body: (guard: RunGuard | undefined) => Promise<T>,
): Promise<T> {
  const guard = runConfig.configurable?.[RUN_GUARD] as RunGuard | undefined;
  const [stopped, onStopped] = deferred();
  guard?.nodes.add(stopped);
  try {
    return await body(guard);
  } finally {
    guard?.nodes.delete(stopped);
    onStopped();
  }
}

/** The node's parts for `run`, wired to each other. */
export function wireNodeRun(
  run: RunState,
  settings: ExecutorNodeSettings,
  runConfig: LangGraphRunnableConfig,
  guard: RunGuard | undefined,
): NodeRun {
  const control = new NodeControl([runConfig.signal, guard?.signal]);
  const calls = new TaskCalls();
  const dispatcher = new StepDispatcher(run, control, settings, runConfig, guard?.signal);
  // Outcomes are applied once saved only when the node can see the save (a watched checkpointer).
  const confirmSaves = isWatched(runConfig.configurable?.__pregel_checkpointer);
  const log = new ReplayLog(control, calls, confirmSaves, dispatcher.applyRecord);
  const host = new AgentStepHost(control, calls, dispatcher);
  control.onClose(dispatcher.endReplay);
  dispatcher.log = log;
  dispatcher.host = host;
  if (settings.replan) {
    dispatcher.replanner = new NodeReplanner(
      dispatcher,
      control,
      settings.replan,
      runConfig,
      settings.now,
      settings.replanStreaming === true,
    );
  }
  return { control, dispatcher, log, host };
}

/**
 * What a node that runs steps returns: the run, and the replan held for a person's approval, if any
 * (the graph then goes to the approval node).
 */
export function nodeUpdate({ dispatcher }: Pick<NodeRun, "dispatcher">) {
  const held = dispatcher.heldReplan();
  return { ...runUpdate(dispatcher.run), ...(held ? { pendingReplan: held } : {}) };
}

/**
 * Runs the node: `body` starts its work, then the node waits until no step is running and no
 * replan is awaited (or it is stopped or fails), saves what ended, and stops its host.
 *
 * @throws the node's failure, or the guard's reason when the caller stopped the run.
 */
export async function runUntilIdle(
  { control, dispatcher, log, host }: NodeRun,
  guard: RunGuard | undefined,
  body: () => Promise<void>,
): Promise<void> {
  const { signal } = control;
  signal.addEventListener("abort", control.close, { once: true });
  if (signal.aborted) control.close();
  let stopWallTimer = () => {};
  try {
    await body();
    if (dispatcher.idle) control.close();
    stopWallTimer = armWallTimer(dispatcher, control);
    await control.whenClosed;
  } catch (error) {
    control.fail(error);
  }
  stopWallTimer();
  signal.removeEventListener("abort", control.close);
  dispatcher.endReplay();
  await control.drain(() => control.failure === undefined && log.save());
  await host.stop();
  if (control.failure !== undefined) throw control.failure;
  // Stopped by the caller: what ended before is saved; LangGraph's run is aborted next.
  if (guard?.signal?.aborted) throw guard.signal.reason;
}

/**
 * The run's wall-time budget while the node waits (steps running, a replan awaited): when
 * `budget.maxWallTimeMs` is over, a `tick` ends the run (`budget-exceeded`; core aborts what runs),
 * as `runPlan`'s timer does. Re-armed until the budget is really over (timers can fire early). The
 * tick is not saved: on a resume the budget is over still, and the next tick ends the run again.
 *
 * @returns what stops the timer.
 */
function armWallTimer(dispatcher: StepDispatcher, control: NodeControl): () => void {
  const { maxWallTimeMs } = dispatcher.run.config;
  const { startedAt } = dispatcher.run;
  if (maxWallTimeMs === undefined || startedAt === undefined || control.closed) return () => {};
  const now = dispatcher.settings.now;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    const left = startedAt + maxWallTimeMs - now();
    timer = setTimeout(
      () => {
        if (control.closed) return;
        dispatcher.apply({ type: "tick", at: now() });
        if (!control.closed) arm();
      },
      Math.min(Math.max(0, left) + 1, MAX_DELAY_MS),
    );
  };
  arm();
  return () => clearTimeout(timer);
}
