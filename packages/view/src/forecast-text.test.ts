import { createRun, forecastPlan, transition } from "@replan/core";
import { describe, expect, it } from "vitest";
import { forecastText } from "./forecast-text.js";

describe("forecastText", () => {
  it("says core's forecast in one line", () => {
    let run = createRun({ runId: "r", goal: "Pay", budget: { effects: { tools: { lookup: "read" } } } });
    ({ state: run } = transition(run, { type: "start", at: 0 }));
    ({ state: run } = transition(run, {
      type: "plan",
      at: 1,
      output: [
        { id: "find", kind: "tool", tool: "lookup", args: {}, description: "Find" },
        { id: "pay", kind: "tool", tool: "pay", args: {}, dependsOn: ["find"], description: "Pay" },
        { id: "tell", kind: "agent", dependsOn: ["pay"], description: "Tell" },
      ],
    }));
    const forecast = forecastPlan(run.plan!, {
      usage: { llmCalls: 1 },
      agentStepCalls: { least: 1, most: 8 },
      answerCalls: 1,
    });
    expect(forecastText(forecast)).toBe(
      `Critical path: find → pay → tell (3 steps) · 3 model calls (at most 10) · about ${forecast.tokens.estimate.toLocaleString("en")} more tokens (estimate) · writes: pay, tell`,
    );
  });

  it("shows anything else as cut JSON, and never throws", () => {
    expect(forecastText({ ms: 300 })).toBe('Forecast: {"ms":300}');
    expect(
      forecastText({
        criticalPath: { steps: [1], depth: 1 },
        modelCalls: { total: 1 },
        tokens: { estimate: 1 },
      }),
    ).toBe(
      'Forecast: {"criticalPath":{"steps":[1],"depth":1},"modelCalls":{"total":1},"tokens":{"estimate":1}}',
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(forecastText(cyclic)).toBe("Forecast: [object Object]");
    expect(forecastText("x".repeat(1000))).toHaveLength("Forecast: ".length + 400);
  });
});
