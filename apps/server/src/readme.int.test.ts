/**
 * The walkthroughs of this app's README (and the root README's SDK example), run as written
 * against `langgraphjs dev` serving this app as shipped: its `langgraph.json`, its `./workspace`
 * (no REPLAN_WORKSPACE override). Only the address differs (a free port instead of 2025), and the
 * model is a scripted OpenAI-compatible server behind `OPENAI_BASE_URL`.
 */
import { fileURLToPath } from "node:url";
import { probeSandbox } from "@replan/executors-shell";
import {
  type ScriptedOpenAIReply,
  type ScriptedOpenAIRequest,
  type ScriptedOpenAIServer,
  startScriptedOpenAIServer,
} from "@replan/langgraph/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReadmeExample, readmeExamples, runReadmeExample } from "../../../scripts/readme-examples.js";
import { type DevServer, startDevServer } from "./dev-server.test-helper.js";

const API_KEY = "sk-replan-readme";
const appDir = fileURLToPath(new URL("..", import.meta.url));
const rootDir = fileURLToPath(new URL("../../..", import.meta.url));

const shell = (
  id: string,
  description: string,
  program: string,
  args: string[],
  dependsOn: string[] = [],
) => ({
  id,
  description,
  dependsOn,
  tool: "shell",
  args: JSON.stringify({ program, args }),
});

/** What the planner answers for each goal of the READMEs. */
const PLANS: Record<string, unknown[]> = {
  "List the files of the workspace and count the lines of each": [
    shell("files", "List the files", "ls", ["-1"]),
    shell("lines", "Count the lines of each", "wc", ["-l", "README.md", "notes.txt"], ["files"]),
  ],
  "Which files mention TODO?": [shell("todo", "Find TODO", "grep", ["-rl", "TODO", "."])],
  "Count the lines of every file in the workspace": [
    shell("count", "Count lines", "wc", ["-l", "notes.txt"]),
  ],
  "Tidy the notes": [shell("read", "Read the notes", "cat", ["notes.txt"])],
  "Think it over": [{ id: "think", description: "Think", dependsOn: [], tool: null, args: null }],
};

let scripted: ScriptedOpenAIServer;
let server: DevServer;
const release = new AbortController();

async function reply(request: ScriptedOpenAIRequest): Promise<ScriptedOpenAIReply> {
  const system = request.messages.find((message) => message.role === "system");
  const prompt = typeof system?.content === "string" ? system.content : "";
  if (prompt.startsWith("You are the planner")) {
    const goal = Object.keys(PLANS).find((candidate) => request.text.includes(candidate));
    return { structured: { steps: goal ? PLANS[goal]! : [] } };
  }
  if (prompt.startsWith("You are the replanner")) return { structured: { steps: [] } };
  if (prompt.startsWith("You carry out one step")) {
    // "Think it over" takes long: the cancel walkthrough stops it.
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 60_000);
      release.signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    return "thought";
  }
  return request.text.includes("notes.txt") ? "2 files: README.md, notes.txt." : "done.";
}

beforeAll(async () => {
  scripted = await startScriptedOpenAIServer({ apiKey: API_KEY, responses: reply });
  server = await startDevServer({
    env: {
      OPENAI_API_KEY: API_KEY,
      OPENAI_BASE_URL: scripted.url,
      // The shell runs in its sandbox; only a machine without bubblewrap, outside CI, runs without.
      ...((await probeSandbox()).available || process.env.CI ? {} : { REPLAN_SHELL_SANDBOX: "false" }),
    },
  });
});

afterAll(async () => {
  release.abort();
  await server?.stop();
  await scripted?.close();
});

const examples = new Map(readmeExamples(appDir).map((example) => [example.name, example]));

/** Runs a README example from this app's folder (its imports resolve there), at the test server. */
function run(example: ReadmeExample | undefined): Promise<string> {
  if (!example) throw new Error("the README has no such example");
  const code = example.code.replaceAll("http://127.0.0.1:2025", server.url);
  expect(code).not.toBe(example.code); // it talks to the server the README starts
  return runReadmeExample(appDir, { ...example, code });
}

describe("the server README's walkthroughs, as written", () => {
  it("has its three examples", () => {
    expect([...examples.keys()]).toEqual(["run", "approval", "cancel"]);
  });

  it("run: a goal to completion, then the progress events of another", async () => {
    const lines = (await run(examples.get("run"))).split("\n");
    expect(lines.slice(0, 2)).toEqual(["2 files: README.md, notes.txt.", "files: done, lines: done"]);
    // The plan streams: its step is taken ("plan-step") and started while the planner still
    // writes, so the step's events interleave with the planner's request; the rest is in order.
    const events = lines.slice(2);
    expect([...events].sort()).toEqual(
      [
        "run-start ",
        "plan-start ",
        "model-call-start ", // the planner's request
        "plan-step todo",
        "step-start todo",
        "model-call-end ",
        "plan-end ",
        "step-end todo",
        "run-end ",
        "model-call-start ", // the final answer's, written once the outcome is known
        "model-call-end ",
      ].sort(),
    );
    const at = (line: string, from = 0) => events.indexOf(line, from);
    expect(events.slice(0, 3)).toEqual(["run-start ", "plan-start ", "model-call-start "]);
    expect(at("step-start todo")).toBeGreaterThan(at("plan-step todo"));
    expect(at("plan-end ")).toBeGreaterThan(at("model-call-end "));
    expect(at("step-end todo")).toBeGreaterThan(at("step-start todo"));
    expect(at("run-end ")).toBeGreaterThan(Math.max(at("plan-end "), at("step-end todo")));
    expect(events.slice(-2)).toEqual(["model-call-start ", "model-call-end "]);
    expect(events.lastIndexOf("model-call-start ")).toBeGreaterThan(at("run-end ")); // the answer's request
  });

  it("approval: pauses with the plan, runs the edited plan on the shipped notes.txt", async () => {
    const lines = (await run(examples.get("approval"))).split("\n");
    expect(lines[0]).toBe('["approve"]');
    expect(lines[1]).toBe('["Read the notes"]');
    expect(lines[2]).toMatch(/^completed \[.*Notes.*\]$/);
  });

  it("cancel: the run stops", async () => {
    expect(["error", "interrupted"]).toContain(await run(examples.get("cancel")));
  });
});

describe("the server's start-up", () => {
  it("warns about nothing but the checkpoint version the README explains", () => {
    const warnings = server
      .output()
      .split("\n")
      .filter((line) => /\bwarn\b/.test(line));
    expect(warnings.join("\n")).not.toContain("description");
    for (const line of warnings) {
      expect(line).toMatch(/not up to date|'@langchain\/langgraph-checkpoint': \{ version: '1\.2\.2'/);
    }
  });
});

describe("the root README's SDK example, as written", () => {
  it("runs a goal and prints the answer", async () => {
    const example = readmeExamples(rootDir).find((candidate) => candidate.name === "root-readme");
    expect(await run(example)).toBe("2 files: README.md, notes.txt.");
  });
});
