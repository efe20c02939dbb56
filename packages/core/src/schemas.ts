/**
 * zod v4 schemas, and the types inferred from them, for steps, plans and run state.
 *
 * A planner produces {@link StepSpec}s (what to do); the state machine turns them into {@link Step}s
 * (what to do, plus how it went).
 *
 * @module
 */
import { z } from "zod";
import type { PlanIssue } from "./errors.js";
import { coreDefaults } from "./defaults.js";

/** Pattern of a step id: letters, digits, `_` and `-`, at most 64 characters. */
export const STEP_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A step id, e.g. `"fetch-users"` or `"s1"`. */
export const StepIdSchema = z
  .string()
  .regex(STEP_ID_PATTERN, "a step id uses letters, digits, '_' and '-' (1 to 64 characters)");

const specBase = {
  /** Unique within the plan; other steps name it in `dependsOn` and in `${id}` references. */
  id: StepIdSchema,
  /** What the step does, in words; an agent step's task, a tool step's explanation. */
  description: z.string().min(1),
  /** Ids of the steps that must be done before this one starts. */
  dependsOn: z.array(StepIdSchema).default([]),
};

/** A free-text task that an executor (usually an LLM with tools) carries out. */
export const AgentStepSpecSchema = z.object({
  ...specBase,
  kind: z.literal("agent"),
});

/**
 * A call of a named tool with arguments, run with no LLM call. String arguments may refer to the
 * results of the step's dependencies: `"${s1}"` is s1's whole result (keeping its type when the
 * string is just the reference), `"${s1.items.0.name}"` a part of it, and references inside
 * longer strings are interpolated as text.
 */
export const ToolStepSpecSchema = z.object({
  ...specBase,
  kind: z.literal("tool"),
  /** The registered tool's name. */
  tool: z.string().min(1),
  /** The tool's arguments, possibly with `${id}` references. */
  args: z.record(z.string(), z.unknown()).default({}),
});

/** What a planner produces for one step: an agent step or a tool step. */
export const StepSpecSchema = z.discriminatedUnion("kind", [AgentStepSpecSchema, ToolStepSpecSchema]);

/** A planner's or replanner's output: the steps, in a sensible reading order. */
export const PlanSpecSchema = z.object({ steps: z.array(StepSpecSchema) });

/** The life of a step. `skipped`: never run because a dependency failed; `cancelled`: the run stopped. */
export const StepStatusSchema = z.enum(["pending", "running", "done", "failed", "skipped", "cancelled"]);

/** Why a step failed: a stable code (e.g. `step-timeout`, `unknown-tool`, `unexpected-result`) and a message. */
export const StepErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
});

/**
 * What running a step does to the world: `read` changes nothing, `idempotent` is safe to repeat
 * with the same idempotency key, `write` is an effect that must not repeat. See `effectOf`.
 */
export const EffectClassSchema = z.enum(["read", "idempotent", "write"]);

/**
 * The effect class of each tool, by name, and of the executor of agent steps. A tool that is not
 * named, and the executor when `agent` is absent, count as `write`.
 */
export const EffectDeclarationsSchema = z.object({
  tools: z.record(z.string(), EffectClassSchema).optional(),
  agent: EffectClassSchema.optional(),
});

/**
 * How a step whose attempt's outcome was unknown (in flight when a run stopped, or a `write`
 * attempt that failed without ruling its effect out) was settled: `re-run` (a `read` or
 * `idempotent` step, run again), `reconciled` (its tool's `reconcile` hook said whether the effect
 * happened), `settled-by-person` (a person said so), or `unsettled` (a `write` step waiting for
 * one of those, or failed because nothing could settle it: see `unknownEffect`).
 */
export const StepSettlementSchema = z.enum(["unsettled", "re-run", "reconciled", "settled-by-person"]);

const stepRuntime = {
  status: StepStatusSchema,
  /**
   * The step's effect class, recorded when the step is made (from the run's `config.effects`).
   * Absent only in states saved before effect classes existed: `effectOf` then reads the declarations.
   */
  effect: EffectClassSchema.optional(),
  /**
   * How the step was settled after its attempt was cut short by a crash (see `StepSettlementSchema`);
   * absent for a step that no resume touched.
   */
  settlement: StepSettlementSchema.optional(),
  /**
   * A `write` attempt whose effect is unknown and not settled yet: the idempotency key its call was
   * given, and what cut it short (`crash`: in flight when the run stopped; `failure`: it failed in
   * a way that does not rule the effect out: a throw without `effectHappened: false`, a timeout, a
   * result that could not be kept). On a step a replan wrote again with the same effect, the
   * earlier step's. Such a step never runs again before this is settled (see `settle-step`).
   */
  unknownEffect: z.object({ key: z.string(), cause: z.enum(["crash", "failure"]) }).optional(),
  /** The executor's or tool's result (JSON-serializable), also kept for unexpected results. */
  result: z.unknown().optional(),
  /** Set when the step failed. */
  error: StepErrorSchema.optional(),
  /** Attempts started so far (retries included). */
  attempts: z.number().int().nonnegative(),
  /** When the first attempt started (ms since the epoch, from the injected clock). */
  startedAt: z.number().optional(),
  /** When the step reached done, failed, skipped or cancelled. */
  endedAt: z.number().optional(),
  /** The plan revision that introduced the step (0 for the first plan). */
  revision: z.number().int().nonnegative(),
};

