// The planner node when the model streams: each step is handed to the state machine (`plan-step`)
// the moment its text is complete in the planner's stream, and the steps that are ready run at
// once, while the plan is still being written. LangGraph runs one node at a time, so this node is
// also the executor of the plan's first revision: it runs the steps with the executor node's parts
// (StepDispatcher, ReplayLog, AgentStepHost, NodeControl; see executor-node.ts) until none is
// running, and the executor node takes over only after a replan.
//
// Durability. The node's replay log holds, besides the attempts' outcomes, the run's other inputs
// in the order they were applied: the run as it started, each streamed step, the plan's end. A
// step's record is appended right after the step is applied, before any outcome of it can be, so
// a replay (the node run again after a crash) applies the same inputs in the same order: the
// finished steps are not run again, and when the plan's end was saved, the planner is not called
// again. A plan cut off by the crash is asked for again; the steps already taken are kept (a step
// whose id is already in the plan is not taken twice).
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import {
  createRun,
  findStep,
  llmCallRefusal,
  type RunInput,
  type RunState,
  type StepSpecInput,
  transition,
} from "@replan/core";
import { isRetryable, toStepError } from "@replan/core/internal";
import { PlanExecuteError } from "./errors.js";
import { resumeRunning } from "./executor-node.js";
import { type NodeRun, nodeUpdate, runUntilIdle, wireNodeRun, withRunGuard } from "./node-run.js";
import { rawText } from "./parse.js";
import { givenUp, meterOf, type PlanNodeSettings, pickGoal } from "./plan-nodes.js";
import { publish } from "./publish.js";
import { isReplanRecord } from "./node-replanner.js";
import { isAttemptRecord } from "./replay-log.js";
import type { RunGuard } from "./run-guard.js";
import type { PlanExecuteStateType } from "./state.js";
import type { ExecutorNodeSettings } from "./step-dispatcher.js";

/** What the streaming planner node needs: the planner's settings and the executor's. */
export interface StreamingPlannerSettings extends PlanNodeSettings {
  executor: ExecutorNodeSettings;
}

/** The parts of one run of the node. */
interface PlannerRun extends NodeRun {
  runConfig: LangGraphRunnableConfig;
  /** The planner's last answer and failure (for the error thrown when planning gives up). */
  planning: { raw: string; error: unknown; gaveUp: boolean };
}

/**
 * Makes the planner node for a streaming model: it starts the run, streams the plan, runs each
 * step as soon as it is written and ready, and returns once the plan has ended and no step is
 * running. A run that requires approval is planned as a whole first (nothing runs before the
 * person has seen the whole plan): `fallback`, the batch planner node, does it.
 *
 * @param settings - the planner's and the executor's settings.
 * @param fallback - the batch planner node.
 */
