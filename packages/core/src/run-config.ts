/**
 * A run's limits: the options a run takes (`RunConfigInput`) and their resolution, checked and
 * completed from `coreDefaults`, into the `RunConfig` that the state keeps.
 *
 * @module
 */
import { coreDefaults } from "./defaults.js";
import { ReplanError } from "./errors.js";
import { checkOptions, MAX_DELAY_MS, rules, type Shape } from "./options.js";
import { EFFECT_CLASSES } from "./effects.js";
import type { EffectDeclarations, RunConfig } from "./schemas.js";

/** Limits and policies of a run; every field is optional and has a bounded default. */
export interface RunConfigInput {
  /**
   * Most steps running at once.
   * @default 4
   */
  concurrency?: number;
  /**
   * Most steps in a plan (kept steps included); a larger plan is invalid.
   * @default 50
   */
  maxSteps?: number;
  /**
   * Most replanner calls in a run, failed ones included. 0 turns replanning off.
   * @default 3
   */
  maxReplans?: number;
  /**
   * How many times one step (by id: the step and the replacements the replanner gives it under
   * the same id) may fail the same way (same error code and message) before its branch ends: its
   * failure is not sent to the replanner again, its dependents never run, the other branches go on,
   * and the run ends `failed`. Counted besides `maxReplans`.
   * @default 2
   */
  maxIdenticalFailures?: number;
  /**
   * Attempts per step (1 means no retry). Only retryable failures are retried.
   * @default 1
   */
  maxAttempts?: number;
  /**
   * Planner calls for the first plan: an invalid plan is sent back once for repair by default.
   * @default 2
   */
  maxPlanAttempts?: number;
  /** Most LLM calls in the run, as reported by the injected functions. Unlimited when unset. */
  maxLlmCalls?: number;
  /** Most prompt + completion tokens in the run, as reported. Unlimited when unset. */
  maxTokens?: number;
  /** Most wall-clock time for the whole run, in ms (at most 2_147_483_647). Unlimited when unset or `Infinity`. */
  maxWallTimeMs?: number;
  /**
   * Delay before the first retry of a step, in ms (at most 2_147_483_647); doubled for each further retry.
   * @default 250
   */
  retryBackoffMs?: number;
  /**
   * Longest delay between retries, in ms (at most 2_147_483_647, or `Infinity`: no cap but the
   * longest delay a timer waits).
   * @default 10000
   */
  maxRetryBackoffMs?: number;
  /**
   * Whether a replanner is available. Without one, a failed step ends its branch and the run fails.
   * @default true
   */
  hasReplanner?: boolean;
  /**
   * Whether a new plan waits for an `approve` input (status `approving`) before any step starts.
   * @default false
   */
  requireApproval?: boolean;
  /**
   * The effect class of each tool (`tools`, by name) and of the executor of agent steps (`agent`):
   * `read`, `idempotent` or `write`. Each new step records its class (`step.effect`); a resumed run
   * re-runs an interrupted step only when it is `read` or `idempotent`. Undeclared tools, and the
   * executor when `agent` is absent, are `write`. `runPlan` fills this from its tools' declarations.
   * @default {} (everything `write`)
   */
  effects?: EffectDeclarations;
}

/** A limit that may be absent: a number >= 0 (`Infinity` means no limit). */
const limit = rules.custom(
  "be a number >= 0",
  (value): value is number => typeof value === "number" && value >= 0,
);

/** The rule of every field of {@link RunConfigInput}, for `checkOptions`. */
export const budgetRules = {
  concurrency: rules.integer({ min: 1 }),
  maxSteps: rules.integer({ min: 1 }),
  maxReplans: rules.integer({ min: 0 }),
  maxIdenticalFailures: rules.integer({ min: 1 }),
  maxAttempts: rules.integer({ min: 1 }),
  maxPlanAttempts: rules.integer({ min: 1 }),
  maxLlmCalls: limit,
  maxTokens: limit,
  maxWallTimeMs: rules.delay({ infinite: true }),
  retryBackoffMs: rules.delay(),
  maxRetryBackoffMs: rules.delay({ infinite: true }),
  hasReplanner: rules.boolean(),
  requireApproval: rules.boolean(),
  effects: rules.object(
    {
      tools: rules.record(rules.oneOf(EFFECT_CLASSES)),
      agent: rules.oneOf(EFFECT_CLASSES),
    },
    "effects",
  ),
} as const satisfies Shape;

/** Makes core's error for a bad option. */
export function invalidOptions(message: string): ReplanError<"invalid-options"> {
  return new ReplanError("invalid-options", message);
}

/**
 * Resolves and checks a run's limits: every field is checked, an unknown one is refused, and
 * absent ones get their default from `coreDefaults`.
 *
 * @param input - partial limits.
 * @throws {ReplanError} `invalid-options`, naming the option: `Option "concurrency" must be an
 *   integer >= 1, got 0`.
 * @example
 * ```ts
 * resolveConfig({ concurrency: 2 }).maxReplans; // 3
 * ```
 */
export function resolveConfig(input: RunConfigInput = {}): RunConfig {
  return withDefaults(checkOptions(input, budgetRules, { where: "resolveConfig", error: invalidOptions }));
}

/** Limits already checked against {@link budgetRules}, with their defaults. */
export function withDefaults(input: RunConfigInput): RunConfig {
  const {
    concurrency = coreDefaults.concurrency,
    maxSteps = coreDefaults.maxSteps,
    maxReplans = coreDefaults.maxReplans,
    maxIdenticalFailures = coreDefaults.maxIdenticalFailures,
    maxAttempts = coreDefaults.maxAttempts,
    maxPlanAttempts = coreDefaults.maxPlanAttempts,
    maxLlmCalls,
    maxTokens,
    maxWallTimeMs,
    retryBackoffMs = coreDefaults.retryBackoffMs,
    maxRetryBackoffMs = coreDefaults.maxRetryBackoffMs,
    hasReplanner = coreDefaults.hasReplanner,
    requireApproval = coreDefaults.requireApproval,
    effects,
  } = input;
  return {
    concurrency,
    maxSteps,
    maxReplans,
    maxIdenticalFailures,
    maxAttempts,
    maxPlanAttempts,
    ...(maxLlmCalls !== undefined && Number.isFinite(maxLlmCalls) ? { maxLlmCalls } : {}),
    ...(maxTokens !== undefined && Number.isFinite(maxTokens) ? { maxTokens } : {}),
    ...(maxWallTimeMs !== undefined && Number.isFinite(maxWallTimeMs) ? { maxWallTimeMs } : {}),
    retryBackoffMs,
    // Infinity (no cap) is kept as the longest delay a timer waits: a state stays plain JSON.
    maxRetryBackoffMs: Math.min(maxRetryBackoffMs, MAX_DELAY_MS),
    hasReplanner,
    requireApproval,
    ...(effects === undefined ? {} : { effects: copyEffects(effects) }),
  };
}

/** A plain copy of checked declarations (the state never shares the caller's objects). */
function copyEffects(effects: EffectDeclarations): EffectDeclarations {
  const { tools, agent } = effects;
  return {
    ...(tools === undefined ? {} : { tools: Object.fromEntries(Object.entries(tools)) }),
    ...(agent === undefined ? {} : { agent }),
  };
}
