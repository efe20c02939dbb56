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
import type { IllegalTransitionError } from "./errors.js";
import { checkOptions, rules } from "./options.js";
import {
  budgetRules,
  invalidOptions,
  type RunConfigInput,
  type resolveConfig,
  withDefaults,
} from "./run-config.js";
import type { RunInput, TransitionResult } from "./run-messages.js";
import { isTerminal } from "./run-end.js";
import type { RunState } from "./schemas.js";
import { advance } from "./scheduling.js";
import { ruleFor } from "./transition-table.js";
import { noUsage } from "./usage.js";

/** Options of {@link createRun}. */
export interface CreateRunOptions {
  /** The run's id: part of every step's idempotency key. */
  runId: string;
  /** What to achieve (not blank). */
  goal: string;
  /** The run's limits; see {@link resolveConfig}. The state keeps them, resolved, as `config`. */
  budget?: RunConfigInput;
}

const budgetRule = rules.object(budgetRules, "budget");

/**
 * A new run, not yet started: feed it `{ type: "start", at }`.
 *
 * @param options - the run id, the goal and the limits.
 * @throws {ReplanError} `invalid-options`, naming the option, for a missing or bad option.
 * @example
 * ```ts
 * let { state, effects } = transition(createRun({ runId: "r1", goal: "Ship it" }), { type: "start", at: Date.now() });
 * // effects: [{ type: "call-planner", attempt: 1, feedback: null }]
 * ```
 */
export function createRun(options: CreateRunOptions): RunState {
  const { runId, goal, budget } = checkOptions(
    options,
    {
      runId: rules.required(rules.string()),
      goal: rules.required(rules.string({ nonEmpty: true })),
      budget: budgetRule,
    },
    { where: "createRun", error: invalidOptions },
  );
  return {
    version: 1,
    runId,
    goal,
    status: "idle",
    plan: null,
    history: [],
    replan: null,
    config: withDefaults(budget ?? {}),
    usage: noUsage(),
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
 * Legal moves only (see `acceptedInputs`): finishing a step that is not running, an answer
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
