// `--web` end to end: the built CLI runs a scenario, headless Chromium opens the page it prints,
// and the page follows the run and answers the plan approval. Screenshots go to
// <tmp>/replan-demo-web-e2e. Skipped when /usr/bin/chromium is absent, except in CI.
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, test } from "vitest";
import { EXIT } from "./args.js";
import { ConfigError } from "./errors.js";
import { type Finished, jsonLines, startCli, tempWorkspace } from "./test-helpers.js";
import { startWebView } from "./web.js";

const CHROMIUM = "/usr/bin/chromium";
const present = existsSync(CHROMIUM);
if (!present && process.env.CI)
  throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package`);

const SHOTS = join(tmpdir(), "replan-demo-web-e2e");
mkdirSync(SHOTS, { recursive: true });

interface WebRun {
  child: ChildProcess;
  done: Promise<Finished>;
  url: string;
  output: () => string;
}

/** Starts the CLI with --web and waits for the URL it prints. */
async function startWeb(args: string[]): Promise<WebRun> {
  const { child, done } = startCli(["--web", ...args], { env: {} });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no web view URL after 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer | string) => {
      output += chunk.toString();
      const match = /web view: (http:\/\/127\.0\.0\.1:\d+\/runs\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void done.then(() => reject(new Error(`the demo ended before printing its URL:\n${output}`)));
  });
  return { child, done, url, output: () => output };
}

/** Ctrl-C after the page was looked at (the demo keeps serving it until then). */
async function stop(run: WebRun): Promise<Finished> {
  const deadline = Date.now() + 60_000;
  while (!run.output().includes("stays open until Ctrl-C")) {
    if (Date.now() > deadline) throw new Error(`the run did not end within 60 s:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  run.child.kill("SIGINT");
  return run.done;
}

