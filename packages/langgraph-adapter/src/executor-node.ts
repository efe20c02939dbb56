// The executor node: runs the plan's ready steps concurrently, each as a LangGraph task, starting
// every step the moment its own dependencies are done.
//
// Durability. Every step is a functional-API `task()`, so LangGraph saves its result (a pending
// write) as soon as it finishes; if the process dies mid-node, resuming the thread runs the node
// again and finished tasks return their saved results instead of running again. LangGraph matches a
// task to its saved result by the order of the task calls within the node, so the calls must happen
// in the same order every time: the node calls one task per runnable step, up front, in plan order,
// and each task waits at a gate until the state machine dispatches its step. Each task records its
// attempts with a sequence number; on a replay, the saved attempts are fed to the state machine in
// their original order before anything new runs, which rebuilds the exact state at the crash.
import { type LangGraphRunnableConfig, task } from "@langchain/langgraph";
import {
  type Checker,
  type Effect,
  type Executor,
  executeStep,
  type RunEvent,
  type RunInput,
  type RunState,
  type StepOutcome,
  sleep,
  stepKey,
  type ToolFunction,
  transition,
} from "@replan/core";
import { PlanExecuteError } from "./errors.js";
import { assembleRun, type PlanExecuteStateType, runUpdate } from "./state.js";

export interface ExecutorNodeSettings {
  executor: Executor | undefined;
  tools: Record<string, ToolFunction>;
  checker: Checker | undefined;
  stepTimeoutMs: number;
  now: () => number;
}

/** One attempt of a step, as saved in the step task's result. */
interface AttemptRecord {
  seq: number;
  at: number;
  attempt: number;
  outcome: Exclude<StepOutcome, { type: "aborted" }>;
}

/** A step task's result: every attempt it made (none if it was never dispatched). */
interface StepRecord {
  stepId: string;
  attempts: AttemptRecord[];
}

interface Gate {
  attempt: number;
  key: string;
  delayMs: number;
}

/** Publishes progress events on LangGraph's `custom` stream. */
export function publish(config: LangGraphRunnableConfig | undefined, events: RunEvent[]): void {
  const writer = config?.writer;
  if (!writer) return;
  for (const event of events) writer(event);
}

