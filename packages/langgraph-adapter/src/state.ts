import { MessagesValue, StateSchema } from "@langchain/langgraph";
import {
  type Plan,
  PlanSchema,
  RunOutcomeSchema,
  type RunState,
  RunStateSchema,
  resultsOf,
} from "@replan/core";
import { z } from "zod";
import { PendingReplanSchema } from "./reapproval.js";

/**
 * The graph's state, as a LangGraph `StateSchema` (zod v4). Extend it, or share its `messages` key
 * with a parent graph.
 *
 * - `messages`: chat history; the last human message is the goal, the final answer is appended.
 * - `goal`: the goal, when not given as a message.
 * - `plan`: the current plan with every step's status, result or error.
 * - `results`: the results of the done steps, by step id.
 * - `outcome`: how the run ended (`completed`, `failed`, `cancelled`, `budget-exceeded`) and why.
 * - `answer`: the final answer's text.
 * - `run`: the state machine's bookkeeping (status, usage, replan count, earlier revisions);
 *   its `plan` field is null, the plan being kept in `plan`.
 * - `pendingReplan`: a replan held until a person approves it (`reapprove`), else null.
 */
export const PlanExecuteState = new StateSchema({
  messages: MessagesValue,
  goal: z.string().optional(),
  plan: PlanSchema.nullable().default(null),
  results: z.record(z.string(), z.unknown()).default(() => ({})),
  outcome: RunOutcomeSchema.nullable().default(null),
  answer: z.string().nullable().default(null),
  run: RunStateSchema.nullable().default(null),
  pendingReplan: PendingReplanSchema.nullable().default(null),
});

/** The state's value type. */
export type PlanExecuteStateType = typeof PlanExecuteState.State;
/** The state's update type (what nodes return, and the graph's input). */
export type PlanExecuteUpdate = typeof PlanExecuteState.Update;

/** The run with its plan, from the state's `run` and `plan` keys. */
export function assembleRun(state: Pick<PlanExecuteStateType, "run" | "plan">): RunState | null {
  return state.run ? { ...state.run, plan: state.plan } : null;
}

/** The state update that stores `run` (plan kept once, in `plan`). */
export function runUpdate(run: RunState): {
  run: RunState;
  plan: Plan | null;
  results: Record<string, unknown>;
  outcome: RunState["outcome"];
} {
  const results = run.plan ? resultsOf(run.plan) : {};
  return { run: { ...run, plan: null }, plan: run.plan, results, outcome: run.outcome };
}
