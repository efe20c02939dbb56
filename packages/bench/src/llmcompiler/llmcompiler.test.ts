// LLMCompiler: the streaming parser hands over each task when its line completes; the task fetching
// unit runs tasks when their references resolve (a failure becomes an observation); the graph
// dispatches tasks while the planner still writes, and replans once after a failure.
import { tool } from "@langchain/core/tools";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { HumanMessage } from "@langchain/core/messages";
import { compilerPlanText, llmCompilerScript } from "../llmcompiler-script.js";
import { makeScenario } from "../scenarios.js";
import type { TokenClock } from "../token-clock.js";
import { measureTokenTime } from "../token-time.js";
import { TokenTimeModel } from "../token-time-model.js";
import { countTokens } from "../tokens.js";
import { langchainTools } from "../tools.js";
import { createLLMCompilerGraph } from "./graph.js";
import { formatArguments, parseArguments } from "./arguments.js";
import { type CompilerTask, PlanStreamParser, parseLine } from "./plan-parser.js";
import { resolveReferences, TaskFetchingUnit } from "./task-fetching-unit.js";

const clock: TokenClock = { ttftMs: 30, tokensPerSecond: 500, toolLatencyMs: 20 };

describe("LLMCompiler plan parser", () => {
  it("parses keyword, positional, list and literal arguments, and bare references", () => {
    expect(parseArguments('id="s2", after="$1"')).toEqual({ id: "s2", after: "$1" });
    expect(parseArguments(`parts=["$1", '$2'], n=3, ok=True, none=None, x=$3`)).toEqual({
      parts: ["$1", "$2"],
      n: 3,
      ok: true,
      none: null,
      x: "$3",
    });
    expect(parseArguments('"what is \\"x\\"?", 2.5')).toEqual({ 0: 'what is "x"?', 1: 2.5 });
    expect(parseArguments('q={"a": [1, 2]}')).toEqual({ q: { a: [1, 2] } });
    expect(parseArguments("")).toEqual({});
    expect(parseArguments('id="unterminated')).toBeUndefined();
    expect(parseArguments("id=)")).toBeUndefined();
    const args = { id: "s2", parts: ["$1", "$2"], ok: false };
    expect(parseArguments(formatArguments(args))).toEqual(args);
  });

  it("reads tasks, their dependencies (earlier tasks only) and thoughts; join depends on all", () => {
    expect(parseLine('3. combine(parts=["$1", "${2}", "$7"])').task).toMatchObject({
      idx: 3,
      tool: "combine",
      dependencies: [1, 2],
    });
    expect(parseLine("4. join()<END_OF_PLAN>").task).toMatchObject({ tool: "join", dependencies: [1, 2, 3] });
    expect(parseLine("Thought: first the records").thought).toBe("first the records");
    expect(parseLine("Here is the plan:")).toEqual({});
  });

  it("hands over each task exactly when its newline arrives, however the text is cut", () => {
    const text =
      'Thought: two fetches\n1. fetch_record(id="a")\n2. fetch_record(id="b", after="$1")\n3. join()<END_OF_PLAN>';
    const parser = new PlanStreamParser();
    const seen: Array<{ at: number; task: CompilerTask }> = [];
    for (let at = 0; at < text.length; at++) {
      for (const task of parser.push(text[at]!)) seen.push({ at, task });
    }
    for (const task of parser.end()) seen.push({ at: text.length, task });
    expect(seen.map(({ at }) => at)).toEqual([text.indexOf("\n2."), text.indexOf("\n3."), text.length]);
    expect(seen.map(({ task }) => task.idx)).toEqual([1, 2, 3]);
    expect(seen[0]!.task.thought).toBe("two fetches");
    expect(seen[1]!.task).toMatchObject({ args: { id: "b", after: "$1" }, dependencies: [1] });
    expect(parser.ended).toBe(true);
    expect(parser.push('\n4. fetch_record(id="late")\n')).toEqual([]); // nothing after the end
  });
});

