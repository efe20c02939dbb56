// The output of the failure-beside-branches section: a table of its records, and issue #19's
// targets, each PASS or FAIL with what was measured.
import { criticalPathMs, type Scenario } from "./scenarios.js";
import type { RunRecord } from "./systems.js";
import type { TokenTimeRecord } from "./token-time.js";

/** What the branches records add to the usual fields. */
export interface BranchesFields {
  /**
   * When the last independent branch ended (its tail fetched), median, in ms from the first tool
   * call's start (the plan's own time, which varies with the machine's load, left out).
   */
  independentEndMs: number;
  /** The same with no failure in the plan. */
  independentEndNoFailureMs: number;
  /** Output tokens of the replanner's answer. */
  replannerOutputTokens: number;
  /** Output tokens of the same replan as a full rewrite of the remaining steps (the bench's tokenizer). */
  fullRewriteOutputTokens: number;
}

/** A flat-clock record of the scenario. */
export type BranchesRecord = RunRecord & BranchesFields;
/** A token-time record of the scenario. */
export type BranchesTokenTimeRecord = TokenTimeRecord & BranchesFields;

/** A PASS/FAIL line. */
export interface BranchesResult {
  target: string;
  measured: string;
  pass: boolean;
}

/** How much later than with no failure the independent branches may end (timer and scheduling noise). */
export const INDEPENDENT_NOISE = 1.05;
/** The wall target: at most this times the critical path with the replan on the failed branch only. */
const WALL_FACTOR = 1.1;
/** The patch's output tokens: at most this share of a full rewrite's. */
const TOKEN_SHARE = 0.4;

type AnyRecord = (BranchesRecord | BranchesTokenTimeRecord) & { system: string; clock?: string };

const ms = (value: number) => value.toFixed(0);

function table(records: AnyRecord[]): string[] {
  const rows = [
    [
      "clock",
      "system",
      "wall",
      "critical",
      "indep. end",
      "no failure",
      "replan tok",
      "rewrite tok",
      "status",
    ],
  ];
  for (const record of records) {
    rows.push([
      record.clock === "token-time" ? "token-time" : "flat 100ms",
      record.system,
      ms(record.wallMs),
      ms(record.criticalPathMs),
      ms(record.independentEndMs),
      ms(record.independentEndNoFailureMs),
      String(record.replannerOutputTokens),
      String(record.fullRewriteOutputTokens),
      record.status,
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  "));
}

/** The targets of one record: its branches beside the failure, and its patch's size. */
function recordTargets(label: string, record: AnyRecord): BranchesResult[] {
  const late = record.independentEndMs / record.independentEndNoFailureMs;
  const share = record.replannerOutputTokens / record.fullRewriteOutputTokens;
  return [
    {
      target: `${label}: the independent branches end no later than with no failure (x${INDEPENDENT_NOISE} for timer noise)`,
      measured: `${ms(record.independentEndMs)} ms vs ${ms(record.independentEndNoFailureMs)} ms (${late.toFixed(2)}x)`,
      pass: late <= INDEPENDENT_NOISE,
    },
    {
      target: `${label}: replannerOutputTokens <= ${TOKEN_SHARE * 100}% of fullRewriteOutputTokens`,
      measured: `${record.replannerOutputTokens} vs ${record.fullRewriteOutputTokens} (${(share * 100).toFixed(0)}%)`,
      pass: share <= TOKEN_SHARE,
    },
  ];
}

function wallTarget(label: string, record: AnyRecord, critical: number): BranchesResult {
  const ratio = record.wallMs / critical;
  return {
    target: `${label}: wall <= ${WALL_FACTOR}x criticalPathMs (the replan on the failed branch only)`,
    measured: `${ms(record.wallMs)} ms vs ${ms(critical)} ms (${ratio.toFixed(2)}x)`,
    pass: ratio <= WALL_FACTOR,
  };
}

/**
 * The section's summary: the table, then the targets (PASS/FAIL).
 *
 * @param scenario - the scenario (for the flat critical path).
 * @param flat - the flat-clock records.
 * @param tokenTime - the token-time records.
 */
export function branchesSummary(
  scenario: Scenario,
  flat: BranchesRecord[],
  tokenTime: BranchesTokenTimeRecord[],
): string[] {
  const results: BranchesResult[] = [];
  for (const record of flat) {
    const label = `flat ${record.system}`;
    results.push(...recordTargets(label, record));
    if (record.system === "replan-langgraph") {
      results.push(wallTarget(label, record, criticalPathMs(scenario, record.latencyMs)));
    }
  }
  const streaming = tokenTime.find((record) => record.system === "replan-langgraph");
  const compiler = tokenTime.find((record) => record.system === "llmcompiler");
  for (const record of tokenTime.filter((entry) => entry.system !== "llmcompiler")) {
    results.push(...recordTargets(`token-time ${record.system}`, record));
  }
  if (streaming) results.push(wallTarget("token-time replan-langgraph", streaming, streaming.criticalPathMs));
  if (streaming && compiler) {
    results.push({
      target: "token-time replan-langgraph: wall <= llmcompiler's (which replans once every task has run)",
      measured: `${ms(streaming.wallMs)} ms vs ${ms(compiler.wallMs)} ms (${(streaming.wallMs / compiler.wallMs).toFixed(2)}x); llmcompiler's independent branches end at ${ms(compiler.independentEndMs)} ms (${ms(compiler.independentEndNoFailureMs)} with no failure), its replanner writes ${compiler.replannerOutputTokens} tokens`,
      pass: streaming.wallMs <= compiler.wallMs,
    });
  }
  const pass = results.filter((result) => result.pass).length;
  return [
    "failure-beside-branches (issue #19): a1 fails early; the replanner patches branch a while b, c and d run",
    ...table([...flat, ...tokenTime] as AnyRecord[]),
    "",
    "failure-beside-branches targets (issue #19)",
    ...results.map(
      ({ target, measured, pass: ok }) => `${ok ? "PASS " : "FAIL "} ${target}\n       ${measured}`,
    ),
    `failure-beside-branches: ${pass} PASS, ${results.length - pass} FAIL`,
  ];
}
