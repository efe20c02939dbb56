// One run of one system on one scenario, measured: wall time, LLM calls, prompt tokens and, with a
// checkpointer, the bytes it saved.
import { MemorySaver } from "@langchain/langgraph";
import { createPlanExecuteAgent } from "@replan/langgraph";
import { baselineRecursionLimit, createBaselineGraph } from "./baseline.js";
import { runCore } from "./core-system.js";
import { baselineModel, type BenchModel, callStats, replanModel } from "./model.js";
import { collectGarbage } from "./reference.js";
import { criticalPathMs, type Scenario } from "./scenarios.js";
import { langchainTools, toolFunctions } from "./tools.js";

export type SystemName = "replan-core" | "replan-langgraph" | "baseline-tutorial";

export const SYSTEM_NAMES: readonly SystemName[] = ["replan-core", "replan-langgraph", "baseline-tutorial"];

/** One line of the benchmark's output. */
export interface RunRecord {
  scenario: string;
  system: SystemName;
  /** Steps in the planner's plan. */
  steps: number;
  /** Latency of one model call (and the unit of the steps' latencies), in ms. */
  latencyMs: number;
  llmCalls: number;
  /** Prompt tokens of every model call (o200k_base), tool schemas included. */
  promptTokens: number;
  /** Median wall time of the runs, in ms. */
  wallMs: number;
  /** Plan + longest path of step latencies (+ replan) + answer: the least possible wall time. */
  criticalPathMs: number;
  /** How the run ended (`completed` for every clean run). */
  status: string;
  /** Prompt tokens of the replanner's calls. */
  replannerPromptTokens: number;
  /** The largest prompt of one call. */
  maxPromptTokens: number;
  /** Median time spent inside model calls (overlapping calls counted each), in ms. */
  modelMs: number;
  /** How many runs the medians are of. */
  runs: number;
  /** With a checkpointer: bytes of the serialized checkpoints and pending writes saved. */
  checkpointBytes?: number;
  checkpoints?: number;
  checkpointWrites?: number;
}

/** One measured run. */
export interface Measurement {
  wallMs: number;
  /** When each record was fetched (by record id), in ms from the first tool call's start (with `trackFetches`). */
  fetchEndsMs?: Map<string, number>;
  modelMs: number;
  status: string;
  model: BenchModel;
  checkpoint?: { bytes: number; checkpoints: number; writes: number };
}

export interface RunOptions {
  /** Run the graph with a MemorySaver and measure what it saved (adapter and baseline only). */
  checkpointer?: boolean;
  /** Note when each record is fetched (`fetchEndsMs`; replan-core and replan-langgraph only). */
  trackFetches?: boolean;
}

let threadCounter = 0;

/**
 * Runs one system once on a scenario and measures it.
 *
 * @param system - which system.
 * @param scenario - the scenario.
 * @param latencyMs - the latency of a model call.
 * @param options - a checkpointer or not.
 */
export async function measure(
  system: SystemName,
  scenario: Scenario,
  latencyMs: number,
  options: RunOptions = {},
): Promise<Measurement> {
  const budget = { concurrency: scenario.n, maxSteps: scenario.n + 10 };
  const saver = options.checkpointer ? new MemorySaver() : undefined;
  const config = { configurable: { thread_id: `bench-${++threadCounter}` } };
  const ends = new Map<string, number>();
  let start = 0;
  // From the first tool call's start: the plan's own time (which varies with the machine's load) left out.
  let first: number | undefined;
  const hooks = options.trackFetches
    ? {
        onStart: () => {
          first ??= performance.now();
        },
        onEnd: (_tool: string, id: string) => ends.set(id, performance.now() - (first ?? start)),
      }
    : {};
  const fetches = options.trackFetches ? { fetchEndsMs: ends } : {};
  if (system === "replan-core") {
    const model = replanModel(scenario, latencyMs);
    const tools = langchainTools(scenario, latencyMs);
    const functions = toolFunctions(scenario, latencyMs, hooks);
    collectGarbage();
    start = performance.now();
    const { result } = await runCore({ goal: scenario.goal, model, tools, functions, ...budget });
    const wallMs = performance.now() - start;
    return { wallMs, modelMs: model.modelMs, status: result.status, model, ...fetches };
  }
  if (system === "replan-langgraph") {
    const model = replanModel(scenario, latencyMs);
    const agent = createPlanExecuteAgent({
      model,
      tools: langchainTools(scenario, latencyMs, hooks),
      budget,
      ...(saver ? { checkpointer: saver } : {}),
    });
    collectGarbage();
    start = performance.now();
    const state = await agent.invoke({ goal: scenario.goal }, config);
    const wallMs = performance.now() - start;
    return {
      wallMs,
      modelMs: model.modelMs,
      status: state.outcome?.status ?? "unknown",
      model,
      ...fetches,
      ...(saver ? { checkpoint: savedBytes(saver) } : {}),
    };
  }
  const model = baselineModel(scenario, latencyMs);
  const graph = createBaselineGraph(model, langchainTools(scenario, latencyMs), saver);
  collectGarbage();
  start = performance.now();
  const state = await graph.invoke(
    { input: scenario.goal },
    { ...config, recursionLimit: baselineRecursionLimit(scenario.n + 2) },
  );
  const wallMs = performance.now() - start;
  return {
    wallMs,
    modelMs: model.modelMs,
    status: state.response ? "completed" : "failed",
    model,
    ...(saver ? { checkpoint: savedBytes(saver) } : {}),
  };
}

