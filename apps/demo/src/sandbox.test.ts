// End-to-end: on a machine where the shell tool's kernel sandbox cannot start (here: a PATH
// without bwrap), the demo still runs, and says so once.
import { describe, expect, it } from "vitest";
import { runCli, tempWorkspace } from "./test-helpers.js";

describe("without bubblewrap", () => {
  it("runs the shell steps without the kernel sandbox and says so once, plainly", async () => {
    const { code, stdout, stderr } = await runCli(
      ["--scenario", "disk-audit", "--workspace", tempWorkspace()],
      { env: { PATH: "/nonexistent-replan-bin" } },
    );
    expect(code, stderr).toBe(0);
    expect(stderr.match(/runs WITHOUT its kernel sandbox/g)).toHaveLength(1);
    expect(stderr).toContain("apt-get install bubblewrap");
    expect(stdout).toContain("completed");
  });
});
