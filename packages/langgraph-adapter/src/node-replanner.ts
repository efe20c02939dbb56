// The replanner, called from inside a node that runs steps (the executor node, and the streaming
// planner node), so that the steps that do not depend on a failed one keep starting and finishing
// while it answers. LangGraph runs a node to its end before the next one: a replanner node would
// start only once every running step had ended (decision 013).
//
// Durable and exact: the replanner's answer (or failure) is saved as a record of the node's replay
// log, in order with the steps' outcomes, and applied to the state machine from there (once saved,
// with a watched checkpointer), like an outcome. A resumed node replays the saved records in their
// original order, so a saved answer meets the plan exactly as it did the first time (the same
// steps started or finished meanwhile, the same patch conflicts). A replan still pending when the
// process died is asked again, with the plan the first call saw, once the replay is over: the lost
// answer costs one model call, and no step runs twice.
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import type { ModelCallReporter, PatchEntry, RunInput, RunState, Usage } from "@replan/core";
import { isRetryable, toStepError } from "@replan/core/internal";
import type { NodeControl } from "./node-control.js";
import type { PlanCaller } from "./plan-caller.js";
import { publish } from "./publish.js";

/** The replanner's answer, or its failure, as the state machine takes it (without its time). */
export type ReplanAnswerInput =
  | Omit<Extract<RunInput, { type: "replan" }>, "at">
  | Omit<Extract<RunInput, { type: "replan-step" }>, "at">
  | Omit<Extract<RunInput, { type: "replan-end" }>, "at">
  | Omit<Extract<RunInput, { type: "replan-error" }>, "at">;

/** A replanner's answer as saved in the replay log. */
export interface ReplanRecord {
  seq: number;
  kind: "replan";
  at: number;
  /** The replan it answers (`run.replans` when it was asked). */
  attempt: number;
  input: ReplanAnswerInput;
}

/** What the node's replanner needs from the node's dispatcher. */
export interface ReplanHost {
  /** The run, as applied so far. */
  readonly run: RunState;
  /** Resolves once the saved records have been applied. */
  readonly replayed: Promise<void>;
  /** Reserves a model call under `name` against the budget (with the node's other reservations). */
  reserver(name: string): () => boolean;
  /** Saves the answer (applied once saved, as an outcome is). */
  record(record: Omit<ReplanRecord, "seq">): void;
  /** Called when a call ends without an answer to save (the node stopped): the node may close. */
  abandoned(attempt: number): void;
}

/** Whether a saved record is the replanner's answer. */
export function isReplanRecord(record: object): record is ReplanRecord {
  return (record as { kind?: unknown }).kind === "replan";
}

/** The reservation name of a replanner call (a step id cannot hold a space). */
export function replanReservation(attempt: number): string {
  return `replanner ${attempt}`;
}

/**
 * A node's replanner: at most one call per replan attempt in a process, made when the state
 * machine asks for it (or finds one pending when the node starts), with the plan as it was then.
 */
export class NodeReplanner {
  /** Attempts asked in this process. */
  private readonly asked = new Set<number>();
  /** Attempts whose answer is not applied yet: the node stays open for them. */
  readonly awaiting = new Set<number>();

  constructor(
    private readonly host: ReplanHost,
    private readonly control: NodeControl,
    private readonly replan: PlanCaller<"replanner">,
    private readonly config: LangGraphRunnableConfig,
    private readonly now: () => number,
    /** Whether the answer streams, each patch entry applied as its line ends (decision 017). */
    private readonly streams = false,
  ) {}

  /** Asks the replanner for the pending replan of `run`, once per attempt, after the replay. */
  ask(run: RunState): void {
    const attempt = run.replans;
    if (run.status !== "replanning" || !run.replan || !run.plan || this.asked.has(attempt)) return;
    this.asked.add(attempt);
    this.awaiting.add(attempt);
    this.control.track(this.call(run, attempt));
  }

  /** The answer of `attempt` was applied (or found stale): the node no longer waits for it. */
  answered(attempt: number): void {
    this.awaiting.delete(attempt);
  }

  private async call(run: RunState, attempt: number): Promise<void> {
    await this.host.replayed;
    const current = this.host.run;
    // Answered by a saved record, or no longer pending (the run ended, the node closed).
    if (this.control.closed || current.status !== "replanning" || current.replans !== attempt) {
      this.awaiting.delete(attempt);
      this.host.abandoned(attempt);
      return;
    }
    if (current.replanStream) {
      // A streamed patch cut by a crash (its entries replayed, no end saved): it ends as a failed
      // call (its entries whose steps started are kept, the rest undone), and the next is asked.
      const error = {
        code: "planner-failed",
        message: "the replanner's streamed patch was cut (the process stopped)",
      };
      this.host.record({ kind: "replan", at: this.now(), attempt, input: { type: "replan-error", error } });
      return;
    }
    const usage: Usage = { llmCalls: 0, promptTokens: 0, completionTokens: 0 };
    const reporter: ModelCallReporter = {
      reserveLlmCall: this.host.reserver(replanReservation(attempt)),
      reportUsage: (more) => {
        usage.llmCalls += more.llmCalls ?? 0;
        usage.promptTokens += more.promptTokens ?? 0;
        usage.completionTokens += more.completionTokens ?? 0;
      },
      emit: (event) => publish(this.config, [event]),
    };
    const { signal } = this.control;
    let input: ReplanAnswerInput;
    try {
      const { goal, plan, replan, feedback } = run;
      const onEntry = (output: PatchEntry) =>
        this.host.record({ kind: "replan", at: this.now(), attempt, input: { type: "replan-step", output } });
      const answer = await this.replan(
        { goal, plan: plan!, reason: replan!.reason, feedback, signal, ...(this.streams ? { onEntry } : {}) },
        reporter,
      );
      input = this.streams
        ? {
            type: "replan-end",
            output: answer.steps,
            ...(answer.issues ? { issues: answer.issues } : {}),
            usage,
          }
        : { type: "replan", output: answer.steps, usage };
    } catch (error) {
      if (signal.aborted || this.control.closed) {
        this.awaiting.delete(attempt);
        this.host.abandoned(attempt);
        return;
      }
      const failure = toStepError(error, "planner-failed");
      input = { type: "replan-error", error: failure, retryable: isRetryable(error), usage };
    }
    this.host.record({ kind: "replan", at: this.now(), attempt, input });
  }
}
