// Where the executor node runs agent steps: each attempt in a "step" task of its own (so that an
// agent used as the executor gets a checkpoint namespace of its own, and gets it back after a
// crash), called inside one long-lived "steps" task so that step calls are numbered apart from the
// node's "record" calls (see executor-node.ts).
import { AsyncLocalStorage } from "node:async_hooks";
import { task } from "@langchain/langgraph";
import type { StepOutcome } from "@replan/core";
import { deferred, type NodeControl, type TaskCalls } from "./node-control.js";

/** When and how an attempt of a step runs. */
export interface Gate {
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

/** What the host needs from the node's dispatcher. */
export interface AgentStepRunner {
  /** Runs one attempt (waits for its delay; an attempt that is stale or closed is `aborted`). */
  attempt(stepId: string, gate: Gate): Promise<StepOutcome>;
  /** Takes the outcome of an attempt that ran here. */
  finish(stepId: string, attempt: number, outcome: StepOutcome): void;
  /** Whether the step is running this attempt. */
  isCurrent(stepId: string, attempt: number): boolean;
  /** Whether saved outcomes are still being replayed. */
  readonly replaying: boolean;
  /** Resolves once the saved outcomes have been applied (they may end an attempt first). */
  readonly replayed: Promise<void>;
  /** The caller's signal (a step stopped by it saves no value, so that a resume runs it again). */
  readonly callerSignal: AbortSignal | undefined;
}

/** The outcome of an attempt that did not run to its end (the node is closing, or it is stale). */
export function aborted(): StepOutcome {
  return { type: "aborted", usage: { llmCalls: 0, promptTokens: 0, completionTokens: 0 } };
}

/**
 * The agent-step host of one run of the executor node: the "steps" task that holds LangGraph's
 * context for the "step" calls, and those calls. {@link start} must be the node's first task call.
 */
export class AgentStepHost {
  /** Runs a function in the "steps" task's context; undefined when the task did not run here. */
  private host: (<T>(run: () => T) => T) | undefined;
  private hostCall: Promise<void> = Promise.resolve();
  private readonly hostReady: Promise<void>;
  private readonly onHost: () => void;
  private readonly hostDone: Promise<void>;
  private readonly releaseHost: () => void;
  private readonly calls = new Map<number, AgentCall>();
  /** The latest call of each agent step. */
  private readonly latestCalls = new Map<string, AgentCall>();

  private readonly hostTask = task({ name: "steps" }, async (token: number): Promise<null> => {
    this.ids.markRan(token);
    this.host = AsyncLocalStorage.snapshot();
    this.onHost();
    await this.hostDone;
    return null;
  });

  private readonly stepTask = task({ name: "step" }, async (token: number): Promise<null> => {
    this.ids.markRan(token);
    const call = this.calls.get(token);
    if (!call) return null;
    call.live = true;
    call.report();
    await this.runner.replayed; // saved outcomes first: they may end this attempt
    call.outcome = await this.runner.attempt(call.stepId, call.gate);
    // Stopped by the caller: no value is saved for this task, so that a resume runs it again,
    // in the same namespace, and its agent goes on from its own checkpoint.
    const caller = this.runner.callerSignal;
    if (call.outcome.type === "aborted" && caller?.aborted) throw caller.reason;
    return null;
  });

  constructor(
    private readonly control: NodeControl,
    private readonly ids: TaskCalls,
    private readonly runner: AgentStepRunner,
  ) {
    [this.hostReady, this.onHost] = deferred();
    [this.hostDone, this.releaseHost] = deferred();
    control.onClose(this.onHost);
  }

  /** Calls the "steps" task and waits (bounded) until it runs, or is known to have been saved before. */
  async start(): Promise<void> {
    const token = this.ids.id();
    this.hostCall = (this.hostTask(token) as unknown as Promise<null>).then(
      () => {
        if (!this.ids.ran(token)) this.onHost(); // saved before (a crash as the node ended): no host
      },
      (error: unknown) => {
        this.onHost();
        this.control.fail(error);
      },
    );
    await this.control.within(this.hostReady);
  }

  /** Whether agent steps run in tasks (the "steps" task runs here). */
  get available(): boolean {
    return this.host !== undefined;
  }

  /** Calls the "step" task for an attempt of an agent step. */
  call(stepId: string, gate: Gate): void {
    const token = this.ids.id();
    const [reported, report] = deferred();
    const call: AgentCall = { stepId, gate, live: false, settled: false, reported, report };
    this.calls.set(token, call);
    this.latestCalls.set(stepId, call);
    const settle = () => {
      this.calls.delete(token);
      call.settled = true;
      call.report();
    };
    this.control.track(
      this.host!(() => this.stepTask(token) as unknown as Promise<null>).then(
        () => {
          settle();
          if (this.ids.ran(token)) this.runner.finish(stepId, gate.attempt, call.outcome ?? aborted());
          else if (!this.runner.replaying) this.recallIfCurrent(call); // saved before: that attempt ended
        },
        (error: unknown) => {
          settle();
          if (!this.runner.callerSignal?.aborted) throw error; // else: stopped by the caller (above)
        },
      ),
    );
  }

  /** Waits (bounded) until every latest call is known to run here or to have been saved before. */
  async untilReported(): Promise<void> {
    const calls = [...this.latestCalls.values()];
    if (calls.length > 0) await this.control.within(Promise.all(calls.map((call) => call.reported)));
  }

  /** Whether the step's latest call is this attempt, running here and not returned: it goes on. */
  goesOn(stepId: string, attempt: number): boolean {
    const call = this.latestCalls.get(stepId);
    return call !== undefined && call.gate.attempt === attempt && call.live && !call.settled;
  }

  /** Ends the "steps" task (once the node's work has settled). */
  async stop(): Promise<void> {
    this.releaseHost();
    await this.hostCall;
  }

  /** Calls the step again if its attempt's result was saved before but its outcome was not. */
  private recallIfCurrent(call: AgentCall): void {
    const { stepId, gate } = call;
    if (
      this.control.closed ||
      this.latestCalls.get(stepId) !== call ||
      !this.runner.isCurrent(stepId, gate.attempt)
    )
      return;
    this.call(stepId, { ...gate, delayMs: 0 });
  }
}
