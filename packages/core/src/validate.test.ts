import { describe, expect, it } from "vitest";
import { PlanValidationError, ReplanError } from "./errors.js";
import type { Step } from "./schemas.js";
import { agent } from "./test-helpers.js";
import { checkPlan, validatePlan } from "./validate.js";

function issuesOf(input: unknown, options = {}) {
  const check = checkPlan(input, options);
  if (check.ok) throw new Error("expected issues");
  return check.issues.map((issue) => ({ code: issue.code, stepIds: issue.stepIds }));
}

describe("validatePlan", () => {
  it("accepts a DAG, applying defaults", () => {
    const steps = validatePlan({
      steps: [
        { id: "a", kind: "agent", description: "x" },
        { id: "b", kind: "tool", tool: "t", description: "y", dependsOn: ["a"] },
      ],
    });
    expect(steps).toEqual([
      { id: "a", kind: "agent", description: "x", dependsOn: [] },
      { id: "b", kind: "tool", tool: "t", description: "y", dependsOn: ["a"], args: {} },
    ]);
  });

  it("throws a PlanValidationError with code invalid-plan listing every issue", () => {
    try {
      validatePlan([agent("a", ["nope"]), agent("a")]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PlanValidationError);
      expect(ReplanError.isInstance(error)).toBe(true);
      const { code, issues } = error as PlanValidationError;
      expect(code).toBe("invalid-plan");
      expect(issues.map((issue) => issue.code)).toEqual(["duplicate-id", "unknown-dependency"]);
      expect((error as Error).message).toContain('"nope"');
    }
  });

  it("names duplicate ids, unknown dependencies and self-dependencies", () => {
    expect(issuesOf([agent("a"), agent("a")])).toEqual([{ code: "duplicate-id", stepIds: ["a"] }]);
    expect(issuesOf([agent("a", ["b"])])).toEqual([{ code: "unknown-dependency", stepIds: ["a", "b"] }]);
    expect(issuesOf([agent("a", ["a"])])).toEqual([{ code: "self-dependency", stepIds: ["a"] }]);
  });

  it("names the steps of a cycle", () => {
    const issues = issuesOf([agent("x"), agent("a", ["c"]), agent("b", ["a"]), agent("c", ["b"])]);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.code).toBe("cycle");
    expect([...(issues[0]?.stepIds ?? [])].sort()).toEqual(["a", "b", "c"]);
  });

  it("finds a cycle in a deep chain without overflowing the stack", () => {
    const chain = Array.from({ length: 5000 }, (_, index) => agent(`s${index}`, [`s${(index + 1) % 5000}`]));
    expect(issuesOf(chain, { maxSteps: 10_000 })[0]?.code).toBe("cycle");
  });

  it("rejects references to steps that are not dependencies", () => {
    const plan = [
      agent("a"),
      agent("b", ["a"]),
      agent("other"),
      {
        id: "t",
        kind: "tool",
        tool: "x",
        description: "d",
        dependsOn: ["b"],
        args: { ok: "${a.x}", bad: ["${other}"] },
      },
    ];
    expect(issuesOf(plan)).toEqual([{ code: "invalid-reference", stepIds: ["t", "other"] }]);
  });

  it("rejects empty plans, oversized plans and malformed steps", () => {
    expect(issuesOf([])).toEqual([{ code: "empty-plan", stepIds: [] }]);
    expect(checkPlan([], { allowEmpty: true }).ok).toBe(true);
    expect(issuesOf([agent("a"), agent("b"), agent("c")], { maxSteps: 2 })).toEqual([
      { code: "too-many-steps", stepIds: [] },
    ]);
    expect(issuesOf([{ id: "bad id!", kind: "agent", description: "x" }])).toEqual([
      { code: "invalid-shape", stepIds: ["bad id!"] },
    ]);
    expect(issuesOf([{ id: "a", kind: "robot", description: "x" }])[0]?.code).toBe("invalid-shape");
    expect(issuesOf("not a plan")[0]?.code).toBe("invalid-shape");
    expect(issuesOf({ steps: "nope" })[0]?.code).toBe("invalid-shape");
  });

  it("lets new steps depend on locked steps but not replace them", () => {
    const locked: Step[] = [
      { id: "d", kind: "agent", description: "x", dependsOn: [], status: "done", attempts: 1, revision: 0 },
    ];
    expect(checkPlan([agent("n", ["d"])], { locked }).ok).toBe(true);
    expect(issuesOf([agent("d")], { locked })).toEqual([{ code: "replaces-locked-step", stepIds: ["d"] }]);
    expect(issuesOf([agent("a"), agent("b")], { locked, maxSteps: 2 })[0]?.code).toBe("too-many-steps");
  });
});
