// The executor node's dispatcher: it holds the run, applies outcomes to the state machine, and
// starts the steps the state machine asks for (agent steps through the host, tool steps here).
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
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
  type ToolFunction,
  transition,
} from "@replan/core";
import { sleep } from "@replan/core/internal";
import { type AgentStepHost, type AgentStepRunner, aborted, type Gate } from "./agent-step-host.js";
import { EffectLog } from "./effect-log.js";
import type { ReconcileHooks } from "./executor-effects.js";
import { deferred, type NodeControl } from "./node-control.js";
import {
  isReplanRecord,
  type NodeReplanner,
  type ReplanRecord,
  replanReservation,
} from "./node-replanner.js";
import type { PlanCaller } from "./plan-caller.js";
import { publish } from "./publish.js";
import { type PendingReplan, type ReapproveMode, replanToHold, writeSteps } from "./reapproval.js";
import { type AttemptRecord, isAttemptRecord, type LogRecord, type ReplayLog } from "./replay-log.js";

/** What the executor node runs steps with. */
export interface ExecutorNodeSettings {
  executor: Executor | undefined;
  tools: Record<string, ToolFunction>;
  /** The reconcile hooks that settle interrupted write steps. */
  reconcileHooks: ReconcileHooks;
  checker: Checker | undefined;
  stepTimeoutMs: number;
  now: () => number;
  /** The replanner, called in the node while steps run (see node-replanner.ts); none: not called here. */
  replan?: PlanCaller<"replanner"> | undefined;
  /** When a replan waits for a person's approval (a held answer ends the node once no step runs). */
  reapprove?: ReapproveMode | undefined;
  /**
   * Whether the replanner's compact patch streams, each entry applied as its line ends (decision
   * 017): with `planFormat: "compact"`, `planStreaming` and a model that streams, unless `reapprove`.
   */
  replanStreaming?: boolean | undefined;
}

/**
 * The dispatcher of one run of the executor node. It applies outcomes to the run (saved ones
 * first, during the replay), starts the steps that the resulting effects ask for, and hands each
 * attempt's outcome to the replay log. LLM calls reserved by running attempts are counted until
 * their outcome is applied (its usage then counts), so that a call is never reserved twice.
 */
export class StepDispatcher implements AgentStepRunner {
  replaying = true;
  readonly replayed: Promise<void>;
  readonly endReplay: () => void;
  /** Wired after construction (the log and the host call back into the dispatcher). */
  log!: ReplayLog;
  host!: AgentStepHost;
  /** The write steps' start records and settlements. */
  readonly effects: EffectLog;
  /**
   * Work that keeps the node open while no step runs (the planner still writing the plan): the
   * node closes only when this is 0 and no step is running.
   */
  holds = 0;
  /** LLM calls reserved outside the steps (the planner's, while it streams), until their usage is applied. */
  heldCalls = 0;
  /** The node's replanner, when the node calls it (wired after construction). */
  replanner: NodeReplanner | undefined;
  /**
   * The replanner's answer held for a person's approval (`reapprove`): not applied; the steps
   * outside the failure's cone run on, and the node ends once none is running.
   */
  held: { input: Extract<RunInput, { type: "replan" }>; hold: PendingReplan } | undefined;
  private readonly reserved = new Map<string, number>();
  private reservedTotal = 0;

  constructor(
    /** The run, as applied so far. */
    public run: RunState,
    private readonly control: NodeControl,
    readonly settings: ExecutorNodeSettings,
    private readonly config: LangGraphRunnableConfig,
    readonly callerSignal: AbortSignal | undefined,
  ) {
    [this.replayed, this.endReplay] = deferred();
    this.effects = new EffectLog(this, control, settings);
  }

  /** Whether the step is running this attempt (an outcome for any other attempt is stale). */
  isCurrent(stepId: string, attempt: number): boolean {
    const step = findStep(this.run.plan!, stepId);
    return step?.status === "running" && step.attempts === attempt;
  }

