import { tool } from "@langchain/core/tools";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PlanExecuteError } from "./errors.js";
import { createPlanExecuteAgent } from "./graph.js";
import { addTool, scriptedModel } from "./test-helpers.js";
import { withEffect } from "./tool-effects.js";

// Issue #20: a typo in a tool's declared class silently made it `write`; null options threw a TypeError.
const codeOf = (make: () => unknown): string | undefined => {
  try {
    make();
  } catch (error) {
    return PlanExecuteError.isInstance(error) ? error.code : `untyped ${String(error)}`;
  }
  return undefined;
};
const withMetadataEffect = (effect: unknown) =>
  tool(async () => "ok", {
    name: "look",
    description: "Looks",
    schema: z.object({}),
    metadata: { effect } as Record<string, unknown>,
  });

describe("declared effect classes are checked", () => {
  it("refuses a tool whose metadata.effect is not one of the three, naming the tool", () => {
    const { model } = scriptedModel({ planner: [] });
    for (const effect of ["reed", "Read", "", 1, null]) {
      const make = () => createPlanExecuteAgent({ model, tools: [withMetadataEffect(effect)] });
      expect(codeOf(make), String(effect)).toBe("invalid-options");
      expect(make).toThrow(/look.*metadata\.effect/);
    }
    expect(
      codeOf(() => createPlanExecuteAgent({ model, tools: [withMetadataEffect("read"), addTool] })),
    ).toBe(undefined);
  });

  it("withEffect refuses null options with invalid-options", () => {
    expect(codeOf(() => withEffect(addTool, "write", null as never))).toBe("invalid-options");
  });
});
