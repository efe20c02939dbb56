import * as core from "@replan/core";
import { IllegalTransitionError, PlanValidationError, ReplanError } from "@replan/core";
import { isRetryable, markerMismatches } from "@replan/core/internal";
import { describe, expect, test } from "vitest";
import { ShellToolError, sandboxUnavailable } from "./errors.js";

// One instance of every error class of this package and of the replan packages it depends on.
const instances = {
  ReplanError: new ReplanError("invalid-options", "x"),
  PlanValidationError: new PlanValidationError([{ code: "empty-plan", stepIds: [], message: "empty" }]),
  IllegalTransitionError: new IllegalTransitionError("step-end", "no such step"),
  ShellToolError: new ShellToolError("program-not-allowed", "no"),
};
const classes = { ReplanError, PlanValidationError, IllegalTransitionError, ShellToolError };

describe("error markers", () => {
  test("cover every error class core exports", () => {
    const exported = Object.entries(core)
      .filter(([, value]) => typeof value === "function" && value.prototype instanceof Error)
      .map(([name]) => name);
    for (const name of exported) expect(Object.keys(classes)).toContain(name);
  });

  test("each class's isInstance accepts its own instances and no other class's; the base accepts all", () => {
    const lookalike = { code: "program-not-allowed", name: "ShellToolError" };
    expect(markerMismatches(classes, instances, [new Error("plain"), lookalike])).toEqual([]);
  });
});

describe("retryable", () => {
  test("a refusal is not retryable; a sandbox probe that timed out is (the next command probes again)", () => {
    for (const code of ["invalid-options", "program-not-allowed", "path-escape", "spawn-failed"] as const) {
      expect(isRetryable(new ShellToolError(code, "no")), code).toBe(false);
    }
    expect(isRetryable(sandboxUnavailable("bwrap is not on PATH"))).toBe(false);
    expect(isRetryable(sandboxUnavailable("bubblewrap did not answer", { retryable: true }))).toBe(true);
  });
});
