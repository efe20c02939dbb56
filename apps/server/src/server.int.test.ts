/**
 * The served graph, driven through LangGraph's own dev server with the official SDK client. The
 * model is a real `ChatOpenAI` reaching a scripted OpenAI-compatible server through its base URL,
 * so nothing inside the served graph is a test double.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { probeSandbox } from "@replan/executors-shell";
import type { RunEvent } from "@replan/core";
import type { PlanApprovalRequest, PlanExecuteStateType } from "@replan/langgraph";
import {
  type ScriptedOpenAIReply,
  type ScriptedOpenAIRequest,
  type ScriptedOpenAIServer,
  startScriptedOpenAIServer,
} from "@replan/langgraph/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./dev-server.test-helper.js";

const GRAPH = "plan_execute";
const API_KEY = "sk-replan-integration";

type State = PlanExecuteStateType;

const shellStep = (
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

/** The plans the scripted planner answers, by the `#case:<name>` tag of the goal. */
const PLANS: Record<string, unknown[]> = {
  notes: [
    shellStep("read", "Read notes.txt", "cat", ["notes.txt"]),
    shellStep("count", "Count the lines of notes.txt", "wc", ["-l", "notes.txt"]),
  ],
  alpha: [shellStep("read", "Read alpha.txt", "cat", ["alpha.txt"])],
  beta: [shellStep("read", "Read beta.txt", "cat", ["beta.txt"])],
  approval: [
    shellStep("read", "Read notes.txt", "cat", ["notes.txt"]),
    shellStep("count", "Count the lines of notes.txt", "wc", ["-l", "notes.txt"]),
  ],
  slow: [{ id: "think", description: "Think hard about it", dependsOn: [], tool: null, args: null }],
};

let scripted: ScriptedOpenAIServer;
let server: DevServer;
let client: Client;
let workspace: string;
let markSlowStarted: () => void = () => {};
const slowStarted = new Promise<void>((resolve) => {
  markSlowStarted = resolve;
});
const release = new AbortController();

/** Answers like a model would, routed on the goal's `#case:<name>` tag and the call's role (x-replan-role). */
async function reply(request: ScriptedOpenAIRequest): Promise<ScriptedOpenAIReply> {
  const tag = /#case:([a-z-]+)/.exec(request.text)?.[1] ?? "unknown";
  // Keep the two concurrent threads in flight together, so that cross-talk would show.
  if (tag === "alpha" || tag === "beta") await new Promise((resolve) => setTimeout(resolve, 300));
  if (request.role === "planner") return { structured: { steps: PLANS[tag] ?? [] } };
  if (request.role === "replanner") return { structured: { steps: [] } };
  if (request.role === "executor") {
    if (tag === "slow") {
      markSlowStarted();
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 60_000);
        release.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
    }
    return "thought about it";
  }
  // The final answer: quote what the results said, so each thread's answer shows its own inputs.
  const seen = ["alpha-content", "beta-content", "gamma"].filter((word) => request.text.includes(word));
  return `answer for ${tag}: ${seen.join(", ") || "nothing"}`;
}

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "replan-server-"));
  await mkdir(workspace, { recursive: true });
  await writeFile(join(workspace, "notes.txt"), "alpha\nbeta\ngamma\n");
  await writeFile(join(workspace, "alpha.txt"), "alpha-content\n");
  await writeFile(join(workspace, "beta.txt"), "beta-content\n");
  scripted = await startScriptedOpenAIServer({ apiKey: API_KEY, responses: reply });
  server = await startDevServer({
    env: {
      OPENAI_API_KEY: API_KEY,
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1", // never used: every run below names its base URL
      REPLAN_ALLOWED_BASE_URLS: scripted.url,
      REPLAN_WORKSPACE: workspace,
      // The shell runs in its sandbox; only a machine without bubblewrap, outside CI, runs without.
      ...((await probeSandbox()).available || process.env.CI ? {} : { REPLAN_SHELL_SANDBOX: "false" }),
    },
  });
  client = new Client({ apiUrl: server.url });
});

