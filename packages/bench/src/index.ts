// The benchmark's building blocks, for the smoke test and for anyone who wants to run one scenario.
export { BaselineState, baselineRecursionLimit, createBaselineGraph } from "./baseline.js";
export { formatArguments, parseArguments } from "./llmcompiler/arguments.js";
export { createLLMCompilerGraph, JoinOutputsSchema, type LLMCompilerOptions } from "./llmcompiler/graph.js";
export { type CompilerTask, END_OF_PLAN, PlanStreamParser, parseLine } from "./llmcompiler/plan-parser.js";
export {
  type FinishedTask,
  resolveReferences,
  TaskFetchingUnit,
  type TaskFetchingUnitOptions,
} from "./llmcompiler/task-fetching-unit.js";
export { compilerPlanText, compilerReplanText, llmCompilerScript } from "./llmcompiler-script.js";
export { type CoreRunOptions, runCore } from "./core-system.js";
export {
  BenchModel,
  baselineModel,
  baselineScript,
  type CallRole,
  type CallStats,
  callStats,
  replanModel,
  replanScript,
  roleOf,
  type Script,
} from "./model.js";
export { bareSupersteps, bareTasks, timeMedian } from "./reference.js";
export {
  formatTable,
  formatTargets,
  type ReferenceRecord,
  type TargetResult,
} from "./report.js";
export { evaluateTargets } from "./targets.js";
export {
  criticalPathMs,
  makeScenario,
  OUTPUT_CHARS,
  SCENARIO_NAMES,
  type Scenario,
  type ScenarioName,
  type StepDefinition,
  stepTable,
} from "./scenarios.js";
export {
  type Measurement,
  measure,
  type RunRecord,
  runSystem,
  SYSTEM_NAMES,
  type SystemName,
  savedBytes,
} from "./systems.js";
export {
  callDurationMs,
  describeClock,
  REAL_CLOCK,
  TOKEN_CLOCK,
  TOKEN_CLOCK_SPEEDUP,
  type TokenClock,
  tokenArrivalMs,
} from "./token-clock.js";
export { planTokensPerStep, type TokenTimeSystem, tokenCriticalPathMs } from "./token-critical-path.js";
export {
  measureTokenTime,
  runTokenTime,
  TOKEN_TIME_RUNNERS,
  TOKEN_TIME_SCENARIOS,
  TOKEN_TIME_SYSTEMS,
  type TokenTimeRecord,
  type TokenTimeRun,
} from "./token-time.js";
export { type CallTiming, TokenTimeModel, type TokenTimeModelOptions } from "./token-time-model.js";
export { evaluateTokenTimeTargets, formatTokenTimeTable, type TokenTimeResult } from "./token-time-report.js";
export { countTokens, promptTokensOf, tokenPieces } from "./tokens.js";
export { langchainTools, type ToolHooks, toolFunctions } from "./tools.js";
