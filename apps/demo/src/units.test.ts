// Unit tests of the pure parts: plan tree layout, error summaries, scenario matching, the offline
// replanner's revision and the prompt reader.
import type { Plan } from "@replan/core";
import { describe, expect, it } from "vitest";
import { readSteps, revise } from "./offline-model.js";
import { findScenario, matchScenario } from "./scenarios.js";
import { planTree, shortError } from "./view.js";

const step = (id: string, dependsOn: string[] = []) => ({
  id,
  description: id,
  dependsOn,
  kind: "agent" as const,
  status: "pending" as const,
  attempts: 0,
  revision: 0,
});

describe("planTree", () => {
  it("draws each step under its deepest dependency and lists the others", () => {
    const plan = {
      goal: "g",
      revision: 0,
      steps: [step("a"), step("b"), step("c", ["a"]), step("d", ["a"]), step("e", ["c", "b", "d"])],
    } as unknown as Plan;
    expect(
      planTree(plan).map((row) => `${row.prefix}${row.step.id} ${row.others.join(",")}`.trimEnd()),
    ).toEqual(["a", "├─ c", "└─ d", "   └─ e c,b", "b"]);
  });
});

describe("shortError", () => {
  it("summarises shell and HTTP failures, keeps other messages", () => {
    expect(shortError('tool "shell": {"exitCode":2,"stderr":"ls: cannot access x\\n","stdout":""}')).toBe(
      "shell: exit 2: ls: cannot access x",
    );
    expect(shortError('tool "getStock": {"ok":false,"status":503,"body":{"error":"down"}}')).toBe(
      "HTTP 503: down",
    );
    expect(shortError('tool "shell": {"error":{"code":"path-escape","message":"outside"}}')).toBe(
      "shell: path-escape: outside",
    );
    expect(shortError("boom")).toBe("boom");
  });
});

describe("scenarios", () => {
  it("matches a goal by keywords, or falls back to the default", () => {
    expect(matchScenario("Which logs use the most disk?").scenario.name).toBe("disk-audit");
    expect(matchScenario("restock the warehouse").scenario.name).toBe("inventory");
    expect(matchScenario("bake a cake")).toMatchObject({ scenario: { name: "release-report" }, matched: [] });
  });

  it("the offline replanner leaves out locked steps and carries over pending ones", () => {
    const audit = findScenario("disk-audit")!;
    const statuses = {
      sizes: "done",
      "big-files": "running",
      errors: "done",
      "last-errors": "pending",
      tmp: "failed",
    };
    expect(revise(audit, statuses, new Set()).map((entry) => entry.id)).toEqual([
      "find-tmp",
      "tmp-size",
      "last-errors",
    ]);
    const inventory = findScenario("inventory")!;
    const used = new Set<string>();
    const first = revise(
      inventory,
      { north: "running", east: "failed", south: "done", report: "pending" },
      used,
    );
    expect(first.map((entry) => entry.id)).toEqual(["east-replica", "report", "order"]);
    expect(revise(inventory, { east: "failed" }, used)).toEqual([]);
  });

  it("reads statuses and results back from a prompt", () => {
    const prompt =
      'Goal: g\n- a [done] (tool t {}): A\n  result: {"x":1}\n- b [failed] (agent): B\n  error (e): no';
    expect(readSteps(prompt)).toEqual({ statuses: { a: "done", b: "failed" }, results: { a: { x: 1 } } });
  });
});
