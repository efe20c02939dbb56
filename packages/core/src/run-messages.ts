/**
 * The vocabulary of the state machine: the inputs fed to `transition`, the effects it asks a driver
 * to perform, and the progress events it publishes. Types only.
 *
 * @module
 */
import type { PlanIssue } from "./errors.js";
import type { PatchDiff } from "./plan-patch.js";
import type {
  Plan,
  ReplanReason,
  RunOutcome,
  RunState,
  Step,
  StepError,
  StepSettlement,
  Usage,
} from "./schemas.js";

/** Something that happened, fed to `transition`. Every input carries `at` (ms since the epoch). */
export type RunInput =
  | { type: "start"; at: number }
  | { type: "plan"; at: number; output: unknown; usage?: Partial<Usage> }
  | {
      /**
       * One step of a plan that the planner is still writing (a streamed plan): validated on its
       * own, it joins the plan at once and may start before the plan is complete.
       */
      type: "plan-step";
      at: number;
      /** The step as the planner wrote it (a step spec). */
      output: unknown;
    }
  | {
      /** The planner's stream ended: the plan written by `plan-step` inputs is complete. */
      type: "plan-end";
      at: number;
      /** The whole plan as finally parsed, when the driver has it: cross-checked against the streamed steps. */
      output?: unknown;
      /** What the driver's parser could not read in the planner's text: they make the plan invalid. */
      issues?: PlanIssue[];
      usage?: Partial<Usage>;
    }
  | {
      type: "plan-error";
      at: number;
      error: StepError;
      /** False when another call cannot succeed (e.g. a rejected API key). @default true */
      retryable?: boolean;
      usage?: Partial<Usage>;
    }
  | {
      type: "step-finish";
      at: number;
      stepId: string;
      attempt: number;
      result: unknown;
      /** Set when the executor or checker found the result unexpected: the reason. */
      unexpected?: string;
      usage?: Partial<Usage>;
    }
  | {
      type: "step-fail";
      at: number;
      stepId: string;
      attempt: number;
      error: StepError;
      /** Whether another attempt may succeed. @default true */
      retryable?: boolean;
      /**
       * `false` when the attempt is known not to have reached its effect (what was thrown said so
       * with `effectHappened: false`, or the tool was never called): a `write` step may then be
       * retried. Absent, a failed `write` attempt's effect is unknown: it is settled (`settle-step`)
       * instead of retried, and kept in `unknownEffect` when it fails.
       */
      effectHappened?: boolean;
      usage?: Partial<Usage>;
    }
  | {
      /**
       * The attempt was in flight when the process running it died: its outcome is unknown. A
       * `read` or `idempotent` step runs again; a `write` step waits to be settled (`settle-step`).
       */
      type: "step-lost";
      at: number;
      stepId: string;
      attempt: number;
    }
  | {
      /** Settles a `write` step whose outcome was unknown: its effect happened, or not, or it fails. */
      type: "step-settle";
      at: number;
      stepId: string;
      attempt: number;
      /** Who settled it: the tool's `reconcile` hook, or a person. */
      by: "reconcile" | "person";
      outcome: SettleOutcome;
    }
  | {
      /**
       * The step's `reconcile` hook could not tell whether its effect happened (it has none, it
       * threw, timed out or answered garbage), and someone else can (a person): the step keeps
       * waiting to be settled, with `error` saying why. A driver without anyone to ask sends
       * `step-fail` instead.
       */
      type: "settle-error";
      at: number;
      stepId: string;
      attempt: number;
      error: StepError;
    }
  | { type: "replan"; at: number; output: unknown; usage?: Partial<Usage> }
  | {
      /**
       * One entry of a patch the replanner is still writing (a streamed replan): validated on its
       * own, it is applied at once (a replacement or a new step may start before the patch is
       * complete).
       */
      type: "replan-step";
      at: number;
      /** The entry as the replanner wrote it (`{ op: "remove", id }`, `{ op: "add" | "replace", step }`). */
      output: unknown;
    }
  | {
      /** The replanner's stream ended: the patch written by `replan-step` inputs is complete. */
      type: "replan-end";
      at: number;
      /**
       * The whole answer as finally parsed, when the driver has it: cross-checked against the
       * streamed entries (its `reason` is the patch's reason). With no entry streamed, it is the
       * answer, as a `replan` input's `output`.
       */
      output?: unknown;
      /** What the driver's parser could not read in the replanner's text: they make the patch invalid. */
      issues?: PlanIssue[];
      usage?: Partial<Usage>;
    }
  | {
      type: "replan-error";
      at: number;
      error: StepError;
      /** False when another call cannot succeed: replanning stops. @default true */
      retryable?: boolean;
      usage?: Partial<Usage>;
    }
  | { type: "replan-request"; at: number; reason: string }
  | {
      /** Approves the plan of an `approving` run, optionally replaced by edited steps (validated). */
      type: "approve";
      at: number;
      steps?: unknown;
    }
  | { type: "usage"; at: number; usage: Partial<Usage> }
  | { type: "tick"; at: number }
  | { type: "resume"; at: number }
  | { type: "cancel"; at: number; reason?: string };