/**
 * Runs a system `runs` times and makes the record: medians of the times, usage of the first run
 * (the script is deterministic, so every run makes the same calls).
 */
export async function runSystem(
  system: SystemName,
  scenario: Scenario,
  latencyMs: number,
  options: RunOptions & { runs?: number; scenarioLabel?: string } = {},
): Promise<RunRecord> {
  const runs = options.runs ?? 1;
  const measurements: Measurement[] = [];
  for (let index = 0; index < runs; index++)
    measurements.push(await measure(system, scenario, latencyMs, options));
  return recordOf(system, scenario, latencyMs, measurements, options.scenarioLabel);
}

/**
 * The record of a system's runs on a scenario: medians of the times, usage of the first run (the
 * script is deterministic, so every run makes the same calls; runs that differ are a bug).
 */
export function recordOf(
  system: SystemName,
  scenario: Scenario,
  latencyMs: number,
  measurements: Measurement[],
  scenarioLabel?: string,
): RunRecord {
  const runs = measurements.length;
  const first = measurements[0]!;
  const stats = callStats(first.model.calls);
  for (const other of measurements.slice(1)) {
    if (other.model.calls.length !== first.model.calls.length || other.status !== first.status) {
      throw new Error(
        `${system} on ${scenario.name}: runs differ (${other.model.calls.length} vs ${first.model.calls.length} calls)`,
      );
    }
  }
  const record: RunRecord = {
    scenario: scenarioLabel ?? scenario.name,
    system,
    steps: scenario.n,
    latencyMs,
    llmCalls: stats.llmCalls,
    promptTokens: stats.promptTokens,
    wallMs: round(median(measurements.map((m) => m.wallMs))),
    criticalPathMs: criticalPathMs(scenario, latencyMs),
    status: first.status,
    replannerPromptTokens: stats.replannerPromptTokens,
    maxPromptTokens: stats.maxPromptTokens,
    modelMs: round(median(measurements.map((m) => m.modelMs))),
    runs,
  };
  if (first.checkpoint) {
    record.checkpointBytes = first.checkpoint.bytes;
    record.checkpoints = first.checkpoint.checkpoints;
    record.checkpointWrites = first.checkpoint.writes;
  }
  return record;
}

/** Bytes of every serialized checkpoint (with its metadata) and pending write a MemorySaver holds. */
export function savedBytes(saver: MemorySaver): { bytes: number; checkpoints: number; writes: number } {
  const size = (value: unknown) =>
    typeof value === "string"
      ? Buffer.byteLength(value)
      : ((value as Uint8Array | undefined)?.byteLength ?? 0);
  let bytes = 0;
  let checkpoints = 0;
  let writes = 0;
  for (const namespaces of Object.values(saver.storage)) {
    for (const byId of Object.values(namespaces)) {
      for (const [checkpoint, metadata] of Object.values(byId)) {
        bytes += size(checkpoint) + size(metadata);
        checkpoints++;
      }
    }
  }
  for (const byTask of Object.values(saver.writes)) {
    for (const [, , value] of Object.values(byTask)) {
      bytes += size(value);
      writes++;
    }
  }
  return { bytes, checkpoints, writes };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