  /** Applies a saved outcome, unless stale or the node has closed. */
  readonly applyRecord = (record: LogRecord): void => {
    if (isReplanRecord(record)) {
      this.applyReplan(record);
      return;
    }
    if (!isAttemptRecord(record)) return; // the run's other inputs are the planner node's
    if (record.outcome.type === "start") {
      this.effects.started(record, record.outcome.writer);
      return;
    }
    this.release(record.stepId, record.attempt); // its usage reaches the state now (or never)
    if (this.control.closed || !this.isCurrent(record.stepId, record.attempt)) return;
    if (record.outcome.type === "settle") this.effects.applySettled(record, record.outcome.outcome);
    else this.apply(inputOf(record as EndRecord));
  };

  /** Starts an attempt: an agent step in its task (when the host runs), a tool step here once the replay is over. */
  dispatch(stepId: string, gate: Gate): void {
    const step = findStep(this.run.plan!, stepId);
    if (step?.kind === "agent" && this.host.available) this.host.call(stepId, gate);
    else if (!this.replaying) this.runInline(stepId, gate);
    // Tool steps dispatched by the replay start once it is over (see the executor node).
  }

  /** Runs an attempt in the node itself (tool steps, and agent steps without a host). */
  runInline(stepId: string, gate: Gate): void {
    this.control.track(
      (async () => {
        await this.replayed;
        this.finish(stepId, gate.attempt, await this.attempt(stepId, gate));
      })(),
    );
  }

  /** Runs one attempt after its delay; a stale attempt, or one of a closed node, does not run. */
  async attempt(stepId: string, gate: Gate): Promise<StepOutcome> {
    const { signal } = this.control;
    if (gate.delayMs > 0 && !(await sleep(gate.delayMs, signal))) return aborted();
    if (this.control.closed || !this.isCurrent(stepId, gate.attempt)) return aborted();
    // A write step: never run blindly again (settled instead), and its start saved before it runs.
    if (!(await this.effects.mayRun(stepId, gate.attempt))) return aborted();
    const { executor, tools, checker, stepTimeoutMs } = this.settings;
    return executeStep(findStep(this.run.plan!, stepId)!, {
      plan: this.run.plan!,
      goal: this.run.goal,
      attempt: gate.attempt,
      key: gate.key,
      signal,
      timeoutMs: stepTimeoutMs,
      executor,
      tools,
      checker,
      reserveLlmCall: this.reserveFor(stepId, gate.attempt),
      emit: (event) => publish(this.config, [event]),
    });
  }

  /** Takes an attempt's outcome: saved (an attempt that ends while the caller stops the run too), unless aborted. */
  finish(stepId: string, attempt: number, outcome: StepOutcome): void {
    if (outcome.type === "aborted" || (this.control.closed && !this.callerSignal?.aborted)) {
      this.release(stepId, attempt);
      return;
    }
    this.log.append({ stepId, at: this.settings.now(), attempt, outcome });
  }

  /** LLM calls reserved and not yet applied to the run's usage. */
  get reservedCalls(): number {
    return this.reservedTotal + this.heldCalls;
  }

  /** Whether no step is running, no replan is awaited and nothing holds the node open (its work is done). */
  get idle(): boolean {
    // Steps waiting for a person (see effect-log.ts) do not keep the node open.
    const running = this.run.plan === null ? 0 : countSteps(this.run.plan).running;
    const awaited = this.replanner?.awaiting.size ?? 0;
    return this.holds === 0 && awaited === 0 && running === this.effects.awaitingPerson;
  }

  /** Asks the node's replanner when the run waits for a replan that is neither asked nor held. */
  askPendingReplan(): void {
    if (!this.control.closed && this.held === undefined) this.replanner?.ask(this.run);
  }

  /** Saves the replanner's answer (applied once saved), unless the node has stopped. */
  record(record: Omit<ReplanRecord, "seq">): void {
    if (this.control.closed && !this.callerSignal?.aborted) {
      this.abandoned(record.attempt);
      return;
    }
    this.log.append(record);
  }

