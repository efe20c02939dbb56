import { describe, expect, it } from "vitest";
import { effectOf } from "./effects.js";
import { ReplanError } from "./errors.js";
import { resolveConfig } from "./run-config.js";
import { RunStateSchema, type StepSpec } from "./schemas.js";
import { createRun, transition } from "./transition.js";

const tool = (name: string): StepSpec => ({
  id: "s",
  kind: "tool",
  tool: name,
  args: {},
  description: "d",
  dependsOn: [],
});
const agent: StepSpec = { id: "a", kind: "agent", description: "d", dependsOn: [] };

describe("effectOf", () => {
  const declarations = {
    tools: { search: "read", put: "idempotent", pay: "write" },
    agent: "idempotent",
  } as const;

  it("reads a tool's declaration, and the executor's for an agent step", () => {
    expect(effectOf(tool("search"), declarations)).toBe("read");
    expect(effectOf(tool("put"), declarations)).toBe("idempotent");
    expect(effectOf(tool("pay"), declarations)).toBe("write");
    expect(effectOf(agent, declarations)).toBe("idempotent");
  });

  it("counts an undeclared tool, and an undeclared executor, as write", () => {
    expect(effectOf(tool("mail"), declarations)).toBe("write");
    expect(effectOf(tool("toString"), declarations)).toBe("write");
    expect(effectOf(tool("__proto__"), declarations)).toBe("write");
    expect(effectOf(agent, { tools: {} })).toBe("write");
    expect(effectOf(agent, undefined)).toBe("write");
  });

  it("prefers the class a step recorded when it was made", () => {
    expect(
      effectOf(
        { ...tool("search"), status: "pending", attempts: 0, revision: 0, effect: "write" },
        declarations,
      ),
    ).toBe("write");
  });
});

describe("effect declarations in a run", () => {
  it("records each new step's class from the run's declarations", () => {
    let state = createRun({ runId: "r", goal: "g", budget: { effects: { tools: { search: "read" } } } });
    ({ state } = transition(state, { type: "start", at: 0 }));
    ({ state } = transition(state, {
      type: "plan",
      at: 1,
      output: [tool("search"), { ...tool("pay"), id: "p" }, agent],
    }));
    expect(state.plan!.steps.map((step) => step.effect)).toEqual(["read", "write", "write"]);
    expect(RunStateSchema.parse(JSON.parse(JSON.stringify(state))).config.effects).toEqual({
      tools: { search: "read" },
    });
  });

  it("refuses a class that is not one of the three, naming the option", () => {
    expect(() => resolveConfig({ effects: { tools: { pay: "maybe" as never } } })).toThrow(ReplanError);
    expect(() => resolveConfig({ effects: { agent: "safe" as never } })).toThrow(/effects\.agent/);
    expect(() => resolveConfig({ effects: { tool: {} } as never })).toThrow(/effects\.tool/);
  });

  it("keeps a copy of the caller's declarations", () => {
    const tools: Record<string, "read" | "write"> = { search: "read" };
    const config = resolveConfig({ effects: { tools } });
    tools.search = "write";
    expect(config.effects).toEqual({ tools: { search: "read" } });
  });
});