afterAll(async () => {
  release.abort();
  await server?.stop();
  await scripted?.close();
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

/** The run configuration every test passes: the scripted endpoint and a model name. */
const configurable = () => ({
  model: "gpt-4.1-mini",
  baseUrl: scripted.url,
  structuredOutputMethod: "jsonSchema",
});

describe("the plan-and-execute graph on LangGraph's dev server", () => {
  it("runs a goal to completion on a thread, with the shell confined to the workspace", async () => {
    const thread = await client.threads.create();
    const state = (await client.runs.wait(thread.thread_id, GRAPH, {
      input: { goal: "#case:notes What is in notes.txt, and how many lines?" },
      config: { configurable: configurable() },
    })) as State;

    expect(state.outcome?.status).toBe("completed");
    expect(state.plan?.steps.map((step) => [step.id, step.status])).toEqual([
      ["read", "done"],
      ["count", "done"],
    ]);
    expect(JSON.stringify(state.results.read)).toContain("alpha\\nbeta\\ngamma");
    expect(JSON.stringify(state.results.count)).toContain("3 notes.txt");
    expect(state.answer).toBe("answer for notes: gamma");

    const requests = scripted.requests.filter((request) => request.path === "/v1/chat/completions");
    expect(requests.length).toBeGreaterThanOrEqual(2);
    expect(requests.every((request) => request.headers.authorization === `Bearer ${API_KEY}`)).toBe(true);
    expect((requests[0]!.body as { model?: string }).model).toBe("gpt-4.1-mini");

    const saved = await client.threads.getState<State>(thread.thread_id);
    expect(saved.values.answer).toBe(state.answer);
    expect(saved.next).toEqual([]);
  });

  it("streams the custom progress events in order", async () => {
    const thread = await client.threads.create();
    const all: RunEvent[] = [];
    for await (const chunk of client.runs.stream(thread.thread_id, GRAPH, {
      input: { goal: "#case:notes Stream it" },
      config: { configurable: configurable() },
      streamMode: "custom",
    })) {
      if (chunk.event === "custom") all.push(chunk.data as RunEvent);
    }
    // every model request is a start/end pair with its role: the planner's, then the answer's
    const calls = all.filter((event) => event.type === "model-call-end");
    expect(calls.map((event) => event.type === "model-call-end" && event.role)).toEqual([
      "planner",
      "answer",
    ]);
    const events = all.filter((event) => !event.type.startsWith("model-call-"));
    const types = events.map((event) => event.type);
    expect(types[0]).toBe("run-start");
    expect(types[1]).toBe("plan-start");
    // the plan streams: each step is taken (plan-step) before it starts, all before plan-end
    const planEnd = types.indexOf("plan-end");
    for (const id of ["read", "count"]) {
      const taken = events.findIndex((event) => event.type === "plan-step" && event.step.id === id);
      expect(taken).toBeGreaterThan(1);
      expect(taken).toBeLessThan(planEnd);
    }
    expect(types.at(-1)).toBe("run-end");
    for (const id of ["read", "count"]) {
      const start = events.findIndex((event) => event.type === "step-start" && event.step.id === id);
      const end = events.findIndex((event) => event.type === "step-end" && event.step.id === id);
      expect(start).toBeGreaterThan(2);
      expect(end).toBeGreaterThan(start);
    }
    const last = events.at(-1);
    expect(last?.type === "run-end" && last.outcome.status).toBe("completed");
  });

  it("stops at the plan-approval interrupt and resumes through the API with an edited plan", async () => {
    // The configuration lives on an assistant: every run of it asks for approval.
    const assistant = await client.assistants.create({
      graphId: GRAPH,
      name: "plan_execute with approval",
      config: { configurable: { ...configurable(), requireApproval: true } },
    });
    const thread = await client.threads.create();
    await client.runs.wait(thread.thread_id, assistant.assistant_id, {
      input: { goal: "#case:approval Look at notes.txt" },
    });

    const paused = await client.threads.getState<State>(thread.thread_id);
    expect(paused.next).toEqual(["approve"]);
    const request = paused.tasks[0]?.interrupts[0]?.value as PlanApprovalRequest;
    expect(request.type).toBe("plan-approval");
    expect(request.plan.steps.map((step) => step.id)).toEqual(["read", "count"]);
    expect((await client.threads.get(thread.thread_id)).status).toBe("interrupted");

    const done = (await client.runs.wait(thread.thread_id, assistant.assistant_id, {
      command: {
        resume: {
          action: "edit",
          steps: [
            {
              kind: "tool",
              id: "first",
              description: "The first line",
              tool: "shell",
              args: { program: "head", args: ["-n", "1", "notes.txt"] },
            },
          ],
        },
      },
    })) as State;
    expect(done.outcome?.status).toBe("completed");
    expect(done.plan?.steps.map((step) => [step.id, step.status])).toEqual([["first", "done"]]);
    expect(JSON.stringify(done.results.first)).toContain('"stdout":"alpha\\n"');
    expect(done.answer).toBe("answer for approval: nothing");
  });

  it("runs two threads at once with no cross-talk", async () => {
    const [alphaThread, betaThread] = await Promise.all([client.threads.create(), client.threads.create()]);
    const run = (threadId: string, tag: string) =>
      client.runs.wait(threadId, GRAPH, {
        input: { goal: `#case:${tag} Read ${tag}.txt` },
        config: { configurable: configurable() },
      }) as Promise<State>;
    const [alpha, beta] = await Promise.all([
      run(alphaThread.thread_id, "alpha"),
      run(betaThread.thread_id, "beta"),
    ]);
    expect(alpha.answer).toBe("answer for alpha: alpha-content");
    expect(beta.answer).toBe("answer for beta: beta-content");
    expect(JSON.stringify(alpha.results.read)).toContain("alpha-content");
    expect(JSON.stringify(beta.results.read)).toContain("beta-content");

    const [alphaState, betaState] = await Promise.all([
      client.threads.getState<State>(alphaThread.thread_id),
      client.threads.getState<State>(betaThread.thread_id),
    ]);
    expect(alphaState.values.goal).toContain("#case:alpha");
    expect(betaState.values.goal).toContain("#case:beta");
  });

  it("cancels a running run, and the in-flight model call with it", async () => {
    const thread = await client.threads.create();
    const chunks: Array<{ event: string; data: unknown }> = [];
    let runId: string | undefined;
    let cancelledAt = 0;
    for await (const chunk of client.runs.stream(thread.thread_id, GRAPH, {
      input: { goal: "#case:slow Think hard" },
      config: { configurable: configurable() },
      streamMode: "custom",
    })) {
      chunks.push(chunk);
      if (chunk.event === "metadata") runId = (chunk.data as { run_id: string }).run_id;
      if (chunk.event === "custom" && (chunk.data as RunEvent).type === "step-start") {
        await slowStarted; // the agent step's model call is in flight (the model answers after 60 s)
        cancelledAt = Date.now();
        await client.runs.cancel(thread.thread_id, runId!);
      }
    }
    // The run stopped at once: the model call was aborted, not waited for.
    expect(Date.now() - cancelledAt).toBeLessThan(10_000);
    expect(chunks.at(-1)).toMatchObject({ event: "error", data: { message: "interrupt" } });
    const run = await client.runs.get(thread.thread_id, runId!);
    // LangGraph's JS dev server records a cancelled *running* run as "error" (its error is the
    // cancellation, above); a run cancelled before it started, and LangGraph Platform, say "interrupted".
    expect(["interrupted", "error"]).toContain(run.status);
    const state = await client.threads.getState<State>(thread.thread_id);
    expect(state.values.answer ?? null).toBeNull();
    expect(state.values.outcome ?? null).toBeNull();
    expect(
      scripted.requests.some(
        (request) =>
          request.headers["x-replan-role"] === "answer" &&
          JSON.stringify(request.body).includes("#case:slow"),
      ),
    ).toBe(false);
  });

  it("refuses a base URL the server does not allow", async () => {
    const thread = await client.threads.create();
    await expect(
      client.runs.wait(thread.thread_id, GRAPH, {
        input: { goal: "#case:notes anything" },
        config: { configurable: { ...configurable(), baseUrl: "https://attacker.example/v1" } },
      }),
    ).rejects.toThrow(/baseUrl/);
  });
});
