/**
 * Core's defaults, in one frozen object: every default of `createRun`, `resolveConfig`, `runPlan`,
 * `streamPlan`, `executeStep` and `validatePlan` is read from here.
 *
 * @module
 */

/**
 * The default of every limit and option of `@replan/core`. Frozen: read it, for instance to show
 * the limits a run gets, or to derive your own (`{ ...coreDefaults, maxReplans: 5 }`).
 *
 * @example
 * ```ts
 * import { coreDefaults } from "@replan/core";
 * console.log(`a step may take ${coreDefaults.stepTimeoutMs / 1000} s`); // a step may take 300 s
 * ```
 */
export const coreDefaults = Object.freeze({
  /** Most steps running at once (`budget.concurrency`). */
  concurrency: 4,
  /** Most steps in a plan, kept steps included (`budget.maxSteps`, `validatePlan`'s `maxSteps`). */
  maxSteps: 50,
  /** Most replanner calls in a run, failed ones included (`budget.maxReplans`). */
  maxReplans: 3,
  /**
   * Identical failures (same error code and message) of one step id, across replans, that end its
   * branch instead of asking the replanner again (`budget.maxIdenticalFailures`).
   */
  maxIdenticalFailures: 2,
  /** Attempts per step; 1 means no retry (`budget.maxAttempts`). */
  maxAttempts: 1,
  /** Planner calls for the first plan: one repair of an invalid plan (`budget.maxPlanAttempts`). */
  maxPlanAttempts: 2,
  /** Delay before the first retry of a step, in ms, doubled for each further retry (`budget.retryBackoffMs`). */
  retryBackoffMs: 250,
  /** Longest delay between retries, in ms (`budget.maxRetryBackoffMs`). */
  maxRetryBackoffMs: 10_000,
  /** Whether a replanner is available (`budget.hasReplanner`; `runPlan` sets it from `replanner`). */
  hasReplanner: true,
  /** Whether a new plan waits for an `approve` input (`budget.requireApproval`). */
  requireApproval: false,
  /** Time limit of one attempt of one step, in ms (`runPlan`'s `stepTimeoutMs`). */
  stepTimeoutMs: 300_000,
  /** How long a run that ended waits for work that ignores its abort signal, in ms (`cancelGraceMs`). */
  cancelGraceMs: 5_000,
  /** What `forecastPlan` assumes when not told: model calls per agent step, per check, for the answer, and the token estimate's sizes. */
  forecast: Object.freeze({
    agentStepCalls: 1,
    checkCalls: 0,
    answerCalls: 0,
    charsPerToken: 4,
    promptChars: 0,
    resultChars: 500,
    outputTokens: 256,
  }),
  /** Whether a planner's stream of steps runs as it is written (`runPlan`'s `planStreaming`). */
  planStreaming: true,
} as const);
