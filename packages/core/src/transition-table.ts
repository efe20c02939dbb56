/**
 * The transition table: for each run status, the inputs it accepts and the handler of each. One
 * place decides whether an input is legal ({@link ruleFor}); the handlers only do the work. The
 * table is also what {@link acceptedInputs} reads, so what it says and what `transition` does
 * cannot drift apart.
 *
 * @module
 */
import { keepStartedSteps } from "./kept-steps.js";
import { approvePlan, askPlanner, plannerFailed, takePlan } from "./planning.js";
import { endPlanStream, takePlanStep } from "./plan-stream.js";
import type { Draft } from "./draft.js";
import { IllegalTransitionError } from "./errors.js";
import { replannerFailed, requestReplan, takeReplan } from "./replanning.js";
import { endReplanStream, rememberKept, takeReplanStep, undoReplanStream } from "./replan-stream.js";
import type { InputOf, RunInput, RunInputType } from "./run-messages.js";
import { endRun, isTerminal } from "./run-end.js";
import type { RunState, RunStatus } from "./schemas.js";
import { loseStep, settleFailed, settleInFlight, settleMismatch, settleStep } from "./settlement.js";
import { failStep, finishStep, reportMismatch } from "./step-reports.js";
import { indexOf } from "./step-index.js";

/** Every input type, in the order {@link acceptedInputs} lists them. */
export const INPUT_TYPES: readonly RunInputType[] = Object.freeze([
  "start",
  "plan",
  "plan-step",
  "plan-end",
  "plan-error",
  "step-finish",
  "step-fail",
  "step-lost",
  "step-settle",
  "settle-error",
  "replan",
  "replan-step",
  "replan-end",
  "replan-error",
  "replan-request",
  "approve",
  "usage",
  "tick",
  "resume",
  "cancel",
]);

/** How a status handles one input type: when it refuses it, and what it does otherwise. */
export interface InputRule<T extends RunInputType> {
  /** Why a state of this status refuses every input of this type right now, or undefined. */
  refuses?: (state: RunState) => string | undefined;
  /** Why the state refuses this very input (e.g. a step that is not running), or undefined. */
  refusesInput?: (state: RunState, input: InputOf<T>) => string | undefined;
  /** Computes the transition into the draft. Never throws `IllegalTransitionError`. */
  handle: (draft: Draft, input: InputOf<T>) => void;
}

/** The inputs of one status, with their rules: an input type that is absent is refused. */
type Row = { readonly [T in RunInputType]?: InputRule<T> };

/** An input that changes nothing by itself (what follows every input still happens). */
const nothing = () => {};

/** `cancel`: the run ends `cancelled`, and what is in flight is aborted. */
const cancel: InputRule<"cancel"> = {
  handle: (draft, input) =>
    endRun(draft, input.at, { status: "cancelled", reason: input.reason ?? "cancelled" }),
};

/** `start` (or `resume` of a run that never started): the run starts, and asks the planner. */
function startRun(draft: Draft, input: { at: number }): void {
  draft.set({ startedAt: input.at });
  draft.emit({ type: "run-start", at: input.at, runId: draft.state.runId, goal: draft.state.goal });
  askPlanner(draft, input.at);
}

/** A step's report: needs a running step, and must name it and its current attempt. */
function stepReport<T extends "step-finish" | "step-fail" | "step-lost">(
  handle: InputRule<T>["handle"],
): InputRule<T> {
  return {
    refuses: (state) =>
      state.plan && indexOf(state.plan.steps).counts.running > 0
        ? undefined
        : `no step is running (the run is ${state.status})`,
    refusesInput: reportMismatch,
    handle,
  };
}

/** A replanner's answer: needs a replan under way. */
function replanAnswer<T extends "replan" | "replan-step" | "replan-end" | "replan-error">(
  handle: InputRule<T>["handle"],
): InputRule<T> {
  return {
    refuses: (state) =>
      state.replan && state.plan ? undefined : `no replan was asked for (the run is ${state.status})`,
    handle,
  };
}

