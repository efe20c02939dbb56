// The token-time part of the output: a table per scenario, the planner's tokens per step of today's
// JSON plan, and issue #18's targets. Every target names `replan-langgraph` (streaming plan
// execution), which does not exist yet: each prints "pending: streaming" with today's figures
// for context, never a PASS. The checks that can be judged today (the LLMCompiler baseline really
// dispatches while its planner writes; every run completes) print PASS or FAIL.
import { makeScenario } from "./scenarios.js";
import { type TokenClock, tokenIntervalMs } from "./token-clock.js";
import { planCallMs, planTokensPerStep } from "./token-critical-path.js";
import type { TokenTimeRecord, TokenTimeSystem } from "./token-time.js";

/** A target or check: PASS, FAIL, or pending until streaming plan execution lands. */
export interface TokenTimeResult {
  target: string;
  measured: string;
  status: "PASS" | "FAIL" | "pending: streaming";
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
        rows.push([scenario, system, "pending: streaming", "", "", "", "", "", "", ""]);
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
 * Checks issue #18's targets (pending while `replan-langgraph` streaming does not run) and the
 * checks of the bench itself.
 *
 * @param records - the token-time records.
 * @param clock - the clock they ran on.
 */
export function evaluateTokenTimeTargets(records: TokenTimeRecord[], clock: TokenClock): TokenTimeResult[] {
  const results: TokenTimeResult[] = [];
  const scenarios = scenariosOf(records);
  const steps = records[0]?.steps ?? 16;
  const streamed = records.some((record) => record.system === STREAMING);
  const pending = (target: string, today: string) =>
    results.push({ target, measured: `today: ${today}`, status: "pending: streaming" });
  const per = (pick: (scenario: string) => string) =>
    scenarios.map((scenario) => `${scenario} ${pick(scenario)}`).join("; ");
  const ratio = (
    scenario: string,
    top: TokenTimeSystem,
    bottom: TokenTimeSystem,
    field: "wallMs" | "outputTokens" = "wallMs",
  ) => {
    const a = find(records, scenario, top);
    const b = find(records, scenario, bottom);
    return a && b ? `${fixed(a[field] / b[field])}x` : "-";
  };
  if (!streamed) {
    pending(
      `${STREAMING}: wall <= 1.10x its criticalPathMs in every scenario`,
      `${BATCH} (no streaming) wall/critical ${per((s) => ratio2(find(records, s, BATCH)))}`,
    );
    const chain = find(records, "chain", BATCH);
    pending(
      `chain ${steps}: ${STREAMING} >= 1.25x faster than ${BATCH}`,
      chain
        ? `${BATCH} ${ms(chain.wallMs)} ms; a streaming system with today's JSON plan can reach ${ms(chain.criticalPathMs)} ms (${fixed(chain.wallMs / chain.criticalPathMs)}x)`
        : "no chain record",
    );
    const writeStep = planTokensPerStep(BATCH, makeScenario("chain", steps)) * tokenIntervalMs(clock);
    pending(
      `firstStepStartMs <= ttftMs + 2x the time to write one step`,
      `with today's JSON plan (${fixed(writeStep, 1)} ms a step) the bound is ${ms(clock.ttftMs + 2 * writeStep)} ms; ${BATCH} starts at ${per((s) => `${ms(find(records, s, BATCH)?.firstStepStartMs ?? Number.NaN)} ms`)}`,
    );
    pending(
      `plannerOutputTokens per step <= 50% of today's JSON plan (same plan)`,
      `JSON plan ${planTokensPerStepLine(BATCH, scenarios, steps)} tokens/step (the target: half); LLMCompiler's format ${planTokensPerStepLine(COMPILER, scenarios, steps)}`,
    );
    pending(
      `against ${COMPILER}: wall <= 1.0x in every scenario`,
      `${BATCH}/${COMPILER} ${per((s) => ratio(s, BATCH, COMPILER))}`,
    );
    pending(
      `against ${COMPILER}: wall <= 0.8x on one-failure`,
      `${BATCH}/${COMPILER} ${ratio("one-failure", BATCH, COMPILER)}`,
    );
    pending(
      `against ${COMPILER}: outputTokens <= 1.0x`,
      `${BATCH}/${COMPILER} ${per((s) => ratio(s, BATCH, COMPILER, "outputTokens"))}`,
    );
  }
  checks(records, clock, results);
  return results;
}

const ratio2 = (record: TokenTimeRecord | undefined) =>
  record ? `${fixed(record.wallMs / record.criticalPathMs)}x` : "-";

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

/** The results as text lines: PASS, FAIL or "pending: streaming", then what was measured. */
export function formatTokenTimeTargets(results: TokenTimeResult[]): string {
  return results
    .map(({ target, measured, status }) => `${status.padEnd(18)}  ${target}\n       ${measured}`)
    .join("\n");
}
