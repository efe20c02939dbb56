import { describe, expect, it } from "vitest";
import { ReplanError } from "./errors.js";
import { toMermaid } from "./mermaid.js";
import { parseRun, serializeRun } from "./serialize.js";
import { agent, startedRun } from "./test-helpers.js";
import { transition } from "./index.js";

describe("serializeRun / parseRun", () => {
  it("round-trips a run mid-flight, and the copy goes on the same way", () => {
    const { state } = startedRun([agent("a"), agent("b", ["a"])]);
    const copy = parseRun(serializeRun(state));
    expect(copy).toEqual(state);
    const finish = { type: "step-finish" as const, at: 2, stepId: "a", attempt: 1, result: { rows: [1, 2] } };
    expect(transition(copy, finish)).toEqual(transition(state, finish));
  });

  it("rejects invalid JSON and invalid states with invalid-state", () => {
    for (const bad of [
      "{nope",
      JSON.stringify({ version: 1 }),
      JSON.stringify({ ...startedRun([agent("a")]).state, status: "??" }),
    ]) {
      try {
        parseRun(bad);
        expect.unreachable();
      } catch (error) {
        expect(ReplanError.isInstance(error) && error.code).toBe("invalid-state");
      }
    }
  });
});

describe("toMermaid", () => {
  it("draws every step with its status and every dependency", () => {
    const { state } = startedRun([
      agent("fetch-data"),
      { id: "t", kind: "tool", tool: "http", description: 'say "hi" <b>', dependsOn: ["fetch-data"] },
    ]);
    const diagram = toMermaid(state.plan!);
    expect(diagram.split("\n")).toEqual([
      "flowchart TD",
      '  step_fetch_data["◐ fetch-data: do fetch-data<br/><i>running</i>"]:::running',
      '  step_t["○ t: http: say #quot;hi#quot; #lt;b#gt;<br/><i>pending</i>"]:::pending',
      "  step_fetch_data --> step_t",
      expect.stringMatching(/^ {2}classDef pending /),
      expect.stringMatching(/^ {2}classDef running /),
    ]);
    expect(toMermaid(state.plan!, { direction: "LR", maxLabelLength: 5 })).toContain("fetch-data: do f…");
  });
});
