// `npm run demo` on a machine where the install fails: scripts/bootstrap.mjs shows pnpm's own
// message and says what to do (it once ran pnpm with --reporter=silent, which left nothing to show).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bootstrap = fileURLToPath(new URL("../../../scripts/bootstrap.mjs", import.meta.url));

describe("npm run demo when the install fails", () => {
  it("prints pnpm's message and what to do", () => {
    // A pnpm that fails its install like the real one: nothing with --reporter=silent.
    const bin = mkdtempSync(join(tmpdir(), "replan-fake-pnpm-"));
    writeFileSync(
      join(bin, "pnpm"),
      `#!/bin/sh
if [ "$1" = "--version" ]; then echo 10.34.8; exit 0; fi
case " $* " in *" --reporter=silent "*) exit 1;; esac
echo " ERR_PNPM_META_FETCH_FAIL  GET https://registry.npmjs.org/zod: request to registry failed" >&2
exit 1
`,
    );
    chmodSync(join(bin, "pnpm"), 0o755);
    const result = spawnSync(process.execPath, [bootstrap, "demo", "--help"], {
      encoding: "utf8",
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("ERR_PNPM_META_FETCH_FAIL  GET https://registry.npmjs.org/zod");
    expect(result.stderr).toContain("Check that the npm registry is reachable");
    expect(result.stdout).toBe("");
  });
});
