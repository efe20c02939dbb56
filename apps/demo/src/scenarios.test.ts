// End-to-end: each built-in scenario offline, as a real process of the built CLI.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, readHits, runCli, tempWorkspace } from "./test-helpers.js";

interface EventStep {
  id: string;
  status: string;
  tool?: string;
}

describe.concurrent("offline scenarios", () => {
  it("release-report (default): runs independent steps in parallel and completes", async () => {
    const { code, stdout, stderr } = await runCli([]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(
      'offline: no OPENAI_API_KEY, so a scripted model plays the built-in scenario "release-report"',
    );
    expect(stdout).toContain("scenarios: release-report, inventory, disk-audit");
    expect(stdout).toContain("plan, revision 0: 6 steps");
    // the tree: notes and downloads under latest, publish with its other dependencies
    expect(stdout).toMatch(/├─ notes/);
    expect(stdout).toMatch(/└─ publish .*← notes, bugs, changelog/);
    expect(stdout).toContain("completed: all 6 steps are done");
    expect(stdout).toContain('ACME 2.4.0 "Kestrel"');
    expect(stdout).not.toContain("revision 1");
  });

  it("inventory: a 503 fails one step and revision 1 replaces only what is not done", async () => {
    const workspace = tempWorkspace();
    const { code, stdout, stderr } = await runCli(["--scenario", "inventory", "--workspace", workspace]);
    expect(code, stderr).toBe(0);
    const lines = stdout.split("\n");
    expect(
      lines.some((line) =>
        /✖ FAIL {2}east \([\d.]+m?s\): HTTP 503: east warehouse database is down/.test(line),
      ),
    ).toBe(true);
    expect(lines.some((line) => line.includes("↻ replanning: HTTP 503"))).toBe(true);
    expect(
      lines.some((line) =>
        line.includes(
          "↻ revision 1: removed east; added east-replica; replaced report; kept north, south, order",
        ),
      ),
    ).toBe(true);
    expect(lines.filter((line) => line.includes("▶ start north"))).toHaveLength(1);
    expect(stdout).toContain("completed: all 5 steps are done");
    expect(stdout).toContain("comes from the read replica");
    expect(readHits(workspace)).toEqual({
      getStock: 3,
      getStockFromReplica: 1,
      createStockReport: 1,
      createRestockOrder: 1,
    });
  });

  it("disk-audit: a shell command exits non-zero and the replanner looks elsewhere", async () => {
    const { code, stdout, stderr } = await runCli(["--scenario", "disk-audit"]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("✖ FAIL  tmp");
    expect(stdout).toContain("shell: exit 1: du: cannot access 'tmp': No such file or directory");
    expect(stdout).toMatch(/↻ revision 1: removed tmp; added find-tmp, tmp-size/);
    expect(stdout).toMatch(/completed: all \d steps are done/);
    expect(stdout).toContain("the one found is cache/tmp");
  });

  it("--json: one event per line, in order, then the result", async () => {
    const workspace = tempWorkspace();
    const { code, stdout, stderr } = await runCli(["--json", "--workspace", workspace]);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain("offline:");
    const all = jsonLines(stdout);
    // every model call is a start/end pair with its role (the planner's and the answer's here)
    const calls = all.filter((event) => event.type === "model-call-end").map((event) => event.role);
    expect(calls).toEqual(["planner", "answer"]);
    expect(all.filter((event) => event.type === "model-call-start")).toHaveLength(2);
    const events = all.filter((event) => !String(event.type).startsWith("model-call-"));
    expect(events.slice(0, 3).map((event) => event.type)).toEqual(["run-start", "plan-start", "plan-end"]);
    expect(events.at(-2)?.type).toBe("run-end");
    const result = events.at(-1)!;
    expect(result).toMatchObject({ type: "result", status: "completed", exitCode: 0, offline: true });
    expect(result.scenario).toBe("release-report");
    const plan = (events[2] as unknown as { plan: { steps: EventStep[] } }).plan;
    expect(plan.steps.map((step) => step.id)).toEqual([
      "latest",
      "bugs",
      "changelog",
      "notes",
      "downloads",
      "publish",
    ]);
    // every step starts once and ends done
    const starts = events
      .filter((event) => event.type === "step-start")
      .map((event) => (event.step as EventStep).id);
    const ends = events.filter((event) => event.type === "step-end").map((event) => event.step as EventStep);
    expect(starts.sort()).toEqual(plan.steps.map((step) => step.id).sort());
    expect(ends.every((step) => step.status === "done")).toBe(true);
    // parallel: notes and downloads both start before either ends; the roots start before any ends
    const index = (type: string, id: string) =>
      events.findIndex((event) => event.type === type && (event.step as EventStep | undefined)?.id === id);
    expect(index("step-start", "downloads")).toBeLessThan(index("step-end", "notes"));
    expect(index("step-start", "notes")).toBeLessThan(index("step-end", "downloads"));
    expect(index("step-start", "bugs")).toBeLessThan(index("step-end", "latest"));
    // publish starts after all of its dependencies ended
    for (const id of ["notes", "downloads", "bugs", "changelog"])
      expect(index("step-end", id)).toBeLessThan(index("step-start", "publish"));
    const final = result.plan as { steps: EventStep[] };
    expect(final.steps.every((step) => step.status === "done")).toBe(true);
    expect(result.answer).toContain("The report is published as rep-");
    expect(result.serviceHits).toEqual(readHits(workspace));
    expect(readHits(workspace)).toMatchObject({ getLatestRelease: 1, publishReport: 1 });
  });

  it("--json with a replan: replan-start then replan-end with removed, added and replaced steps", async () => {
    const { code, stdout } = await runCli(["--json", "--scenario", "inventory"]);
    expect(code).toBe(0);
    const events = jsonLines(stdout);
    const replanEnd = events.find((event) => event.type === "replan-end") as
      | { plan: { revision: number }; removed: string[]; added: string[]; replaced: string[] }
      | undefined;
    expect(events.findIndex((event) => event.type === "replan-start")).toBeLessThan(
      events.findIndex((event) => event.type === "replan-end"),
    );
    expect(replanEnd?.plan.revision).toBe(1);
    expect(replanEnd?.removed).toEqual(["east"]);
    expect(replanEnd?.added).toEqual(["east-replica"]);
    expect(replanEnd?.replaced).toEqual(["report"]); // "order", written again as it was, is kept
    expect(events.at(-1)).toMatchObject({ type: "result", status: "completed" });
  });

  it("a free-text goal picks the closest scenario, and says so", async () => {
    const { code, stdout, stderr } = await runCli(["How much stock is left in the warehouses?"]);
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toContain('the goal matches scenario "inventory" (stock, warehouses)');
    expect(stdout).toContain("goal: How much stock is left in the warehouses?");
    const other = await runCli(["Bake a cake", "--plain"]);
    expect(other.code).toBe(0);
    expect(other.stdout).toContain('no scenario matches the goal; playing the default one, "release-report"');
  });

  it("--list-scenarios and --help", async () => {
    const list = await runCli(["--list-scenarios"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/release-report .*\(default\)/);
    expect(list.stdout).toContain("inventory");
    expect(list.stdout).toContain("disk-audit");
    const help = await runCli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit codes: 0 completed");
  });

  it("--diagram writes the final plan as a Mermaid block with statuses", async () => {
    const workspace = tempWorkspace();
    const file = join(workspace, "out", "plan.md");
    const { code, stdout, stderr } = await runCli(["--scenario", "inventory", "--diagram", file]);
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toContain(`diagram: ${file}`);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("```mermaid\nflowchart TD");
    expect(text).toContain("east-replica");
    expect(text).toContain("Plan revision 1, completed");
  });
});
