// The executor node: runs the plan's ready steps concurrently, each as a LangGraph task, starting
// every step the moment its own dependencies are done.
//
// Durability. Every step is a functional-API `task()`, so LangGraph saves its result (a pending
// write) as soon as it finishes; if the process dies mid-node, resuming the thread runs the node
// again and finished tasks return their saved results instead of running again. LangGraph matches a
// task to its saved result by the order of the task calls within the node, so the calls must happen
// in the same order on every replay. The node calls a step's task when the state machine dispatches
// the step (so only running steps have pending tasks: LangGraph's runner races every pending task
// on each completion), always from the node's own loop (a task called from inside another task
// would be that task's child). Dispatch order is a function of the order of the inputs, and each
// attempt is recorded with a sequence number: on a replay the node calls the tasks of the steps
// running at the start, feeds the saved attempts to the state machine in sequence order, calls the
// tasks of the steps that dispatches, and so on, which rebuilds the exact state at the crash with the
// same calls in the same order. Only then do live tasks (steps that were in flight) start. A saved
// result that belongs to another step (the calls went differently, e.g. a saved write was lost) is
// set aside and the step is called again: its work may run twice, with the same idempotency key,
// but a result is never given to the wrong step.
import { type LangGraphRunnableConfig, task } from "@langchain/langgraph";
import {
  type Checker,
  countSteps,
  type Effect,
  type Executor,
  executeStep,
  findStep,
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

/** A step task's result: every attempt it made (none if it never ran). */
interface StepRecord {
  stepId: string;
  attempts: AttemptRecord[];
}

interface Gate {
  attempt: number;
  key: string;
  delayMs: number;
}

/** A step's task in this run of the node. */
interface Entry {
  /** `called`: waiting to learn whether it runs (`live`) or was saved (`cached`). */
  mode: "queued" | "called" | "live" | "cached";
  gates: Gate[];
  opened: Set<number>;
  waiter: ((gate: Gate | null) => void) | undefined;
  /** Resolves once the call is known to be live or cached. */
  reported: Promise<void>;
  report: () => void;
}

/** How long a called task may take to start or return its saved result. */
const TASK_START_TIMEOUT_MS = 30_000;

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

    const entries = new Map<string, Entry>();
    const queue: string[] = []; // steps whose task is to be called, in dispatch order
    const saved: Array<{ stepId: string; record: AttemptRecord }> = []; // replayed, not yet applied
    let unsorted = false;
    const sortSaved = () => {
      if (unsorted) saved.sort((a, b) => a.record.seq - b.record.seq);
      unsorted = false;
    };
    const tasks: Promise<void>[] = [];
    let replaying = true;
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let closed = false;
    let seq = 0;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = () => {
      const waiting = wake;
      wake = undefined;
      waiting?.();
    };

    const fail = (error: unknown) => {
      failure ??= error;
      controller.abort(error);
      close();
    };
    const close = () => {
      if (closed) return;
      closed = true;
      for (const entry of entries.values()) {
        const waiter = entry.waiter;
        entry.waiter = undefined;
        waiter?.(null);
      }
      notify();
    };
    /** Queues a call of the step's task, with its first gate. */
    const enqueue = (stepId: string, gate: Gate | undefined) => {
      let report!: () => void;
      const reported = new Promise<void>((resolve) => {
        report = resolve;
      });
      const entry: Entry = {
        mode: "queued",
        gates: [],
        opened: new Set(),
        waiter: undefined,
        reported,
        report,
      };
      entries.set(stepId, entry);
      if (gate) openGate(entry, gate);
      queue.push(stepId);
      notify();
    };
    const openGate = (entry: Entry, gate: Gate) => {
      if (entry.opened.has(gate.attempt)) return;
      entry.opened.add(gate.attempt);
      const waiter = entry.waiter;
      entry.waiter = undefined;
      if (waiter) waiter(gate);
      else entry.gates.push(gate);
    };
    const nextGate = (entry: Entry): Promise<Gate | null> => {
      const gate = entry.gates.shift();
      if (gate) return Promise.resolve(gate);
      if (closed) return Promise.resolve(null);
      return new Promise((resolve) => {
        entry.waiter = resolve;
      });
    };

    const perform = (effects: Effect[]) => {
      for (const effect of effects) {
        if (effect.type === "execute-step") {
          const entry = entries.get(effect.stepId);
          if (entry) openGate(entry, effect);
          else enqueue(effect.stepId, effect);
        } else if (effect.type === "abort") controller.abort(new Error(effect.reason));
      }
    };
    const apply = (input: RunInput) => {
      const next = transition(run, input);
      run = next.state;
      publish(config, next.events);
      perform(next.effects);
      if (countSteps(run.plan!).running === 0) close();
    };
    const inputOf = (stepId: string, record: AttemptRecord): RunInput =>
      record.outcome.type === "finish"
        ? { ...record.outcome, type: "step-finish", at: record.at, stepId, attempt: record.attempt }
        : { ...record.outcome, type: "step-fail", at: record.at, stepId, attempt: record.attempt };

    const stepTask = task({ name: "step" }, async (stepId: string): Promise<StepRecord> => {
      const entry = entries.get(stepId);
      if (!entry) throw new Error(`BUG: step task called for "${stepId}", which has no entry`);
      entry.mode = "live";
      entry.report();
      await released; // saved attempts are replayed before anything runs
      const attempts: AttemptRecord[] = [];
      // Bounded: each pass is one attempt, and the state machine allows at most maxAttempts.
      for (let pass = 0; pass <= run.config.maxAttempts; pass++) {
        const gate = await nextGate(entry);
        if (!gate) break;
        if (gate.delayMs > 0 && !(await sleep(gate.delayMs, signal))) break;
        const outcome = await executeStep(findStep(run.plan!, stepId)!, {
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
        const after = findStep(run.plan!, stepId);
        if (after?.status !== "running" || after.attempts === gate.attempt) break;
      }
      return { stepId, attempts };
    });

    /** A saved result: replayed in sequence order, or set aside if it is another step's. */
    const onSaved = (stepId: string, entry: Entry, record: StepRecord) => {
      entry.mode = "cached";
      entry.report();
      if (record?.stepId !== stepId || !Array.isArray(record.attempts)) {
        if (!replaying && !closed) rerun(stepId);
        return;
      }
      for (const attempt of record.attempts) {
        saved.push({ stepId, record: attempt });
        unsorted = true;
        seq = Math.max(seq, attempt.seq + 1);
      }
      if (replaying) return;
      replaySaved();
      if (!closed && findStep(run.plan!, stepId)?.status === "running") rerun(stepId);
    };
    /** Calls a step's task again (its saved result was another step's, or did not settle it). */
    const rerun = (stepId: string) => {
      const step = findStep(run.plan!, stepId);
      if (step?.status !== "running") return;
      enqueue(stepId, { attempt: step.attempts, key: stepKey(run, step), delayMs: 0 });
    };
    /** Applies the saved attempts in sequence order (state machine errors end the node). */
    const replaySaved = () => {
      sortSaved();
      while (saved.length > 0 && failure === undefined && !closed) {
        const { stepId, record } = saved.shift()!;
        const step = findStep(run.plan!, stepId);
        if (step?.status !== "running" || step.attempts !== record.attempt) continue; // stale
        try {
          apply(inputOf(stepId, record));
        } catch (error) {
          fail(error);
        }
      }
      saved.length = 0;
    };
    const call = (stepId: string) => {
      const entry = entries.get(stepId)!;
      entry.mode = "called";
      // LangGraph types a task of an async function as Promise<Promise<T>>; it resolves to T.
      const promise = (stepTask(stepId) as unknown as Promise<StepRecord>).then(
        (record) => {
          if (entry.mode !== "live") onSaved(stepId, entry, record);
          else if (!closed && !replaying) rerunIfUnsettled(stepId);
        },
        (error: unknown) => {
          entry.report();
          fail(error);
        },
      );
      tasks.push(promise);
      return entry;
    };
    /** A live task that returned with its step still running (it was aborted) leaves it to a new call. */
    const rerunIfUnsettled = (stepId: string) => {
      if (entries.get(stepId)?.mode === "live") {
        const step = findStep(run.plan!, stepId);
        if (step?.status === "running" && !closed && !controller.signal.aborted) rerun(stepId);
      }
    };
    const callQueued = (): Entry[] => {
      const called: Entry[] = [];
      while (queue.length > 0 && failure === undefined) called.push(call(queue.shift()!));
      return called;
    };
    const waitReported = async (called: Entry[]) => {
      if (called.length === 0) return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), TASK_START_TIMEOUT_MS);
      });
      const reported = await Promise.race([
        Promise.all(called.map((entry) => entry.reported)).then(() => true),
        timeout,
      ]);
      clearTimeout(timer);
      if (!reported) {
        fail(
          new PlanExecuteError(
            "invalid-options",
            `a step task neither started nor returned a saved result within ${TASK_START_TIMEOUT_MS} ms`,
          ),
        );
      }
    };

    // Bounded: every step is called at most once per attempt plus once per set-aside result.
    const maxCalls = run.plan!.steps.length * (run.config.maxAttempts + 2) + 16;
    let calls = 0;
    signal.addEventListener("abort", close, { once: true });
    if (signal.aborted) close();
    try {
      for (const step of run.plan!.steps) {
        if (step.status === "running") enqueue(step.id, undefined);
      }
      // Replay: call, learn which tasks were saved, apply the earliest saved attempt, repeat.
      while (failure === undefined && !closed) {
        const called = callQueued();
        calls += called.length;
        if (calls > maxCalls) throw new Error(`BUG: more than ${maxCalls} step task calls`);
        await waitReported(called);
        if (saved.length === 0 || failure !== undefined) break;
        sortSaved();
        const { stepId, record } = saved.shift()!;
        const step = findStep(run.plan!, stepId);
        if (step?.status === "running" && step.attempts === record.attempt) apply(inputOf(stepId, record));
      }
      saved.length = 0;
      replaying = false;
      release();
      // Steps still running: live tasks start now; any other step is called again.
      for (const step of run.plan!.steps) {
        if (step.status !== "running" || closed) continue;
        const entry = entries.get(step.id);
        if (entry?.mode === "live")
          openGate(entry, { attempt: step.attempts, key: stepKey(run, step), delayMs: 0 });
        else if (entry?.mode !== "queued") rerun(step.id);
      }
      if (countSteps(run.plan!).running === 0) close();
      // Live: call each dispatched step's task from this loop (the node's context).
      while (!closed || queue.length > 0) {
        if (queue.length === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          continue;
        }
        if (closed) {
          queue.length = 0;
          break;
        }
        calls += callQueued().length;
        if (calls > maxCalls) throw new Error(`BUG: more than ${maxCalls} step task calls`);
      }
    } catch (error) {
      fail(error);
    } finally {
      replaying = false;
      release();
      signal.removeEventListener("abort", close);
    }

    await Promise.all(tasks);
    if (failure !== undefined) throw failure;
    return runUpdate(run);
  };
}