describe("LLMCompiler task fetching unit", () => {
  const calls: string[] = [];
  const echo = tool(
    async ({ text }: { text: string }) => {
      calls.push(text);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (text.includes("boom")) throw new Error("it broke");
      return `echo(${text})`;
    },
    { name: "echo", description: "echoes", schema: z.object({ text: z.string() }) },
  );
  const task = (idx: number, text: string, dependencies: number[] = []): CompilerTask => ({
    idx,
    tool: "echo",
    args: { text },
    dependencies,
    text: "",
  });

  it("runs a task when its references resolve, keeps failures as observations, runs their dependents", async () => {
    calls.length = 0;
    const unit = new TaskFetchingUnit({ tools: [echo], observations: new Map([[1, "old"]]) });
    unit.add(task(3, "after $2", [2]));
    expect(calls).toEqual([]); // waits for 2
    unit.add(task(2, "boom $1", [1]));
    unit.add(task(4, "fresh"));
    unit.add(task(5, "missing $9", [9]));
    const finished = await unit.close();
    expect(finished.map((done) => done.idx)).toEqual([2, 3, 4, 5]);
    expect(calls.slice(0, 2).sort()).toEqual(["boom old", "fresh"]);
    expect(finished[0]!.observation).toMatch(/^ERROR\(Failed to call echo .*it broke\)$/);
    expect(finished[1]!.resolvedArgs.text).toBe(`after ${finished[0]!.observation}`);
    expect(finished[3]!.observation).toMatch(/^ERROR\(Task 5 refers to a task that is not in the plan/);
    expect(resolveReferences({ a: ["${1}x", 2] }, new Map([[1, "one"]]))).toEqual({ a: ["onex", 2] });
  });
});

describe("LLMCompiler graph on the token-time clock", () => {
  beforeAll(async () => {
    countTokens("load the tokenizer"); // seconds, once: not inside a timed call
    await measureTokenTime("llmcompiler", makeScenario("fan-out", 2), clock); // and LangGraph's code
  });

  it("starts tasks while the planner is still writing (fan-out: every fetch before the plan ends)", async () => {
    const scenario = makeScenario("fan-out", 8);
    const run = await measureTokenTime("llmcompiler", scenario, clock);
    expect(run.status).toBe("completed");
    const [planner, joiner] = run.model.timings;
    expect(run.model.timings.map((timing) => timing.role)).toEqual(["planner", "answer"]);
    const plannerEnd = planner!.endedAt - run.startedAt;
    // The first task's line is complete after a few tokens; the plan takes far longer to write.
    expect(run.firstStepStartMs).toBeLessThan(plannerEnd - 40);
    expect(run.stepStartsMs).toHaveLength(8);
    for (const start of run.stepStartsMs.slice(0, 7)) expect(start).toBeLessThan(plannerEnd); // the fetches
    expect(run.firstStepStartMs).toBeGreaterThanOrEqual(clock.ttftMs);
    expect(joiner!.startedAt).toBeGreaterThanOrEqual(planner!.endedAt);
    expect(planner!.outputTokens).toBeGreaterThan(60);
  });

  it("overlaps the chain with the plan's writing, and replans once after a failure", async () => {
    const chain = await measureTokenTime("llmcompiler", makeScenario("chain", 6), clock);
    expect(chain.status).toBe("completed");
    expect(chain.firstStepStartMs).toBeLessThan(chain.model.timings[0]!.endedAt - chain.startedAt);

    const scenario = makeScenario("one-failure", 6);
    const failure = await measureTokenTime("llmcompiler", scenario, clock);
    expect(failure.status).toBe("completed");
    expect(failure.model.timings.map((timing) => timing.role)).toEqual([
      "planner",
      "answer",
      "replanner",
      "answer",
    ]);
    const replan = failure.model.calls[2]!;
    expect(replan.text).toContain("Begin counting at : 8"); // 6 tasks and join()
    expect(replan.text).toContain("ERROR(Failed to call fetch_record");
    expect(compilerPlanText(scenario).split("\n")).toHaveLength(7);
  });

  it("stops when the caller aborts while the planner writes, with the caller's reason", async () => {
    const scenario = makeScenario("chain", 16);
    const model = new TokenTimeModel({ responses: llmCompilerScript(scenario), clock });
    const graph = createLLMCompilerGraph(model, langchainTools(scenario, clock.toolLatencyMs));
    const controller = new AbortController();
    const reason = new Error("the user left");
    setTimeout(() => controller.abort(reason), clock.ttftMs + 40);
    const start = performance.now();
    await expect(
      graph.invoke({ messages: [new HumanMessage(scenario.goal)] }, { signal: controller.signal }),
    ).rejects.toThrow("the user left");
    expect(performance.now() - start).toBeLessThan(250); // the whole run takes about 1.1 s, its plan 260 ms
    expect(model.timings[0]!.endedAt).toBeNaN(); // the planner's stream was cut, not finished
    expect(model.calls).toHaveLength(1); // no joiner call
  });
});
