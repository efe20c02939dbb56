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
import { AsyncLocalStorage } from "node:async_hooks";
import { type LangGraphRunnableConfig, task } from "@langchain/langgraph";
import {
  type Checker,
  countSteps,
  type Effect,
  type Executor,
  executeStep,
  findStep,
  llmCallRefusal,
  type RunInput,
  type RunState,
  type StepOutcome,
  sleep,
  stepKey,
  type ToolFunction,
  transition,
} from "@replan/core";
import { isWatched, whenSaved } from "./checkpointer.js";
import { PlanExecuteError } from "./errors.js";
import { publish } from "./publish.js";
import { RUN_GUARD, type RunGuard } from "./run-guard.js";
import { assembleRun, type PlanExecuteStateType, runUpdate } from "./state.js";

export interface ExecutorNodeSettings {
  executor: Executor | undefined;
  tools: Record<string, ToolFunction>;
  checker: Checker | undefined;
  stepTimeoutMs: number;
  now: () => number;
}

/** One attempt of a step, as saved. */
interface AttemptRecord {
  seq: number;
  stepId: string;
  at: number;
  attempt: number;
  outcome: Exclude<StepOutcome, { type: "aborted" }>;
}

/** What a "record" task call saves. */
interface RecordBatch {
  token: number;
  records: AttemptRecord[];
}

interface Gate {
  attempt: number;
  key: string;
  delayMs: number;
}

/** One call of the "step" task: an attempt of an agent step. */
interface AgentCall {
  stepId: string;
  gate: Gate;
  /** Whether the task's function runs here (false: its value was saved by an earlier process). */
  live: boolean;
  /** Whether the call has returned. */
  settled: boolean;
  /** Set by the task's function when it runs. */
  outcome?: StepOutcome;
  /** Resolves when the call is known to run here or to have been saved before. */
  reported: Promise<void>;
  report: () => void;
}

/** Rounds of waiting for in-flight work at the end of the node (each settles all that was in flight). */
const MAX_DRAIN_ROUNDS = 10_000;

/** How long a called task may take to start or to return its saved value. */
const TASK_START_TIMEOUT_MS = 30_000;

/** How long the write of a batch of outcomes may take before the node fails (`checkpoint-failed`). */
const SAVE_TIMEOUT_MS = 60_000;

