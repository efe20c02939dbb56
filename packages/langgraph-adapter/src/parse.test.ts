import { AIMessage } from "@langchain/core/messages";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fuzzReplay, fuzzRuns } from "../../../scripts/fuzz-settings.js";
import { PlanExecuteError } from "./errors.js";
import { jsonIn, parsePlan } from "./parse.js";

const step = { id: "a", description: "do a", dependsOn: [], tool: null, args: null };

describe("jsonIn", () => {
  it("finds JSON alone, fenced, amid prose, skipping braces inside strings and broken candidates", () => {
    expect(jsonIn('{"x":1}')).toEqual({ x: 1 });
    expect(jsonIn('```\n{"x":2}\n```')).toEqual({ x: 2 });
    expect(jsonIn('Use {curly} braces. ```json\n{"x":3}\n``` ok')).toEqual({ x: 3 });
    expect(jsonIn('Note {this}: {"x":"a } inside","y":[1,{"z":2}]} done')).toEqual({
      x: "a } inside",
      y: [1, { z: 2 }],
    });
    expect(jsonIn('[{"x":4}] and then {"y":5}')).toEqual([{ x: 4 }]);
  });

  it("says why it found nothing: empty, no JSON, or cut off", () => {
    const reason = (text: string) => {
      try {
        jsonIn(text);
        return "found";
      } catch (error) {
        expect(PlanExecuteError.isInstance(error)).toBe(true);
        return (error as PlanExecuteError).message;
      }
    };
    expect(reason("   ")).toMatch(/empty/);
    expect(reason("just words")).toMatch(/no JSON object/);
    expect(reason('{"steps": [{"id": "a"')).toMatch(/incomplete/);
  });

  it("stays fast on a huge answer full of unbalanced braces", () => {
    const started = Date.now();
    expect(() => jsonIn(`${"{".repeat(2_000_000)}`)).toThrow();
    expect(() => jsonIn(`${"{ [ ".repeat(500_000)}`)).toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("finds a plan embedded in any prose without brackets", () => {
    const prose = fc.string({ maxLength: 200 }).map((text) => text.replace(/[{}[\]`]/g, ""));
    fc.assert(
      fc.property(prose, prose, (before, after) => {
        const plan = { steps: [step] };
        expect(jsonIn(`${before}${JSON.stringify(plan)}${after}`)).toEqual(plan);
      }),
      { numRuns: fuzzRuns, ...fuzzReplay },
    );
  });
});

describe("parsePlan", () => {
  it("reads tool-call arguments, and text when there is no tool call", () => {
    const call = new AIMessage({
      content: "",
      tool_calls: [{ name: "plan", args: { steps: [step] }, id: "1" }],
    });
    expect(parsePlan(call, "plan")).toEqual([{ id: "a", description: "do a", dependsOn: [], kind: "agent" }]);
    const text = new AIMessage({ content: `Plan:\n${JSON.stringify({ steps: [step] })}` });
    expect(parsePlan(text, "plan")).toHaveLength(1);
  });

  it("reads arguments that were not valid JSON as text", () => {
    const broken = new AIMessage({
      content: "",
      invalid_tool_calls: [
        { name: "plan", args: `sure: ${JSON.stringify({ steps: [step] })}`, id: "1", error: "bad" },
      ],
    });
    expect(parsePlan(broken, "plan")).toHaveLength(1);
  });

  it("normalizes loose shapes, and names what zod rejects", () => {
    const loose = new AIMessage({
      content: JSON.stringify({
        steps: [{ id: 7, description: "add", depends_on: "[]", tool: "add", arguments: { a: 1 } }],
      }),
    });
    expect(parsePlan(loose, "plan")).toEqual([
      { id: "7", description: "add", dependsOn: [], kind: "tool", tool: "add", args: { a: 1 } },
    ]);
    const missing = new AIMessage({ content: JSON.stringify({ steps: [{ id: "a" }] }) });
    expect(() => parsePlan(missing, "plan")).toThrow(/steps\.0\.description/);
    const notSteps = new AIMessage({ content: JSON.stringify({ answer: 42 }) });
    expect(() => parsePlan(notSteps, "plan")).toThrow(/steps/);
  });
});
