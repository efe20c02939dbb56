// The benchmark's building blocks, for the smoke test and for anyone who wants to run one scenario.
export { BaselineState, baselineRecursionLimit, createBaselineGraph } from "./baseline.js";
export { type CoreRunOptions, runCore } from "./core-system.js";
export {
  BenchModel,
  baselineModel,
  type CallRole,
  type CallStats,
  callStats,
  replanModel,
  roleOf,
} from "./model.js";
export { bareSupersteps, bareTasks, timeMedian } from "./reference.js";
export {
  evaluateTargets,
  formatTable,
  formatTargets,
  type ReferenceRecord,
  type TargetResult,
} from "./report.js";
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
export { countTokens, promptTokensOf } from "./tokens.js";
export { langchainTools, toolFunctions } from "./tools.js";