/** An agent step together with its progress. */
export const AgentStepSchema = AgentStepSpecSchema.extend(stepRuntime);
/** A tool step together with its progress. */
export const ToolStepSchema = ToolStepSpecSchema.extend(stepRuntime);
/** A step together with its progress. */
export const StepSchema = z.discriminatedUnion("kind", [AgentStepSchema, ToolStepSchema]);

/** A plan: the goal and its steps, at a given revision. */
export const PlanSchema = z.object({
  goal: z.string(),
  /** 0 for the planner's plan, then one more for every successful replan. */
  revision: z.number().int().nonnegative(),
  steps: z.array(StepSchema),
});

/** Usage that the planner, replanner and executors report; counted against the budget. */
export const UsageSchema = z.object({
  llmCalls: z.number().nonnegative(),
  promptTokens: z.number().nonnegative(),
  completionTokens: z.number().nonnegative(),
});

/** Why a replan was asked for. */
export const ReplanReasonSchema = z.object({
  trigger: z.enum(["step-failed", "unexpected-result", "requested"]),
  /** The failed or unexpected steps (empty for a replan on demand). */
  stepIds: z.array(z.string()),
  message: z.string(),
});

/** One earlier revision of the plan, as it stood when it was replaced. */
export const PlanRevisionSchema = z.object({
  revision: z.number().int().nonnegative(),
  steps: z.array(StepSchema),
  /** Why it was replaced. */
  reason: ReplanReasonSchema,
  /** When it was replaced. */
  replacedAt: z.number(),
});

/** The limits a run is held to, resolved with defaults. */
export const RunConfigSchema = z.object({
  concurrency: z.number().int().positive(),
  maxSteps: z.number().int().positive(),
  maxReplans: z.number().int().nonnegative(),
  /** Identical failures of one step id that end its branch (states saved before it existed: 2). */
  maxIdenticalFailures: z.number().int().positive().default(coreDefaults.maxIdenticalFailures),
  maxAttempts: z.number().int().positive(),
  maxPlanAttempts: z.number().int().positive(),
  maxLlmCalls: z.number().nonnegative().optional(),
  maxTokens: z.number().nonnegative().optional(),
  maxWallTimeMs: z.number().positive().optional(),
  retryBackoffMs: z.number().nonnegative(),
  maxRetryBackoffMs: z.number().nonnegative(),
  hasReplanner: z.boolean(),
  /** Whether a new plan waits (status `approving`) for an `approve` input before any step starts. */
  requireApproval: z.boolean().default(false),
  /** The effect class of each tool and of the executor; undeclared ones are `write`. See `effectOf`. */
  effects: EffectDeclarationsSchema.optional(),
});

/** Which budget ran out. */
export const BudgetNameSchema = z.enum(["replans", "llmCalls", "tokens", "wallTime"]);

/** How and why a run ended. */
export const RunOutcomeSchema = z.object({
  status: z.enum(["completed", "failed", "cancelled", "budget-exceeded"]),
  reason: z.string(),
  /** Set when `status` is `budget-exceeded`. */
  budget: BudgetNameSchema.optional(),
  /** Set when the run failed for a reason other than a step (e.g. the planner gave up). */
  error: StepErrorSchema.optional(),
});

/** A problem found in a plan (see `PlanIssue`: its code is one of `PlanIssue["code"]`). */
export const PlanIssueSchema = z.object({
  code: z.custom<PlanIssue["code"]>((value) => typeof value === "string"),
  stepIds: z.array(z.string()),
  message: z.string(),
});

/** What a planner call streamed so far (see `RunState.planStream`). */
export const PlanStreamSchema = z.object({
  /** Ids of the steps this call wrote that are in the plan (taken, or repeating a kept step), in order. */
  streamed: z.array(z.string()),
  /** Why steps it wrote were not taken (the first few). */
  issues: z.array(PlanIssueSchema),
  /** How many steps it wrote were not taken. */
  rejected: z.number().int().nonnegative(),
});

/** What a replanner call streamed so far (see `RunState.replanStream`). */
export const ReplanStreamSchema = z.object({
  /** Ids of the steps its entries removed, added and replaced, in order (taken entries only). */
  removed: z.array(z.string()),
  added: z.array(z.string()),
  replaced: z.array(z.string()),
  /** Ids its entries would have removed or replaced but that had started meanwhile (dropped). */
  conflicts: z.array(z.string()),
  /** Why entries it wrote were not taken (the first few). */
  issues: z.array(PlanIssueSchema),
  /** How many entries it wrote were not taken. */
  rejected: z.number().int().nonnegative(),
});

