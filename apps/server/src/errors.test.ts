import { IllegalTransitionError, PlanValidationError, ReplanError } from "@replan/core";
import { markerMismatches } from "@replan/core/internal";
import { HttpToolError } from "@replan/executors-http";
import { ShellToolError } from "@replan/executors-shell";
import { PlanExecuteError } from "@replan/langgraph";
import { ViewError } from "@replan/view";
import { describe, expect, it } from "vitest";
import { ServerConfigError } from "./errors.js";

describe("error markers", () => {
  // The server's error class, and every error class of the replan packages it depends on.
  const instances = {
    ReplanError: new ReplanError("invalid-options", "x"),
    PlanValidationError: new PlanValidationError([{ code: "empty-plan", stepIds: [], message: "empty" }]),
    IllegalTransitionError: new IllegalTransitionError("step-end", "no such step"),
    PlanExecuteError: new PlanExecuteError("invalid-options", "x"),
    HttpToolError: new HttpToolError("invalid-options", "x"),
    ShellToolError: new ShellToolError("invalid-options", "x"),
    ViewError: new ViewError("invalid-options", "x"),
    ServerConfigError: new ServerConfigError("x"),
  };
  const classes = {
    ReplanError,
    PlanValidationError,
    IllegalTransitionError,
    PlanExecuteError,
    HttpToolError,
    ShellToolError,
    ViewError,
    ServerConfigError,
  };

  it("each class's isInstance accepts its own instances and no other class's; ReplanError accepts all", () => {
    const lookalike = { code: "invalid-config", name: "ServerConfigError" };
    expect(markerMismatches(classes, instances, [new Error("plain"), lookalike])).toEqual([]);
  });
});