// Each test starts demo processes (LangChain loads in each): generous bounds for a loaded machine.
describe.skipIf(!present).concurrent("npm run demo -- --web", { timeout: 180_000 }, () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1360, height: 720 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(url);
    return { page, errors };
  }

  const status = (page: Page) => page.locator('[part="status"]').getAttribute("data-status");

  // release-report renders in the approval test below, inventory in the next one.
  test("disk-audit renders and the page follows it to its end", async ({ expect }) => {
    const run = await startWeb(["--plain", "--scenario", "disk-audit"]);
    const { page, errors } = await open(run.url);
    await expect.poll(() => status(page), { timeout: 60_000 }).toBe("completed");
    for (const id of ["sizes", "big-files", "errors", "last-errors", "find-tmp", "tmp-size"]) {
      expect(await page.locator(`[data-step="${id}"]`).getAttribute("data-status")).toBe("done");
    }
    await page.screenshot({ path: join(SHOTS, "scenario-disk-audit.png") });
    expect(errors).toEqual([]);
    await page.close();
    expect((await stop(run)).code).toBe(EXIT.completed);
  });

  test("statuses follow the run; the inventory replan shows revision 1 with its diff", async ({ expect }) => {
    // With --approve the run waits for the page, so that the page sees every step start.
    const run = await startWeb(["--plain", "--approve", "--scenario", "inventory", "--speed", "2"]);
    const { page, errors } = await open(run.url);
    await page.locator('[data-action="approve"]').click({ timeout: 60_000 });
    const north = page.locator('[data-step="north"]');
    await expect.poll(() => north.getAttribute("data-status"), { timeout: 60_000 }).toBe("running");
    await page.screenshot({ path: join(SHOTS, "inventory-running.png") });
    await expect.poll(() => north.getAttribute("data-status"), { timeout: 60_000 }).toBe("done");
    const diff = page.locator("[data-diff]");
    await expect.poll(() => diff.getAttribute("data-diff"), { timeout: 60_000 }).toBe("1");
    expect(await diff.locator("[data-removed]").getAttribute("data-removed")).toBe("east");
    expect(await diff.locator("[data-added]").getAttribute("data-added")).toBe("east-replica");
    expect(await diff.locator("[data-replaced]").getAttribute("data-replaced")).toBe("report");
    expect(await diff.locator("[data-kept]").getAttribute("data-kept")).toBe("north,south,order");
    await expect.poll(() => status(page), { timeout: 60_000 }).toBe("completed");
    await page.locator('[data-step="report"]').click();
    await expect.poll(() => page.locator("[data-resolved]").textContent()).toContain('"warehouse": "east"');
    await page.screenshot({ path: join(SHOTS, "inventory-revision-1.png") });
    await page.locator('[data-revision="0"]').click();
    await expect.poll(() => page.locator('[data-step="east"]').getAttribute("data-status")).toBe("failed");
    await page.screenshot({ path: join(SHOTS, "inventory-revision-0.png") });
    expect(errors).toEqual([]);
    await page.close();
    expect((await stop(run)).code).toBe(EXIT.completed);
  });

  test("approve, reject and edit in the page resume the run as the CLI answers do", async ({ expect }) => {
    const answer = async (action: "approve" | "reject" | "edit") => {
      const workspace = tempWorkspace();
      const run = await startWeb(["--json", "--approve", "--workspace", workspace]);
      const { page, errors } = await open(run.url);
      await expect.poll(() => page.locator("[data-approval]").count(), { timeout: 60_000 }).toBe(1);
      expect(await page.locator('[data-step="latest"]').getAttribute("data-status")).toBe("pending");
      if (action === "approve") {
        await page.screenshot({ path: join(SHOTS, "approval.png") });
        await page.locator('[data-action="approve"]').click();
        await expect.poll(() => status(page), { timeout: 60_000 }).toBe("completed");
        for (const id of ["latest", "bugs", "changelog", "notes", "downloads", "publish"]) {
          expect(await page.locator(`[data-step="${id}"]`).getAttribute("data-status")).toBe("done");
        }
        await page.screenshot({ path: join(SHOTS, "scenario-release-report.png") });
      } else if (action === "reject") {
        await page.locator('[data-key="reject-reason"]').fill("not this week");
        await page.locator('[data-action="reject"]').click();
      } else {
        // A malformed edit first: "latest" waiting for "publish", which waits for it (a cycle).
        await page.locator('[data-step="latest"]').click();
        await page.locator('[data-edit-form="latest"] [data-key="dep-publish"]').check();
        await page.locator('[data-action="apply-edit"]').click();
        await page.locator('[data-action="approve"]').click();
        await expect.poll(() => page.locator("[data-approval-error]").textContent()).toMatch(/cycle/);
        await page.screenshot({ path: join(SHOTS, "approval-bad-edit.png") });
        await page.locator('[data-edit-form="latest"] [data-key="dep-publish"]').uncheck();
        await page.locator('[data-action="apply-edit"]').click();
        await page.locator('[data-step="changelog"]').click();
        await page
          .locator('[data-edit-form="changelog"] [data-key="edit-description"]')
          .fill("Read the top 3 lines of CHANGELOG.md");
        await page
          .locator('[data-edit-form="changelog"] [data-key="edit-args"]')
          .fill('{"program": "head", "args": ["-n", "3", "CHANGELOG.md"]}');
        await page.locator('[data-action="apply-edit"]').click();
        await page.locator('[data-action="approve"]').click();
      }
      await expect.poll(() => status(page), { timeout: 60_000 }).toMatch(/completed|cancelled/);
      expect(errors).toEqual([]);
      await page.close();
      const finished = await stop(run);
      const result = jsonLines(finished.stdout).find((line) => line.type === "result")!;
      return { finished, result };
    };
    const [approved, rejected, edited] = await Promise.all([
      answer("approve"),
      answer("reject"),
      answer("edit"),
    ]);

    expect(approved.finished.code).toBe(EXIT.completed);
    expect(approved.result.status).toBe("completed");

    expect(rejected.finished.code).toBe(EXIT.rejected);
    expect(rejected.result).toMatchObject({ status: "cancelled", reason: "plan rejected: not this week" });
    expect(rejected.result.results).toEqual({});

    expect(edited.finished.code).toBe(EXIT.completed);
    const plan = edited.result.plan as {
      steps: Array<{ id: string; description: string; args?: unknown; dependsOn: string[] }>;
    };
    const changelog = plan.steps.find((step) => step.id === "changelog")!;
    expect(changelog.description).toBe("Read the top 3 lines of CHANGELOG.md");
    expect(changelog.args).toEqual({ program: "head", args: ["-n", "3", "CHANGELOG.md"] });
    expect(plan.steps.find((step) => step.id === "latest")!.dependsOn).toEqual([]);
    expect(
      (edited.result.results as Record<string, { stdout: string }>).changelog!.stdout.trim().split("\n"),
    ).toHaveLength(3);
  });

  test("a bad --web-port is a usage error; a port in use is a configuration error", async ({ expect }) => {
    const finished = await startCli(["--web-port", "70000"], { input: "" }).done;
    expect(finished.code).toBe(EXIT.usage);
    expect(finished.stderr).toContain("--web-port");
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const error = await startWebView({ port, title: "t", maxSteps: 5 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(`cannot serve the web view on 127.0.0.1:${port}`);
    } finally {
      taken.close();
    }
  });
});
