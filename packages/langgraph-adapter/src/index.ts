export { watchCheckpointer } from "./checkpointer.js";
export type { PlanFormat, StructuredOutputMethod } from "./defaults.js";
export { PLAN_FORMATS, planExecuteDefaults, STRUCTURED_OUTPUT_METHODS } from "./defaults.js";
export type { PlanExecuteErrorCode } from "./errors.js";
export { PlanExecuteError } from "./errors.js";
export type { AgentStepExecutor, MessagesGraph } from "./executors.js";
export { toToolFunctions } from "./executors.js";
export type { ToolWithEffect } from "./tool-effects.js";
export { withEffect } from "./tool-effects.js";
export type {
  EffectSettlement,
  EffectSettlementRequest,
  PendingReplan,
  PlanApproval,
  PlanApprovalRequest,
  PlanChange,
  PlanExecuteAgent,
  PlanExecuteAgentOptions,
  PlanExecuteBudget,
  PlanExecuteGraph,
  PlanExecuteNode,
  PlanExecuteOptions,
  ReapproveMode,
} from "./graph.js";
export {
  createPlanExecuteAgent,
  createPlanExecuteGraph,
  EffectSettlementSchema,
  EXECUTOR_TASKS,
  NODES,
  PlanApprovalSchema,
} from "./graph.js";
export { planExecuteRunConfig, recursionLimitFor } from "./run-config.js";
export type { ModelCallOptions, RetryPolicy } from "./model-call.js";
export { MODEL_ROLE_HEADER, MODEL_ROLE_KEY, MODEL_STEP_KEY } from "./model-call.js";
export type { Answer, AnswerRequest, ModelExecutorOptions, ModelLayerOptions } from "./model-layer.js";
export { modelAnswer, modelExecutor, modelPlanner, modelReplanner } from "./model-layer.js";
export type { ModelPlan } from "./parse.js";
export { ModelPlanSchema } from "./parse.js";
export type { ErrorEmittingPool } from "./pool-errors.js";
export { handlePoolErrors } from "./pool-errors.js";
export type { PlanExecutePrompts, PromptTemplate, PromptVariables } from "./prompts.js";
export { DEFAULT_COMPACT_PROMPTS, DEFAULT_PROMPTS } from "./prompts.js";
export type { PlanExecuteStateType, PlanExecuteUpdate } from "./state.js";
export { PlanExecuteState } from "./state.js";
