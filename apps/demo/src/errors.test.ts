// End-to-end: bad input and configuration give clear messages and documented exit codes.
import { describe, expect, it } from "vitest";
import { runCli } from "./test-helpers.js";

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
    expect(unknown.stderr).toContain("--frobnicate");
    const speed = await runCli(["--speed", "0"]);
    expect(speed.code).toBe(2);
    expect(speed.stderr).toContain("--speed must be a number above 0");
    const method = await runCli(["--structured-output", "xml"]);
    expect(method.code).toBe(2);
    const thread = await runCli(["--thread", "../etc"]);
    expect(thread.code).toBe(2);
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