/** Why no input can settle a step now: none is waiting to be settled. */
const refusesSettling = (state: RunState): string | undefined =>
  state.plan?.steps.some((step) => step.status === "running" && step.settlement === "unsettled")
    ? undefined
    : `no step is waiting to be settled (the run is ${state.status})`;

/** `step-lost`, `step-settle` and `settle-error`: need a running step (see `settlement.ts`). */
const settling: Pick<Row, "step-lost" | "step-settle" | "settle-error"> = {
  "step-lost": stepReport(loseStep),
  "step-settle": { refuses: refusesSettling, refusesInput: settleMismatch, handle: settleStep },
  "settle-error": { refuses: refusesSettling, refusesInput: settleMismatch, handle: settleFailed },
};

/**
 * `resume`, after restoring a saved state: the call that was in flight is asked again (when
 * `again` says so), and the steps that were running, which never reported, are settled: run
 * again when `read` or `idempotent`, asked about (`settle-step`) when `write`.
 */
function resume(again?: (draft: Draft, at: number) => void): InputRule<"resume"> {
  return {
    handle: (draft, input) => {
      again?.(draft, input.at);
      settleInFlight(draft, input.at);
    },
  };
}

/**
 * The planner call that was in flight when the state was saved, made again (same attempt). Of a
 * plan it was streaming, the steps that have started are kept, and the call writes the rest.
 */
function callPlannerAgain(draft: Draft, at: number): void {
  keepStartedSteps(draft);
  const { planAttempts: attempt, feedback } = draft.state;
  draft.effect({ type: "call-planner", attempt, feedback });
  draft.emit({ type: "plan-start", at, attempt });
}

/** The replanner call that was in flight when the state was saved, made again (same attempt). */
function callReplannerAgain(draft: Draft, at: number): void {
  rememberKept(draft, undoReplanStream(draft)); // a patch cut by the crash: its unstarted entries undone
  const { replan, replans: attempt, feedback, plan } = draft.state;
  if (!replan) return;
  draft.effect({ type: "call-replanner", attempt, reason: replan.reason, feedback });
  draft.emit({ type: "replan-start", at, revision: plan?.revision ?? 0, reason: replan.reason, attempt });
}

/** What every running status accepts. */
const anyTime: Pick<Row, "usage" | "tick" | "cancel"> = {
  usage: { handle: nothing },
  tick: { handle: nothing },
  cancel,
};

/** What a run that ended accepts: `tick` and `resume`, which change nothing. */
const ended: Row = { tick: { handle: nothing }, resume: { handle: nothing } };

const TABLE: Readonly<Record<RunStatus, Row>> = {
  idle: { start: { handle: startRun }, resume: { handle: startRun }, ...anyTime },
  planning: {
    plan: { handle: takePlan },
    "plan-step": { handle: takePlanStep },
    "plan-end": { handle: endPlanStream },
    "plan-error": { handle: plannerFailed },
    "step-finish": stepReport(finishStep),
    "step-fail": stepReport(failStep),
    ...settling,
    resume: resume(callPlannerAgain),
    ...anyTime,
  },
  approving: {
    approve: {
      refuses: (state) =>
        state.plan ? undefined : `no plan is waiting for approval (the run is ${state.status})`,
      handle: approvePlan,
    },
    resume: resume(),
    ...anyTime,
  },
  executing: {
    "step-finish": stepReport(finishStep),
    "step-fail": stepReport(failStep),
    ...settling,
    "replan-request": {
      refuses: (state) => (state.config.hasReplanner ? undefined : "the run has no replanner"),
      handle: requestReplan,
    },
    resume: resume(),
    ...anyTime,
  },
  replanning: {
    replan: {
      refuses: (state) =>
        state.replanStream
          ? "a streamed patch is under way: replan-end ends it"
          : replanAnswer(takeReplan).refuses!(state),
      handle: takeReplan,
    },
    "replan-step": replanAnswer(takeReplanStep),
    "replan-end": replanAnswer(endReplanStream),
    "replan-error": replanAnswer((draft, input) => {
      const kept = undoReplanStream(draft); // a call that failed mid-stream: its unstarted entries are undone
      replannerFailed(draft, input);
      rememberKept(draft, kept);
    }),
    "step-finish": stepReport(finishStep),
    "step-fail": stepReport(failStep),
    ...settling,
    resume: resume(callReplannerAgain),
    ...anyTime,
  },
  completed: ended,
  failed: ended,
  cancelled: ended,
  "budget-exceeded": ended,
};

