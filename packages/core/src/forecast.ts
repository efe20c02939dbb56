/**
 * The forecast of a plan, for the person who approves it: its critical path, the model calls the
 * run will make if nothing fails, an estimate of the tokens, and the steps that write. Pure: it
 * reads the plan and the options, and runs nothing.
 *
 * @module
 */
import { type CriticalPath, criticalPath, isToCome } from "./critical-path.js";
import { coreDefaults } from "./defaults.js";
import { EFFECT_CLASSES, effectOf } from "./effects.js";
import { checkOptions, rules } from "./options.js";
import { invalidOptions } from "./run-config.js";
import { type EffectDeclarations, type Plan, PlanSchema, type Step, type Usage } from "./schemas.js";
import { noUsage } from "./usage.js";

/** How many model calls one unit of work makes: at least `least`, at most `most` (absent: no known bound). */
export interface CallRange {
  least: number;
  most?: number;
}

/** The assumptions behind the token estimate; see {@link forecastPlan}. */
export interface TokenAssumptions {
  /**
   * Characters of text per token.
   * @default 4
   */
  charsPerToken?: number;
  /**
   * Characters every call sends besides the plan's own text (system prompt, tool schemas).
   * @default 0
   */
  promptChars?: number;
  /**
   * Characters of one step's result as a later prompt shows it (a dependency's result, a result
   * shown to the checker or to the final answer).
   * @default 500
   */
  resultChars?: number;
  /**
   * Tokens one call answers with.
   * @default 256
   */
  outputTokens?: number;
}

/** Options of {@link forecastPlan}: what each kind of work costs in model calls, and what was spent. */
export interface ForecastOptions {
  /**
   * What the run spent so far (the planner's calls, repairs included), counted as made.
   * @default no usage
   */
  usage?: Partial<Usage>;
  /**
   * Model calls of one agent step if nothing fails: a number, or `{ least, most }` (the default
   * executor of `@replan/langgraph` makes at least 1 call, at most `maxToolIterations`).
   * @default 1
   */
  agentStepCalls?: number | CallRange;
  /**
   * Model calls of the checker for one step (every step is checked when the run has a checker).
   * @default 0
   */
  checkCalls?: number | CallRange;
  /**
   * Model calls once the steps are done (1 for `@replan/langgraph`'s final answer; `runPlan` makes none).
   * @default 0
   */
  answerCalls?: number;
  /** The assumptions behind the token estimate. */
  tokens?: TokenAssumptions;
  /**
   * The run's effect declarations (`state.config.effects`), for steps that recorded no class of
   * their own (see `effectOf`): an undeclared tool or executor is `write`.
   * @default {}
   */
  effects?: EffectDeclarations;
}

/** What a plan will cost if nothing fails; see {@link forecastPlan}. */
export interface PlanForecast {
  /** The steps still to run (pending or running), by kind: what the counts below are made of. */
  steps: { agent: number; tool: number };
  /** The longest chain of dependencies among the steps still to run. */
  criticalPath: CriticalPath;
  /**
   * Model calls: `made` so far, then those to come for the agent steps, the checks and the answer;
   * `total` is their sum, the calls of the whole run if nothing fails and each step makes its
   * least calls; `most` the same with each step's most (null when a bound is not known).
   */
  modelCalls: {
    made: number;
    agentSteps: number;
    checks: number;
    answer: number;
    total: number;
    most: number | null;
  };
  /**
   * Tokens: `made` so far (as reported), an `estimate` of those to come (see {@link forecastPlan}),
   * and their sum. An estimate from the plan's text size, not a count.
   */
  tokens: { made: number; estimate: number; total: number };
  /** The steps still to run whose effect class is `write` (an effect that must not repeat), in plan order. */
  writes: string[];
}

const callCount = rules.integer({ min: 0, max: 1_000_000 });
const callRange = rules.either(
  callCount,
  rules.object({ least: rules.required(callCount), most: callCount }),
);
const optionRules = {
  usage: rules.object({
    llmCalls: rules.number({ min: 0 }),
    promptTokens: rules.number({ min: 0 }),
    completionTokens: rules.number({ min: 0 }),
  }),
  agentStepCalls: callRange,
  checkCalls: callRange,
  answerCalls: callCount,
  tokens: rules.object({
    charsPerToken: rules.number({ above: 0 }),
    promptChars: rules.integer({ min: 0 }),
    resultChars: rules.integer({ min: 0 }),
    outputTokens: rules.integer({ min: 0 }),
  }),
  effects: rules.object({
    tools: rules.record(rules.oneOf(EFFECT_CLASSES), rules.toolName()),
    agent: rules.oneOf(EFFECT_CLASSES),
  }),
};

/** A plan as `forecastPlan` accepts it (any revision, with its steps' progress). */
const planRule = rules.required(
  rules.custom("be a plan (see PlanSchema)", (value): value is Plan => PlanSchema.safeParse(value).success),
);

