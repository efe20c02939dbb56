// End-to-end: plan approval answered through stdin (a pipe), plus the answer parser.
import { describe, expect, it } from "vitest";
import { parseAnswer, parseEdit } from "./approval.js";
import { jsonLines, readHits, runCli, tempWorkspace } from "./test-helpers.js";

describe.concurrent("--approve", () => {
  it("approve: shows the plan, then runs it", async () => {
    const { code, stdout, stderr } = await runCli(["--approve", "--scenario", "inventory"], {
      input: "approve\n",
    });
    expect(code, stderr).toBe(0);
    expect(stdout).toContain("proposed plan (5 steps):");
    expect(stdout).toContain("approve, edit or reject this plan? [a/e/r]");
    // the plan tree is shown once before the prompt, not also as proposed
    const beforePrompt = stdout.slice(0, stdout.indexOf("approve, edit or reject"));
    expect(beforePrompt.match(/createRestockOrder/g)).toHaveLength(1);
    expect(stdout).toContain("→ approve");
    expect(stdout.indexOf("proposed plan")).toBeLessThan(stdout.indexOf("▶ start north"));
    expect(stdout).toContain("completed: all 5 steps are done");
  });

  it("reject: nothing runs, exit 4", async () => {
    const workspace = tempWorkspace();
    const { code, stdout } = await runCli(["--approve", "--workspace", workspace], {
      input: "reject not today\n",
    });
    expect(code).toBe(4);
    expect(stdout).toContain("cancelled: plan rejected: not today");
    expect(stdout).not.toContain("▶ start");
    expect(readHits(workspace)).toEqual({});
  });

  it("reject in --json: the run still ends with exactly one run-end event, then the result", async () => {
    const { code, stdout } = await runCli(["--approve", "--json"], { input: "r\n" });
    expect(code).toBe(4);
    const events = jsonLines(stdout);
    expect(events.filter((event) => event.type === "run-end")).toMatchObject([
      { outcome: { status: "cancelled", reason: "plan rejected" } },
    ]);
    expect(events.slice(-2).map((event) => event.type)).toEqual(["run-end", "result"]);
  });

  it("stdin ending without an answer rejects", async () => {
    const { code, stderr } = await runCli(["--approve"], { input: "" });
    expect(code).toBe(4);
    expect(stderr).toContain("stdin ended without an answer");
  });

  it("edit: the plan as one line of JSON replaces the proposed one (after an invalid answer)", async () => {
    const workspace = tempWorkspace();
    const steps = [
      { id: "latest", description: "Latest release", tool: "getLatestRelease", args: {} },
      {
        id: "notes",
        description: "Its notes",
        dependsOn: ["latest"],
        tool: "getReleaseNotes",
        args: { version: "${latest.body.version}" },
      },
    ];
    const { code, stdout, stderr } = await runCli(["--approve", "--json", "--workspace", workspace], {
      input: `maybe\nedit\n${JSON.stringify(steps)}\n`,
    });
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('answer approve, edit or reject (got "maybe")');
    const events = jsonLines(stdout);
    expect(events.filter((event) => event.type === "approval-request")).toHaveLength(1);
    const result = events.at(-1)!;
    expect(result).toMatchObject({ type: "result", status: "completed" });
    expect((result.plan as { steps: Array<{ id: string }> }).steps.map((step) => step.id)).toEqual([
      "latest",
      "notes",
    ]);
    expect(readHits(workspace)).toEqual({ getLatestRelease: 1, getReleaseNotes: 1 });
    // the offline answer speaks of the steps that ran, with no placeholder for the others
    expect(result.answer).toMatch(/^ACME 2\.4\.0 "Kestrel" was released on .+\nHighlights: .+\.$/);
  });

  it("an invalid edit is refused by the adapter and asked again", async () => {
    const bad = [{ id: "a", description: "x", dependsOn: ["missing"] }];
    const { code, stdout } = await runCli(["--approve", "--scenario", "inventory"], {
      input: `edit ${JSON.stringify(bad)}\nreject\n`,
    });
    expect(code).toBe(4);
    expect(stdout).toContain("the edited plan is invalid");
  });
});

describe("parseAnswer", () => {
  it("reads the short and long forms", () => {
    expect(parseAnswer("a")).toEqual({ kind: "answer", approval: { action: "approve" } });
    expect(parseAnswer(" YES ")).toEqual({ kind: "answer", approval: { action: "approve" } });
    expect(parseAnswer("r too risky")).toEqual({
      kind: "answer",
      approval: { action: "reject", reason: "too risky" },
    });
    expect(parseAnswer("e")).toEqual({ kind: "edit-next" });
    expect(parseAnswer("what")).toMatchObject({ kind: "invalid" });
  });

  it("reads edited steps: tool steps, agent steps, model-style JSON args", () => {
    const answer = parseEdit(
      JSON.stringify({
        steps: [
          { id: "a", description: "A", tool: "t", args: '{"x":1}' },
          { id: "b", description: "B", tool: null, args: null },
        ],
      }),
    );
    expect(answer).toEqual({
      kind: "answer",
      approval: {
        action: "edit",
        steps: [
          { id: "a", description: "A", tool: "t", args: { x: 1 }, kind: "tool", dependsOn: [] },
          { id: "b", description: "B", kind: "agent", dependsOn: [] },
        ],
      },
    });
    expect(parseEdit("[oops")).toMatchObject({ kind: "invalid" });
  });
});
