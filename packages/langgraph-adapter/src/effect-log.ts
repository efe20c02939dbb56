// Write steps in the executor node (see executor-node.ts for the whole picture).
//
// Start records. Before a `write` step's tool is called, the node saves a "start" record for the
// attempt (in the replay log, with its own writer id) and waits until it is saved. So, when the
// node runs again after a crash, a start record from another writer with no outcome after it is an
// attempt whose effect may or may not have happened: it is never run again blindly. The node feeds
// the run a `step-lost` input; the state machine asks to settle the step (`settle-step`); the
// tool's reconcile hook is asked, and its answer is saved (a "settle" record) before it is
// applied, so that a second crash replays the same settlement. Without a hook, or when it cannot
// tell, the step waits for a person: the node ends once every other step is done, and the graph's
// settle node asks (settle-node.ts), with the hook's own error when it failed. `read` and
// `idempotent` steps save no start record: they run again after a crash, with the same
// idempotency key, as before.
//
// Live failures. A `write` attempt that fails without ruling its effect out (see core's
// `effectRuledOut`), and a step a replan writes again after such an attempt, are settled the same
// way (`settle-step` with cause `failure`), but nobody is asked when the hook cannot tell: the
// step fails (`unsettled-effect`, saved like an outcome) and the replanner sees it, as runPlan does.
// A step waiting to be settled never runs: when the node starts again with one, it is asked about.
import { randomUUID } from "node:crypto";
import {
  effectOf,
  findStep,
  type Reconcile,
  reconcileStep,
  type SettleOutcome,
  type Step,
} from "@replan/core";
import { deferred, type NodeControl } from "./node-control.js";
import type { AttemptRecord } from "./replay-log.js";
import type { ExecutorNodeSettings, StepDispatcher } from "./step-dispatcher.js";

/** The write steps' side of one run of the executor node. */
export class EffectLog {
  /** This node run's id: start records it did not write were written before a crash. */
  private readonly writer = randomUUID();
  /** Attempts (`stepId@revision#attempt`) whose start was saved by an earlier process. */
  private readonly startedBefore = new Set<string>();
  /** Attempts waiting for their own start record to be saved. */
  private readonly waiters = new Map<string, () => void>();
  /** Steps that only a person can settle now. */
  private readonly awaiting = new Set<string>();
  /** Attempts (`stepId@revision#attempt`) being settled now in this node run. */
  private readonly settling = new Set<string>();

  constructor(
    private readonly dispatcher: StepDispatcher,
    private readonly control: NodeControl,
    private readonly settings: ExecutorNodeSettings,
  ) {}

  /**
   * An attempt's name: a step replaced in place by a replan (same id, a new revision) counts its
   * attempts from 1 again, and must not meet the start records of the revision it replaced. A
   * record is applied in order, so the step's revision then is the one that started it.
   */
  private attemptName(stepId: string, attempt: number): string {
    const revision = findStep(this.dispatcher.run.plan!, stepId)?.revision ?? 0;
    return `${stepId}@${revision}#${attempt}`;
  }

  /** How many running steps wait for a person (they do not keep the node open). */
  get awaitingPerson(): number {
    return this.awaiting.size;
  }

  /** A saved start record: ours (its attempt may run now) or an earlier process's (that attempt is lost). */
  started(record: AttemptRecord, writer: string): void {
    const name = this.attemptName(record.stepId, record.attempt);
    if (writer === this.writer) this.waiters.get(name)?.();
    else this.startedBefore.add(name);
  }

  /**
   * Whether an attempt may call its tool now: yes at once for `read` and `idempotent` steps; for a
   * `write` step, once its start record is saved, and never when an earlier process started it
   * (the step is settled instead).
   */
  async mayRun(stepId: string, attempt: number): Promise<boolean> {
    const { run } = this.dispatcher;
    const step = findStep(run.plan!, stepId)!;
    if (effectOf(step, run.config.effects) !== "write") return true;
    const name = this.attemptName(stepId, attempt);
    if (step.settlement === "unsettled" && step.unknownEffect) {
      const { key, cause } = step.unknownEffect;
      this.settle({ stepId, attempt, key, cause });
      return false;
    }
    if (this.startedBefore.has(name)) {
      if (step.settlement !== "unsettled") {
        this.dispatcher.apply({ type: "step-lost", at: this.settings.now(), stepId, attempt });
      }
      return false;
    }
    const [saved, onSaved] = deferred();
    this.waiters.set(name, onSaved);
    this.dispatcher.log.append({
      stepId,
      at: this.settings.now(),
      attempt,
      outcome: { type: "start", writer: this.writer },
    });
    await Promise.race([saved, this.control.whenClosed]);
    this.waiters.delete(name);
    return !this.control.closed && this.dispatcher.isCurrent(stepId, attempt);
  }

  /**
   * A `settle-step` effect: asks the step's reconcile hook, saves its answer. When the hook cannot
   * tell: a `failure` fails the step (saved); a `crash` waits for a person, with the hook's error.
   * A step already being settled in this node run is not asked about twice.
   */
  settle(effect: { stepId: string; attempt: number; key: string; cause: "crash" | "failure" }): void {
    const { stepId, attempt, key, cause } = effect;
    const { run } = this.dispatcher;
    const step = findStep(run.plan!, stepId)!;
    // A replan may write a step again under the same id, its attempts counted from 1 again.
    const name = `${stepId}@${step.revision}#${attempt}`;
    if (this.settling.has(name)) return;
    this.settling.add(name);
    this.control.track(
      (async () => {
        const settling = await reconcileStep(step, this.hookOf(step), {
          key,
          goal: run.goal,
          signal: this.control.signal,
          timeoutMs: this.settings.stepTimeoutMs,
        }).finally(() => this.settling.delete(name));
        if (this.control.closed || !this.dispatcher.isCurrent(stepId, attempt)) return;
        const at = this.settings.now();
        if (settling.type === "step-settle") {
          const outcome = { type: "settle" as const, outcome: settling.outcome };
          this.dispatcher.log.append({ stepId, at, attempt, outcome });
          return;
        }
        if (cause === "failure") {
          const { error, retryable } = settling;
          const outcome = {
            type: "fail" as const,
            error,
            retryable,
            usage: { llmCalls: 0, promptTokens: 0, completionTokens: 0 },
          };
          this.dispatcher.log.append({ stepId, at, attempt, outcome });
          return;
        }
        this.awaiting.add(stepId);
        const error = settling.hookError ?? { code: "unsettled-effect", message: settling.error.message };
        this.dispatcher.apply({ type: "settle-error", at, stepId, attempt, error });
      })(),
    );
  }

  /** The reconcile hook of a step's tool (a tool step) or of the executor (an agent step). */
  private hookOf(step: Step): Reconcile | undefined {
    const hooks = this.settings.reconcileHooks;
    if (step.kind !== "tool") return hooks.agent;
    return Object.hasOwn(hooks.tools, step.tool) ? hooks.tools[step.tool] : undefined;
  }

  /** A saved settlement by the reconcile hook: the step is marked lost first when this process has not yet. */
  applySettled(record: AttemptRecord, outcome: SettleOutcome): void {
    const { stepId, attempt, at } = record;
    const step = findStep(this.dispatcher.run.plan!, stepId)!;
    if (step.settlement !== "unsettled") {
      this.dispatcher.apply({ type: "step-lost", at, stepId, attempt });
      if (!this.dispatcher.isCurrent(stepId, attempt)) return;
    }
    this.dispatcher.apply({ type: "step-settle", at, stepId, attempt, by: "reconcile", outcome });
  }
}
