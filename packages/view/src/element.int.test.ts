// The element in headless Chromium, fed by the server helper with scripted events: statuses,
// revisions, details, approval answers, and bad input (a cut stream, a lost server, a missing
// run, malformed events and edits, a 200-step plan, two pages at once).
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, test } from "vitest";
import type { ApprovalAnswer } from "./approval.js";
import { chromiumAvailable, launchChromium, screenshotDir } from "./chromium.test-helper.js";
import { startViewServer, type ViewServer } from "./server.js";

const SHOTS = screenshotDir("replan-view-element-e2e");

function step(id: string, dependsOn: string[] = [], extra: Record<string, unknown> = {}) {
  return {
    id,
    kind: "tool",
    tool: "getStock",
    description: `Get ${id}`,
    args: { warehouse: id },
    dependsOn,
    status: "pending",
    attempts: 0,
    revision: 0,
    ...extra,
  };
}

// Sequential: a browser holds at most 6 HTTP/1.1 connections to one server, and each page keeps
// its event stream open.
describe.skipIf(!chromiumAvailable())("<replan-plan-view> in Chromium", () => {
  let browser: Browser;
  let server: ViewServer;

  beforeAll(async () => {
    [browser, server] = await Promise.all([launchChromium(), startViewServer()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(url);
    return { page, errors };
  }

  test("statuses follow the events; a click shows the step with resolved references and its key", async ({
    expect,
  }) => {
    const feed = server.createRun({ id: "statuses" });
    const { page, errors } = await open(feed.url);
    const t0 = Date.now();
    feed.publish({ type: "run-start", at: t0, runId: "r-1", goal: "Check stock" });
    const a = step("a");
    const b = step("b", ["a"], { args: { warehouse: "${a.body.name}", note: "after ${a.body.count}" } });
    feed.publish({ type: "plan-end", at: t0, plan: { goal: "Check stock", revision: 0, steps: [a, b] } });
    const node = page.locator('[data-step="a"]');
    await expect.poll(() => node.getAttribute("data-status")).toBe("pending");
    feed.publish({
      type: "step-start",
      at: Date.now(),
      step: { ...a, status: "running", attempts: 1, startedAt: Date.now() },
      key: "r-1:0:a",
    });
    await expect.poll(() => node.getAttribute("data-status")).toBe("running");
    // The elapsed time counts up while it runs.
    await expect.poll(() => node.locator("[data-state]").textContent()).toMatch(/running [1-9]\d*(ms|\.\ds)/);
    await page.screenshot({ path: join(SHOTS, "running.png") });
    const done = {
      ...a,
      status: "done",
      attempts: 1,
      startedAt: t0,
      endedAt: t0 + 1200,
      result: { body: { name: "east", count: 3 } },
    };
    feed.publish({ type: "step-end", at: Date.now(), step: done });
    await expect.poll(() => node.getAttribute("data-status")).toBe("done");
    expect(await node.locator("[data-state]").textContent()).toContain("done in 1.2s");

    // A press and its release with a redraw in between still make a click (events keep coming).
    const box = (await page.locator('[data-step="b"]').boundingBox())!;
    await page.mouse.move(box.x + 20, box.y + 20);
    await page.mouse.down();
    feed.publish({ type: "view-notice", at: Date.now(), level: "info", text: "redraw while pressed" });
    await page.waitForTimeout(150);
    await page.mouse.up();
    const details = page.locator("aside.details");
    await expect.poll(() => details.locator("[data-key-value]").textContent()).toBe("r-1:0:b");
    expect(JSON.parse((await details.locator("[data-resolved]").textContent())!)).toEqual({
      warehouse: "east",
      note: "after 3",
    });
    expect(await details.locator("[data-args]").textContent()).toContain("${a.body.name}");
    await page.locator('[data-step="a"]').click();
    expect(await details.locator("[data-result]").textContent()).toContain('"count": 3');
    // The critical path is the chain a → b.
    expect(await page.locator('[data-critical="true"]').count()).toBe(2);
    await page.screenshot({ path: join(SHOTS, "details.png") });

    feed.publish({
      type: "run-end",
      at: Date.now(),
      outcome: { status: "completed", reason: "all done" },
      usage: { llmCalls: 2, promptTokens: 10, completionTokens: 5 },
    });
    await expect.poll(() => page.locator('[part="status"]').getAttribute("data-status")).toBe("completed");
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a replan is a revision to step through, with what it removed, added and kept", async ({ expect }) => {
    const feed = server.createRun({ id: "revisions" });
    const t0 = Date.now();
    feed.publish({ type: "run-start", at: t0, runId: "r-2", goal: "Stock" });
    const plan0 = [step("north"), step("east"), step("report", ["north", "east"])];
    feed.publish({ type: "plan-end", at: t0, plan: { revision: 0, steps: plan0 } });
    feed.publish({
      type: "step-end",
      at: t0 + 5,
      step: { ...plan0[0], status: "done", attempts: 1, startedAt: t0, endedAt: t0 + 5, result: 1 },
    });
    feed.publish({
      type: "step-end",
      at: t0 + 6,
      step: {
        ...plan0[1],
        status: "failed",
        attempts: 1,
        startedAt: t0,
        endedAt: t0 + 6,
        error: { code: "tool-error", message: "503" },
      },
    });
    feed.publish({
      type: "replan-start",
      at: t0 + 7,
      revision: 0,
      reason: { trigger: "step-failed", stepIds: ["east"], message: "east answered 503" },
      attempt: 0,
    });
    const plan1 = [
      { ...plan0[0], status: "done", attempts: 1, startedAt: t0, endedAt: t0 + 5, result: 1 },
      step("east-replica", [], { revision: 1 }),
      step("report", ["north", "east-replica"], { revision: 1 }),
    ];
    feed.publish({
      type: "replan-end",
      at: t0 + 8,
      plan: { revision: 1, steps: plan1 },
      removed: ["east"],
      added: ["east-replica", "report"],
    });
    const { page, errors } = await open(feed.url);
    const diff = page.locator("[data-diff]");
    await expect.poll(() => diff.getAttribute("data-diff")).toBe("1");
    expect(await diff.locator("[data-removed]").getAttribute("data-removed")).toBe("east");
    expect(await diff.locator("[data-added]").getAttribute("data-added")).toBe("east-replica,report");
    expect(await diff.locator("[data-kept]").getAttribute("data-kept")).toBe("north");
    expect(await diff.textContent()).toContain("east answered 503");
    await page.locator('[data-revision="0"]').click();
    await expect.poll(() => page.locator('[data-step="east"]').getAttribute("data-status")).toBe("failed");
    expect(await page.locator('[data-step="east"]').textContent()).toContain("removed in 1");
    await page.locator('[data-revision="1"]').click();
    await expect.poll(() => page.locator('[data-step="east"]').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("approve, reject with a reason and edit in the page reach onApproval; a bad edit is refused in the page", async ({
    expect,
  }) => {
    const answers: ApprovalAnswer[] = [];
    const feed = server.createRun({
      id: "approval",
      onApproval: (answer) => {
        answers.push(answer);
      },
    });
    const plan = { revision: 0, steps: [step("a"), step("b", ["a"])] };
    const ask = () =>
      feed.publish({ type: "approval-request", at: Date.now(), request: { goal: "Stock", plan } });
    ask();
    const { page, errors } = await open(feed.url);
    await page.locator('[data-action="approve"]').click();
    await expect.poll(() => answers.length).toBe(1);
    expect(answers[0]).toEqual({ action: "approve" });
    await expect.poll(() => page.locator("[data-approval]").count()).toBe(0);

    ask();
    await page.locator('[data-key="reject-reason"]').fill("not today");
    await page.locator('[data-action="reject"]').click();
    await expect.poll(() => answers.length).toBe(2);
    expect(answers[1]).toEqual({ action: "reject", reason: "not today" });

    ask();
    await page.locator('[data-step="a"]').click();
    // Arguments that are not JSON: the form says so and nothing is sent.
    await page.locator('[data-key="edit-args"]').fill("{ warehouse: ");
    await page.locator('[data-action="apply-edit"]').click();
    await expect.poll(() => page.locator("[data-form-error]").textContent()).toContain("not JSON");
    // A cycle (a depends on b, b on a): the server refuses it as the adapter would.
    await page.locator('[data-key="edit-args"]').fill('{"warehouse": "west"}');
    await page.locator('[data-key="dep-b"]').check();
    await page.locator('[data-action="apply-edit"]').click();
    await page.locator('[data-action="approve"]').click();
    await expect.poll(() => page.locator("[data-approval-error]").textContent()).toMatch(/invalid.*cycle/i);
    await page.screenshot({ path: join(SHOTS, "bad-edit.png") });
    expect(answers.length).toBe(2);
    await page.locator('[data-key="dep-b"]').uncheck();
    await page.locator('[data-key="edit-description"]').fill("Get the west warehouse");
    await page.locator('[data-action="apply-edit"]').click();
    await page.locator('[data-action="approve"]').click();
    await expect.poll(() => answers.length).toBe(3);
    expect(answers[2]).toMatchObject({
      action: "edit",
      steps: [
        {
          id: "a",
          kind: "tool",
          description: "Get the west warehouse",
          tool: "getStock",
          args: { warehouse: "west" },
          dependsOn: [],
        },
        { id: "b", dependsOn: ["a"] },
      ],
    });
    expect(errors).toEqual([]);
    await page.close();
  });

  test("two pages at once: both follow the run; the second answer is refused", async ({ expect }) => {
    const answers: ApprovalAnswer[] = [];
    const feed = server.createRun({ id: "two-pages", onApproval: (answer) => void answers.push(answer) });
    feed.publish({
      type: "approval-request",
      at: Date.now(),
      request: { goal: "Two", plan: { revision: 0, steps: [step("a")] } },
    });
    const first = await open(feed.url);
    const second = await open(feed.url);
    await expect.poll(() => second.page.locator("[data-approval]").count()).toBe(1);
    // The second page answers while its view still shows the request: the server says no.
    await first.page.locator('[data-action="approve"]').click();
    await expect.poll(() => answers.length).toBe(1);
    const late = await second.page.evaluate(async () => {
      const response = await fetch("/api/runs/two-pages/approval", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ action: "reject" }),
      });
      return response.status;
    });
    expect(late).toBe(409);
    feed.publish({
      type: "step-start",
      at: Date.now(),
      step: { ...step("a"), status: "running", startedAt: Date.now() },
      key: "k",
    });
    for (const { page } of [first, second]) {
      await expect.poll(() => page.locator('[data-step="a"]').getAttribute("data-status")).toBe("running");
      await page.close();
    }
    expect(answers).toEqual([{ action: "approve" }]);
  });

  test("typing into one step's form while another step is selected never writes into the other's form", async ({
    expect,
  }) => {
    const feed = server.createRun({ id: "two-forms", onApproval: () => {} });
    feed.publish({
      type: "approval-request",
      at: Date.now(),
      request: {
        goal: "Two forms",
        plan: {
          revision: 0,
          steps: [
            { ...step("a"), description: "Short" },
            { ...step("b"), description: "A much longer description of b" },
          ],
        },
      },
    });
    const { page, errors } = await open(feed.url);
    await page.locator('[data-step="a"]').click();
    const aField = page.locator('[data-edit-form="a"] [data-key="edit-description"]');
    await aField.focus();
    await aField.evaluate((field: HTMLInputElement) => field.select());
    // Select b and type before the next render has shown b's form: the keystrokes belong to a's
    // field, which the render takes away; they must not land in b's field, over its first chars.
    await page
      .locator('[data-step="b"]')
      .evaluate((node) => node.dispatchEvent(new MouseEvent("click", { bubbles: true })));
    await page.keyboard.insertText("typed");
    const bField = page.locator('[data-edit-form="b"] [data-key="edit-description"]');
    await expect.poll(() => bField.count()).toBe(1);
    await page.keyboard.insertText("!");
    expect(await bField.inputValue()).toBe("A much longer description of b");
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a hidden tab lets its stream go and catches up when shown, keeping the edits in progress", async ({
    expect,
  }) => {
    const feed = server.createRun({ id: "hidden", onApproval: () => {} });
    feed.publish({
      type: "approval-request",
      at: Date.now(),
      request: { goal: "Hide", plan: { revision: 0, steps: [step("a"), step("b")] } },
    });
    const { page, errors } = await open(feed.url);
    await page.locator('[data-step="a"]').click();
    await page.locator('[data-key="edit-description"]').fill("Edited while visible");
    await page.locator('[data-action="apply-edit"]').click();
    await expect
      .poll(() => page.locator('[data-action="approve"]').textContent())
      .toBe("Approve with 1 edit");
    const setVisibility = (state: string) =>
      page.evaluate((value) => {
        Object.defineProperty(document, "visibilityState", { value, configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
      }, state);
    await setVisibility("hidden");
    feed.publish({ type: "view-notice", at: Date.now(), level: "warning", text: "sent while hidden" });
    await setVisibility("visible");
    await expect.poll(() => page.locator(".notices").textContent()).toContain("sent while hidden");
    expect(await page.locator('[data-action="approve"]').textContent()).toBe("Approve with 1 edit");
    expect(errors).toEqual([]);
    await page.close();
  });

  test("bad input: a stream cut mid-run, a missing run, malformed events; the page says so", async ({
    expect,
  }) => {
    const feed = server.createRun({ id: "cut" });
    const { page, errors } = await open(feed.url);
    feed.publish({ type: "run-start", at: Date.now(), runId: "r-3", goal: "Cut short" });
    feed.publish({ type: "step-end", at: Date.now(), step: 42 });
    feed.publish({ type: "model-call-end", at: Date.now(), tokens: 12 }); // another issue's event: ignored
    const hostile = '<img src=x onerror="window.__owned=1">';
    feed.publish({
      type: "plan-end",
      at: Date.now(),
      plan: {
        revision: 0,
        steps: [step("a", [], { description: hostile, tool: hostile }), { nonsense: true }, null],
      },
    });
    await expect.poll(() => page.locator('[data-step="a"]').count()).toBe(1);
    // Text from the feed stays text.
    expect(await page.locator('[data-step="a"] .desc').textContent()).toBe(hostile);
    expect(await page.evaluate(() => (window as unknown as { __owned?: number }).__owned)).toBeUndefined();
    expect(
      await page
        .locator("replan-plan-view")
        .evaluate((element) => element.shadowRoot!.querySelectorAll("img").length),
    ).toBe(0);
    await expect.poll(() => page.locator(".notices").textContent()).toContain("malformed step-end");
    feed.end();
    await expect
      .poll(() => page.locator('[data-banner="cut"]').textContent())
      .toContain("ended before the run did");
    await page.screenshot({ path: join(SHOTS, "cut.png") });

    const missing = await open(`${server.url}/runs/no-such-run`);
    await expect
      .poll(() => missing.page.locator('[data-banner="missing"]').textContent())
      .toContain("does not exist");
    const outside = await open(`${server.url}/runs/..%2F..%2Fetc%2Fpasswd`);
    await expect.poll(() => outside.page.locator('[data-banner="missing"]').count()).toBe(1);
    expect([...errors, ...missing.errors, ...outside.errors]).toEqual([]);
    await Promise.all([page.close(), missing.page.close(), outside.page.close()]);
  });

  test("a server that goes away mid-run: the page says the connection was lost", async ({ expect }) => {
    const own = await startViewServer();
    const feed = own.createRun({ id: "lost" });
    feed.publish({ type: "run-start", at: Date.now(), runId: "r-4", goal: "Lost" });
    feed.publish({ type: "plan-end", at: Date.now(), plan: { revision: 0, steps: [step("a")] } });
    const { page, errors } = await open(feed.url);
    await expect.poll(() => page.locator('[data-step="a"]').count()).toBe(1);
    // Destroy the connections without a stream-end, as a crash would.
    const closed = own.close();
    await closed;
    await expect.poll(() => page.locator("[data-banner]").getAttribute("data-banner")).toMatch(/lost|cut/);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a plan of 200 steps renders, laid out, in a few seconds", async ({ expect }) => {
    const feed = server.createRun({ id: "big" });
    const steps = Array.from({ length: 200 }, (_, index) =>
      step(`s${index}`, index === 0 ? [] : [`s${Math.floor((index - 1) / 3)}`]),
    );
    feed.publish({ type: "run-start", at: Date.now(), runId: "r-5", goal: "Big" });
    feed.publish({ type: "plan-end", at: Date.now(), plan: { revision: 0, steps } });
    const started = Date.now();
    const { page, errors } = await open(feed.url);
    await expect.poll(() => page.locator("[data-step]").count(), { timeout: 40_000 }).toBe(200);
    for (let index = 0; index < 200; index += 10) {
      feed.publish({
        type: "step-start",
        at: Date.now(),
        step: { ...steps[index], status: "running", startedAt: Date.now() },
        key: "k",
      });
    }
    await expect.poll(() => page.locator('[data-status="running"]').count()).toBe(20);
    expect(Date.now() - started).toBeLessThan(40_000); // a hang, not a slow machine
    const edges = await page.locator("path[data-edge]").count();
    expect(edges).toBe(199);
    expect(errors).toEqual([]);
    await page.close();
  });
});
