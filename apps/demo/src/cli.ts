#!/usr/bin/env node
// A first demo of plan-and-execute with @replan/core alone (offline, no model): a plan of tool
// steps runs in parallel, one step fails, and the replanner revises only what is not done.
import { runPlan, type StepSpecInput, toMermaid } from "@replan/core";

const goal = process.argv.slice(2).join(" ").trim() || "Summarise the latest release of ACME";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const started = Date.now();
const clock = () => `${String(Date.now() - started).padStart(5)} ms`;

const plan: StepSpecInput[] = [
  {
    id: "changelog",
    kind: "tool",
    tool: "fetch",
    args: { source: "changelog" },
    description: "Fetch the changelog",
  },
  {
    id: "issues",
    kind: "tool",
    tool: "fetch",
    args: { source: "issues" },
    description: "Fetch the open issues",
  },
  {
    id: "downloads",
    kind: "tool",
    tool: "fetch",
    args: { source: "stats-primary" },
    description: "Fetch download stats",
  },
  {
    id: "summary",
    kind: "agent",
    dependsOn: ["changelog", "issues", "downloads"],
    description: "Write the summary",
  },
];

const result = await runPlan({
  goal,
  planner: () => plan,
  replanner: ({ reason }) => {
    console.log(`${clock()}  replanning: ${reason.message}`);
    return [
      {
        id: "downloads-mirror",
        kind: "tool",
        tool: "fetch",
        args: { source: "stats-mirror" },
        description: "Fetch download stats from the mirror",
      },
      {
        id: "summary",
        kind: "agent",
        dependsOn: ["changelog", "issues", "downloads-mirror"],
        description: "Write the summary",
      },
    ];
  },
  tools: {
    fetch: async ({ source }) => {
      await sleep(150);
      if (source === "stats-primary") throw new Error("stats API answered 503");
      return { source, items: 3 };
    },
  },
  executor: async (step, { results }) =>
    `${goal}: ${step.dependsOn.map((id) => `${id} ok`).join(", ")} (${Object.keys(results).length} results)`,
  onEvent: (event) => {
    if (event.type === "plan-end")
      console.log(`${clock()}  plan: ${event.plan.steps.map((step) => step.id).join(", ")}`);
    if (event.type === "step-start") console.log(`${clock()}  start ${event.step.id}`);
    if (event.type === "step-end")
      console.log(
        `${clock()}  ${event.step.status === "done" ? "done " : "FAIL "} ${event.step.id}${event.step.error ? `: ${event.step.error.message}` : ""}`,
      );
    if (event.type === "replan-end")
      console.log(
        `${clock()}  revision ${event.plan.revision}: removed ${event.removed.join(", ")}; added ${event.added.join(", ")}`,
      );
  },
});

console.log(`\n${result.status}: ${result.outcome.reason}`);
console.log(result.results.summary);
console.log(`\n${toMermaid(result.plan!)}`);
process.exitCode = result.status === "completed" ? 0 : 1;
