// The targets of issue #7, checked against the records: one function per group of targets.
import {
  ADAPTER,
  BASELINE,
  CORE,
  find,
  fixed,
  ms,
  REFERENCE_LABELS,
  type ReferenceRecord,
  REPLAN,
  type TargetResult,
  TOOL_SCENARIOS,
} from "./report.js";
import type { RunRecord } from "./systems.js";

/** Where the target checks write: a measured target, or one not measured in this run. */
interface TargetSink {
  add(target: string, measured: string, pass: boolean | null): void;
  missing(target: string): void;
}

/**
 * Checks every target of issue #7 against the records.
 *
 * @param records - every run.
 * @param references - the bare LangGraph measurements.
 */
export function evaluateTargets(records: RunRecord[], references: ReferenceRecord[]): TargetResult[] {
  const results: TargetResult[] = [];
  const sink: TargetSink = {
    add: (target, measured, pass) => results.push({ target, measured, pass }),
    missing: (target) => results.push({ target, measured: "not measured in this run", pass: null }),
  };
  for (const check of [
    fanOutTargets,
    skewedDagTargets,
    llmCallTargets,
    promptTokenTargets,
    replannerPromptTargets,
    overheadTargets,
    growthTargets,
  ]) {
    check(records, references, sink);
  }
  return results;
}

/** Overhead per step: wall time minus the time inside the scripted model's calls (its own work). */
const perStep = (record: RunRecord) => (record.wallMs - record.modelMs) / record.steps;
const explain = (record: RunRecord) =>
  `${fixed(perStep(record), 4)} ms/step = (${ms(record.wallMs)} ms wall - ${ms(record.modelMs)} ms in model calls) / ${record.steps}`;

/** Fan-out of 16 at 100 ms: wall against the critical path, and speed against the baseline. */
function fanOutTargets(
  records: RunRecord[],
  _references: ReferenceRecord[],
  { add, missing }: TargetSink,
): void {
  const fanBaseline = find(records, "fan-out", BASELINE, 16, 100);
  for (const system of REPLAN) {
    const record = find(records, "fan-out", system, 16, 100);
    const target = `${system}: fan-out 16 @100ms wall <= 1.15x critical path`;
    if (!record) missing(target);
    else {
      const ratio = record.wallMs / record.criticalPathMs;
      add(
        target,
        `${ms(record.wallMs)} ms / ${ms(record.criticalPathMs)} ms = ${fixed(ratio)}x`,
        ratio <= 1.15,
      );
    }
    const speedTarget = `${system}: fan-out 16 @100ms >= 8x faster than the baseline`;
    if (!record || !fanBaseline) missing(speedTarget);
    else {
      const speedup = fanBaseline.wallMs / record.wallMs;
      add(
        speedTarget,
        `${ms(fanBaseline.wallMs)} ms / ${ms(record.wallMs)} ms = ${fixed(speedup, 1)}x`,
        speedup >= 8,
      );
    }
  }
}

/** Skewed DAG at 100 ms: wall against the critical path, at every N. */
function skewedDagTargets(
  records: RunRecord[],
  _references: ReferenceRecord[],
  { add, missing }: TargetSink,
): void {
  for (const system of REPLAN) {
    const skewed = records.filter(
      (r) => r.scenario === "skewed-dag" && r.system === system && r.latencyMs === 100,
    );
    const target = `${system}: skewed DAG @100ms wall <= 1.15x critical path (every N)`;
    if (skewed.length === 0) missing(target);
    else {
      const ratios = skewed.map((r) => ({ steps: r.steps, ratio: r.wallMs / r.criticalPathMs, r }));
      add(
        target,
        ratios
          .map(
            ({ steps, ratio, r }) => `N=${steps}: ${ms(r.wallMs)}/${ms(r.criticalPathMs)} = ${fixed(ratio)}x`,
          )
          .join("; "),
        ratios.every(({ ratio }) => ratio <= 1.15),
      );
    }
  }
}

