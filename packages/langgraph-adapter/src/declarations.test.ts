// The published declarations name the factories' return types instead of inlining the inferred
// graph type (once 2,958 lines, in every editor hover). Needs the build (turbo runs it first).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const declarations = (file: string) => readFileSync(new URL(`../dist/${file}`, import.meta.url), "utf8");

describe("published declarations", () => {
  it.each(["index.d.mts", "index.d.cts"])("%s names the factories' return types", (file) => {
    const text = declarations(file);
    expect(text).toMatch(
      /declare function createPlanExecuteGraph\(options: PlanExecuteOptions\): PlanExecuteGraph;/,
    );
    expect(text).toMatch(
      /declare function createPlanExecuteAgent\(options: PlanExecuteAgentOptions\): PlanExecuteAgent;/,
    );
    // Far below the inlined 2,958: the bound catches inlining, not documented fields (1,218 with
    // issue #20's settlement fields).
    expect(text.split("\n").length).toBeLessThan(1400);
  });
});