export function createExecutorNode(settings: ExecutorNodeSettings) {
  const { executor, tools, checker, stepTimeoutMs, now } = settings;

  return async function executor_(state: PlanExecuteStateType, config: LangGraphRunnableConfig) {
    const initial = assembleRun(state);
    if (!initial?.plan || (initial.status !== "executing" && initial.status !== "replanning")) return {};
    let run: RunState = initial;
    const controller = new AbortController();
    const signal = config.signal ? AbortSignal.any([config.signal, controller.signal]) : controller.signal;

    const live = new Set<string>();
    const cached = new Map<string, StepRecord>();
    const gates = new Map<string, { pending: Gate[]; waiter?: (gate: Gate | null) => void }>();
    const opened = new Set<string>();
    let closed = false;
    let seq = 0;
    let failure: unknown;

    const openGate = (stepId: string, gate: Gate) => {
      const entry = gates.get(stepId);
      const id = `${stepId}#${gate.attempt}`;
      if (!entry || opened.has(id)) return;
      opened.add(id);
      if (entry.waiter) {
        const waiter = entry.waiter;
        entry.waiter = undefined;
        waiter(gate);
      } else entry.pending.push(gate);
    };
    const nextGate = (stepId: string): Promise<Gate | null> => {
      const entry = gates.get(stepId)!;
      const gate = entry.pending.shift();
      if (gate) return Promise.resolve(gate);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve) => {
        entry.waiter = resolve;
      });
    };
    const close = () => {
      closed = true;
      for (const entry of gates.values()) {
        const waiter = entry.waiter;
        entry.waiter = undefined;
        waiter?.(null);
      }
    };
    const runningCount = () => run.plan?.steps.filter((step) => step.status === "running").length ?? 0;

    const perform = (effects: Effect[]) => {
      for (const effect of effects) {
        if (effect.type === "execute-step") {
          // A step whose task was replayed from the checkpoint gets its outcomes from the log.
          if (live.has(effect.stepId)) openGate(effect.stepId, effect);
        } else if (effect.type === "abort") controller.abort(new Error(effect.reason));
      }
    };
    const apply = (input: RunInput) => {
      const next = transition(run, input);
      run = next.state;
      publish(config, next.events);
      perform(next.effects);
      if (runningCount() === 0) close();
    };
    const inputOf = (stepId: string, record: AttemptRecord): RunInput =>
      record.outcome.type === "finish"
        ? { ...record.outcome, type: "step-finish", at: record.at, stepId, attempt: record.attempt }
        : { ...record.outcome, type: "step-fail", at: record.at, stepId, attempt: record.attempt };

    const runnable = run.plan!.steps.filter((step) => step.status === "pending" || step.status === "running");
    for (const step of runnable) gates.set(step.id, { pending: [] });

    const stepTask = task({ name: "step" }, async (stepId: string): Promise<StepRecord> => {
      live.add(stepId);
      const attempts: AttemptRecord[] = [];
      // Bounded: each pass is one attempt, and the state machine allows at most maxAttempts.
      for (let pass = 0; pass <= run.config.maxAttempts; pass++) {
        const gate = await nextGate(stepId);
        if (!gate) break;
        if (gate.delayMs > 0 && !(await sleep(gate.delayMs, signal))) break;
        const step = run.plan!.steps.find((candidate) => candidate.id === stepId)!;
        const outcome = await executeStep(step, {
          plan: run.plan!,
          goal: run.goal,
          attempt: gate.attempt,
          key: gate.key,
          signal,
          timeoutMs: stepTimeoutMs,
          executor,
          tools,
          checker,
        });
        if (outcome.type === "aborted" || closed) break;
        const record: AttemptRecord = { seq: seq++, at: now(), attempt: gate.attempt, outcome };
        attempts.push(record);
        apply(inputOf(stepId, record));
        // Return (and so save this task's result) unless the state machine scheduled a retry.
        const after = run.plan?.steps.find((candidate) => candidate.id === stepId);
        if (after?.status !== "running" || after.attempts === gate.attempt) break;
      }
      return { stepId, attempts };
    });

    // Call every task now, in plan order (see the note at the top of this file).
    const tasks = runnable.map((step) =>
      // LangGraph types a task of an async function as Promise<Promise<T>>; it resolves to T.
      (stepTask(step.id) as unknown as Promise<StepRecord>).then(
        (record) => {
          if (!live.has(step.id)) cached.set(step.id, record);
        },
        (error: unknown) => {
          failure ??= error;
          controller.abort(error);
          close();
        },
      ),
    );

    // Wait until each task either started (live) or came back from the checkpoint (cached).
    for (
      let tick = 0;
      tick < 10_000 && live.size + cached.size < runnable.length && failure === undefined;
      tick++
    ) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (live.size + cached.size < runnable.length && failure === undefined) {
      failure = new PlanExecuteError(
        "invalid-options",
        "step tasks did not start: is maxConcurrency below the plan size?",
      );
      close();
    }

    if (failure === undefined) {
      // Replay what was saved, in its original order, then start what is dispatched and live.
      const log = [...cached.values()]
        .flatMap((record) => record.attempts.map((attempt) => ({ stepId: record.stepId, attempt })))
        .sort((a, b) => a.attempt.seq - b.attempt.seq);
      seq = log.length > 0 ? log.at(-1)!.attempt.seq + 1 : 0;
      try {
        for (const { stepId, attempt } of log) apply(inputOf(stepId, attempt));
      } catch (error) {
        failure = error;
        close();
      }
      for (const step of run.plan?.steps ?? []) {
        if (step.status === "running" && live.has(step.id) && !closed) {
          openGate(step.id, { attempt: step.attempts, key: stepKey(run, step), delayMs: 0 });
        }
      }
      if (runningCount() === 0) close();
    }

    await Promise.all(tasks);
    if (failure !== undefined) throw failure;
    return runUpdate(run);
  };
}