/**
 * What settled an interrupted `write` step: its effect happened (`ran`, with the result it would
 * have returned), it did not and the step runs again (`run-again`), or the step fails (`fail`).
 */
export type SettleOutcome =
  | { type: "ran"; result: unknown }
  | { type: "run-again" }
  | { type: "fail"; error: StepError };

/** The last invalid output of a planner or replanner, given back so that it can repair it. */
export interface Feedback {
  message: string;
  output?: unknown;
}

/** Work for the interpreter (the runtime, or a LangGraph node) to perform. */
export type Effect =
  | { type: "call-planner"; attempt: number; feedback: Feedback | null }
  | {
      type: "execute-step";
      stepId: string;
      attempt: number;
      /** Stable across attempts: `runId:revision:stepId`. Lets side-effecting tools deduplicate. */
      key: string;
      /** Wait this long before starting (retry backoff). */
      delayMs: number;
    }
  | {
      /**
       * Find out whether an interrupted `write` step's effect happened (its tool's `reconcile`
       * hook, else a person), then send `step-settle` (or `step-fail` when nothing can tell).
       */
      type: "settle-step";
      stepId: string;
      attempt: number;
      /** The key the call whose effect is unknown was given (see `Step.unknownEffect`). */
      key: string;
      /**
       * `crash`: the attempt was in flight when the run stopped; `failure`: it failed without
       * ruling its effect out, or a replan wrote such a step again. Without a hook, or when the
       * hook cannot tell, a `failure` fails the step (`unsettled-effect`) wherever it runs; a
       * `crash` may be put to a person (the LangGraph adapter does).
       */
      cause: "crash" | "failure";
    }
  | { type: "call-replanner"; attempt: number; reason: ReplanReason; feedback: Feedback | null }
  | { type: "abort"; reason: string };

/** A progress event, for displays and logs. Names are noun-verb. */
export type RunEvent =
  | { type: "run-start"; at: number; runId: string; goal: string }
  | { type: "plan-start"; at: number; attempt: number }
  | { type: "plan-end"; at: number; plan: Plan }
  /** A streamed step joined the plan while the planner is still writing it. */
  | { type: "plan-step"; at: number; step: Step }
  | { type: "plan-error"; at: number; attempt: number; error: StepError; willRetry: boolean }
  | { type: "step-start"; at: number; step: Step; key: string }
  | { type: "step-retry"; at: number; step: Step; error: StepError; delayMs: number }
  | { type: "step-end"; at: number; step: Step }
  | {
      /**
       * A step that was in flight when the run stopped: run again (`re-run`), waiting to be
       * settled (`unsettled`), or settled (`reconciled`, `settled-by-person`, with the outcome).
       */
      type: "step-settle";
      at: number;
      step: Step;
      settlement: StepSettlement;
      outcome?: SettleOutcome["type"];
    }
  | { type: "replan-start"; at: number; revision: number; reason: ReplanReason; attempt: number }
  | ({
      /** A replan was applied: the new revision, and what changed (a view can show the diff). */
      type: "replan-end";
      at: number;
      plan: Plan;
      /** The replanner's reason, when it gave one. */
      reason?: string;
    } & PatchDiff)
  | { type: "replan-error"; at: number; error: StepError; willRetry: boolean }
  | {
      /**
       * An entry of a streamed patch was applied while the replanner is still writing: `written`
       * is the added or replacing step (null for a removal).
       */
      type: "replan-step";
      at: number;
      op: "remove" | "add" | "replace";
      id: string;
      written: Step | null;
    }
  | { type: "run-end"; at: number; outcome: RunOutcome; usage: Usage }
  | ModelCallEvent;

/** Who makes a model call: the planner, the replanner, an agent step's executor, or the final answer. */
export type ModelRole = "planner" | "replanner" | "executor" | "answer";

/**
 * Progress of one model call (one request to the model's server), published by model layers
 * through `emit` so that a watcher always sees what the run waits for.
 */
export type ModelCallEvent =
  | {
      type: "model-call-start";
      at: number;
      role: ModelRole;
      /** 1 for the first request of this call, 2 for its first transport retry, ... */
      attempt: number;
      /** For an agent step's calls: the step. */
      stepId?: string;
    }
  | {
      type: "model-call-retry";
      at: number;
      role: ModelRole;
      /** Why the previous request failed (a 429, a 5xx, a network error). */
      error: StepError;
      /** The wait before the next request, in ms. */
      delayMs: number;
      stepId?: string;
    }
  | {
      type: "model-call-end";
      at: number;
      role: ModelRole;
      attempt: number;
      durationMs: number;
      /** What the request cost: one LLM call, with the tokens the server reported. */
      usage: Usage;
      /** Set when the request failed. */
      error?: StepError;
      stepId?: string;
    };

/** What `transition` returns. */
export interface TransitionResult {
  state: RunState;
  effects: Effect[];
  events: RunEvent[];
}

/** The `type` of an input: what can happen to a run. */
export type RunInputType = RunInput["type"];

/** The input of type `T`. */
export type InputOf<T extends RunInputType> = Extract<RunInput, { type: T }>;
