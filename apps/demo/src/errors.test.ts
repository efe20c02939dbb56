// End-to-end: bad input and configuration give clear messages and documented exit codes.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, startCli, tempWorkspace } from "./test-helpers.js";

describe.concurrent("bad input", () => {
  it("an empty goal is a usage error (2)", async () => {
    const { code, stderr } = await runCli(["   "]);
    expect(code).toBe(2);
    expect(stderr).toContain("error: the goal is empty");
  });

  it("an unknown scenario is a usage error (2) that lists the known ones", async () => {
    const { code, stderr } = await runCli(["--scenario", "nope"]);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown scenario "nope" (known: release-report, inventory, disk-audit)');
  });

  it("an unknown flag or a bad value is a usage error (2)", async () => {
    const unknown = await runCli(["--frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'error: unknown option "--frobnicate" (a goal that starts with "-" goes after "--")\nRun with --help for the flags.\n',
    );
    const speed = await runCli(["--speed", "0"]);
    expect(speed.code).toBe(2);
    expect(speed.stderr).toContain("--speed must be a number above 0");
    const method = await runCli(["--structured-output", "xml"]);
    expect(method.code).toBe(2);
    const thread = await runCli(["--thread", "../etc"]);
    expect(thread.code).toBe(2);
  });

  it("--db without --thread, and --diagram to a path that cannot be written, are usage errors (2) before the run", async () => {
    const db = await runCli(["--db", join(tempWorkspace(), "checkpoints.sqlite")]);
    expect(db.code).toBe(2);
    expect(db.stderr).toContain("error: --db needs --thread <id>");
    expect(db.stdout).toBe(""); // nothing ran
    const file = join(tempWorkspace(), "a-file");
    writeFileSync(file, "x");
    const diagram = await runCli(["--diagram", join(file, "plan.md")]);
    expect(diagram.code).toBe(2);
    expect(diagram.stderr).toBe(
      `error: --diagram: cannot write ${join(file, "plan.md")}: ${file} is not a folder\n`,
    );
    expect(diagram.stdout).toBe("");
    const folder = await runCli(["--diagram", tempWorkspace()]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain("it is a folder");
  });

  it("--model without OPENAI_API_KEY or OPENAI_BASE_URL is a configuration error (3)", async () => {
    const { code, stderr } = await runCli(["--model", "gpt-4.1"]);
    expect(code).toBe(3);
    expect(stderr).toContain('--model "gpt-4.1" needs a real model: set OPENAI_API_KEY');
  });

  it("an unreachable OPENAI_BASE_URL is a configuration error (3)", async () => {
    const { code, stderr } = await runCli(["--plain"], {
      env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: "http://127.0.0.1:9/v1" },
    });
    expect(code).toBe(3);
    expect(stderr).toContain("cannot reach the model server at http://127.0.0.1:9/v1");
  });
});

describe.concurrent("a closed stdout", () => {
  it.each([
    ["plain", []],
    ["--json", ["--json"]],
  ])("(| head -1, %s) ends the demo quietly with exit 0", async (_name, flags) => {
    const run = startCli([...flags, "--workspace", tempWorkspace()]);
    // like head -1: read the first chunk, then go away
    run.child.stdout!.once("data", () => run.child.stdout!.destroy());
    const started = Date.now();
    const finished = await run.done;
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("a closed stderr (--json: messages go there) does not stop the run", async () => {
    const run = startCli(["--json", "--workspace", tempWorkspace()]);
    run.child.stderr!.once("data", () => run.child.stderr!.destroy());
    const finished = await run.done;
    expect(finished.code).toBe(0);
    expect(finished.stdout).toContain('"type":"result","status":"completed"');
  });
});
