// Until index.ts imports them from their own modules:
export { executeStep } from "./execute-step.js";
export type { ExecuteStepOptions, StepOutcome } from "./execute-step.js";
export { resultsOf } from "./results.js";
export type {
  CheckResult,
  Checker,
  Executor,
  ModelCallReporter,
  Planner,
  PlannerOutput,
  PlanRequest,
  Replanner,
  ReplanRequest,
  StepContext,
  ToolFunction,
} from "./run-functions.js";
export { runPlan, streamPlan } from "./run-plan.js";
export type { RunPlanOptions, RunResult } from "./run-plan-options.js";
export { unexpected } from "./unexpected.js";
export type { UnexpectedResult } from "./unexpected.js";
