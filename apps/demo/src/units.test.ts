// Unit tests of the pure parts: plan tree layout, error summaries, scenario matching, the offline
// replanner's revision and the prompt reader.
import type { Plan } from "@replan/core";
import { planExecuteDefaults, STRUCTURED_OUTPUT_METHODS as ADAPTER_METHODS } from "@replan/langgraph";
import { describe, expect, it } from "vitest";
import { STRUCTURED_OUTPUT_METHODS, USAGE } from "./args.js";
import { createOfflineModel, revise, statusesInRequest, statusesOf } from "./offline-model.js";
import { findScenario, matchScenario } from "./scenario-choice.js";
import { planTree } from "./plan-tree.js";
import { shortError } from "./step-text.js";
import { createView } from "./view.js";

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

describe("the live view", () => {
  // A terminal of `columns` that keeps what is written; `screen()` is the text without ANSI codes.
  const terminal = (columns: number) => {
    let text = "";
    return {
      columns,
      write: (chunk: string) => {
        text += chunk;
        return true;
      },
      // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape codes
      screen: () => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ""),
    };
  };
  const toolStep = (id: string, status: string, extra: Record<string, unknown> = {}) => ({
    ...step(id),
    kind: "tool" as const,
    tool: "publishReport",
    args: { body: { title: "ACME ${latest.body.version} release report", text: "x".repeat(80) } },
    status,
    ...extra,
  });
  const view = (stdout: ReturnType<typeof terminal>, startedAt: number) =>
    createView({ mode: "live", stdout, stderr: terminal(80), color: true, startedAt });

  it("shows the steps in flight as ⊘ once the run is stopped (Ctrl-C), not as frozen spinners", () => {
    const stdout = terminal(100);
    const live = view(stdout, Date.now());
    const plan = { goal: "g", revision: 0, steps: [toolStep("a", "running", { startedAt: Date.now() })] };
    live.event({ type: "plan-end", at: Date.now(), plan } as never);
    live.close();
    const last = stdout
      .screen()
      .split("\n")
      .filter((line) => line.includes(" a "));
    expect(last.at(-1)).toMatch(/^\s+⊘ a /);
  });

  it("fits the final tree to the terminal's width, durations and all", () => {
    const stdout = terminal(60);
    const live = view(stdout, 0);
    const plan = {
      goal: "g",
      revision: 0,
      steps: [
        toolStep("latest", "done", { startedAt: 0, endedAt: 1234 }),
        toolStep("publish", "done", { dependsOn: ["latest"], startedAt: 1300, endedAt: 2300 }),
      ],
    };
    live.finish({
      status: "completed",
      reason: "done",
      answer: null,
      plan: plan as never,
      usage: null,
      notes: [],
    });
    live.close();
    const rows = stdout
      .screen()
      .split("\n")
      .filter((line) => line.includes("publishReport"));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect([...row].length).toBeLessThanOrEqual(59);
    expect(rows[0]).toMatch(/ 1\.2s$/);
    expect(rows[1]).toMatch(/ 1\.0s$/);
  });

  it("on resume, shows the saved tree, and steps in flight at the crash exclude the downtime", () => {
    const stdout = terminal(100);
    const resumedAt = 100_000;
    const live = createView({
      mode: "plain",
      stdout,
      stderr: terminal(80),
      color: false,
      startedAt: resumedAt,
    });
    const plan = {
      goal: "g",
      revision: 0,
      steps: [
        toolStep("before", "done", { startedAt: 1_000, endedAt: 2_000 }), // ended before the crash
        toolStep("across", "running", { startedAt: 3_000 }), // in flight at the crash
      ],
    };
    live.resumed(plan as never, resumedAt);
    expect(stdout.screen()).toContain("plan, revision 0: 2 steps, 1 done (restored from the checkpoint)");
    expect(stdout.screen()).toMatch(/✔ before .* 1\.0s/);
    live.event({
      type: "step-end",
      at: resumedAt + 1_000,
      step: { ...plan.steps[1], status: "done", endedAt: resumedAt + 1_000 },
    } as never);
    expect(stdout.screen()).toContain("✔ done  across (1.0s)");
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

  it("answers from the results there are, whatever the plan was (an edit may drop or add steps)", () => {
    const audit = findScenario("disk-audit")!;
    expect(audit.answer({ sizes: { stdout: "12\tlogs\n" }, extra: { body: "x" } })).toBe(
      'Folder sizes: logs 12 KB.\nextra: {"body":"x"}',
    );
    expect(audit.answer({ errors: { stdout: "14\n" } })).toBe("logs/app.log has 14 ERROR lines.");
    expect(audit.answer({})).toBe("No step gave a result.");
    const inventory = findScenario("inventory")!;
    expect(inventory.answer({ north: { body: {} } })).toBe('north: {"body":{}}');
    for (const scenario of [audit, inventory, findScenario("release-report")!]) {
      const latest = { body: { version: "1", codename: "K", date: "today" } };
      expect(scenario.answer({ latest })).not.toMatch(/\?|""/);
    }
  });

  it("reads the steps' statuses from the plan in the graph's state", () => {
    const plan = {
      goal: "g",
      revision: 0,
      steps: [step("a"), { ...step("b"), status: "failed" }],
    } as unknown as Plan;
    expect(statusesOf(plan)).toEqual({ a: "pending", b: "failed" });
    expect(statusesOf(null)).toEqual({});
  });

  it("reads the steps' statuses from the replanner's request (the plan as its prompt lists it)", () => {
    const text = [
      "Goal: g",
      "The plan so far (revision 0):",
      '- north [done] (tool fetch {"id":"north"}): fetch north',
      "  result: 12",
      '- east [failed] (tool fetch {"id":"east"}): fetch east',
      "- report [pending] (agent after north, east): write the report",
    ].join("\n");
    expect(statusesInRequest(text)).toEqual({ north: "done", east: "failed", report: "pending" });
    expect(statusesInRequest("prose, - no [list] here")).toEqual({});
  });

  it("the offline model plays the answer only inside the graph (it reads the graph's state)", async () => {
    const model = createOfflineModel({ scenario: findScenario("inventory")!, latencyMs: 0 });
    await expect(model.invoke("answer", { metadata: { replan_role: "answer" } })).rejects.toThrow(
      "the offline model plays the answer inside the plan-and-execute graph only",
    );
    // the replanner reads its request (issue #19: it runs inside the executor node); nothing failed: no revision
    const reply = await model.invoke("- north [done] (agent): n", { metadata: { replan_role: "replanner" } });
    expect(reply.tool_calls?.[0]?.args).toEqual({ steps: [] });
  });
});

describe("the command line and the adapter", () => {
  it("accept the same structured-output methods, and --help names the adapter's default model", () => {
    expect(STRUCTURED_OUTPUT_METHODS).toEqual(ADAPTER_METHODS);
    expect(USAGE).toContain(`(default ${planExecuteDefaults.modelName})`);
  });
});
