import * as core from "@replan/core";
import { IllegalTransitionError, PlanValidationError, ReplanError } from "@replan/core";
import { isRetryable, markerMismatches, toStepError } from "@replan/core/internal";
import { describe, expect, it } from "vitest";
import { HttpToolError } from "./errors.js";
import { httpRequest } from "./request.js";

// One instance of every error class of this package and of the replan packages it depends on.
const instances = {
  ReplanError: new ReplanError("invalid-options", "x"),
  PlanValidationError: new PlanValidationError([{ code: "empty-plan", stepIds: [], message: "empty" }]),
  IllegalTransitionError: new IllegalTransitionError("step-end", "no such step"),
  HttpToolError: new HttpToolError("host-not-allowed", "no"),
};
const classes = { ReplanError, PlanValidationError, IllegalTransitionError, HttpToolError };

describe("error markers", () => {
  it("covers every error class core exports", () => {
    const exported = Object.entries(core)
      .filter(([, value]) => typeof value === "function" && value.prototype instanceof Error)
      .map(([name]) => name);
    for (const name of [...exported, "ReplanError"]) expect(Object.keys(classes)).toContain(name);
  });

  it("each class's isInstance accepts its own instances and no other class's; the base accepts all", () => {
    const lookalike = { code: "host-not-allowed", name: "HttpToolError" };
    expect(markerMismatches(classes, instances, [new Error("plain"), lookalike])).toEqual([]);
  });
});

describe("retryable", () => {
  it("is true for network failures and timeouts only, the package's own decision", () => {
    expect(new HttpToolError("network-error", "reset").retryable).toBe(true);
    expect(new HttpToolError("timeout", "slow").retryable).toBe(true);
    for (const code of [
      "invalid-options",
      "host-not-allowed",
      "address-not-allowed",
      "too-many-redirects",
    ] as const) {
      expect(new HttpToolError(code, "no").retryable, code).toBe(false);
    }
  });

  it("reaches a plan step: a refused connection fails the step as retryable, a refusal as not", async () => {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    const refused = await httpRequest(
      { url: "http://127.0.0.1:9/" },
      { allowedAddresses: ["127.0.0.1"], retries: 0 },
    ).catch((error: unknown) => error);
    expect(HttpToolError.isInstance(refused) && refused.code).toBe("network-error");
    expect(isRetryable(refused)).toBe(true);
    expect(toStepError(refused, "executor-failed").code).toBe("network-error");

    const denied = await httpRequest({ url: "http://127.0.0.1:9/" }).catch((error: unknown) => error);
    expect(HttpToolError.isInstance(denied) && denied.code).toBe("address-not-allowed");
    expect(isRetryable(denied)).toBe(false);
  });
});
