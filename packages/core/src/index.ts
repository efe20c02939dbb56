export type { CoreErrorCode, PlanIssue, ReplanErrorOptions } from "./errors.js";
export { IllegalTransitionError, PlanValidationError, ReplanError } from "./errors.js";
export type { MermaidOptions } from "./mermaid.js";
export { toMermaid } from "./mermaid.js";
export { BUDGET_EXCEEDED, llmCallRefusal } from "./budgets.js";
export type { CallRange, ForecastOptions, PlanForecast, TokenAssumptions } from "./forecast.js";
export { forecastPlan } from "./forecast.js";
export { findReferences, resolveReferences } from "./references.js";
export type { CriticalPath } from "./critical-path.js";
export { criticalPath } from "./critical-path.js";
export { coreDefaults } from "./defaults.js";
export { EFFECT_CLASSES, effectOf, isRepeatable } from "./effects.js";
export type {
  EffectDeclaration,
  Reconcile,
  ReconcileContext,
  ReconcileResult,
  WithEffect,
} from "./effect-declaration.js";
export { declaredEffect, withEffect } from "./effect-declaration.js";
export { effectRuledOut } from "./step-errors.js";
export type { Settling } from "./reconcile-step.js";
export { reconcileStep } from "./reconcile-step.js";
export type { ExecuteStepOptions, StepOutcome } from "./execute-step.js";
export { executeStep } from "./execute-step.js";
export { resultsOf } from "./results.js";
export type { RunConfigInput } from "./run-config.js";
export { resolveConfig } from "./run-config.js";
export { isTerminal } from "./run-end.js";
export type {
  CheckResult,
  Checker,
  Executor,
  ModelCallReporter,
  Planner,
  PlannerOutput,
  PlanRequest,
  PlanStepStream,
  PatchEntryStream,
  Replanner,
  ReplannerOutput,
  ReplanRequest,
  StepContext,
  ToolFunction,
} from "./run-functions.js";
export type {
  Effect,
  Feedback,
  ModelCallEvent,
  ModelRole,
  RunEvent,
  RunInput,
  RunInputType,
  SettleOutcome,
  TransitionResult,
} from "./run-messages.js";
export { downstreamOf } from "./downstream.js";
export type { PatchDiff, PlanPatch, PlanPatchInput } from "./plan-patch.js";
export { isPlanPatch, PlanPatchSchema } from "./plan-patch.js";
export type { PatchEntry, PatchEntryInput } from "./patch-entry.js";
export { entriesOf, PatchEntrySchema, patchOf } from "./patch-entry.js";
export type { PatchParser, PatchParserEnd, PatchParserOptions } from "./patch-parser.js";
export { createPatchParser } from "./patch-parser.js";
export { formatPatch } from "./patch-compact.js";
export { runPlan, streamPlan } from "./run-plan.js";
export type { PlanParser, PlanParserOptions } from "./plan-parser.js";
export { createPlanParser, formatPlan } from "./plan-parser.js";
export type { PlanFormat, PlanTextLimits } from "./plan-text.js";
export { planTextDefaults } from "./plan-text.js";
export type { ReadPlanStepStreamOptions } from "./plan-stream-reader.js";
export { isPlanStepStream, readPlanStepStream } from "./plan-stream-reader.js";
export type { RunPlanOptions, RunResult } from "./run-plan-options.js";
export type {
  AgentStep,
  AgentStepSpec,
  BudgetName,
  EffectClass,
  EffectDeclarations,
  Plan,
  PlanRevision,
  PlanStream,
  ReplanStream,
  ReplanReason,
  RunConfig,
  RunOutcome,
  RunState,
  RunStatus,
  Step,
  StepError,
  StepSpec,
  StepSettlement,
  UnknownEffect,
  StepSpecInput,
  StepStatus,
  ToolStep,
  ToolStepSpec,
  Usage,
} from "./schemas.js";
export {
  AgentStepSchema,
  AgentStepSpecSchema,
  EffectClassSchema,
  EffectDeclarationsSchema,
  PlanSchema,
  PlanSpecSchema,
  RunOutcomeSchema,
  RunStateSchema,
  STEP_ID_PATTERN,
  StepIdSchema,
  StepSchema,
  StepSettlementSchema,
  StepSpecSchema,
  StepStatusSchema,
  ToolStepSchema,
  ToolStepSpecSchema,
  UsageSchema,
} from "./schemas.js";
export { parseRun, serializeRun } from "./serialize.js";
export { countSteps, findStep } from "./step-index.js";
export { stepKey } from "./step-reports.js";
export type { CreateRunOptions } from "./transition.js";
export { createRun, transition } from "./transition.js";
export { acceptedInputs } from "./transition-table.js";
export type { UnexpectedResult } from "./unexpected.js";
export { unexpected } from "./unexpected.js";
export type { PlanCheck, ValidatePlanOptions } from "./validate.js";
export { checkPlan, DEFAULT_MAX_STEPS, validatePlan } from "./validate.js";