/** LLM calls on clean runs: 2 for tool steps whatever N, at most N + 2 for agent steps. */
function llmCallTargets(
  records: RunRecord[],
  _references: ReferenceRecord[],
  { add, missing }: TargetSink,
): void {
  for (const system of REPLAN) {
    const clean = records.filter(
      (r) => r.system === system && TOOL_SCENARIOS.includes(r.scenario) && r.checkpointBytes === undefined,
    );
    const target = `${system}: LLM calls, clean tool-step runs = 2 whatever N`;
    if (clean.length === 0) missing(target);
    else {
      const calls = [...new Set(clean.map((r) => r.llmCalls))];
      const sizes = [...new Set(clean.map((r) => r.steps))].sort((a, b) => a - b);
      add(
        target,
        `${calls.join(", ")} calls over ${clean.length} runs (N = ${sizes.join(", ")})`,
        calls.length === 1 && calls[0] === 2,
      );
    }
    const agent = records.filter((r) => r.system === system && r.scenario === "agent-steps");
    const agentTarget = `${system}: LLM calls, clean agent-step runs <= N + 2`;
    if (agent.length === 0) missing(agentTarget);
    else {
      const bySize = [...new Map(agent.map((r) => [r.steps, r])).values()];
      add(
        agentTarget,
        bySize.map((r) => `N=${r.steps}: ${r.llmCalls}`).join("; "),
        agent.every((r) => r.llmCalls <= r.steps + 2),
      );
    }
  }
  const baselineTool = records.filter((r) => r.system === BASELINE && TOOL_SCENARIOS.includes(r.scenario));
  if (baselineTool.length > 0) {
    const bySize = [...new Map(baselineTool.map((r) => [r.steps, r])).values()];
    add(
      "baseline-tutorial: LLM calls, clean tool-step runs about 3N + 1 (reference)",
      bySize.map((r) => `N=${r.steps}: ${r.llmCalls} (3N+1 = ${3 * r.steps + 1})`).join("; "),
      baselineTool.every((r) => r.llmCalls === 3 * r.steps + 1),
    );
  }
}

/** Prompt tokens on 16-step clean runs: at most a third of the baseline's. */
function promptTokenTargets(
  records: RunRecord[],
  _references: ReferenceRecord[],
  { add, missing }: TargetSink,
): void {
  for (const [system, kind, scenarios] of REPLAN.flatMap((system) => [
    [system, "tool-step", TOOL_SCENARIOS] as const,
    [system, "agent-step", ["agent-steps"]] as const,
  ])) {
    const target = `${system}: prompt tokens, 16-step clean ${kind} runs <= 1/3 of the baseline's`;
    const pairs = scenarios
      .map((scenario) => ({
        scenario,
        mine: find(records, scenario, system, 16, 0) ?? find(records, scenario, system, 16, 100),
        theirs: find(records, scenario, BASELINE, 16, 0) ?? find(records, scenario, BASELINE, 16, 100),
      }))
      .filter((pair) => pair.mine && pair.theirs);
    if (pairs.length === 0) missing(target);
    else {
      add(
        target,
        pairs
          .map(
            ({ scenario, mine, theirs }) =>
              `${scenario}: ${mine!.promptTokens}/${theirs!.promptTokens} = ${fixed(mine!.promptTokens / theirs!.promptTokens)}`,
          )
          .join("; "),
        pairs.every(({ mine, theirs }) => mine!.promptTokens * 3 <= theirs!.promptTokens),
      );
    }
  }
}

/** The replanner's prompt: linear in the plan, not in the outputs. */
function replannerPromptTargets(
  records: RunRecord[],
  _references: ReferenceRecord[],
  { add, missing }: TargetSink,
): void {
  for (const system of REPLAN) {
    const at = (steps: number, label = "one-failure") =>
      find(records, label, system, steps, 0) ?? find(records, label, system, steps, 100);
    const small = at(16);
    const large = at(64);
    const target = `${system}: replanner prompt grows linearly with the plan (tokens/step at N=64 <= 1.25x N=16)`;
    if (!small || !large) missing(target);
    else {
      const perSmall = small.replannerPromptTokens / 16;
      const perLarge = large.replannerPromptTokens / 64;
      add(
        target,
        `N=16: ${small.replannerPromptTokens} (${fixed(perSmall, 1)}/step); N=64: ${large.replannerPromptTokens} (${fixed(perLarge, 1)}/step) = ${fixed(perLarge / perSmall)}x`,
        perLarge <= 1.25 * perSmall,
      );
    }
    const big = at(64, "one-failure-8x-output");
    const outputTarget = `${system}: replanner prompt does not grow with the outputs (8x outputs: <= 1.5x tokens)`;
    if (!large || !big) missing(outputTarget);
    else {
      const growth = big.replannerPromptTokens / large.replannerPromptTokens;
      const baseNormal = at(64) && find(records, "one-failure", BASELINE, 64, 0);
      const baseBig = find(records, "one-failure-8x-output", BASELINE, 64, 0);
      const contrast =
        baseNormal && baseBig
          ? ` (baseline, all replanner calls: ${baseNormal.replannerPromptTokens} -> ${baseBig.replannerPromptTokens} = ${fixed(baseBig.replannerPromptTokens / baseNormal.replannerPromptTokens, 1)}x)`
          : "";
      add(
        outputTarget,
        `N=64: ${large.replannerPromptTokens} -> ${big.replannerPromptTokens} = ${fixed(growth)}x${contrast}`,
        growth <= 1.5,
      );
    }
  }
}