export function createExecutorNode(settings: ExecutorNodeSettings) {
  const { executor, tools, checker, stepTimeoutMs, now } = settings;

  async function executor_(state: PlanExecuteStateType, config: LangGraphRunnableConfig) {
    const initial = assembleRun(state);
    if (!initial?.plan || (initial.status !== "executing" && initial.status !== "replanning")) return {};
    const guard = config.configurable?.[RUN_GUARD] as RunGuard | undefined;
    const [stopped, onStopped] = deferred();
    guard?.nodes.add(stopped);
    try {
      return await runNode(config, initial, guard);
    } finally {
      guard?.nodes.delete(stopped);
      onStopped();
    }
  }

  async function runNode(config: LangGraphRunnableConfig, initial: RunState, guard: RunGuard | undefined) {
    let run: RunState = initial;
    const controller = new AbortController();
    const signals = [config.signal, guard?.signal, controller.signal].filter(
      (value): value is AbortSignal => value !== undefined,
    );
    const signal = signals.length > 1 ? AbortSignal.any(signals) : controller.signal;
    // Outcomes are applied once saved only when the node can see the save (a watched checkpointer).
    const confirmSaves = isWatched(config.configurable?.__pregel_checkpointer);

    let replaying = true;
    let closed = false;
    let failure: unknown;
    let seq = 0;
    let tokens = 0;
    const ran = new Set<number>(); // tokens of the task calls whose function ran here
    const work = new Set<Promise<void>>(); // steps and task calls in flight

    const [replayed, endReplay] = deferred();
    const [hostReady, onHost] = deferred();
    const [closedPromise, onClosed] = deferred();
    const close = () => {
      if (closed) return;
      closed = true;
      onClosed();
      onHost();
      endReplay();
    };
    const fail = (error: unknown) => {
      failure ??= error;
      controller.abort(error);
      close();
    };
    const track = (promise: Promise<void>) => {
      const tracked = promise.catch(fail);
      work.add(tracked);
      void tracked.finally(() => work.delete(tracked));
    };

    const apply = (input: RunInput) => {
      const next = transition(run, input);
      run = next.state;
      publish(config, next.events);
      perform(next.effects);
      if (countSteps(run.plan!).running === 0) close();
    };
    const perform = (effects: Effect[]) => {
      for (const effect of effects) {
        if (effect.type === "execute-step") {
          if (!closed) dispatch(effect.stepId, effect);
        } else if (effect.type === "abort") controller.abort(new Error(effect.reason));
      }
    };
    const inputOf = (record: AttemptRecord): RunInput => {
      const { stepId, at, attempt, outcome } = record;
      return outcome.type === "finish"
        ? { ...outcome, type: "step-finish", at, stepId, attempt }
        : { ...outcome, type: "step-fail", at, stepId, attempt };
    };
    /** Whether the step is running this attempt (an outcome for any other attempt is stale). */
    const isCurrent = (stepId: string, attempt: number) => {
      const step = findStep(run.plan!, stepId);
      return step?.status === "running" && step.attempts === attempt;
    };
    const applyRecord = (record: AttemptRecord) => {
      release(record.stepId, record.attempt); // its usage reaches the state now (or never)
      if (!closed && isCurrent(record.stepId, record.attempt)) apply(inputOf(record));
    };

    // --- Saving: one "record" call at a time, from this node's context (outcomes are applied at once).
    const recordTask = task({ name: "record" }, async (batch: RecordBatch): Promise<RecordBatch> => {
      ran.add(batch.token);
      return batch;
    });
    let unsaved: AttemptRecord[] = [];
    let saving = false;
    const save = () => {
      if (saving || unsaved.length === 0 || failure !== undefined) return;
      saving = true;
      const records = unsaved;
      unsaved = [];
      const token = tokens++;
      const batch: RecordBatch = { token, records };
      const write = confirmSaves ? whenSaved(batch, SAVE_TIMEOUT_MS) : undefined;
      track(
        (async () => {
          const saved = (await recordTask(batch)) as unknown as RecordBatch;
          if (!ran.has(token)) {
            // A batch saved by an earlier process sits at this position (the earlier log went
            // further than the replay could follow): keep its outcomes, save ours at the next one.
            write?.forget();
            for (const record of recordsOf(saved)) {
              seq = Math.max(seq, record.seq + 1);
              applyRecord(record);
            }
            unsaved = [...records, ...unsaved];
          } else if (write) {
            await untilSaved(write); // a failed write fails the node (track): nothing more is applied
            for (const record of records) applyRecord(record);
          }
          saving = false;
          save();
        })(),
      );
    };
    // LLM calls reserved by running attempts, not yet in the state's usage: released when the
    // attempt's outcome is applied (its usage then counts), so that a call is never reserved twice.
    const reserved = new Map<string, number>();
    let reservedTotal = 0;
    const release = (stepId: string, attempt: number) => {
      const name = `${stepId}#${attempt}`;
      reservedTotal -= reserved.get(name) ?? 0;
      reserved.delete(name);
    };
    const reserveFor = (stepId: string, attempt: number) => (): boolean => {
      if (closed) return false;
      if (llmCallRefusal(run, reservedTotal)) return false;
      const name = `${stepId}#${attempt}`;
      reserved.set(name, (reserved.get(name) ?? 0) + 1);
      reservedTotal++;
      return true;
    };
    const onOutcome = (stepId: string, attempt: number, outcome: StepOutcome) => {
      // An attempt that ended while the caller stops the run is saved too (it is not run again).
      if (outcome.type === "aborted" || (closed && !guard?.signal?.aborted)) {
        release(stepId, attempt);
        return;
      }
      const record: AttemptRecord = { seq: seq++, stepId, at: now(), attempt, outcome };
      unsaved.push(record);
      save();
      if (!confirmSaves) applyRecord(record);
    };

    // --- Running steps.
    const attemptStep = async (stepId: string, gate: Gate): Promise<StepOutcome> => {
      if (gate.delayMs > 0 && !(await sleep(gate.delayMs, signal))) return aborted();
      if (closed || !isCurrent(stepId, gate.attempt)) return aborted();
      return executeStep(findStep(run.plan!, stepId)!, {
        plan: run.plan!,
        goal: run.goal,
        attempt: gate.attempt,
        key: gate.key,
        signal,
        timeoutMs: stepTimeoutMs,
        executor,
        tools,
        checker,
        reserveLlmCall: reserveFor(stepId, gate.attempt),
        emit: (event) => publish(config, [event]),
      });
    };

    // Agent steps: a "step" task per attempt, called inside the "steps" task.
    let host: (<T>(run: () => T) => T) | undefined;
    let hostCall: Promise<void> = Promise.resolve();
    const [hostDone, releaseHost] = deferred();
    const hostTask = task({ name: "steps" }, async (token: number): Promise<null> => {
      ran.add(token);
      host = AsyncLocalStorage.snapshot();
      onHost();
      await hostDone;
      return null;
    });
    const calls = new Map<number, AgentCall>();
    const current = new Map<string, AgentCall>(); // the latest call of each agent step
    const stepTask = task({ name: "step" }, async (token: number): Promise<null> => {
      ran.add(token);
      const call = calls.get(token);
      if (!call) return null;
      call.live = true;
      call.report();
      await replayed; // saved outcomes first: they may end this attempt
      call.outcome = await attemptStep(call.stepId, call.gate);
      // Stopped by the caller: no value is saved for this task, so that a resume runs it again,
      // in the same namespace, and its agent goes on from its own checkpoint.
      if (call.outcome.type === "aborted" && guard?.signal?.aborted) throw guard.signal.reason;
      return null;
    });
    const callAgent = (stepId: string, gate: Gate) => {
      const token = tokens++;
      const [reported, report] = deferred();
      const call: AgentCall = { stepId, gate, live: false, settled: false, reported, report };
      calls.set(token, call);
      current.set(stepId, call);
      const settle = () => {
        calls.delete(token);
        call.settled = true;
        call.report();
      };
      track(
        host!(() => stepTask(token) as unknown as Promise<null>).then(
          () => {
            settle();
            if (ran.has(token)) onOutcome(stepId, gate.attempt, call.outcome ?? aborted());
            else if (!replaying) recallIfCurrent(call); // its result was saved before: that attempt ended
          },
          (error: unknown) => {
            settle();
            if (!guard?.signal?.aborted) throw error; // else: stopped by the caller (above)
          },
        ),
      );
    };
    const recallIfCurrent = (call: AgentCall) => {
      if (closed || current.get(call.stepId) !== call || !isCurrent(call.stepId, call.gate.attempt)) return;
      callAgent(call.stepId, { ...call.gate, delayMs: 0 });
    };
    const runInline = (stepId: string, gate: Gate) => {
      track(
        (async () => {
          await replayed;
          onOutcome(stepId, gate.attempt, await attemptStep(stepId, gate));
        })(),
      );
    };
    const dispatch = (stepId: string, gate: Gate) => {
      const step = findStep(run.plan!, stepId);
      if (step?.kind === "agent" && host) callAgent(stepId, gate);
      else if (!replaying) runInline(stepId, gate);
      // Tool steps dispatched by the replay start once it is over (below).
    };

    signal.addEventListener("abort", close, { once: true });
    if (signal.aborted) close();
    try {
      // The "steps" task comes first, so record calls are numbered the same in every process.
      const hostToken = tokens++;
      hostCall = (hostTask(hostToken) as unknown as Promise<null>).then(
        () => {
          if (!ran.has(hostToken)) onHost(); // saved before (a crash as the node ended): no host
        },
        (error: unknown) => {
          onHost();
          fail(error);
        },
      );
      await withinTimeout(hostReady, fail);
      const startIds = run.plan!.steps.filter((step) => step.status === "running").map((step) => step.id);
      for (const stepId of startIds) {
        const step = findStep(run.plan!, stepId)!;
        dispatch(stepId, { attempt: step.attempts, key: stepKey(run, step), delayMs: 0 });
      }

      // Replay: the saved batches in order, until the first call that runs.
      const saved: AttemptRecord[] = [];
      const maxProbes = 4 * run.plan!.steps.length * (run.config.maxAttempts + 1) + 1_000;
      for (let probe = 0; failure === undefined && !closed; probe++) {
        if (probe >= maxProbes) throw new Error(`BUG: more than ${maxProbes} saved outcome batches`);
        const token = tokens++;
        const empty: RecordBatch = { token, records: [] };
        const write = confirmSaves ? whenSaved(empty, SAVE_TIMEOUT_MS) : undefined;
        const batch = (await recordTask(empty)) as unknown as RecordBatch;
        if (ran.has(token)) {
          // The end of the log. Its (empty) batch must be saved before any outcome is: a later
          // replay reads the log up to the first position with nothing saved.
          if (write) await untilSaved(write);
          break;
        }
        write?.forget();
        saved.push(...recordsOf(batch));
      }
      saved.sort((a, b) => a.seq - b.seq);
      seq = Math.max(seq, saved.length > 0 ? saved.at(-1)!.seq + 1 : 0);
      for (const record of saved) applyRecord(record); // dispatches call agent tasks in order
      await untilReported([...current.values()], fail);
      replaying = false;
      endReplay();
      // Steps still running: a live agent task goes on; any other step starts (or is called) now.
      for (const step of run.plan!.steps) {
        if (step.status !== "running" || closed) continue;
        const call = current.get(step.id);
        const gate = { attempt: step.attempts, key: stepKey(run, step), delayMs: 0 };
        if (step.kind === "agent" && host) {
          const goesOn = call && call.gate.attempt === step.attempts && call.live && !call.settled;
          if (!goesOn) callAgent(step.id, gate);
        } else runInline(step.id, gate);
      }
      if (countSteps(run.plan!).running === 0) close();
      await closedPromise;
    } catch (error) {
      fail(error);
    }
    signal.removeEventListener("abort", close);
    endReplay();
    // Drain: steps honour the abort signal and their time limit, saves settle in a few ticks; each
    // round waits for what is in flight, or starts the last save.
    for (let round = 0; round < MAX_DRAIN_ROUNDS; round++) {
      if (work.size > 0) await Promise.all([...work]);
      else if (!saving && unsaved.length > 0 && failure === undefined) save();
      else break;
    }
    releaseHost();
    await hostCall;
    if (failure !== undefined) throw failure;
    // Stopped by the caller: what ended before is saved; LangGraph's run is aborted next.
    if (guard?.signal?.aborted) throw guard.signal.reason;
    return runUpdate(run);
  }

  return executor_;
}