  /** A replanner call ended with nothing to save: its reservation is released; the node may close. */
  readonly abandoned = (attempt: number): void => {
    this.releaseName(replanReservation(attempt));
    this.replanner?.answered(attempt);
    if (this.idle) this.control.close();
  };

  /**
   * Applies the replanner's saved answer if it answers the replan still pending; with
   * `reapprove`, an answer that needs a person's approval is held instead (see {@link held}).
   */
  private applyReplan(record: ReplanRecord): void {
    const { run } = this;
    const current = run.status === "replanning" && run.replans === record.attempt && this.held === undefined;
    if (record.input.type === "replan-step") {
      // One entry of a streamed patch: applied at once; the call goes on (nothing released).
      if (!this.control.closed && current) this.apply({ ...record.input, at: record.at });
      return;
    }
    this.releaseName(replanReservation(record.attempt));
    this.replanner?.answered(record.attempt);
    if (this.control.closed || !current) {
      if (this.idle) this.control.close();
      return;
    }
    const input = { ...record.input, at: record.at } as RunInput;
    const mode = this.settings.reapprove ?? "never";
    if (input.type === "replan" && mode !== "never") {
      const hold = replanToHold(run, transition(run, input), input, mode, writeSteps(run));
      if (hold) {
        this.held = { input, hold };
        if (this.idle) this.control.close();
        return;
      }
    }
    this.apply(input);
  }

  /**
   * The held replan as the approval shows it, once the node ends: what it changes in the plan as
   * it is then (steps outside the cone may have started or finished since the answer came).
   */
  heldReplan(): PendingReplan | undefined {
    if (!this.held) return undefined;
    const { input, hold } = this.held;
    const mode = this.settings.reapprove ?? "never";
    const now = replanToHold(this.run, transition(this.run, input), input, mode, writeSteps(this.run));
    return now ?? hold; // no longer needing approval: asked anyway (nothing is applied unseen)
  }

  /** Applies an input to the run: publishes its events, starts the steps it asks for, closes the node when idle. */
  apply(input: RunInput): void {
    const next = transition(this.run, input);
    this.run = next.state;
    publish(this.config, next.events);
    this.perform(next.effects);
    if (this.idle) this.control.close();
  }

  private perform(effects: Effect[]): void {
    for (const effect of effects) {
      if (effect.type === "execute-step") {
        if (!this.control.closed) this.dispatch(effect.stepId, effect);
      } else if (effect.type === "call-replanner") {
        if (!this.control.closed) this.replanner?.ask(this.run);
      } else if (effect.type === "settle-step") {
        if (!this.control.closed) this.effects.settle(effect);
      } else if (effect.type === "abort") this.control.controller.abort(new Error(effect.reason));
    }
  }

  private release(stepId: string, attempt: number): void {
    this.releaseName(`${stepId}#${attempt}`);
  }

  private releaseName(name: string): void {
    this.reservedTotal -= this.reserved.get(name) ?? 0;
    this.reserved.delete(name);
  }

  private reserveFor(stepId: string, attempt: number) {
    return this.reserver(`${stepId}#${attempt}`);
  }

  /** Reserves model calls under `name` against the budget, with every other reservation of the node. */
  readonly reserver = (name: string) => {
    return (): boolean => {
      if (this.control.closed) return false;
      if (llmCallRefusal(this.run, this.reservedCalls)) return false;
      this.reserved.set(name, (this.reserved.get(name) ?? 0) + 1);
      this.reservedTotal++;
      return true;
    };
  };
}

/** A saved record of how an attempt ended. */
type EndRecord = AttemptRecord & { outcome: Exclude<StepOutcome, { type: "aborted" }> };

/** The state machine's input for a saved outcome. */
function inputOf(record: EndRecord): RunInput {
  const { stepId, at, attempt, outcome } = record;
  return outcome.type === "finish"
    ? { ...outcome, type: "step-finish", at, stepId, attempt }
    : { ...outcome, type: "step-fail", at, stepId, attempt };
}
