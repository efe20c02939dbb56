// A quick check of the benchmark's code (CI runs this, never the full benchmark): every system once
// on tiny scenarios at 0 ms, the record's shape, and the LLM-call counts the targets rely on.
import { describe, expect, it } from "vitest";
import { formatTable, formatTargets } from "./report.js";
import { evaluateTargets } from "./targets.js";
import { criticalPathMs, makeScenario } from "./scenarios.js";
import { type RunRecord, runSystem, SYSTEM_NAMES } from "./systems.js";
import { countTokens, promptTokensOf } from "./tokens.js";

const N = 4;

function expectShape(record: RunRecord) {
  expect(record).toMatchObject({
    scenario: expect.any(String),
    system: expect.stringMatching(/^(replan-core|replan-langgraph|baseline-tutorial)$/),
    steps: N,
    latencyMs: 0,
    llmCalls: expect.any(Number),
    promptTokens: expect.any(Number),
    wallMs: expect.any(Number),
    criticalPathMs: 0,
    status: "completed",
  });
  expect(record.promptTokens).toBeGreaterThan(0);
  expect(record.wallMs).toBeGreaterThan(0);
  expect(JSON.parse(JSON.stringify(record))).toEqual(record);
}

describe("bench smoke", () => {
  it("runs each system on a fan-out of tool steps: 2 calls for replan, 3N + 1 for the baseline", async () => {
    const scenario = makeScenario("fan-out", N);
    const records: RunRecord[] = [];
    for (const system of SYSTEM_NAMES) records.push(await runSystem(system, scenario, 0));
    for (const record of records) expectShape(record);
    const [core, adapter, baseline] = records;
    expect(core!.llmCalls).toBe(2);
    expect(adapter!.llmCalls).toBe(2);
    expect(baseline!.llmCalls).toBe(3 * N + 1);
    // Same script and prompts: the core driver and the adapter send the same tokens.
    expect(core!.promptTokens).toBe(adapter!.promptTokens);
    expect(adapter!.promptTokens).toBeLessThan(baseline!.promptTokens);
    const table = formatTable(records, []);
    expect(table).toContain("fan-out");
    expect(formatTargets(evaluateTargets(records, []))).toContain("PASS");
  });

  it("counts at most N + 2 calls for agent steps, 2N + 1 for the baseline", async () => {
    const scenario = makeScenario("agent-steps", N);
    for (const system of SYSTEM_NAMES) {
      const record = await runSystem(system, scenario, 0);
      expectShape(record);
      expect(record.llmCalls).toBe(system === "baseline-tutorial" ? 2 * N + 1 : N + 2);
    }
  });

  it("replans one failure with one replanner call; the baseline runs one more step", async () => {
    const scenario = makeScenario("one-failure", N);
    for (const system of SYSTEM_NAMES) {
      const record = await runSystem(system, scenario, 0);
      expectShape(record);
      expect(record.replannerPromptTokens).toBeGreaterThan(0);
      expect(record.llmCalls).toBe(system === "baseline-tutorial" ? 3 * (N + 1) + 1 : 3);
    }
  });

  it("runs the chain and the skewed DAG, and measures checkpoints", async () => {
    for (const name of ["chain", "skewed-dag"] as const) {
      for (const system of SYSTEM_NAMES) expectShape(await runSystem(system, makeScenario(name, N), 0));
    }
    const saved = await runSystem("replan-langgraph", makeScenario("fan-out", N), 0, { checkpointer: true });
    expect(saved.checkpointBytes).toBeGreaterThan(0);
    expect(saved.checkpoints).toBeGreaterThan(0);
  });

  it("computes critical paths and counts tokens with o200k_base", () => {
    expect(criticalPathMs(makeScenario("fan-out", 16), 100)).toBe(400); // plan, a step, the join, answer
    expect(criticalPathMs(makeScenario("chain", 4), 100)).toBe(600);
    expect(criticalPathMs(makeScenario("skewed-dag", 16), 100)).toBe(625); // plan, slow 400, join 25, answer
    expect(criticalPathMs(makeScenario("one-failure", 4), 100)).toBe(800); // + replan and the mirror
    expect(countTokens("hello world")).toBe(2);
    expect(promptTokensOf([], [])).toBe(3);
  });
});
