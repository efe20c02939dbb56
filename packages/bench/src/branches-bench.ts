// The bench's section for `failure-beside-branches` (issue #19): one branch fails early and is
// replanned while three independent branches run. Under the flat clock (replan-core and
// replan-langgraph at 100 ms a call) and the token-time clock (replan-langgraph, its batch JSON
// variant, and LLMCompiler), each system runs the scenario with the failure and without it; the
// records carry the usual fields plus when the independent branches ended (with and without the
// failure), the replanner's output tokens, and those of the same replan written as a full
// rewrite of the remaining steps. Then issue #19's targets, PASS or FAIL.
import { INDEPENDENT_TAILS, withoutFailure } from "./branches-scenario.js";
import { makeScenario, type Scenario } from "./scenarios.js";
import { type Measurement, measure, median, recordOf, round, type SystemName } from "./systems.js";
import { fullRewriteOutputTokens, replannerOutputTokens } from "./replan-replies.js";
import type { TokenClock } from "./token-clock.js";
import { type BranchesRecord, type BranchesTokenTimeRecord, branchesSummary } from "./branches-report.js";
import { measureTokenTime, type TokenTimeRun, tokenTimeRecordOf } from "./token-time.js";
import type { TokenTimeSystem } from "./token-critical-path.js";

/** The model latency of the flat-clock runs (a step takes its factor times this). */
export const BRANCHES_LATENCY_MS = 100;
/** Timed runs per record (the median is reported). */
const RUNS = 3;

/** When the last independent branch ended (its tail fetched), in ms from the time `ends` counts from. */
const tailsEnd = (ends: ReadonlyMap<string, number> | undefined) =>
  Math.max(...INDEPENDENT_TAILS.map((id) => ends?.get(id) ?? Number.NaN));

/** Runs a flat-clock system on the scenario with and without the failure, and makes its record. */
async function flatRecord(system: SystemName, scenario: Scenario): Promise<BranchesRecord> {
  const clean = withoutFailure(scenario);
  const runs = async (target: Scenario) => {
    const measured: Measurement[] = [];
    for (let index = 0; index < RUNS; index++) {
      measured.push(await measure(system, target, BRANCHES_LATENCY_MS, { trackFetches: true }));
    }
    return measured;
  };
  const failing = await runs(scenario);
  const reference = await runs(clean);
  return {
    ...recordOf(system, scenario, BRANCHES_LATENCY_MS, failing),
    independentEndMs: round(median(failing.map((run) => tailsEnd(run.fetchEndsMs)))),
    independentEndNoFailureMs: round(median(reference.map((run) => tailsEnd(run.fetchEndsMs)))),
    replannerOutputTokens: replannerOutputTokens(scenario, "json"),
    fullRewriteOutputTokens: fullRewriteOutputTokens(scenario, "json"),
  };
}

/**
 * Runs a token-time system on the scenario with and without the failure, and makes its record (the
 * replanner's output tokens as measured; the full rewrite in the system's own format: LLMCompiler's
 * numbered lines are counted as the compact format's).
 */
async function tokenTimeRecord(
  system: TokenTimeSystem,
  scenario: Scenario,
  clock: TokenClock,
): Promise<BranchesTokenTimeRecord> {
  const runs = async (target: Scenario) => {
    const measured: TokenTimeRun[] = [];
    for (let index = 0; index < RUNS; index++) measured.push(await measureTokenTime(system, target, clock));
    return measured;
  };
  const failing = await runs(scenario);
  const reference = await runs(withoutFailure(scenario));
  const replanner = failing[0]!.model.timings.filter((timing) => timing.role === "replanner");
  return {
    ...tokenTimeRecordOf(system, scenario, clock, failing),
    independentEndMs: round(median(failing.map((run) => tailsEnd(run.fetchEndsMs) - run.firstStepStartMs))),
    independentEndNoFailureMs: round(
      median(reference.map((run) => tailsEnd(run.fetchEndsMs) - run.firstStepStartMs)),
    ),
    replannerOutputTokens: replanner.reduce((total, timing) => total + timing.outputTokens, 0),
    fullRewriteOutputTokens: fullRewriteOutputTokens(
      scenario,
      system === "replan-langgraph-batch" ? "json" : "compact",
    ),
  };
}

/**
 * Runs the section under both clocks.
 *
 * @param emit - prints one record (a JSON line).
 * @param log - progress, on stderr.
 * @param clock - the token-time clock.
 */
export async function runBranchesSection(
  emit: (record: object) => void,
  log: (message: string) => void,
  clock: TokenClock,
): Promise<{ flat: BranchesRecord[]; tokenTime: BranchesTokenTimeRecord[]; summary: string[] }> {
  const scenario = makeScenario("failure-beside-branches", 13);
  const flat: BranchesRecord[] = [];
  for (const system of ["replan-core", "replan-langgraph"] as const) {
    log(`failure-beside-branches @${BRANCHES_LATENCY_MS}ms ${system}`);
    const record = await flatRecord(system, scenario);
    flat.push(record);
    emit(record);
  }
  const tokenTime: BranchesTokenTimeRecord[] = [];
  for (const system of ["replan-langgraph", "replan-langgraph-batch", "llmcompiler"] as const) {
    log(`token-time failure-beside-branches ${system}`);
    const record = await tokenTimeRecord(system, scenario, clock);
    tokenTime.push(record);
    emit(record);
  }
  return { flat, tokenTime, summary: branchesSummary(scenario, flat, tokenTime) };
}
