import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readmeExamples, runReadmeExample } from "../../../scripts/readme-examples.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("README examples run as written", () => {
  const examples = readmeExamples(packageDir);
  const named = (name: string) => examples.find((candidate) => candidate.name === name)!;
  it("has the quickstart and transition examples", () => {
    expect(examples.map((example) => example.name)).toEqual([
      "quickstart",
      "defaults",
      "streaming",
      "compact",
      "replan-stream",
      "transition",
      "accepted-inputs",
      "find-and-count",
      "forecast",
      "effect-classes",
      "reconcile",
      "errors",
    ]);
  });

  it("quickstart: a failing step triggers a replan that keeps the done step", async () => {
    const output = await runReadmeExample(packageDir, named("quickstart"));
    const readme = named("quickstart");
    expect(readme.code).toContain("runPlan");
    expect(output.split("\n").slice(0, 7)).toEqual([
      "headlines: done",
      "prices: failed",
      'replan because step "prices": primary price API answered 503; kept: headlines',
      "prices-mirror: done",
      "average: done",
      "report: done",
      "completed ACME averages 12; news: ACME ships v2",
    ]);
    expect(output).toContain("flowchart TD");
  });

  it("replan-stream: the replacement and its dependent (not rewritten) run while the replanner still writes", async () => {
    const output = await runReadmeExample(packageDir, named("replan-stream"));
    expect(output.split("\n")).toEqual([
      "fetch(a)",
      'replanner wrote "~2. fetch(id=\\"b\\", source=\\"mi"',
      'replanner wrote "rror\\")\\n"',
      "fetch(b, mirror)",
      "fetch(c)",
      'replanner wrote "# the primary answers 503\\n"',
      "replaced 2: the primary answers 503",
      "completed abc",
    ]);
  });

  it("defaults: one frozen object, and a bad option named", async () => {
    const output = await runReadmeExample(packageDir, named("defaults"));
    expect(output.split("\n")).toEqual([
      "3 300000",
      'invalid-options Option "budget.maxSteps" must be an integer >= 1, got 0',
    ]);
  });

  it("streaming: a step starts while the planner is still writing", async () => {
    const output = await runReadmeExample(packageDir, named("streaming"));
    expect(output.split("\n")).toEqual([
      'model wrote "weather = get_weather {\\"city\\":\\"Paris\\"}\\nadvice = ad"',
      "get_weather(Paris) starts",
      'model wrote "vise {\\"forecast\\":\\"${weather}\\"}\\n"',
      'model wrote "END"',
      "completed take one",
    ]);
  });

  it("compact: the writer and the incremental parser", async () => {
    const output = await runReadmeExample(packageDir, named("compact"));
    expect(output.split("\n")).toEqual([
      '1. search(q="replan")',
      "2. fetch(url=$1.top) # open the top hit",
      '3[2]. "Summarize the page"',
      "",
      JSON.stringify(["1"]),
      JSON.stringify(["2", "3"]),
      JSON.stringify({ steps: [], issues: [] }),
      JSON.stringify([
        ["s1", { q: "replan" }],
        ["s2", { url: "${s1.top}", tries: 2 }],
      ]),
      JSON.stringify([
        {
          code: "syntax-error",
          stepIds: ["1"],
          message: 'step "1" (#1) has arguments that do not read: no closing ")"',
        },
      ]),
    ]);
  });

  it("transition: effects as data", async () => {
    const output = await runReadmeExample(packageDir, named("transition"));
    expect(output.split("\n")).toEqual([
      JSON.stringify([{ type: "execute-step", stepId: "hello", attempt: 1, key: "r1:0:hello", delayMs: 0 }]),
      "execute-step done,running",
    ]);
  });

  it("accepted-inputs: what a state accepts, from the transition table", async () => {
    const output = await runReadmeExample(packageDir, named("accepted-inputs"));
    expect(output.split("\n")).toEqual([
      JSON.stringify(["start", "usage", "tick", "resume", "cancel"]),
      JSON.stringify(["plan", "plan-step", "plan-end", "plan-error", "usage", "tick", "resume", "cancel"]),
    ]);
  });

  it("find-and-count: O(1) lookups on a plan", async () => {
    const output = await runReadmeExample(packageDir, named("find-and-count"));
    expect(output.trim()).toBe(
      `42 ${JSON.stringify({ pending: 0, running: 1, done: 1, failed: 0, skipped: 0, cancelled: 0 })}`,
    );
  });

  it("effect classes: declared ones recorded on the steps, undeclared ones write", async () => {
    const example = examples.find((candidate) => candidate.name === "effect-classes")!;
    const output = await runReadmeExample(packageDir, example);
    expect(output.trim()).toBe("find:read pay:write mail:write");
  });

  it("reconcile: a write step in flight at a crash is settled by its hook, not run again", async () => {
    const output = await runReadmeExample(
      packageDir,
      examples.find((candidate) => candidate.name === "reconcile")!,
    );
    expect(output.trim()).toBe('completed {"charged":42} reconciled 1');
  });

  it("errors: a self-dependency is reported as such", async () => {
    const output = await runReadmeExample(
      packageDir,
      examples.find((candidate) => candidate.name === "errors")!,
    );
    expect(output.trim()).toBe('["self-dependency"]');
  });

  it("forecast: the critical path and the model calls, equal to the run's", async () => {
    const output = await runReadmeExample(
      packageDir,
      examples.find((example) => example.name === "forecast")!,
    );
    expect(output.split("\n")).toEqual([
      `${JSON.stringify({ steps: ["eu", "compare", "write"], depth: 3 })} 3 906`,
      "3",
    ]);
  });
});
