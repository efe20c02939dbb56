// Sandboxes started ahead of their command: the command in a warm sandbox gets exactly its
// arguments (no shell reading of them), its working directory and its environment; a replaced
// root is never served by a sandbox started before; warm sandboxes neither keep this process
// alive nor outlive it (a normal exit, and SIGKILL).
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { resolveOptions } from "./resolve-options.js";
import { execute, type RunCommandOptions, runCommand } from "./run-command.js";
import { isAlive, makeRoot, testPrograms, waitFor, withSandbox } from "./test-helpers.js";
import { launchScript, stopWarmSandboxes } from "./warm-sandboxes.js";

const distIndex = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.mjs");

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ root, cleanup } = makeRoot());
});
afterEach(() => {
  stopWarmSandboxes();
  cleanup();
});

/** The pids of this process's children named `bwrap` (the warm sandboxes and running commands). */
function bwrapChildren(parent = process.pid): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (stat.includes("(bwrap)") && Number(fields[1]) === parent) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

function unruled(program: string, args: string[], options: RunCommandOptions = {}) {
  return execute(
    { program, args },
    resolveOptions({ root, programs: testPrograms, ...options }, "execute"),
    undefined,
    {
      rules: false,
    },
  );
}

describe("the launcher's script", () => {
  test("quotes every word, so the shell reads none of them", () => {
    const script = launchScript(["printf", "%s", "a'b", "$(x)"], "/r/it's", {});
    expect(script).toContain(`cd -- '/r/it'\\''s'`);
    expect(script).toContain(`exec 'printf' '%s' 'a'\\''b' '$(x)'`);
    expect(script.endsWith("\n")).toBe(true);
  });
});

describe.skipIf(!withSandbox)("warm sandboxes", () => {
  test("arguments reach the command byte for byte: quotes, $(...), backticks, newlines, blanks", async () => {
    const hostile = [
      "a'b",
      "'; touch pwned; '",
      "$(touch pwned2)",
      "`touch pwned3`",
      "line1\nline2\n",
      "\\n\\0",
      "  spaced  ",
      "",
      "*",
      "-e",
      "REPLAN_LAUNCH_SCRIPT",
    ];
    // Twice: the first command may start its own sandbox, the second takes a warm one.
    for (let round = 0; round < 2; round++) {
      const result = await unruled("printf", ["[%s]", ...hostile]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe(hostile.map((arg) => `[${arg}]`).join(""));
    }
    expect(readdirSync(root).filter((name) => name.startsWith("pwned"))).toEqual([]);
  });

  test("sandboxes are kept warm per configuration (prewarm), and none with prewarm 0", async () => {
    await runCommand({ program: "true" }, { root, programs: testPrograms, sandbox: { prewarm: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bwrapChildren()).toEqual([]);
    await runCommand({ program: "true" }, { root, programs: testPrograms, sandbox: { prewarm: 3 } });
    await waitFor(() => bwrapChildren().length === 3);
    // A command takes one; the pool is topped up again.
    const before = new Set(bwrapChildren());
    const result = await runCommand(
      { program: "true" },
      { root, programs: testPrograms, sandbox: { prewarm: 3 } },
    );
    expect(result.ok).toBe(true);
    await waitFor(() => bwrapChildren().length === 3);
    expect(bwrapChildren().filter((pid) => !before.has(pid))).toHaveLength(1);
  });

  test("the working directory, the environment and the exit code are the command's own", async () => {
    mkdirSync(path.join(root, "sub dir"));
    const options = { env: { GREETING: "it's $HOME", REPLAN_LAUNCH_LINE: "kept" } };
    for (let round = 0; round < 2; round++) {
      const pwd = await unruled("sh", ["-c", "pwd; printenv GREETING REPLAN_LAUNCH_LINE; exit 7"], {
        ...options,
      });
      expect(pwd.exitCode).toBe(7);
      expect(pwd.stdout).toBe(`${root}\nit's $HOME\nkept\n`);
      const env = await execute(
        { program: "env", args: [], cwd: "sub dir" },
        resolveOptions({ root, programs: testPrograms }, "execute"),
        undefined,
        { rules: false },
      );
      const names = env.stdout
        .trim()
        .split("\n")
        .map((line) => line.slice(0, line.indexOf("=")));
      // Exactly the asked-for environment: not the launcher's variables, not the OLDPWD of its `cd`.
      expect(
        names.filter(
          (name) =>
            !["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "PWD"].includes(name),
        ),
      ).toEqual([]);
      expect(env.stdout).toContain(`PWD=${path.join(root, "sub dir")}\n`);
    }
  });

  test("a root replaced since a sandbox started is never served by it", async () => {
    writeFileSync(path.join(root, "which.txt"), "old\n");
    expect((await runCommand({ program: "cat", args: ["which.txt"] }, { root })).stdout).toBe("old\n");
    await waitFor(() => bwrapChildren().length >= 1);
    renameSync(root, `${root}.old`);
    mkdirSync(root);
    writeFileSync(path.join(root, "which.txt"), "new\n");
    try {
      expect((await runCommand({ program: "cat", args: ["which.txt"] }, { root })).stdout).toBe("new\n");
    } finally {
      rmSync(`${root}.old`, { recursive: true, force: true });
    }
  });

  /** Runs a child Node process that runs one command through the built package with prewarm 2. */
  function child(stayAlive: boolean) {
    const code = `
      import { runCommand } from ${JSON.stringify(distIndex)};
      const result = await runCommand({ program: "true" }, { root: ${JSON.stringify(root)}, programs: { true: {} } });
      setTimeout(() => {
        console.log(JSON.stringify({ ok: result.ok }));
        ${stayAlive ? "setInterval(() => {}, 1000);" : ""}
      }, 300);
    `;
    return spawn(process.execPath, ["--input-type=module", "-e", code], {
      stdio: ["ignore", "pipe", "inherit"],
    });
  }

  test("warm sandboxes do not keep a process alive, and die with it", async () => {
    const node = child(false);
    let warm: number[] = [];
    node.stdout.on("data", () => {
      warm = bwrapChildren(node.pid);
    });
    const code = await new Promise<number | null>((resolve) => node.on("exit", resolve));
    expect(code).toBe(0);
    expect(warm.length).toBe(2);
    await waitFor(() => warm.every((pid) => !isAlive(pid)), 3_000);
  });

  test("warm sandboxes die with their process when it is SIGKILLed", async () => {
    const node = child(true);
    const printed = await new Promise<string>((resolve) =>
      node.stdout.once("data", (chunk) => resolve(String(chunk))),
    );
    expect(JSON.parse(printed)).toEqual({ ok: true });
    const warm = bwrapChildren(node.pid);
    expect(warm.length).toBe(2);
    node.kill("SIGKILL");
    await waitFor(() => warm.every((pid) => !isAlive(pid)), 3_000);
  });
});
