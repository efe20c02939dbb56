/**
 * `@replan/view/langgraph-sdk` against LangGraph's own dev server: a thread's custom stream feeds
 * the view, the view's approval answers resume the thread, a finished thread opens as it ended,
 * and a thread that does not exist is reported. The model is a real `ChatOpenAI` talking to a
 * scripted OpenAI-compatible server.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { type ScriptedOpenAIServer, startScriptedOpenAIServer } from "@replan/langgraph/testing";
import { startViewServer, ViewError, type ViewServer } from "@replan/view";
import { type LangGraphClientLike, serveThread } from "@replan/view/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, startDevServer } from "./dev-server.test-helper.js";

const GRAPH = "plan_execute";
const API_KEY = "sk-replan-view";

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

let scripted: ScriptedOpenAIServer;
let dev: DevServer;
let client: Client;
let view: ViewServer;
let workspace: string;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "replan-server-view-"));
  await writeFile(join(workspace, "notes.txt"), "alpha\nbeta\ngamma\n");
  scripted = await startScriptedOpenAIServer({
    apiKey: API_KEY,
    responses: (request) => {
      const system = request.messages.find((message) => message.role === "system");
      const prompt = typeof system?.content === "string" ? system.content : "";
      if (prompt.startsWith("You are the planner")) {
        return {
          structured: {
            steps: [
              shellStep("read", "Read notes.txt", "cat", ["notes.txt"]),
              shellStep("count", "Count its lines", "wc", ["-l", "notes.txt"], ["read"]),
            ],
          },
        };
      }
      if (prompt.startsWith("You are the replanner")) return { structured: { steps: [] } };
      return "the notes have three lines";
    },
  });
  [dev, view] = await Promise.all([
    startDevServer({
      env: {
        OPENAI_API_KEY: API_KEY,
        OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
        REPLAN_ALLOWED_BASE_URLS: scripted.url,
        REPLAN_WORKSPACE: workspace,
      },
    }),
    startViewServer(),
  ]);
  client = new Client({ apiUrl: dev.url });
});

afterAll(async () => {
  await view?.close();
  await dev?.stop();
  await scripted?.close();
  if (workspace) await rm(workspace, { recursive: true, force: true });
});

const configurable = () => ({
  model: "gpt-4.1-mini",
  baseUrl: scripted.url,
  structuredOutputMethod: "jsonSchema",
});

describe("the view's LangGraph SDK bridge on the dev server", () => {
  it("follows a thread's run, takes the view's edited plan as the resume value, and opens it again finished", async () => {
    const sdk: LangGraphClientLike = client; // the SDK's Client is what the bridge takes
    const thread = await client.threads.create();
    const { feed, done } = serveThread(view, {
      client: sdk,
      threadId: thread.thread_id,
      assistantId: GRAPH,
      input: { goal: "What is in notes.txt?" },
      config: { configurable: { ...configurable(), requireApproval: true } },
    });
    await expect
      .poll(() => feed.model().approval?.plan.steps.map((step) => step.id), { timeout: 20_000 })
      .toEqual(["read", "count"]);

    // A page's event stream, read to its end: the run's custom events come through it live.
    const stream = fetch(`${view.url}/api/runs/${thread.thread_id}/events`).then((response) =>
      response.text(),
    );

    // The page's answer, through the view server's HTTP API: first an invalid edit (refused
    // before it reaches the thread), then a valid one.
    const answer = (body: unknown) =>
      fetch(`${view.url}/api/runs/${thread.thread_id}/approval`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const invalid = await answer({
      action: "edit",
      steps: [{ id: "x", kind: "tool", description: "x", tool: "shell", dependsOn: ["nope"] }],
    });
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as { error: { message: string } }).error.message).toContain("nope");
    const edited = await answer({
      action: "edit",
      steps: [
        {
          id: "first",
          kind: "tool",
          description: "The first line",
          tool: "shell",
          args: { program: "head", args: ["-n", "1", "notes.txt"] },
        },
      ],
    });
    expect(edited.status).toBe(202);
    await done;

    const types = (await stream)
      .split("\n\n")
      .filter((block) => block.startsWith("data: "))
      .map((block) => (JSON.parse(block.slice(6)) as { type: string }).type);
    expect(types[0]).toBe("view-state");
    expect(types).toEqual(
      expect.arrayContaining([
        "approval-answered",
        "plan-end",
        "step-start",
        "step-end",
        "view-snapshot",
        "stream-end",
      ]),
    );

    const model = feed.model();
    expect(feed.ended).toBe(true);
    expect(model.status).toBe("completed");
    expect(model.revisions.at(-1)?.steps.map((step) => [step.id, step.status])).toEqual([["first", "done"]]);
    expect(JSON.stringify(model.revisions.at(-1)?.steps[0]?.result)).toContain("alpha");
    expect(model.runId).toMatch(/\S/);

    // The same thread, finished, opened again: shown as it ended.
    const again = serveThread(view, {
      client,
      threadId: thread.thread_id,
      assistantId: GRAPH,
      id: "finished",
    });
    await again.done;
    expect(again.feed.model().status).toBe("completed");
    expect(
      again.feed
        .model()
        .revisions.at(-1)
        ?.steps.map((step) => step.status),
    ).toEqual(["done"]);
  });

  it("a thread that does not exist: the feed says so and ends; done rejects with thread-failed", async () => {
    const { feed, done } = serveThread(view, {
      client,
      threadId: "00000000-0000-4000-8000-000000000000",
      assistantId: GRAPH,
      id: "missing",
    });
    const error = await done.catch((caught: unknown) => caught);
    expect(ViewError.isInstance(error) && error.code).toBe("thread-failed");
    expect(feed.ended).toBe(true);
    expect(
      feed
        .model()
        .notices.map((notice) => notice.text)
        .join("\n"),
    ).toContain("LangGraph server call failed");
  });
});
