/**
 * The pure state machine: `transition(state, input)` returns the next state, the effects to
 * perform (call the planner, execute a step, call the replanner, abort) and the progress events to
 * publish. It performs nothing itself, reads no clock (every input carries `at`) and never mutates
 * what it is given.
 *
 * Where things are: the inputs, effects and events in `run-messages.ts`; which status accepts which
 * input, and the handler of each, in `transition-table.ts` (handlers in `planning.ts`,
 * `replanning.ts` and `step-reports.ts`); what follows every input (replans, ready steps, the end)
 * in `scheduling.ts`; budgets in `budgets.ts`; the copy-on-write state in `draft.ts`.
 *
 * @module
 */
import { endIfOverBudget } from "./budgets.js";
import { Draft } from "./draft.js";
import { IllegalTransitionError, ReplanError } from "./errors.js";
import { type RunConfigInput, resolveConfig } from "./run-config.js";
import type { RunInput, TransitionResult } from "./run-messages.js";
import { isTerminal } from "./run-end.js";
import type { RunState } from "./schemas.js";
import { advance } from "./scheduling.js";
import { acceptedInputs, ruleFor } from "./transition-table.js";

// Until index.ts imports them from their own modules:
export { BUDGET_EXCEEDED, llmCallRefusal } from "./budgets.js";
export type { RunConfigInput } from "./run-config.js";
export { resolveConfig } from "./run-config.js";
export type {
  Effect,
  Feedback,
  ModelCallEvent,
  ModelRole,
  RunEvent,
  RunInput,
  TransitionResult,
} from "./run-messages.js";
export { isTerminal } from "./run-end.js";
export { stepKey } from "./step-reports.js";
export { acceptedInputs };

/**
 * A new run, not yet started: feed it `{ type: "start", at }`.
 *
 * @param options - the run id, the goal and the limits.
 * @example
 * ```ts
 * let { state, effects } = transition(createRun({ runId: "r1", goal: "Ship it" }), { type: "start", at: Date.now() });
 * // effects: [{ type: "call-planner", attempt: 1, feedback: null }]
 * ```
 */
export function createRun(options: { runId: string; goal: string; config?: RunConfigInput }): RunState {
  const { runId, goal, config } = options;
  if (typeof goal !== "string" || goal.trim() === "") {
    throw new ReplanError("invalid-options", 'Option "goal" must be a non-empty string');
  }
  return {
    version: 1,
    runId,
    goal,
    status: "idle",
    plan: null,
    history: [],
    replan: null,
    config: resolveConfig(config),
    usage: { llmCalls: 0, promptTokens: 0, completionTokens: 0 },
    planAttempts: 0,
    replans: 0,
    failedReplans: 0,
    feedback: null,
    outcome: null,
  };
}

/**
 * Computes the next state of a run, the effects to perform and the events to publish.
 *
 * Legal moves only (see {@link acceptedInputs}): finishing a step that is not running, an answer
 * from a planner that was not asked, or any input after the run ended, throws
 * {@link IllegalTransitionError}. Bad data from a planner, replanner or executor is not illegal:
 * it is recorded (an invalid plan is sent back for repair, a failing step is marked failed and
 * triggers a replan).
 *
 * @param state - the current state (not modified).
 * @param input - what happened.
 * @throws {IllegalTransitionError} for a move the state does not allow.
 * @example
 * ```ts
 * let run = createRun({ runId: "r1", goal: "Greet" });
 * ({ state: run } = transition(run, { type: "start", at: 0 }));
 * const next = transition(run, {
 *   type: "plan", at: 1, output: [{ id: "hello", kind: "agent", description: "Say hello" }],
 * });
 * next.effects; // [{ type: "execute-step", stepId: "hello", attempt: 1, key: "r1:0:hello", delayMs: 0 }]
 * ```
 */
export function transition(state: RunState, input: RunInput): TransitionResult {
  const rule = ruleFor(state, input);
  const draft = new Draft(state);
  if (isTerminal(state)) return draft.result(); // `tick` or `resume` after the end: nothing to do
  rule.handle(draft, input);
  if ("usage" in input && input.usage) draft.addUsage(input.usage);
  if (!draft.ended) endIfOverBudget(draft, input.at);
  if (!draft.ended) advance(draft, input.at);
  return draft.result();
}
