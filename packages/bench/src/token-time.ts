// The token-time runs: each system on a scenario, with the scripted model on the token-time clock
// (TokenTimeModel) and the tools at the clock's latency unit, measured: wall time, when the first
// step started, the model's output tokens (the planner's apart), prompt tokens and calls.
import { HumanMessage } from "@langchain/core/messages";
import { createPlanExecuteAgent } from "@replan/langgraph";
import { baselineRecursionLimit, createBaselineGraph } from "./baseline.js";
import { createLLMCompilerGraph } from "./llmcompiler/graph.js";
import { compactScript } from "./compact-script.js";
import { llmCompilerScript } from "./llmcompiler-script.js";
import { baselineScript, callStats, replanScript, type Script } from "./model.js";
import { collectGarbage } from "./reference.js";
import type { Scenario, ScenarioName } from "./scenarios.js";
import { median, round } from "./systems.js";
import type { TokenClock } from "./token-clock.js";
import { type TokenTimeSystem, tokenCriticalPathMs } from "./token-critical-path.js";
import { TokenTimeModel } from "./token-time-model.js";
import { langchainTools, type ToolHooks } from "./tools.js";

export type { TokenTimeSystem } from "./token-critical-path.js";

/** The scenarios measured on the token-time clock. */
export const TOKEN_TIME_SCENARIOS: readonly ScenarioName[] = [
  "chain",
  "fan-out",
  "skewed-dag",
  "one-failure",
];

/** One system on one scenario, ready to run once: its model, and the run. */
interface Prepared {
  model: TokenTimeModel;
  run: () => Promise<string>;
}

type Runner = (scenario: Scenario, clock: TokenClock, hooks: ToolHooks) => Prepared;

const model = (responses: Script, clock: TokenClock) => new TokenTimeModel({ responses, clock });

let threadCounter = 0;

/**
 * The adapter's agent on the scenario: `replan-langgraph` streams its plan in the compact format
 * (each step starts as its line ends), `replan-langgraph-batch` writes today's JSON plan and runs
 * it once it is whole (`planStreaming: false`).
 */
function adapterRunner(streaming: boolean): Runner {
  return (scenario, clock, hooks) => {
    const scripted = model(streaming ? compactScript(scenario) : replanScript(scenario, 0), clock);
    const agent = createPlanExecuteAgent({
      model: scripted,
      tools: langchainTools(scenario, clock.toolLatencyMs, hooks),
      budget: { concurrency: scenario.n, maxSteps: scenario.n + 10 },
      planStreaming: streaming,
      planFormat: streaming ? "compact" : "json",
    });
    return {
      model: scripted,
      run: async () => {
        const state = await agent.invoke(
          { goal: scenario.goal },
          { configurable: { thread_id: `tt-${++threadCounter}` } },
        );
        return state.outcome?.status ?? "unknown";
      },
    };
  };
}

/** How each system runs, on the same scripted model, clock and tools. */
export const TOKEN_TIME_RUNNERS: Record<TokenTimeSystem, Runner | undefined> = {
  "replan-langgraph": adapterRunner(true),
  "replan-langgraph-batch": adapterRunner(false),
  llmcompiler: (scenario, clock, hooks) => {
    const scripted = model(llmCompilerScript(scenario), clock);
    const graph = createLLMCompilerGraph(scripted, langchainTools(scenario, clock.toolLatencyMs, hooks));
    return {
      model: scripted,
      run: async () => {
        const { messages } = await graph.invoke({ messages: [new HumanMessage(scenario.goal)] });
        return messages.at(-1)?.getType() === "ai" && messages.at(-1)?.text.startsWith("Done:")
          ? "completed"
          : "failed";
      },
    };
  },
  "baseline-tutorial": (scenario, clock, hooks) => {
    const scripted = model(baselineScript(scenario, 0), clock);
    const graph = createBaselineGraph(scripted, langchainTools(scenario, clock.toolLatencyMs, hooks));
    return {
      model: scripted,
      run: async () => {
        const state = await graph.invoke(
          { input: scenario.goal },
          { recursionLimit: baselineRecursionLimit(scenario.n + 2) },
        );
        return state.response ? "completed" : "failed";
      },
    };
  },
};

/** The systems that have a runner. */
export const TOKEN_TIME_SYSTEMS = (Object.keys(TOKEN_TIME_RUNNERS) as TokenTimeSystem[]).filter(
  (system) => TOKEN_TIME_RUNNERS[system] !== undefined,
);

