// The benchmark's token-time section: the clock, then for each scenario at N = 16 one record per
// system (the JSON lines), then the table, the planner's tokens per step, and the targets.
import { makeScenario } from "./scenarios.js";
import { describeClock, TOKEN_CLOCK, type TokenClock } from "./token-clock.js";
import {
  runTokenTime,
  TOKEN_TIME_SCENARIOS,
  TOKEN_TIME_SYSTEMS,
  type TokenTimeRecord,
  type TokenTimeSystem,
} from "./token-time.js";
import {
  evaluateTokenTimeTargets,
  formatTokenTimeTable,
  formatTokenTimeTargets,
  planTokensPerStepLine,
  type TokenTimeResult,
} from "./token-time-report.js";

/** Steps of the token-time scenarios. */
export const TOKEN_TIME_STEPS = 16;

/** Timed runs per record (the median is reported): one for the tutorial's long sequential graph. */
const runsOf = (system: TokenTimeSystem) => (system === "baseline-tutorial" ? 1 : 3);

/** What the section measured, and its part of the summary. */
export interface TokenTimeSection {
  records: TokenTimeRecord[];
  results: TokenTimeResult[];
  summary: string[];
}

/**
 * Runs the token-time section: a warm-up at N = 4, then every system on every scenario.
 *
 * @param emit - prints one record (a JSON line).
 * @param log - progress, on stderr.
 * @param clock - the clock.
 */
export async function runTokenTimeSection(
  emit: (record: TokenTimeRecord) => void,
  log: (message: string) => void,
  clock: TokenClock = TOKEN_CLOCK,
): Promise<TokenTimeSection> {
  log(describeClock(clock));
  // Warm-up, not recorded: each system once on a small plan with a failure (every code path).
  for (const system of TOKEN_TIME_SYSTEMS) await runTokenTime(system, makeScenario("one-failure", 4), clock);
  const records: TokenTimeRecord[] = [];
  for (const name of TOKEN_TIME_SCENARIOS) {
    const scenario = makeScenario(name, TOKEN_TIME_STEPS);
    for (const system of TOKEN_TIME_SYSTEMS) {
      log(`token-time ${name} N=${TOKEN_TIME_STEPS} ${system}`);
      const record = await runTokenTime(system, scenario, clock, runsOf(system));
      records.push(record);
      emit(record);
    }
  }
  const results = evaluateTokenTimeTargets(records, clock);
  const count = (status: TokenTimeResult["status"]) =>
    results.filter((result) => result.status === status).length;
  const summary = [
    describeClock(clock),
    "Wall times are medians of 3 runs (1 for baseline-tutorial) on a machine shared with other work.",
    "critical = the least wall of a system writing this plan in its format at this rate (each step available when its text ends in the stream).",
    `llmcompiler wall/critical (how close the baseline runs to its own protocol's limit): ${records
      .filter((record) => record.system === "llmcompiler")
      .map((record) => `${record.scenario} ${(record.wallMs / record.criticalPathMs).toFixed(2)}x`)
      .join(", ")}`,
    'replan-langgraph streams its plan in the compact format (planFormat: "compact") and starts each step as its line ends; replan-langgraph-batch is the same agent with planStreaming: false and today\'s JSON plan.',
    "",
    formatTokenTimeTable(records),
    "",
    `Planner output tokens per step, today's JSON plan (replan-langgraph-batch): ${planTokensPerStepLine("replan-langgraph-batch", [...TOKEN_TIME_SCENARIOS], TOKEN_TIME_STEPS)}`,
    `Planner output tokens per step, the compact format (replan-langgraph): ${planTokensPerStepLine("replan-langgraph", [...TOKEN_TIME_SCENARIOS], TOKEN_TIME_STEPS)}`,
    `Planner output tokens per step, LLMCompiler's numbered format: ${planTokensPerStepLine("llmcompiler", [...TOKEN_TIME_SCENARIOS], TOKEN_TIME_STEPS)}`,
    "",
    "token-time targets (issue #18)",
    formatTokenTimeTargets(results),
    "",
    `token-time: ${count("PASS")} PASS, ${count("FAIL")} FAIL, ${count("not measured")} not measured`,
  ];
  return { records, results, summary };
}
