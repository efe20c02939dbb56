// The failure-beside-branches scenario: its shape, what a full rewrite of the same replan holds,
// and real runs of replan's systems on it (they complete, applying the patch).
import { describe, expect, it } from "vitest";
import { fullRewriteSteps, startedAtFailure, withoutFailure } from "./branches-scenario.js";
import { fullRewriteOutputTokens, replannerOutputTokens } from "./replan-replies.js";
import { criticalPathMs, makeScenario } from "./scenarios.js";
import { measure } from "./systems.js";
import { TOKEN_CLOCK } from "./token-clock.js";
import { measureTokenTime } from "./token-time.js";

const scenario = makeScenario("failure-beside-branches", 13);

describe("failure-beside-branches", () => {
  it("fails a1 while the other branches' first fetches run; a full rewrite holds every step not started", () => {
    expect(scenario.steps).toHaveLength(13);
    const failure = scenario.failure!;
    expect([...startedAtFailure({ ...scenario, failure })].sort()).toEqual(["a1", "b1", "c1", "d1"]);
    expect(fullRewriteSteps({ ...scenario, failure }).map((step) => step.id)).toEqual([
      "a1-mirror",
      "a2",
      "a3",
      "join",
      "b2",
      "b3",
      "c2",
      "c3",
      "d2",
      "d3",
    ]);
    // the critical path: a1 (0.25) + the replan + the mirror (0.25) + a2, a3, join, between plan and answer
    expect(criticalPathMs(scenario, 100)).toBe(100 + 25 + 100 + 25 + 300 + 100);
  });

  it("writes a patch of under 40% of a full rewrite's tokens, in JSON and in the compact format", () => {
    for (const format of ["json", "compact"] as const) {
      expect(replannerOutputTokens(scenario, format)).toBeLessThan(
        0.4 * fullRewriteOutputTokens(scenario, format),
      );
    }
  });

  it("runs to completion in replan-core and replan-langgraph, with and without the failure", async () => {
    for (const system of ["replan-core", "replan-langgraph"] as const) {
      for (const target of [scenario, withoutFailure(scenario)]) {
        const run = await measure(system, target, 0, { trackFetches: true });
        expect(run.status).toBe("completed");
        expect(run.fetchEndsMs?.has("d3")).toBe(true);
      }
    }
    const streamed = await measureTokenTime("replan-langgraph", scenario, TOKEN_CLOCK);
    expect(streamed.status).toBe("completed");
    expect(streamed.model.timings.filter((timing) => timing.role === "replanner")).toHaveLength(1);
  });
});
