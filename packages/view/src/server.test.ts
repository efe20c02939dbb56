// The server helper over real HTTP on 127.0.0.1: what it serves, what it refuses, and how it holds
// up against hostile or broken clients.
import { mkdtempSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { ApprovalAnswer } from "./approval.js";
import { ViewError } from "./errors.js";
import { startViewServer, type ViewServer } from "./server.js";

/** A raw request: the path is sent as written (no URL normalisation by a client). */
function raw(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: "127.0.0.1", port, path, method: options.method ?? "GET", headers: options.headers },
      (response) => {
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode!, body, headers: response.headers }));
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

const post = (server: ViewServer, id: string, body: string, headers: Record<string, string> = {}) =>
  raw(server.url, `/api/runs/${id}/approval`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });

const request = (id = "a") => ({
  type: "approval-request",
  at: 1,
  request: {
    goal: "G",
    plan: { revision: 0, steps: [{ id, kind: "agent", description: "A", dependsOn: [] }] },
  },
});

describe("startViewServer", () => {
  let server: ViewServer;
  beforeEach(async () => {
    server = await startViewServer();
  });
  afterEach(async () => {
    await server.close();
  });

  test("listens on 127.0.0.1 and serves the page, the bundle and the run's state", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const feed = server.createRun({ id: "run-1", title: "<b>Goal</b>" });
    const page = await raw(server.url, "/runs/run-1");
    expect(page.status).toBe(200);
    expect(page.body).toContain('<replan-plan-view src="/api/runs/run-1">');
    expect(page.body).toContain("&lt;b&gt;Goal&lt;/b&gt;");
    expect(String(page.headers["content-security-policy"])).toContain("script-src 'self'");
    const bundle = await raw(server.url, "/assets/replan-view.js");
    expect(bundle.status).toBe(200);
    expect(bundle.body).toContain("replan-plan-view");
    expect(bundle.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z]/i); // nothing fetched from elsewhere
    feed.publish({ type: "run-start", at: 1, runId: "r", goal: "G" });
    expect(JSON.parse((await raw(server.url, "/api/runs/run-1")).body)).toMatchObject({
      id: "run-1",
      status: "planning",
    });
    expect((await raw(server.url, "/api/runs/nope")).status).toBe(404);
  });

  test("serves nothing outside its one asset, whatever the path", async () => {
    server.createRun({ id: "run-1" });
    for (const path of [
      "/assets/../package.json",
      "/assets/..%2F..%2Fpackage.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/assets/replan-view.js/../../src/server.ts",
      "/assets//etc/passwd",
      "/assets/replan-view.js%00.map",
      "/../../../../etc/passwd",
      "/runs/..%2F..%2Fetc%2Fpasswd/x",
      "/api/runs/%E0%A4%A",
    ]) {
      const response = await raw(server.url, path);
      expect([400, 404], path).toContain(response.status);
      expect(response.body).not.toContain("root:");
      expect(response.body).not.toContain('"name": "@replan/view"');
    }
  });

  test("refuses another Host (DNS rebinding), another Origin, and a body that is not JSON", async () => {
    server.createRun({ id: "run-1", onApproval: () => {} }).publish(request());
    expect((await raw(server.url, "/runs/run-1", { headers: { host: "evil.example" } })).status).toBe(421);
    expect((await raw(server.url, "/runs/run-1", { headers: { host: "localhost:1" } })).status).toBe(421);
    expect(
      (await post(server, "run-1", '{"action":"approve"}', { origin: "http://evil.example" })).status,
    ).toBe(403);
    expect((await post(server, "run-1", '{"action":"approve"}', { origin: "not a url" })).status).toBe(403);
    expect(
      (await post(server, "run-1", "action=approve", { "content-type": "application/x-www-form-urlencoded" }))
        .status,
    ).toBe(415);
    expect((await post(server, "run-1", "{not json")).status).toBe(400);
    expect(
      (await post(server, "run-1", JSON.stringify({ action: "edit", steps: ["x".repeat(1_100_000)] })))
        .status,
    ).toBe(413);
  });

  test("takes one answer per request: validated, then handed over; a failing handler keeps it open", async () => {
    const answers: ApprovalAnswer[] = [];
    let fail = true;
    const feed = server.createRun({
      id: "run-1",
      maxSteps: 2,
      onApproval: (answer) => {
        if (fail) throw new Error("the run is gone");
        answers.push(answer);
      },
    });
    expect((await post(server, "run-1", '{"action":"approve"}')).status).toBe(409); // nothing asked yet
    feed.publish(request());
    const tooMany = await post(
      server,
      "run-1",
      JSON.stringify({
        action: "edit",
        steps: ["a", "b", "c"].map((id) => ({ id, kind: "agent", description: id })),
      }),
    );
    expect(tooMany.status).toBe(422);
    expect(JSON.parse(tooMany.body).error.message).toMatch(/at most 2|too many|steps/i);
    const failed = await post(server, "run-1", '{"action":"approve"}');
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body).error.message).toBe("the run is gone");
    fail = false;
    expect((await post(server, "run-1", '{"action":"reject","reason":"no"}')).status).toBe(202);
    expect((await post(server, "run-1", '{"action":"approve"}')).status).toBe(409); // answered already
    expect(answers).toEqual([{ action: "reject", reason: "no" }]);
    expect(feed.model().approval).toBeUndefined();
  });

  test("a new page gets the state so far in one bounded event, whatever was published", async () => {
    const feed = server.createRun({ id: "run-1" });
    feed.publish({ type: "run-start", at: 1, runId: "r", goal: "G" });
    for (let index = 0; index < 5_000; index++) feed.publish({ type: "step-end", at: index, step: null });
    const cyclic: Record<string, unknown> = { type: "step-end" };
    cyclic.self = cyclic;
    feed.publish(cyclic as { type: string });
    feed.publish({ type: "big", value: 10n } as unknown as { type: string });
    feed.end();
    feed.publish({ type: "run-start", at: 2, runId: "other", goal: "ignored after the end" });
    const events = await raw(server.url, "/api/runs/run-1/events");
    const blocks = events.body.split("\n\n").filter(Boolean);
    expect(blocks).toHaveLength(1);
    const state = JSON.parse(blocks[0]!.slice("data: ".length));
    expect(state.type).toBe("view-state");
    expect(state.model.runId).toBe("r");
    expect(state.model.streamEnded).toBe(true);
    expect(state.model.notices.length).toBeLessThanOrEqual(50);
    expect(events.body.length).toBeLessThan(20_000);
  });

  test("a page that disconnects mid-stream is forgotten; the others keep their stream", async () => {
    const feed = server.createRun({ id: "run-1" });
    const controller = new AbortController();
    const first = await fetch(`${server.url}/api/runs/run-1/events`, { signal: controller.signal });
    const second = await fetch(`${server.url}/api/runs/run-1/events`);
    const reader = second.body!.getReader();
    await first.body!.getReader().read();
    controller.abort();
    for (let index = 0; index < 100; index++)
      feed.publish({ type: "view-notice", level: "info", text: `n${index}` });
    feed.end();
    let text = "";
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toContain('"text":"n99"');
    expect(text).toContain('"type":"stream-end"');
  });

  test("bad options and a missing bundle are typed errors", async () => {
    await expect(startViewServer({ port: 70_000 })).rejects.toMatchObject({ code: "invalid-options" });
    const empty = mkdtempSync(join(tmpdir(), "replan-view-empty-"));
    const missing = await startViewServer({ assetDir: empty }).catch((error: unknown) => error);
    expect(ViewError.isInstance(missing) && missing.code).toBe("asset-missing");
    expect(() => server.createRun({ id: "../x" })).toThrow(ViewError);
    server.createRun({ id: "same" });
    expect(() => server.createRun({ id: "same" })).toThrow(/already/);
    const aborted = new AbortController();
    aborted.abort();
    await expect(startViewServer({ signal: aborted.signal })).rejects.toBeDefined();
  });

  test("closes with pages still connected", async () => {
    server.createRun({ id: "run-1" });
    const response = await fetch(`${server.url}/api/runs/run-1/events`);
    const reader = response.body!.getReader();
    await reader.read();
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    const rest = await reader.read().catch(() => ({ done: true }));
    expect(rest.done || rest).toBeTruthy();
  });
});
