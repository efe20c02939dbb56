/**
 * The run's budgets: the rule that refuses a model call the budget has no room for, and the checks
 * that end a run once a budget (LLM calls, tokens, wall time) is overspent.
 *
 * @module
 */
import type { CoreErrorCode } from "./errors.js";
import type { Draft } from "./draft.js";
import { endRun } from "./run-end.js";
import type { BudgetName, RunState } from "./schemas.js";

/** The error code of a model call refused by the budget (see {@link llmCallRefusal}). */
export const BUDGET_EXCEEDED = "budget-exceeded" satisfies CoreErrorCode;

/**
 * Whether the budget has room for one more model call, given the calls already made (in
 * `state.usage`) and `inFlight` calls that were started but have not reported yet. Drivers ask it
 * before every model call, so that a call that would exceed `maxLlmCalls` is never made.
 *
 * @param state - the run.
 * @param inFlight - calls started whose usage is not in `state.usage` yet.
 * @returns undefined when the call may be made; else the budget that refuses it, with a reason.
 *   The caller then fails with the error code {@link BUDGET_EXCEEDED} (a planner's `plan-error`,
 *   a step's `step-fail`): the run lets what is in flight finish, starts no more model work, and
 *   ends `budget-exceeded`.
 * @example
 * ```ts
 * const refusal = llmCallRefusal(state, inFlight);
 * if (refusal) throw new ReplanError(BUDGET_EXCEEDED, refusal.reason);
 * ```
 */
export function llmCallRefusal(
  state: Pick<RunState, "config" | "usage">,
  inFlight: number,
): { budget: BudgetName; reason: string } | undefined {
  const { config, usage } = state;
  if (config.maxLlmCalls !== undefined && usage.llmCalls + inFlight >= config.maxLlmCalls) {
    return { budget: "llmCalls", reason: `all ${config.maxLlmCalls} LLM calls are used up` };
  }
  const tokens = usage.promptTokens + usage.completionTokens;
  if (config.maxTokens !== undefined && tokens >= config.maxTokens) {
    return { budget: "tokens", reason: `${tokens} tokens used, the budget is ${config.maxTokens}` };
  }
  return undefined;
}

/**
 * Ends the run (`budget-exceeded`) when the budget leaves no room for one more planner or
 * replanner call.
 *
 * @returns whether it ended the run.
 */
export function endIfNoCallLeft(draft: Draft, at: number): boolean {
  const refusal = llmCallRefusal(draft.state, 0);
  if (!refusal) return false;
  endRun(draft, at, { status: "budget-exceeded", ...refusal });
  return true;
}

/** Ends the run (`budget-exceeded`) when the usage or the time so far is over a budget. */
export function endIfOverBudget(draft: Draft, at: number): void {
  const { config, usage, startedAt } = draft.state;
  const over = (budget: BudgetName, reason: string) =>
    endRun(draft, at, { status: "budget-exceeded", budget, reason });
  const tokens = usage.promptTokens + usage.completionTokens;
  if (config.maxLlmCalls !== undefined && usage.llmCalls > config.maxLlmCalls) {
    over("llmCalls", `${usage.llmCalls} LLM calls, over the budget of ${config.maxLlmCalls}`);
  } else if (config.maxTokens !== undefined && tokens > config.maxTokens) {
    over("tokens", `${tokens} tokens, over the budget of ${config.maxTokens}`);
  } else if (
    config.maxWallTimeMs !== undefined &&
    startedAt !== undefined &&
    at - startedAt > config.maxWallTimeMs
  ) {
    over("wallTime", `${at - startedAt} ms, over the budget of ${config.maxWallTimeMs} ms`);
  }
}
