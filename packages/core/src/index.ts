export type { CoreErrorCode, PlanIssue, ReplanErrorOptions } from "./errors.js";
export {
  errorMessage,
  hasMarker,
  IllegalTransitionError,
  markError,
  PlanValidationError,
  ReplanError,
} from "./errors.js";
export type { MermaidOptions } from "./mermaid.js";
export { toMermaid } from "./mermaid.js";
export { findReferences, resolveReferences } from "./references.js";
export type {
  CheckResult,
  Checker,
  ExecuteStepOptions,
  Executor,
  ModelCallReporter,
  Planner,
  PlannerOutput,
  PlanRequest,
  Replanner,
  ReplanRequest,
  RunPlanOptions,
  RunResult,
  StepContext,
  StepOutcome,
  ToolFunction,
  UnexpectedResult,
} from "./runtime.js";
export { executeStep, resultsOf, runPlan, streamPlan, unexpected } from "./runtime.js";
export type {
  AgentStep,
  AgentStepSpec,
  BudgetName,
  Plan,
  PlanRevision,
  ReplanReason,
  RunConfig,
  RunOutcome,
  RunState,
  RunStatus,
  Step,
  StepError,
  StepSpec,
  StepSpecInput,
  StepStatus,
  ToolStep,
  ToolStepSpec,
  Usage,
} from "./schemas.js";
export {
  AgentStepSchema,
  AgentStepSpecSchema,
  PlanSchema,
  PlanSpecSchema,
  RunOutcomeSchema,
  RunStateSchema,
  STEP_ID_PATTERN,
  StepIdSchema,
  StepSchema,
  StepSpecSchema,
  StepStatusSchema,
  ToolStepSchema,
  ToolStepSpecSchema,
  UsageSchema,
} from "./schemas.js";
export { parseRun, serializeRun } from "./serialize.js";
export { countSteps, findStep } from "./step-index.js";
export type {
  Effect,
  Feedback,
  ModelCallEvent,
  ModelRole,
  RunConfigInput,
  RunEvent,
  RunInput,
  TransitionResult,
} from "./transition.js";
export {
  BUDGET_EXCEEDED,
  createRun,
  isTerminal,
  llmCallRefusal,
  resolveConfig,
  stepKey,
  transition,
} from "./transition.js";
/** @deprecated moved to `@replan/core/internal`; removed from this entry before the first release. */
export { sleep } from "./abort.js";
export type { PlanCheck, ValidatePlanOptions } from "./validate.js";
export { checkPlan, DEFAULT_MAX_STEPS, validatePlan } from "./validate.js";
