// The token-time part of the output: a table per scenario, the planner's tokens per step of each
// format, and issue #18's targets for `replan-langgraph` (streaming plan execution, compact plan
// format), each PASS or FAIL with what was measured; then the checks of the bench itself (the
// LLMCompiler baseline really dispatches while its planner writes; every run completes).
import { makeScenario } from "./scenarios.js";
import { type TokenClock, tokenIntervalMs } from "./token-clock.js";
import { planCallMs, planTokensPerStep } from "./token-critical-path.js";
import type { TokenTimeRecord, TokenTimeSystem } from "./token-time.js";

/** A target or check: PASS, FAIL, or not measured in this run (a system's records are missing). */
export interface TokenTimeResult {
  target: string;
  measured: string;
  status: "PASS" | "FAIL" | "not measured";
}

const STREAMING: TokenTimeSystem = "replan-langgraph";
const BATCH: TokenTimeSystem = "replan-langgraph-batch";
const COMPILER: TokenTimeSystem = "llmcompiler";
const BASELINE: TokenTimeSystem = "baseline-tutorial";
const SYSTEMS: TokenTimeSystem[] = [STREAMING, BATCH, COMPILER, BASELINE];

const ms = (value: number) => value.toFixed(0);
const fixed = (value: number, digits = 2) => value.toFixed(digits);

function find(records: TokenTimeRecord[], scenario: string, system: TokenTimeSystem) {
  return records.find((record) => record.scenario === scenario && record.system === system);
}

const scenariosOf = (records: TokenTimeRecord[]) => [...new Set(records.map((record) => record.scenario))];

/** The table: per scenario and system, wall, critical path, first step, tokens and calls. */
export function formatTokenTimeTable(records: TokenTimeRecord[]): string {
  const rows = [
    [
      "scenario",
      "system",
      "wall ms",
      "critical",
      "wall/crit",
      "1st step",
      "plan tok",
      "out tok",
      "prompt tok",
      "calls",
    ],
  ];
  for (const scenario of scenariosOf(records)) {
    for (const system of SYSTEMS) {
      const record = find(records, scenario, system);
      if (!record) {
        rows.push([scenario, system, "not measured", "", "", "", "", "", "", ""]);
        continue;
      }
      rows.push([
        scenario,
        system,
        ms(record.wallMs),
        ms(record.criticalPathMs),
        `${fixed(record.wallMs / record.criticalPathMs)}x`,
        ms(record.firstStepStartMs),
        String(record.plannerOutputTokens),
        String(record.outputTokens),
        String(record.promptTokens),
        String(record.llmCalls),
      ]);
    }
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join("  "),
    )
    .join("\n");
}

/** Planner output tokens per step of the first plan, per scenario, in a system's format. */
export function planTokensPerStepLine(system: TokenTimeSystem, scenarios: string[], steps: number): string {
  const values = scenarios.map((name) => ({
    name,
    value: planTokensPerStep(system, makeScenario(name as never, steps)),
  }));
  return values.map(({ name, value }) => `${name} ${fixed(value, 1)}`).join(", ");
}

/**
 * Checks issue #18's targets and the checks of the bench itself.
 *
 * @param records - the token-time records.
 * @param clock - the clock they ran on.
 */
