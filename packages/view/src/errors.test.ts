// The error markers do not cross: ViewError.isInstance accepts only ViewErrors, and no class of
// @replan/core (the one replan package the view depends on) takes a ViewError for one of its own;
// the base ReplanError accepts them all. The retryable field is typed and false by default.
import { IllegalTransitionError, PlanValidationError, ReplanError } from "@replan/core";
import { markerMismatches } from "@replan/core/internal";
import { describe, expect, test } from "vitest";
import { ViewError } from "./errors.js";

const classes = { ReplanError, PlanValidationError, IllegalTransitionError, ViewError } as const;

const instances = {
  ReplanError: new ReplanError("invalid-options", "base"),
  PlanValidationError: new PlanValidationError([{ code: "empty-plan", stepIds: [], message: "empty" }]),
  IllegalTransitionError: new IllegalTransitionError("step-end", "never started"),
  ViewError: new ViewError("invalid-options", "view"),
} as const;

describe("ViewError", () => {
  test("each class's isInstance accepts its own instances and no other class's; the base accepts all", () => {
    expect(
      markerMismatches(classes, instances, [new Error("plain"), { code: "invalid-options" }, null]),
    ).toEqual([]);
  });

  test("is recognised across copies of the package (a Symbol.for marker, not instanceof)", () => {
    const copy = Object.create(Error.prototype) as Error;
    Object.defineProperty(copy, Symbol.for("@replan/view/ViewError"), { value: true });
    Object.defineProperty(copy, Symbol.for("@replan/error"), { value: true });
    expect(ViewError.isInstance(copy)).toBe(true);
    expect(ReplanError.isInstance(copy)).toBe(true);
    expect(PlanValidationError.isInstance(copy)).toBe(false);
  });

  test("keeps its code, name, cause and a typed retryable (false unless said)", () => {
    const cause = new Error("socket hang up");
    const error = new ViewError("thread-failed", "following thread t failed", { cause });
    expect(error).toMatchObject({ name: "ViewError", code: "thread-failed", retryable: false, cause });
    expect(new ViewError("thread-failed", "again", { retryable: true }).retryable).toBe(true);
  });
});
