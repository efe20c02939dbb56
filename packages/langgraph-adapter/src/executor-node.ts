// The executor node: runs the plan's ready steps concurrently, starting every step the moment its
// own dependencies are done, and saves every attempt's outcome as soon as it is known.
//
// Saving. Outcomes are saved through a functional-API task, "record": a call returns the batch of
// outcomes it is given, and LangGraph saves that as a pending write of the node. The node makes
// these calls from its own context, one at a time (outcomes that arrive meanwhile go into the next
// batch, so a burst of N outcomes costs a few calls, not N); an outcome is applied to the state
// machine once saved ("Saved before applied", below). LangGraph identifies a task call by its position among its
// caller's calls: if the process dies mid-node, resuming the thread runs the node again,
// and its record calls return the saved batches in order until the first call that runs (nothing
// was saved there: the end of the log). The node applies the saved outcomes in their original
// order (each carries a sequence number) and then runs the steps that are still running (they
// were in flight), with the same idempotency keys.
//
// Where steps run. Tool steps run in the node itself, as LangGraph's ToolNode runs tool calls:
// with thousands of steps this matters, since LangGraph's runner races every pending task on each
// completion (O(N²) for N concurrent tasks). Each attempt of an agent step runs in a task of its
// own, "step", so that an existing agent used as the executor gets a checkpoint namespace of its
// own. Those tasks are called inside one long-lived "steps" task (the node's first call), so they
// are numbered apart from the record calls, and always at dispatch, in dispatch order: since
// dispatch order follows from the order of the outcomes, a replay makes the same calls in the same
// order, and an agent step that was in flight gets its own task (and its agent's saved checkpoints)
// back. A step task that returns without running (its result was saved before the crash) means
// that attempt ended; if its outcome was not saved, the step is called again.
//
// Saved before applied. With a watched checkpointer (see checkpointer.ts; createPlanExecuteAgent
// watches its own), an outcome is applied to the state machine, and so frees its concurrency slot
// and starts the steps that depend on it, only once the write of its batch has succeeded; a failed
// write fails the node at once (in-flight steps are aborted, nothing else starts). So the steps that
// can run twice after the database goes away are those running, or waiting for their save, at that
// moment: at most `concurrency`. Without a watched checkpointer, outcomes are applied as soon as
// they are known, and a failed write is only seen when LangGraph ends the superstep.
//
// Stopping. createPlanExecuteAgent keeps the caller's signal from LangGraph and hands it to this
// node through a run guard (configurable[RUN_GUARD]): on abort, the node aborts its steps, saves
// the outcomes that ended before, and rejects with the caller's reason; only then (or after a
// bounded wait) is LangGraph's own run aborted. Aborting LangGraph first would drop the record
// calls still in flight, and so the steps that ended just before the abort.
//
// The parts: NodeControl (node-control.ts: abort, close, failure, work in flight), ReplayLog
// (replay-log.ts: saving and reading outcomes), AgentStepHost (agent-step-host.ts: the "steps" and
// "step" tasks) and StepDispatcher (step-dispatcher.ts: the run, applying outcomes, starting steps).
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { stepKey } from "@replan/core";
import { type NodeRun, nodeUpdate, runUntilIdle, wireNodeRun, withRunGuard } from "./node-run.js";
import { assembleRun, type PlanExecuteStateType } from "./state.js";
import type { ExecutorNodeSettings } from "./step-dispatcher.js";

export type { ExecutorNodeSettings } from "./step-dispatcher.js";

/**
 * Makes the executor node: it runs the plan's running steps and those they unlock until none is
 * running, saving every attempt's outcome as it ends, and asks the replanner (when the run waits
 * for a replan) while the steps outside the failure's cone run on; it returns the run (and a
 * replan held for approval, with `reapprove`).
 *
 * @param settings - the executor, the tool functions, the checker, the step time limit, the clock.
 */
export function createExecutorNode(settings: ExecutorNodeSettings) {
  return async (state: PlanExecuteStateType, config: LangGraphRunnableConfig) => {
    const initial = assembleRun(state);
    if (!initial?.plan || (initial.status !== "executing" && initial.status !== "replanning")) return {};
    return withRunGuard(config, async (guard) => {
      const node = wireNodeRun(initial, settings, config, guard);
      await runUntilIdle(node, guard, async () => {
        await replay(node);
        resumeRunning(node);
        // A replan pending when the node started (or when the replay ended) is asked now.
        node.dispatcher.askPendingReplan();
      });
      return nodeUpdate(node);
    });
  };
}

/**
 * Starts the host (the first task call, so that record calls are numbered the same in every
 * process), dispatches the running steps, and applies the saved outcomes in their original order
 * (their effects call agent tasks in the same order as before the crash).
 */
async function replay({ dispatcher, log, host }: NodeRun): Promise<void> {
  await host.start();
  const { run } = dispatcher;
  for (const step of run.plan!.steps) {
    if (step.status !== "running") continue;
    dispatcher.dispatch(step.id, { attempt: step.attempts, key: stepKey(run, step), delayMs: 0 });
  }
  const maxBatches = 4 * run.plan!.steps.length * (run.config.maxAttempts + 1) + 1_000;
  for (const record of await log.readSaved(maxBatches)) dispatcher.applyRecord(record);
  await host.untilReported();
  dispatcher.replaying = false;
  dispatcher.endReplay();
}

/** Steps still running after the replay: a live agent task goes on; any other step starts (or is called) now. */
export function resumeRunning({ control, dispatcher, host }: Omit<NodeRun, "log">): void {
  const { run } = dispatcher;
  for (const step of run.plan?.steps ?? []) {
    if (step.status !== "running" || control.closed) continue;
    const gate = { attempt: step.attempts, key: stepKey(run, step), delayMs: 0 };
    if (step.kind === "agent" && host.available) {
      if (!host.goesOn(step.id, step.attempts)) host.call(step.id, gate);
    } else dispatcher.runInline(step.id, gate);
  }
}
