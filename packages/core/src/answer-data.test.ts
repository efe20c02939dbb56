// A planner's answer that cannot be read as data (a throwing getter, a throwing proxy, a function)
// is the planner's fault, never the run's: runPlan resolves, the planner is asked again with why.
import { describe, expect, it } from "vitest";
import { type PlanRequest, runPlan, type StepSpecInput } from "./index.js";

const tool = (id: string): StepSpecInput => ({ id, kind: "tool", tool: "t", args: { id }, description: id });
const tools = { t: async (args: Record<string, unknown>) => args.id };

const unreadable: Array<[string, () => unknown]> = [
  [
    "a getter that throws",
    () => ({
      get id(): string {
        throw new Error("getter");
      },
    }),
  ],
  [
    "a proxy that throws",
    () =>
      new Proxy(
        {},
        {
          get() {
            throw new Error("proxy");
          },
        },
      ),
  ],
  ["a function in the arguments", () => ({ ...tool("f"), args: { call: () => 1 } })],
];

describe.each(unreadable)("a planner answer holding %s", (_name, bad) => {
  it.each([
    ["an array", (steps: unknown[]) => steps],
    [
      "a stream of steps",
      (steps: unknown[]) =>
        (async function* () {
          for (const step of steps) yield step;
        })(),
    ],
  ])(
    "as %s: the run resolves, the planner is asked again with the reason, and a good answer runs",
    async (_shape, shape) => {
      const requests: PlanRequest[] = [];
      const result = await runPlan({
        goal: "g",
        planner: (request) => {
          requests.push(request);
          return (request.attempt === 1 ? shape([tool("a"), bad()]) : shape([tool("a"), tool("b")])) as never;
        },
        tools,
      });
      expect(result.outcome.status).toBe("completed");
      expect(requests).toHaveLength(2);
      // (an async generator awaits what it yields: a proxy that throws on `then` throws there)
      expect(requests[1]?.feedback?.message).toMatch(/could not be read as data|proxy/);
      expect(result.results).toMatchObject({ a: "a", b: "b" });
    },
  );

  it("every time: the run fails with invalid-plan, never rejects", async () => {
    const result = await runPlan({ goal: "g", planner: () => [tool("a"), bad()] as never, tools });
    expect(result.outcome.status).toBe("failed");
    expect((result.outcome as { error?: { code: string } }).error?.code).toBe("invalid-plan");
  });
});

it("the plan a planner handed over is a copy: changing its objects afterwards changes nothing", async () => {
  const step = tool("a");
  const result = await runPlan({
    goal: "g",
    planner: () => {
      setTimeout(() => {
        step.id = "changed";
      }, 0);
      return [step];
    },
    tools: {
      t: async (args: Record<string, unknown>) => new Promise((done) => setTimeout(() => done(args.id), 20)),
    },
  });
  expect(result.outcome.status).toBe("completed");
  expect(Object.keys(result.results)).toEqual(["a"]);
});
