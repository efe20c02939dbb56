import { IllegalTransitionError, PlanValidationError, ReplanError } from "@replan/core";
import { isRetryable, markerMismatches } from "@replan/core/internal";
import { describe, expect, it } from "vitest";
import { PlanExecuteError } from "./errors.js";

describe("error markers", () => {
  // Every error class of this package and of the replan packages it depends on (core).
  const instances = {
    ReplanError: new ReplanError("invalid-options", "x"),
    PlanValidationError: new PlanValidationError([{ code: "empty-plan", stepIds: [], message: "empty" }]),
    IllegalTransitionError: new IllegalTransitionError("step-end", "no such step"),
    PlanExecuteError: new PlanExecuteError("invalid-plan", "x", { rawOutput: "" }),
  };
  const classes = { ReplanError, PlanValidationError, IllegalTransitionError, PlanExecuteError };

  it("each class's isInstance accepts its own instances and no other class's; ReplanError accepts all", () => {
    const lookalike = { code: "invalid-plan", name: "PlanExecuteError" };
    expect(markerMismatches(classes, instances, [new Error("plain"), lookalike, null])).toEqual([]);
  });

  it("recognises a PlanExecuteError from another copy of the package (the marker is global)", () => {
    const copy = Object.create(Error.prototype) as Error;
    Object.defineProperty(copy, Symbol.for("@replan/langgraph/PlanExecuteError"), { value: true });
    expect(PlanExecuteError.isInstance(copy)).toBe(true);
    expect(PlanValidationError.isInstance(copy)).toBe(false);
  });

  it("retryable is a typed field: false unless the thrower says so", () => {
    expect(new PlanExecuteError("model-timeout", "slow").retryable).toBe(false);
    expect(isRetryable(new PlanExecuteError("tool-error", "failed", { retryable: true }))).toBe(true);
    expect(new PlanExecuteError("model-call-failed", "503", { status: 503 }).status).toBe(503);
  });
});
