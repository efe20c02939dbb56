// End-to-end in a real terminal (a pty from util-linux's `script`): Ctrl-C typed mid-run stops the
// demo with exit 130, and the last picture of the live tree shows the stopped steps as ⊘, not as
// frozen spinners.
import { spawn, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { cliPath, demoEnv } from "./test-helpers.js";

const hasScript = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;
if (!hasScript && process.env.CI)
  throw new Error("CI: util-linux `script` is required for the terminal tests");

const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

describe.skipIf(!hasScript)("in a terminal", () => {
  it("Ctrl-C mid-run: exit 130, and the steps in flight end as ⊘", async () => {
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(cliPath)} --scenario inventory --speed 2`;
    const child = spawn("script", ["-qefc", command, "/dev/null"], {
      env: demoEnv({ REPLAN_DEMO_FAST: "0" }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let screen = "";
    let sent = false;
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      screen += chunk;
      // Ctrl-C once the three first steps run (their spinners are on screen)
      if (!sent && /3 running/.test(screen)) {
        sent = true;
        child.stdin!.write("\u0003");
      }
    });
    const code = await new Promise<number | null>((resolve) =>
      child.on("close", (status) => resolve(status)),
    );
    expect(sent).toBe(true);
    expect(code, screen.slice(-2000)).toBe(130);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape codes
    const text = screen.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "");
    const lastTree = text.slice(text.lastIndexOf("plan, revision"));
    expect(lastTree).toMatch(/⊘ \w+/);
    expect(lastTree).not.toMatch(SPINNER);
    expect(text).toContain("cancelled (Ctrl-C)");
  });
});
