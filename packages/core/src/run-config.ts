/**
 * A run's limits: the options a run takes (`RunConfigInput`) and their resolution, checked and
 * completed from `coreDefaults`, into the `RunConfig` that the state keeps.
 *
 * @module
 */
import { coreDefaults } from "./defaults.js";
import { ReplanError } from "./errors.js";
import type { RunConfig } from "./schemas.js";

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
  /** Most wall-clock time for the whole run, in ms. Unlimited when unset. */
  maxWallTimeMs?: number;
  /**
   * Delay before the first retry of a step, in ms; doubled for each further retry.
   * @default 250
   */
  retryBackoffMs?: number;
  /**
   * Longest delay between retries, in ms.
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
}

/**
 * Resolves and checks a run's limits.
 *
 * @param input - partial limits.
 * @throws {ReplanError} `invalid-options`, naming the option, for a value out of range.
 */
export function resolveConfig(input: RunConfigInput = {}): RunConfig {
  const {
    concurrency = coreDefaults.concurrency,
    maxSteps = coreDefaults.maxSteps,
    maxReplans = coreDefaults.maxReplans,
    maxAttempts = coreDefaults.maxAttempts,
    maxPlanAttempts = coreDefaults.maxPlanAttempts,
    maxLlmCalls,
    maxTokens,
    maxWallTimeMs,
    retryBackoffMs = coreDefaults.retryBackoffMs,
    maxRetryBackoffMs = coreDefaults.maxRetryBackoffMs,
    hasReplanner = coreDefaults.hasReplanner,
    requireApproval = coreDefaults.requireApproval,
  } = input;
  const positiveInteger = { concurrency, maxSteps, maxAttempts, maxPlanAttempts };
  for (const [name, value] of Object.entries(positiveInteger)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new ReplanError(
        "invalid-options",
        `Option "${name}" must be a positive integer, got ${String(value)}`,
      );
    }
  }
  if (!Number.isInteger(maxReplans) || maxReplans < 0) {
    throw new ReplanError(
      "invalid-options",
      `Option "maxReplans" must be an integer >= 0, got ${String(maxReplans)}`,
    );
  }
  const optionalLimits = { maxLlmCalls, maxTokens, maxWallTimeMs, retryBackoffMs, maxRetryBackoffMs };
  for (const [name, value] of Object.entries(optionalLimits)) {
    if (value !== undefined && !(typeof value === "number" && value >= 0 && !Number.isNaN(value))) {
      throw new ReplanError(
        "invalid-options",
        `Option "${name}" must be a number >= 0, got ${String(value)}`,
      );
    }
  }
  return {
    concurrency,
    maxSteps,
    maxReplans,
    maxAttempts,
    maxPlanAttempts,
    ...(maxLlmCalls !== undefined && Number.isFinite(maxLlmCalls) ? { maxLlmCalls } : {}),
    ...(maxTokens !== undefined && Number.isFinite(maxTokens) ? { maxTokens } : {}),
    ...(maxWallTimeMs !== undefined && Number.isFinite(maxWallTimeMs) ? { maxWallTimeMs } : {}),
    retryBackoffMs,
    maxRetryBackoffMs,
    hasReplanner,
    requireApproval,
  };
}
