// The human-readable part of the output: a table of ratios and the targets with PASS/FAIL.
import type { RunRecord, SystemName } from "./systems.js";

/** A bare-LangGraph reference measurement. */
export interface ReferenceRecord {
  kind: "supersteps" | "tasks" | "functional";
  steps: number;
  wallMs: number;
}

/** One target: what it asks, the measured value, and whether it is met (null: not measured). */
export interface TargetResult {
  target: string;
  measured: string;
  pass: boolean | null;
}

export const CORE: SystemName = "replan-core";
export const ADAPTER: SystemName = "replan-langgraph";
export const BASELINE: SystemName = "baseline-tutorial";
export const REPLAN: SystemName[] = [CORE, ADAPTER];
export const TOOL_SCENARIOS = ["chain", "fan-out", "skewed-dag"];

export const fixed = (value: number, digits = 2) => value.toFixed(digits);
export const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

export function find(
  records: RunRecord[],
  scenario: string,
  system: SystemName,
  steps: number,
  latencyMs: number,
) {
  return records.find(
    (record) =>
      record.scenario === scenario &&
      record.system === system &&
      record.steps === steps &&
      record.latencyMs === latencyMs,
  );
}

/** The table: one row per scenario, size and latency, the three systems side by side. */
export function formatTable(records: RunRecord[], references: ReferenceRecord[]): string {
  const keys = new Map<string, { scenario: string; steps: number; latencyMs: number }>();
  for (const record of records) {
    keys.set(`${record.latencyMs}|${record.scenario}|${record.steps}`, record);
  }
  const header = [
    "latency",
    "scenario",
    "steps",
    "critical",
    "core ms",
    "adapter ms",
    "baseline ms",
    "adapter/crit",
    "base/adapter",
    "calls c/a/b",
    "tokens c/a/b",
    "tokens a/b",
  ];
  const rows: string[][] = [];
  for (const { scenario, steps, latencyMs } of keys.values()) {
    const core = find(records, scenario, CORE, steps, latencyMs);
    const adapter = find(records, scenario, ADAPTER, steps, latencyMs);
    const baseline = find(records, scenario, BASELINE, steps, latencyMs);
    const critical = (core ?? adapter ?? baseline)!.criticalPathMs;
    const cell = (record: RunRecord | undefined, pick: (record: RunRecord) => string) =>
      record ? pick(record) : "-";
    rows.push([
      `${latencyMs} ms`,
      scenario,
      String(steps),
      critical > 0 ? ms(critical) : "-",
      cell(core, (r) => ms(r.wallMs)),
      cell(adapter, (r) => ms(r.wallMs)),
      cell(baseline, (r) => ms(r.wallMs)),
      adapter && critical > 0 ? `${fixed(adapter.wallMs / critical)}x` : "-",
      adapter && baseline ? `${fixed(baseline.wallMs / adapter.wallMs, 1)}x` : "-",
      [core, adapter, baseline].map((r) => cell(r, (x) => String(x.llmCalls))).join("/"),
      [core, adapter, baseline].map((r) => cell(r, (x) => String(x.promptTokens))).join("/"),
      adapter && baseline ? fixed(adapter.promptTokens / baseline.promptTokens) : "-",
    ]);
  }
  const checkpointRows = records.filter((record) => record.checkpointBytes !== undefined);
  const lines = [alignTable([header, ...rows])];
  if (checkpointRows.length > 0) {
    lines.push("", "Checkpoints (MemorySaver; serialized checkpoints + metadata + pending writes):");
    lines.push(
      alignTable([
        ["system", "scenario", "steps", "checkpoints", "writes", "bytes", "bytes/step"],
        ...checkpointRows.map((record) => [
          record.system,
          record.scenario,
          String(record.steps),
          String(record.checkpoints),
          String(record.checkpointWrites),
          String(record.checkpointBytes),
          fixed(record.checkpointBytes! / record.steps, 0),
        ]),
      ]),
    );
  }
  if (references.length > 0) {
    lines.push("", "Bare LangGraph reference (trivial nodes, no checkpointer):");
    lines.push(
      alignTable([
        ["reference", "steps", "wall ms", "ms/step"],
        ...references.map((reference) => [
          REFERENCE_LABELS[reference.kind],
          String(reference.steps),
          ms(reference.wallMs),
          fixed(reference.wallMs / reference.steps, 4),
        ]),
      ]),
    );
  }
  return lines.join("\n");
}

function alignTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column < 3 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join("  "),
    )
    .join("\n");
}

export const REFERENCE_LABELS: Record<ReferenceRecord["kind"], string> = {
  supersteps: "N supersteps (looping node)",
  tasks: "N tasks in one superstep (Send)",
  functional: "N task() calls from one node",
};

/** The targets as text lines, each ending in PASS, FAIL or "-" (not measured). */
export function formatTargets(results: TargetResult[]): string {
  return results
    .map(
      ({ target, measured, pass }) =>
        `${pass === null ? "  -  " : pass ? "PASS " : "FAIL "} ${target}\n       ${measured}`,
    )
    .join("\n");
}