/**
 * Forecasts a plan: what the run will cost if nothing fails from here on.
 *
 * Counted: the steps still to run (pending or running; done, failed, skipped and cancelled steps
 * cost nothing more). Model calls: `usage.llmCalls` already made, plus `agentStepCalls` per agent
 * step, `checkCalls` per step (agent and tool) and `answerCalls`; tool steps call no model. Tokens:
 * `usage`'s tokens made, plus, for each call to come, `outputTokens` and a prompt of
 * `promptChars` + its text / `charsPerToken`, where the text is: for an agent step, the goal, its
 * description and `resultChars` per dependency; for a check, the description and `resultChars`;
 * for the answer, the goal and each step's description plus `resultChars`. Retries, repairs,
 * replans and the growth of a tool-calling conversation are not forecast. `writes` flags the steps
 * still to run whose effect class (`effectOf(step, effects)`) is `write`.
 *
 * @param plan - a plan (e.g. `state.plan`, or the `plan-end` event's).
 * @param options - the calls each kind of work makes, the usage so far, the token assumptions.
 * @throws {ReplanError} `invalid-options` for a bad option or something that is not a plan;
 *   `invalid-plan` when steps still to run depend on each other in a cycle.
 * @example
 * ```ts
 * const forecast = forecastPlan(plan, { usage: state.usage, agentStepCalls: { least: 1, most: 8 } });
 * console.log(forecast.modelCalls.total, forecast.criticalPath.steps);
 * ```
 */
export function forecastPlan(plan: Plan, options: ForecastOptions = {}): PlanForecast {
  const checked = checkOptions(
    { plan, ...options },
    { plan: planRule, ...optionRules },
    { where: "forecastPlan", error: invalidOptions },
  );
  const toCome = checked.plan.steps.filter(isToCome);
  const agent = toCome.filter((step) => step.kind === "agent").length;
  const perStep = rangeOf(checked.agentStepCalls, coreDefaults.forecast.agentStepCalls, "agentStepCalls");
  const perCheck = rangeOf(checked.checkCalls, coreDefaults.forecast.checkCalls, "checkCalls");
  const answer = checked.answerCalls ?? coreDefaults.forecast.answerCalls;
  const usage = { ...noUsage(), ...checked.usage };
  const made = usage.llmCalls;
  const agentSteps = agent * perStep.least;
  const checks = toCome.length * perCheck.least;
  const most =
    perStep.most === undefined || perCheck.most === undefined
      ? null
      : made + agent * perStep.most + toCome.length * perCheck.most + answer;
  const { charsPerToken, promptChars, resultChars, outputTokens } = coreDefaults.forecast;
  const estimate = estimateTokens(checked.plan, toCome, {
    charsPerToken,
    promptChars,
    resultChars,
    outputTokens,
    ...checked.tokens,
    agentStepCalls: perStep.least,
    checkCalls: perCheck.least,
    answerCalls: answer,
  });
  const tokensMade = usage.promptTokens + usage.completionTokens;
  return {
    steps: { agent, tool: toCome.length - agent },
    criticalPath: criticalPath(checked.plan.steps),
    modelCalls: { made, agentSteps, checks, answer, total: made + agentSteps + checks + answer, most },
    tokens: { made: tokensMade, estimate, total: tokensMade + estimate },
    writes: toCome.filter((step) => effectOf(step, checked.effects) === "write").map((step) => step.id),
  };
}

/** A number or a range, as a range. */
function rangeOf(value: number | CallRange | undefined, fallback: number, option: string): CallRange {
  if (value === undefined) return { least: fallback, most: fallback };
  if (typeof value === "number") return { least: value, most: value };
  if (value.most !== undefined && value.least > value.most) {
    throw invalidOptions(
      `forecastPlan: option "${option}" must have least <= most, got least ${value.least} and most ${value.most}`,
    );
  }
  return value;
}

/** The token estimate of the calls to come; see {@link forecastPlan}. */
function estimateTokens(
  plan: Plan,
  toCome: readonly Step[],
  costs: Required<TokenAssumptions> & { agentStepCalls: number; checkCalls: number; answerCalls: number },
): number {
  const { charsPerToken, promptChars, resultChars, outputTokens } = costs;
  const call = (chars: number) => Math.ceil((promptChars + chars) / charsPerToken) + outputTokens;
  let tokens = 0;
  for (const step of toCome) {
    if (step.kind === "agent") {
      const text = plan.goal.length + step.description.length + step.dependsOn.length * resultChars;
      tokens += costs.agentStepCalls * call(text);
    }
    tokens += costs.checkCalls * call(step.description.length + resultChars);
  }
  if (costs.answerCalls > 0) {
    const shown = plan.steps.reduce((sum, step) => sum + step.description.length + resultChars, 0);
    tokens += costs.answerCalls * call(plan.goal.length + shown);
  }
  return tokens;
}
