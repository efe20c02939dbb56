// The token-time section: its critical paths agree with the classic one when tokens cost nothing,
// count the same tokens the model streams, and every system runs and makes a record; every target
// is judged PASS or FAIL.
import { beforeAll, describe, expect, it } from "vitest";
import { criticalPathMs, makeScenario } from "./scenarios.js";
import type { TokenClock } from "./token-clock.js";
import { planTokensPerStep, streamedCall, tokenCriticalPathMs } from "./token-critical-path.js";
import {
  measureTokenTime,
  runTokenTime,
  TOKEN_TIME_SCENARIOS,
  TOKEN_TIME_SYSTEMS,
  type TokenTimeRecord,
} from "./token-time.js";
import { evaluateTokenTimeTargets, formatTokenTimeTable } from "./token-time-report.js";
import { countTokens } from "./tokens.js";

const clock: TokenClock = { ttftMs: 20, tokensPerSecond: 2000, toolLatencyMs: 10 };

describe("token-time critical path", () => {
  it("is the classic critical path without its plan, replan and answer calls when tokens are free", () => {
    const free: TokenClock = { ttftMs: 0, tokensPerSecond: 1e12, toolLatencyMs: 100 };
    for (const name of TOKEN_TIME_SCENARIOS) {
      const scenario = makeScenario(name, 16);
      const calls = scenario.failure ? 300 : 200; // plan, (replan,) answer at 100 ms each
      const classic = criticalPathMs(scenario, 100) - calls;
      expect(tokenCriticalPathMs("replan-langgraph-batch", scenario, free)).toBeCloseTo(classic, 3);
      expect(tokenCriticalPathMs("replan-langgraph", scenario, free)).toBeCloseTo(classic, 3);
      expect(tokenCriticalPathMs("baseline-tutorial", scenario, free)).toBeCloseTo(classic, 3);
      // LLMCompiler runs the failed step's dependent (one more step) before its joiner replans.
      const extra = scenario.failure ? 100 : 0;
      expect(tokenCriticalPathMs("llmcompiler", scenario, free)).toBeCloseTo(classic + extra, 3);
    }
  });

  it("makes a step available when its last token has arrived", () => {
    const call = streamedCall(
      ["plan", '{"steps":[{"id":"a"},{"id":"b"}]}'],
      [
        ["a", 1, '{"steps":[{"id":"a"}'.length],
        ["b", 1, '{"steps":[{"id":"a"},{"id":"b"}'.length],
      ],
    );
    expect(call.tokens).toBe(countTokens("plan") + countTokens('{"steps":[{"id":"a"},{"id":"b"}]}'));
    expect(call.stepTokens.get("a")).toBeLessThan(call.stepTokens.get("b")!);
    expect(call.stepTokens.get("b")).toBeLessThanOrEqual(call.tokens);
    // A chain's plan written at 1 token/s: the chain cannot start before its first step's text ends.
    const slow: TokenClock = { ttftMs: 0, tokensPerSecond: 1, toolLatencyMs: 1 };
    const chain = makeScenario("chain", 2);
    const path = tokenCriticalPathMs("llmcompiler", chain, slow);
    expect(path).toBeGreaterThan(planTokensPerStep("llmcompiler", chain) * 2 * 1000 - 1000);
  });

  it("counts the tokens the model streams: the first plan call of each system", async () => {
    countTokens("load the tokenizer");
    for (const system of TOKEN_TIME_SYSTEMS) {
      for (const name of ["fan-out", "one-failure"] as const) {
        const scenario = makeScenario(name, 4);
        const run = await measureTokenTime(system, scenario, clock);
        expect(run.model.timings[0]!.outputTokens, `${system} ${name}`).toBe(
          planTokensPerStep(system, scenario) * scenario.steps.length,
        );
      }
    }
  });
});

describe("token-time records", () => {
  beforeAll(() => countTokens("load the tokenizer"));

  it("runs every system on every scenario and makes complete records; every target is judged", async () => {
    const records: TokenTimeRecord[] = [];
    for (const name of TOKEN_TIME_SCENARIOS) {
      for (const system of TOKEN_TIME_SYSTEMS)
        records.push(await runTokenTime(system, makeScenario(name, 4), clock));
    }
    expect(TOKEN_TIME_SYSTEMS).toEqual([
      "replan-langgraph",
      "replan-langgraph-batch",
      "llmcompiler",
      "baseline-tutorial",
    ]);
    for (const record of records) {
      expect(record).toMatchObject({
        clock: "token-time",
        steps: 4,
        status: "completed",
        ttftMs: 20,
        tokensPerSecond: 2000,
      });
      expect(record.wallMs).toBeGreaterThanOrEqual(record.criticalPathMs * 0.98);
      expect(record.firstStepStartMs).toBeGreaterThanOrEqual(clock.ttftMs);
      expect(record.plannerOutputTokens).toBeGreaterThan(0);
      expect(record.outputTokens).toBeGreaterThan(record.plannerOutputTokens);
      expect(record.promptTokens).toBeGreaterThan(0);
    }
    const calls = (system: string, scenario: string) =>
      records.find((record) => record.system === system && record.scenario === scenario)?.llmCalls;
    expect(calls("replan-langgraph", "chain")).toBe(2);
    expect(calls("replan-langgraph", "one-failure")).toBe(3); // planner, replanner, answer
    expect(calls("replan-langgraph-batch", "chain")).toBe(2);
    expect(calls("llmcompiler", "chain")).toBe(2); // planner, joiner
    expect(calls("llmcompiler", "one-failure")).toBe(4); // planner, joiner, replanner, joiner
    const results = evaluateTokenTimeTargets(records, clock);
    expect(results.map((result) => result.status).every((status) => status !== "not measured")).toBe(true);
    expect(results.map((result) => result.target)).toEqual([
      "replan-langgraph: wall <= 1.10x its criticalPathMs in every scenario",
      "chain 4: replan-langgraph >= 1.25x faster than replan-langgraph-batch",
      "replan-langgraph: firstStepStartMs <= ttftMs + 2x the time to write one step",
      "replan-langgraph: plannerOutputTokens per step <= 50% of today's JSON plan (replan-langgraph-batch, same plans)",
      "against llmcompiler: wall <= 1.0x in every scenario (<= 0.8x on one-failure)",
      "against llmcompiler: outputTokens <= 1.0x in every scenario",
      expect.stringContaining("llmcompiler (check): dispatches while planning"),
      "every token-time run completes (check)",
    ]);
    // the compact plan is measured, not assumed: a third of the JSON plan's tokens
    const tokens = results.find((result) => result.target.includes("plannerOutputTokens"))!;
    expect(tokens.status).toBe("PASS");
    // streaming really overlaps: the first step starts before the planner's call has ended
    // (a slower writer, so that the order does not depend on this machine's load)
    const slowWriter: TokenClock = { ...clock, tokensPerSecond: 200 };
    const streamed = await measureTokenTime("replan-langgraph", makeScenario("chain", 4), slowWriter);
    const planner = streamed.model.timings.find((timing) => timing.role === "planner")!;
    expect(streamed.stepStartsMs[0]).toBeLessThan(planner.endedAt - streamed.startedAt);
    expect(formatTokenTimeTable(records)).not.toContain("not measured");
  });
});