/** Overhead per step with a zero-latency model, against 0.1 ms (core) and bare LangGraph (adapter). */
function overheadTargets(
  records: RunRecord[],
  references: ReferenceRecord[],
  { add, missing }: TargetSink,
): void {
  for (const scenario of ["fan-out", "chain"]) {
    const core = find(records, scenario, CORE, 1000, 0);
    const target = `replan-core: overhead @0ms < 0.1 ms/step (${scenario}, N=1000)`;
    if (!core) missing(target);
    else add(target, explain(core), perStep(core) < 0.1);
  }
  for (const [scenario, kind] of [
    ["fan-out", "tasks"],
    ["chain", "supersteps"],
  ] as const) {
    for (const steps of [100, 1000]) {
      const adapter = find(records, scenario, ADAPTER, steps, 0);
      const reference = references.find((r) => r.kind === kind && r.steps === steps);
      const target = `replan-langgraph: overhead @0ms <= 2x a bare LangGraph ${kind === "tasks" ? "task" : "superstep"} per step (${scenario}, N=${steps})`;
      if (!adapter || !reference) missing(target);
      else {
        const ratio = perStep(adapter) / (reference.wallMs / steps);
        add(
          target,
          `${fixed(ratio)}x: ${explain(adapter)}; bare ${fixed(reference.wallMs / steps, 4)} ms/step`,
          ratio <= 2,
        );
      }
    }
  }
}

/** Growth of the overhead per step from N = 100 to N = 1000. */
function growthTargets(
  records: RunRecord[],
  references: ReferenceRecord[],
  { add, missing }: TargetSink,
): void {
  for (const system of REPLAN) {
    for (const scenario of ["fan-out", "chain"]) {
      const big = find(records, scenario, system, 1000, 0);
      const small = find(records, scenario, system, 100, 0);
      const completes = `${system}: N=1000 completes (${scenario})`;
      if (!big) missing(completes);
      else add(completes, big.status, big.status === "completed");
      const target = `${system}: overhead/step at N=1000 <= 1.5x N=100 (${scenario})`;
      if (!big || !small) missing(target);
      else {
        const ratio = perStep(big) / perStep(small);
        // For context: how LangGraph's own per-step cost grows from 100 to 1000 (not part of the check).
        const growth = (kind: ReferenceRecord["kind"]) => {
          const bareBig = references.find((r) => r.kind === kind && r.steps === 1000);
          const bareSmall = references.find((r) => r.kind === kind && r.steps === 100);
          if (!bareBig || !bareSmall) return [];
          const small = bareSmall.wallMs / 100;
          const large = bareBig.wallMs / 1000;
          return [
            `bare ${REFERENCE_LABELS[kind]}: ${fixed(small, 4)} -> ${fixed(large, 4)} ms/step = ${fixed(large / small)}x`,
          ];
        };
        const kinds: ReferenceRecord["kind"][] =
          scenario === "fan-out" ? ["tasks", "functional"] : ["supersteps"];
        const contrast = system === ADAPTER ? kinds.flatMap(growth) : [];
        const context = contrast.length > 0 ? ` (${contrast.join("; ")})` : "";
        add(
          target,
          `${fixed(perStep(big), 4)} vs ${fixed(perStep(small), 4)} ms/step = ${fixed(ratio)}x${context}`,
          ratio <= 1.5,
        );
      }
    }
  }
}