export function evaluateTokenTimeTargets(records: TokenTimeRecord[], clock: TokenClock): TokenTimeResult[] {
  const results: TokenTimeResult[] = [];
  const scenarios = scenariosOf(records);
  const steps = records[0]?.steps ?? 16;
  /** A target judged on every scenario that has both systems' records. */
  const each = (
    target: string,
    systems: TokenTimeSystem[],
    judge: (scenario: string, records: TokenTimeRecord[]) => { measured: string; pass: boolean },
  ) => {
    const judged = scenarios.flatMap((scenario) => {
      const pair = systems.map((system) => find(records, scenario, system));
      if (pair.some((record) => record === undefined)) return [];
      return [{ scenario, ...judge(scenario, pair as TokenTimeRecord[]) }];
    });
    results.push(
      judged.length === 0
        ? { target, measured: `no ${systems.join("/")} records`, status: "not measured" }
        : {
            target,
            measured: judged.map((entry) => `${entry.scenario} ${entry.measured}`).join("; "),
            status: judged.every((entry) => entry.pass) ? "PASS" : "FAIL",
          },
    );
  };
  each(`${STREAMING}: wall <= 1.10x its criticalPathMs in every scenario`, [STREAMING], (_, [r]) => ({
    measured: `${ms(r!.wallMs)}/${ms(r!.criticalPathMs)} = ${fixed(r!.wallMs / r!.criticalPathMs)}x`,
    pass: r!.wallMs <= 1.1 * r!.criticalPathMs,
  }));
  const chain = [find(records, "chain", STREAMING), find(records, "chain", BATCH)];
  results.push(
    chain[0] && chain[1]
      ? {
          target: `chain ${steps}: ${STREAMING} >= 1.25x faster than ${BATCH}`,
          measured: `${ms(chain[1].wallMs)} ms / ${ms(chain[0].wallMs)} ms = ${fixed(chain[1].wallMs / chain[0].wallMs)}x`,
          status: chain[1].wallMs >= 1.25 * chain[0].wallMs ? "PASS" : "FAIL",
        }
      : {
          target: `chain ${steps}: ${STREAMING} >= 1.25x faster than ${BATCH}`,
          measured: "no chain records",
          status: "not measured",
        },
  );
  each(
    `${STREAMING}: firstStepStartMs <= ttftMs + 2x the time to write one step`,
    [STREAMING],
    (scenario, [r]) => {
      const writeStep =
        planTokensPerStep(STREAMING, makeScenario(scenario as never, r!.steps)) * tokenIntervalMs(clock);
      const bound = clock.ttftMs + 2 * writeStep;
      return {
        measured: `${ms(r!.firstStepStartMs)} <= ${fixed(bound, 1)} ms`,
        pass: r!.firstStepStartMs <= bound,
      };
    },
  );
  each(
    `${STREAMING}: plannerOutputTokens per step <= 50% of today's JSON plan (${BATCH}, same plans)`,
    [STREAMING, BATCH],
    (_, [mine, json]) => ({
      measured: `${fixed(mine!.plannerOutputTokens / mine!.steps, 1)} vs ${fixed(json!.plannerOutputTokens / json!.steps, 1)} tokens/step = ${fixed(mine!.plannerOutputTokens / json!.plannerOutputTokens)}`,
      pass: mine!.plannerOutputTokens <= 0.5 * json!.plannerOutputTokens,
    }),
  );
  each(
    `against ${COMPILER}: wall <= 1.0x in every scenario (<= 0.8x on one-failure)`,
    [STREAMING, COMPILER],
    (scenario, [mine, theirs]) => {
      const limit = scenario === "one-failure" ? 0.8 : 1.0;
      const ratio = mine!.wallMs / theirs!.wallMs;
      return {
        measured: `${ms(mine!.wallMs)}/${ms(theirs!.wallMs)} = ${fixed(ratio)}x (<= ${fixed(limit, 1)})`,
        pass: ratio <= limit,
      };
    },
  );
  each(
    `against ${COMPILER}: outputTokens <= 1.0x in every scenario`,
    [STREAMING, COMPILER],
    (_, [mine, theirs]) => ({
      measured: `${mine!.outputTokens}/${theirs!.outputTokens} = ${fixed(mine!.outputTokens / theirs!.outputTokens)}x`,
      pass: mine!.outputTokens <= theirs!.outputTokens,
    }),
  );
  checks(records, clock, results);
  return results;
}

/** The checks that can be judged today: LLMCompiler dispatches while it plans; every run completes. */
function checks(records: TokenTimeRecord[], clock: TokenClock, results: TokenTimeResult[]) {
  const compiler = records.filter((record) => record.system === COMPILER);
  if (compiler.length > 0) {
    const planMs = (record: TokenTimeRecord) =>
      planCallMs(COMPILER, makeScenario(record.scenario as never, record.steps), clock);
    results.push({
      target: `${COMPILER} (check): dispatches while planning, first step before its plan call ends, every scenario`,
      measured: compiler
        .map((r) => `${r.scenario} ${ms(r.firstStepStartMs)} < ${ms(planMs(r))} ms`)
        .join("; "),
      status: compiler.every((r) => r.firstStepStartMs < planMs(r)) ? "PASS" : "FAIL",
    });
  }
  const failed = records.filter((record) => record.status !== "completed");
  results.push({
    target: "every token-time run completes (check)",
    measured:
      failed.length === 0
        ? `${records.length} records`
        : failed.map((r) => `${r.system} ${r.scenario}: ${r.status}`).join("; "),
    status: failed.length === 0 ? "PASS" : "FAIL",
  });
}

/** The results as text lines: PASS, FAIL or "not measured", then what was measured. */
export function formatTokenTimeTargets(results: TokenTimeResult[]): string {
  return results
    .map(({ target, measured, status }) => `${status.padEnd(18)}  ${target}\n       ${measured}`)
    .join("\n");
}