/** The phase of a run. The last four are final. */
export const RunStatusSchema = z.enum([
  "idle",
  "planning",
  "approving",
  "executing",
  "replanning",
  "completed",
  "failed",
  "cancelled",
  "budget-exceeded",
]);

/** Everything about a run, as plain JSON: what {@link transition} reads and returns. */
export const RunStateSchema = z.object({
  version: z.literal(1),
  runId: z.string(),
  goal: z.string(),
  status: RunStatusSchema,
  plan: PlanSchema.nullable(),
  history: z.array(PlanRevisionSchema),
  /**
   * The replan under way, while `status` is `replanning`: why, and the ids of the steps that were
   * done or running when the replanner was called (they are kept; everything else is replaced).
   */
  replan: z
    .object({
      reason: ReplanReasonSchema,
      locked: z.array(z.string()),
      /**
       * Steps of an earlier streamed patch of this replan that were kept as they had started (the
       * patch was invalid at its end): written again as they are, they are no error.
       */
      kept: z.array(z.string()).optional(),
    })
    .nullable(),
  config: RunConfigSchema,
  usage: UsageSchema,
  /** Planner calls made (repairs included). */
  planAttempts: z.number().int().nonnegative(),
  /** Replanner calls made, failed ones included: the number held to `maxReplans`. */
  replans: z.number().int().nonnegative(),
  /** Of those, how many failed (threw, or returned an invalid plan). */
  failedReplans: z.number().int().nonnegative(),
  /**
   * The plan the planner is writing (streaming), while `status` is `planning`: the ids it wrote
   * in this call (taken, or repeating a kept step) and what it wrote that was not taken. Null or
   * absent when no stream is under way.
   */
  planStream: PlanStreamSchema.nullable().optional(),
  /**
   * The patch the replanner is writing (streaming), while `status` is `replanning`: what its
   * entries changed so far. Once an entry is taken the plan is at its new revision (the previous
   * one is the last of `history`). Null or absent when no stream is under way.
   */
  replanStream: ReplanStreamSchema.nullable().optional(),
  /** The last invalid planner/replanner output, shown to the next attempt so it can repair it. */
  feedback: z.object({ message: z.string(), output: z.unknown().optional() }).nullable(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  outcome: RunOutcomeSchema.nullable(),
});

/** A step as a planner writes it. */
export type StepSpec = z.infer<typeof StepSpecSchema>;
/** An agent step as a planner writes it. */
export type AgentStepSpec = z.infer<typeof AgentStepSpecSchema>;
/** A tool step as a planner writes it. */
export type ToolStepSpec = z.infer<typeof ToolStepSpecSchema>;
/** A step as a planner may write it before defaults are applied (`dependsOn`, `args` optional). */
export type StepSpecInput = z.input<typeof StepSpecSchema>;
/** What running a step does to the world: `read`, `idempotent` or `write`. */
export type EffectClass = z.infer<typeof EffectClassSchema>;
/** The effect class of each tool, by name, and of the executor of agent steps. */
export type EffectDeclarations = z.infer<typeof EffectDeclarationsSchema>;
/** How a step that was in flight when a run stopped was settled. */
export type StepSettlement = z.infer<typeof StepSettlementSchema>;
/** A `write` attempt whose effect is unknown: the key its call was given, and what cut it short. */
export type UnknownEffect = NonNullable<Step["unknownEffect"]>;
/** A step's status. */
export type StepStatus = z.infer<typeof StepStatusSchema>;
/** A failed step's error. */
export type StepError = z.infer<typeof StepErrorSchema>;
/** A step with its progress. */
export type Step = z.infer<typeof StepSchema>;
/** An agent step with its progress. */
export type AgentStep = z.infer<typeof AgentStepSchema>;
/** A tool step with its progress. */
export type ToolStep = z.infer<typeof ToolStepSchema>;
/** A plan at one revision. */
export type Plan = z.infer<typeof PlanSchema>;
/** LLM usage. */
export type Usage = z.infer<typeof UsageSchema>;
/** Why a replan was asked for. */
export type ReplanReason = z.infer<typeof ReplanReasonSchema>;
/** An earlier revision of the plan. */
export type PlanRevision = z.infer<typeof PlanRevisionSchema>;
/** A run's resolved limits. */
export type RunConfig = z.infer<typeof RunConfigSchema>;
/** The name of a budget. */
export type BudgetName = z.infer<typeof BudgetNameSchema>;
/** How a run ended. */
export type RunOutcome = z.infer<typeof RunOutcomeSchema>;
/** A run's phase. */
export type RunStatus = z.infer<typeof RunStatusSchema>;
/** What a planner call streamed so far. */
export type PlanStream = z.infer<typeof PlanStreamSchema>;
/** What a replanner call streamed so far. */
export type ReplanStream = z.infer<typeof ReplanStreamSchema>;
/** A run's whole state. */
export type RunState = z.infer<typeof RunStateSchema>;
