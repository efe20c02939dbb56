import { describe, expect, it } from "vitest";
import { criticalPath } from "./critical-path.js";
import { withEffect } from "./effect-declaration.js";
import { forecastPlan } from "./forecast.js";
import { ReplanError } from "./errors.js";
import type { Plan } from "./schemas.js";

// Issue #20: hostile input to the effects API threw untyped TypeErrors or was accepted.
const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return ReplanError.isInstance(error) ? error.code : `untyped ${String(error)}`;
  }
  return undefined;
};

const plan: Plan = {
  goal: "g",
  revision: 0,
  steps: [
    { id: "a", kind: "agent", description: "d", dependsOn: [], status: "pending", attempts: 0, revision: 0 },
  ],
} as Plan;

describe("hostile input to the effects API", () => {
  it("withEffect refuses null options with invalid-options", () => {
    expect(codeOf(() => withEffect(() => 1, "write", null as never))).toBe("invalid-options");
    expect(codeOf(() => withEffect(() => 1, "write", 5 as never))).toBe("invalid-options");
  });

  it("criticalPath refuses what is not an array of steps with invalid-plan", () => {
    for (const steps of [5, null, undefined, "s", [null], [{ id: 1 }]]) {
      expect(
        codeOf(() => criticalPath(steps as never)),
        String(steps),
      ).toBe("invalid-plan");
    }
  });

  it("forecastPlan refuses a call range whose least is over its most", () => {
    expect(codeOf(() => forecastPlan(plan, { agentStepCalls: { least: 5, most: 1 } }))).toBe(
      "invalid-options",
    );
    expect(codeOf(() => forecastPlan(plan, { checkCalls: { least: 2, most: 1 } }))).toBe("invalid-options");
    expect(codeOf(() => forecastPlan(plan, { agentStepCalls: { least: 1, most: 5 } }))).toBeUndefined();
  });
});
