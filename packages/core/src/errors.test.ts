import { describe, expect, test } from "vitest";
import { IllegalTransitionError, PlanValidationError, ReplanError } from "./errors.js";
import { markerMismatches } from "./marker-check.js";
import { isRetryable, toStepError } from "./step-errors.js";

describe("error classes", () => {
  const instances = {
    ReplanError: new ReplanError("invalid-options", "x"),
    PlanValidationError: new PlanValidationError([{ code: "empty-plan", stepIds: [], message: "empty" }]),
    IllegalTransitionError: new IllegalTransitionError("step-end", "no such step"),
  };
  const classes = { ReplanError, PlanValidationError, IllegalTransitionError };

  test("each class's isInstance accepts its own instances and no other class's; the base accepts all", () => {
    expect(
      markerMismatches(classes, instances, [new Error("plain"), { code: "invalid-plan" }, null]),
    ).toEqual([]);
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

describe("error classes across two copies of the package", () => {
  test("each class recognises its own errors from the other copy, and still no other class's", async () => {
    // A second instance of the module, as a duplicated dependency (or ESM next to CJS) would load.
    const path = "./errors.js?second-copy";
    const copy = (await import(/* @vite-ignore */ path)) as typeof import("./errors.js");
    expect(copy.ReplanError).not.toBe(ReplanError);
    const original = { ReplanError, PlanValidationError, IllegalTransitionError };
    const duplicate = {
      ReplanError: copy.ReplanError,
      PlanValidationError: copy.PlanValidationError,
      IllegalTransitionError: copy.IllegalTransitionError,
    };
    const make = (classes: typeof original) => ({
      ReplanError: new classes.ReplanError("invalid-options", "x"),
      PlanValidationError: new classes.PlanValidationError([
        { code: "empty-plan", stepIds: [], message: "e" },
      ]),
      IllegalTransitionError: new classes.IllegalTransitionError("tick", "no"),
    });
    for (const [classes, instances] of [
      [original, make(duplicate)],
      [duplicate, make(original)],
    ] as const) {
      expect(markerMismatches(classes, instances)).toEqual([]);
      for (const errorClass of Object.values(classes)) {
        // What instanceof would have said.
        for (const instance of Object.values(instances)) expect(instance instanceof errorClass).toBe(false);
      }
    }
  });
});