/**
 * Waits until the write of a record call that ran here has succeeded (rejects if it failed).
 * LangGraph hands a task's value to the saver as the call returns, within the same turn of the
 * event loop; if it has not by the next turn, it writes nothing during the run (durability
 * "exit"), and there is nothing to wait for.
 */
async function untilSaved(write: ReturnType<typeof whenSaved>): Promise<void> {
  const started = await Promise.race([
    write.started.then(() => true),
    new Promise<boolean>((resolve) => setImmediate(resolve, false)),
  ]);
  if (started) await write.saved;
  else write.forget();
}

/** Waits until every call is known to run here or to have been saved before (bounded). */
async function untilReported(calls: AgentCall[], fail: (error: unknown) => void): Promise<void> {
  if (calls.length > 0) await withinTimeout(Promise.all(calls.map((call) => call.reported)), fail);
}

/** Waits for task calls to start or return: at most {@link TASK_START_TIMEOUT_MS}, then fails the node. */
async function withinTimeout(promise: Promise<unknown>, fail: (error: unknown) => void): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), TASK_START_TIMEOUT_MS);
  });
  const late = await Promise.race([promise.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    fail(
      new PlanExecuteError(
        "invalid-options",
        `a step task neither started nor returned a saved value within ${TASK_START_TIMEOUT_MS} ms`,
      ),
    );
  }
}

function deferred(): [Promise<void>, () => void] {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return [promise, resolve];
}

/** The outcome of an attempt that did not run to its end (the node is closing, or it is stale). */
function aborted(): StepOutcome {
  return { type: "aborted", usage: { llmCalls: 0, promptTokens: 0, completionTokens: 0 } };
}

/** The records of a saved batch, or none if the value is not one (e.g. saved by an older version). */
function recordsOf(value: unknown): AttemptRecord[] {
  const records = (value as { records?: unknown } | null)?.records;
  return Array.isArray(records) ? (records as AttemptRecord[]) : [];
}
