import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

it("runs offline to completion, replanning only the failed branch", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [cli, "Summarise ACME"], {
    timeout: 15_000,
  });
  const lines = stdout.split("\n");
  expect(lines.some((line) => line.includes("FAIL  downloads: stats API answered 503"))).toBe(true);
  expect(
    lines.some((line) =>
      line.includes("revision 1: removed downloads, summary; added downloads-mirror, summary"),
    ),
  ).toBe(true);
  // the done fetches are not run again after the replan
  expect(lines.filter((line) => line.endsWith("start changelog"))).toHaveLength(1);
  expect(stdout).toContain("completed: all 4 steps are done");
});
