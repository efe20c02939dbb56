import { describe, expect, test } from "vitest";
import { IllegalTransitionError, PlanValidationError, ReplanError } from "./errors.js";
import { isRetryable, toStepError } from "./step-errors.js";

describe("error classes", () => {
  const instances = {
    ReplanError: new ReplanError("invalid-options", "x"),
    PlanValidationError: new PlanValidationError([{ code: "empty-plan", stepIds: [], message: "empty" }]),
    IllegalTransitionError: new IllegalTransitionError("step-end", "no such step"),
  };
  const classes = { ReplanError, PlanValidationError, IllegalTransitionError };

  test("each class's isInstance accepts its own instances and no other class's; the base accepts all", () => {
    for (const [className, errorClass] of Object.entries(classes)) {
      for (const [instanceName, instance] of Object.entries(instances)) {
        const expected = className === "ReplanError" || className === instanceName;
        expect([className, instanceName, errorClass.isInstance(instance)]).toEqual([
          className,
          instanceName,
          expected,
        ]);
      }
      expect(errorClass.isInstance(new Error("plain"))).toBe(false);
      expect(errorClass.isInstance({ code: "invalid-plan" })).toBe(false);
      expect(errorClass.isInstance(null)).toBe(false);
    }
  });

  test("retryable is a typed field, false unless the thrower says otherwise", () => {
    expect(new ReplanError("step-timeout", "slow").retryable).toBe(false);
    expect(new ReplanError("step-timeout", "slow", { retryable: true }).retryable).toBe(true);
    expect(isRetryable(new ReplanError("step-timeout", "slow", { retryable: true }))).toBe(true);
    expect(isRetryable(instances.PlanValidationError)).toBe(false);
    // A user's own error: its boolean `retryable` if it has one, else retryable.
    expect(isRetryable(Object.assign(new Error("x"), { retryable: false }))).toBe(false);
    expect(isRetryable(new Error("x"))).toBe(true);
    expect(isRetryable("a string")).toBe(true);
  });

  test("toStepError keeps a string code and the message, whatever was thrown", () => {
    expect(toStepError(new ReplanError("unknown-tool", "no tool"), "executor-failed")).toEqual({
      code: "unknown-tool",
      message: "no tool",
    });
    expect(toStepError({ code: 5, message: "m" }, "executor-failed").code).toBe("executor-failed");
    expect(toStepError("boom", "executor-failed")).toEqual({ code: "executor-failed", message: "boom" });
  });
});