/** Why a running status has no rule for an input type (the message of the error). */
const ABSENT: Partial<Record<RunInputType, (status: string) => string>> = {
  start: (status) => `the run is already ${status}`,
  plan: (status) => `no plan was asked for (the run is ${status})`,
  "plan-step": (status) => `no plan was asked for (the run is ${status})`,
  "plan-end": (status) => `no plan was asked for (the run is ${status})`,
  "plan-error": (status) => `no plan was asked for (the run is ${status})`,
  "step-finish": (status) => `no step is running (the run is ${status})`,
  "step-fail": (status) => `no step is running (the run is ${status})`,
  "step-lost": (status) => `no step is running (the run is ${status})`,
  "step-settle": (status) => `no step is waiting to be settled (the run is ${status})`,
  "settle-error": (status) => `no step is waiting to be settled (the run is ${status})`,
  replan: (status) => `no replan was asked for (the run is ${status})`,
  "replan-step": (status) => `no replan was asked for (the run is ${status})`,
  "replan-end": (status) => `no replan was asked for (the run is ${status})`,
  "replan-error": (status) => `no replan was asked for (the run is ${status})`,
  "replan-request": (status) => `the run is ${status}, not executing`,
  approve: (status) => `no plan is waiting for approval (the run is ${status})`,
};

/** The row of a status (an unknown status accepts nothing). */
function rowOf(status: string): Row {
  return Object.hasOwn(TABLE, status) ? TABLE[status as RunStatus] : {};
}

/**
 * The rule for `input` in `state`; the one place that decides whether an input is legal.
 *
 * @throws {IllegalTransitionError} when the state does not accept the input, saying why.
 */
export function ruleFor(state: RunState, input: RunInput): InputRule<RunInputType> {
  const { type } = input;
  const row = rowOf(state.status);
  const rule = (Object.hasOwn(row, type) ? row[type] : undefined) as InputRule<RunInputType> | undefined;
  let why: string | undefined;
  if (!rule) {
    if (isTerminal(state)) why = `the run has already ended (${state.status})`;
    else if (!INPUT_TYPES.includes(type)) why = "unknown input type";
    else why = ABSENT[type]?.(state.status) ?? `the run is ${state.status}`;
  } else why = rule.refuses?.(state) ?? rule.refusesInput?.(state, input);
  if (why !== undefined) throw new IllegalTransitionError(type, why);
  return rule!;
}

/**
 * The input types that `state` accepts now: `transition(state, input)` throws
 * `IllegalTransitionError` for an input of any other type. A `step-finish` or `step-fail` must
 * also name a running step and its current attempt; a `step-settle`, a step waiting to be settled.
 *
 * @param state - a run state.
 * @returns the accepted types, in a fixed order (`start`, `plan`, `plan-step`, `plan-end`,
 *   `plan-error`, `step-finish`, `step-fail`, `step-lost`, `step-settle`, `settle-error`, `replan`,
 *   `replan-step`, `replan-end`, `replan-error`,
 *   `replan-request`, `approve`, `usage`, `tick`, `resume`,
 *   `cancel`).
 * @example
 * ```ts
 * acceptedInputs(createRun({ runId: "r1", goal: "Greet" })); // ["start", "usage", "tick", "resume", "cancel"]
 * ```
 */
export function acceptedInputs(state: RunState): readonly RunInputType[] {
  const row = rowOf(state.status);
  return INPUT_TYPES.filter((type) => {
    const rule = row[type] as InputRule<RunInputType> | undefined;
    return rule !== undefined && rule.refuses?.(state) === undefined;
  });
}