/** One line of the token-time output. */
export interface TokenTimeRecord {
  clock: "token-time";
  scenario: string;
  steps: number;
  system: TokenTimeSystem;
  /** Median wall time of the runs, in ms. */
  wallMs: number;
  /** The least wall time of a system writing this plan in its format at this rate (token-critical-path.ts). */
  criticalPathMs: number;
  /** Median time from the run's start to the first tool call's start, in ms. */
  firstStepStartMs: number;
  /** Output tokens of the plan-writing calls (planner and replanner roles). */
  plannerOutputTokens: number;
  /** Output tokens of every call. */
  outputTokens: number;
  promptTokens: number;
  llmCalls: number;
  ttftMs: number;
  tokensPerSecond: number;
  toolLatencyMs: number;
  status: string;
  runs: number;
}

/** One measured run. */
export interface TokenTimeRun {
  wallMs: number;
  firstStepStartMs: number;
  /** When each tool call started, in ms from the run's start, in order. */
  stepStartsMs: number[];
  /** When each record was fetched (by record id; the last fetch of an id), in ms from the run's start. */
  fetchEndsMs: Map<string, number>;
  status: string;
  model: TokenTimeModel;
  /** `performance.now()` at the run's start (the model's call timings are on the same clock). */
  startedAt: number;
}

/**
 * Runs one system once on a scenario under the token-time clock.
 *
 * @param system - a system with a runner.
 * @param scenario - the scenario (tool steps).
 * @param clock - the clock.
 */
export async function measureTokenTime(
  system: TokenTimeSystem,
  scenario: Scenario,
  clock: TokenClock,
): Promise<TokenTimeRun> {
  const runner = TOKEN_TIME_RUNNERS[system];
  if (!runner) throw new Error(`${system} does not run yet (pending: streaming plan execution)`);
  const starts: number[] = [];
  const ends = new Map<string, number>();
  const prepared = runner(scenario, clock, {
    onStart: () => starts.push(performance.now()),
    onEnd: (_tool, id) => ends.set(id, performance.now()),
  });
  collectGarbage();
  const startedAt = performance.now();
  const status = await prepared.run();
  const wallMs = performance.now() - startedAt;
  const stepStartsMs = starts.map((at) => at - startedAt);
  const fetchEndsMs = new Map([...ends].map(([id, at]) => [id, at - startedAt]));
  return {
    wallMs,
    firstStepStartMs: stepStartsMs[0] ?? Number.NaN,
    stepStartsMs,
    fetchEndsMs,
    status,
    model: prepared.model,
    startedAt,
  };
}

/**
 * Runs a system `runs` times and makes its record (medians of times; tokens and calls of the
 * first run, which every run repeats).
 */
export async function runTokenTime(
  system: TokenTimeSystem,
  scenario: Scenario,
  clock: TokenClock,
  runs = 1,
): Promise<TokenTimeRecord> {
  const measured: TokenTimeRun[] = [];
  for (let index = 0; index < runs; index++) measured.push(await measureTokenTime(system, scenario, clock));
  return tokenTimeRecordOf(system, scenario, clock, measured);
}

/**
 * The record of measured runs: medians of the times; tokens and calls of the first run (which
 * every run repeats).
 */
export function tokenTimeRecordOf(
  system: TokenTimeSystem,
  scenario: Scenario,
  clock: TokenClock,
  measured: TokenTimeRun[],
): TokenTimeRecord {
  const runs = measured.length;
  const first = measured[0]!;
  const timings = first.model.timings;
  const sum = (list: typeof timings) => list.reduce((total, timing) => total + timing.outputTokens, 0);
  const stats = callStats(first.model.calls);
  return {
    clock: "token-time",
    scenario: scenario.name,
    steps: scenario.n,
    system,
    wallMs: round(median(measured.map((run) => run.wallMs))),
    criticalPathMs: round(tokenCriticalPathMs(system, scenario, clock)),
    firstStepStartMs: round(median(measured.map((run) => run.firstStepStartMs))),
    plannerOutputTokens: sum(
      timings.filter((timing) => timing.role === "planner" || timing.role === "replanner"),
    ),
    outputTokens: sum(timings),
    promptTokens: stats.promptTokens,
    llmCalls: stats.llmCalls,
    ttftMs: clock.ttftMs,
    tokensPerSecond: clock.tokensPerSecond,
    toolLatencyMs: clock.toolLatencyMs,
    status: first.status,
    runs,
  };
}
