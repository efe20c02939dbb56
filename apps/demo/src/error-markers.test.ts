// The demo's errors are told apart by their own markers: no class's isInstance accepts another
// class's instance, the demo's or any replan package's it depends on.
import { IllegalTransitionError, PlanValidationError, ReplanError } from "@replan/core";
import { HttpToolError } from "@replan/executors-http";
import { ShellToolError } from "@replan/executors-shell";
import { PlanExecuteError } from "@replan/langgraph";
import { ViewError } from "@replan/view";
import { describe, expect, it } from "vitest";
import { EXIT } from "./args.js";
import { ConfigError, UsageError } from "./errors.js";

const demoErrors = [
  { name: "UsageError", type: UsageError, instance: new UsageError("bad flag") },
  { name: "ConfigError", type: ConfigError, instance: new ConfigError("no key") },
];

const replanErrors = [
  { name: "ReplanError", instance: new ReplanError("invalid-options", "x"), type: ReplanError },
  {
    name: "PlanValidationError",
    instance: new PlanValidationError([{ code: "cycle", stepIds: [], message: "x" }]),
    type: PlanValidationError,
  },
  {
    name: "IllegalTransitionError",
    instance: new IllegalTransitionError("start", "x"),
    type: IllegalTransitionError,
  },
  { name: "PlanExecuteError", instance: new PlanExecuteError("invalid-input", "x"), type: PlanExecuteError },
  { name: "HttpToolError", instance: new HttpToolError("invalid-options", "x"), type: HttpToolError },
  { name: "ShellToolError", instance: new ShellToolError("invalid-options", "x"), type: ShellToolError },
  { name: "ViewError", instance: new ViewError("invalid-options", "x"), type: ViewError },
];

describe("error markers", () => {
  it("each demo error's isInstance accepts only its own class's instances", () => {
    for (const { name, type } of demoErrors) {
      for (const other of [...demoErrors, ...replanErrors]) {
        expect(type.isInstance(other.instance), `${name}.isInstance(new ${other.name})`).toBe(
          other.name === name,
        );
      }
      expect(type.isInstance({ name, message: "a look-alike" })).toBe(false);
      expect(type.isInstance(null)).toBe(false);
    }
  });

  it("no replan package's isInstance accepts a demo error", () => {
    for (const { name, type } of replanErrors) {
      for (const demo of demoErrors) {
        expect(type.isInstance(demo.instance), `${name}.isInstance(new ${demo.name})`).toBe(false);
      }
    }
  });

  it("each code is an exit code, and the errors keep their cause", () => {
    const cause = new Error("ENOENT");
    const error = new ConfigError("cannot open the checkpoint database", { cause });
    expect([error.code, error.retryable, error.cause, error.name]).toEqual([
      "config",
      false,
      cause,
      "ConfigError",
    ]);
    expect(EXIT[new UsageError("x").code]).toBe(2);
    expect(EXIT[error.code]).toBe(3);
  });
});