export function createStreamingPlannerNode(
  settings: StreamingPlannerSettings,
  fallback: (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => Promise<unknown>,
) {
  return async (state: PlanExecuteStateType, runConfig: LangGraphRunnableConfig) => {
    if (settings.requireApproval) return fallback(state, runConfig);
    const goal = pickGoal(state);
    return withRunGuard(runConfig, (guard) => planAndRun(settings, runConfig, goal, guard));
  };
}

async function planAndRun(
  settings: StreamingPlannerSettings,
  runConfig: LangGraphRunnableConfig,
  goal: string,
  guard: RunGuard | undefined,
) {
  const { budget, hasReplanner, now } = settings;
  const config = { ...budget, hasReplanner, requireApproval: false };
  const started = transition(createRun({ runId: settings.generateId(), goal, budget: config }), {
    type: "start",
    at: now(),
  });
  const node: PlannerRun = {
    ...wireNodeRun(started.state, settings.executor, runConfig, guard),
    runConfig,
    planning: { raw: "", error: undefined, gaveUp: false },
  };
  const { dispatcher } = node;
  dispatcher.holds++; // until the plan has ended
  await runUntilIdle(node, guard, async () => {
    await replayOrStart(node, started);
    resumeRunning(node);
    await writePlan(node, settings, goal);
    dispatcher.holds--;
  });
  const run = dispatcher.run;
  if (node.planning.gaveUp) givenUp(run, runConfig, node.planning.raw, node.planning.error);
  return { goal, answer: null, ...nodeUpdate(node) };
}

/**
 * Starts the host (the node's first task call), then reads the log: after a crash, the saved run
 * and its inputs are applied in their original order; on a first run, the run's start is saved.
 */
async function replayOrStart(node: PlannerRun, started: ReturnType<typeof transition>): Promise<void> {
  const { dispatcher, log, host, runConfig } = node;
  await host.start();
  const { maxSteps, maxAttempts, maxPlanAttempts } = started.state.config;
  const maxBatches = 4 * maxSteps * (maxAttempts + 1) * (maxPlanAttempts + 1) + 1_000;
  const saved = await log.readSaved(maxBatches);
  const first = saved[0];
  if (first && !isAttemptRecord(first) && !isReplanRecord(first) && first.run) {
    dispatcher.run = first.run;
    for (const record of saved.slice(1)) {
      if (isAttemptRecord(record) || isReplanRecord(record)) dispatcher.applyRecord(record);
      else if (record.input) dispatcher.apply(record.input);
    }
  } else {
    publish(runConfig, started.events);
    log.append({ run: started.state });
  }
  await host.untilReported();
  dispatcher.replaying = false;
  dispatcher.endReplay();
}

/** Whether the run waits for (more of) its plan. */
const wantsPlan = (run: RunState) => run.status === "planning";

/**
 * The planner's calls, each streamed: every step is applied as it arrives, then the plan's end
 * (or the call's failure), until the run no longer waits for a plan (it is executing, or planning
 * gave up). The calls are bounded by `maxPlanAttempts`.
 */
async function writePlan(node: PlannerRun, settings: StreamingPlannerSettings, goal: string): Promise<void> {
  const { dispatcher, control, log, runConfig, planning } = node;
  const take = (input: RunInput) => {
    dispatcher.apply(input);
    log.append({ input }); // after it was applied: before any outcome of the steps it started
  };
  const onStep = (spec: StepSpecInput) => {
    const plan = dispatcher.run.plan;
    if (control.closed || !wantsPlan(dispatcher.run) || (plan && findStep(plan, spec.id))) return;
    try {
      // A step invalid on its own is recorded by the state machine, and reported at the plan's end.
      take({ type: "plan-step", at: settings.now(), output: spec });
    } catch (error) {
      control.fail(error); // a bug: the state machine refuses a plan-step only while not planning
    }
  };
  const maxCalls = dispatcher.run.config.maxPlanAttempts + 1;
  for (let call = 0; call < maxCalls && wantsPlan(dispatcher.run) && !control.closed; call++) {
    const run = dispatcher.run;
    const meter = meterOf(run, runConfig);
    // The call's requests are reserved beside the steps' own (which start meanwhile), until the
    // call's usage is applied with its end.
    let held = 0;
    const hooks = {
      ...meter.hooks,
      reserveLlmCall: () => {
        if (llmCallRefusal(dispatcher.run, dispatcher.reservedCalls)) return false;
        dispatcher.heldCalls++;
        held++;
        return true;
      },
    };
    let input: RunInput;
    try {
      const request = { goal, feedback: run.feedback, signal: control.signal, onStep };
      const answer = await settings.plan(request, hooks);
      planning.raw = rawText(answer.message);
      input = {
        type: "plan-end",
        at: settings.now(),
        output: answer.steps,
        ...(answer.issues && answer.issues.length > 0 ? { issues: answer.issues } : {}),
        usage: meter.usage,
      };
    } catch (error) {
      // Stopped (the caller, LangGraph, a failure, or the run's own end): nothing more to apply;
      // the node saves what ended and stops as the executor node does.
      if (control.signal.aborted || control.closed) {
        dispatcher.heldCalls -= held;
        return;
      }
      planning.raw = PlanExecuteError.isInstance(error) ? (error.rawOutput ?? "") : "";
      planning.error = error;
      input = {
        type: "plan-error",
        at: settings.now(),
        error: toStepError(error, "planner-failed"),
        retryable: isRetryable(error),
        usage: meter.usage,
      };
    }
    dispatcher.heldCalls -= held;
    take(input);
    planning.gaveUp = planningGaveUp(dispatcher.run, input);
  }
}

/**
 * Whether the run failed because planning gave up: the planner's call failed, or its plan was
 * invalid, with no attempt left (a run can also fail at the plan's end because a step it started
 * failed).
 */
function planningGaveUp(run: RunState, input: RunInput): boolean {
  if (run.status !== "failed") return false;
  return input.type === "plan-error" || run.outcome?.error?.code === "invalid-plan";
}
