import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { ShellToolError } from "./errors.js";
import { runCommand } from "./run-command.js";
import { createShellTool } from "./shell-tool.js";
import { makeRoot } from "./test-helpers.js";

const { root, cleanup } = makeRoot();
afterAll(cleanup);
mkdirSync(path.join(root, "folder"), { recursive: true });
writeFileSync(path.join(root, "file.txt"), "not a folder\n");

/** What an entry point throws (or rejects with) for `options`; `undefined` when it accepts them. */
async function errorOf(entry: "createShellTool" | "runCommand", options: unknown): Promise<unknown> {
  try {
    if (entry === "createShellTool") createShellTool(options as never);
    else await runCommand({ program: "pwd" }, { dryRun: true, ...(options as object) });
  } catch (error) {
    return error;
  }
  return undefined;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// [entry point, options, the option the message must name]
const badOptions: ["createShellTool" | "runCommand", unknown, string][] = [
  ["createShellTool", { timeout: 100 }, "timeout"],
  ["runCommand", { cwd: "src" }, "cwd"],
  ["createShellTool", { root: "" }, "root"],
  ["createShellTool", { root: "/no/such/dir" }, "root"],
  ["createShellTool", { root: path.join(root, "file.txt") }, "root"],
  ["createShellTool", { root: 5 }, "root"],
  ["createShellTool", { programs: ["ls"] }, "programs"],
  ["createShellTool", { programs: { ls: true } }, "programs"],
  ["createShellTool", { programs: { ls: { deniedFlag: ["-R"] } } }, "programs"],
  ["createShellTool", { programs: { find: { deniedFlags: "-exec" } } }, "programs"],
  ["createShellTool", { programs: { ls: { checkPaths: "no" } } }, "programs"],
  ["createShellTool", { programs: { ls: { check: "never" } } }, "programs"],
  ["createShellTool", { sandbox: "yes" }, "sandbox"],
  ["createShellTool", { sandbox: null }, "sandbox"],
  ["createShellTool", { sandbox: { network: "no" } }, "sandbox"],
  ["createShellTool", { sandbox: { readOnlyRoot: 1 } }, "sandbox"],
  ["createShellTool", { sandbox: { readOnlyPaths: ["relative"] } }, "sandbox"],
  ["createShellTool", { sandbox: { readOnlyPaths: ["/no/such/dir"] } }, "sandbox"],
  ["createShellTool", { sandbox: { proxy: "socks://localhost" } }, "sandbox"],
  ["createShellTool", { allowShell: "true" }, "allowShell"],
  ["createShellTool", { timeoutMs: 0 }, "timeoutMs"],
  ["createShellTool", { timeoutMs: 1.5 }, "timeoutMs"],
  ["createShellTool", { timeoutMs: 2 ** 31 }, "timeoutMs"],
  ["createShellTool", { killGraceMs: -1 }, "killGraceMs"],
  ["createShellTool", { maxOutputBytes: "1" }, "maxOutputBytes"],
  ["createShellTool", { maxOutputBytes: 2 ** 40 }, "maxOutputBytes"],
  ["createShellTool", { onOutputLimit: "explode" }, "onOutputLimit"],
  ["createShellTool", { inheritEnv: "PATH" }, "inheritEnv"],
  ["createShellTool", { inheritEnv: [1] }, "inheritEnv"],
  ["createShellTool", { env: "A=1" }, "env"],
  ["createShellTool", { env: { A: 1 } }, "env"],
  ["createShellTool", { env: { "A=B": "1" } }, "env"],
  ["createShellTool", { env: { PATH: ".:/usr/bin" } }, "env"],
  ["createShellTool", { approve: "yes" }, "approve"],
  ["createShellTool", { approvalTimeoutMs: Number.NaN }, "approvalTimeoutMs"],
  ["createShellTool", { dryRun: 1 }, "dryRun"],
  ["createShellTool", { name: "my shell" }, "name"],
  ["createShellTool", { name: "__proto__" }, "name"],
  ["createShellTool", { name: "constructor" }, "name"],
  ["createShellTool", { description: "" }, "description"],
  ["runCommand", { signal: "stop" }, "signal"],
  ["runCommand", { name: "shell" }, "name"],
  ["createShellTool", { programs: { "/bin/ls": {} } }, "programs./bin/ls"],
  ["runCommand", { programs: { "./ls": {} } }, "programs../ls"],
];

describe("bad options", () => {
  test.each(badOptions)("%s(%j) throws invalid-options naming %s", async (entry, options, option) => {
    const error = await errorOf(entry, { root, ...(options as object) });
    expect(ShellToolError.isInstance(error), String(error)).toBe(true);
    expect((error as ShellToolError).code).toBe("invalid-options");
    // The option itself, or an entry or field of it (`programs.ls.deniedFlag`, `sandbox.network`).
    expect((error as ShellToolError).message).toMatch(new RegExp(`^Option "${escapeRegExp(option)}[".[]`));
  });

  test("refuses options that are not an object, naming the entry point", async () => {
    for (const options of [null, 5, "fast", []]) {
      const error = await errorOf("createShellTool", options);
      expect(ShellToolError.isInstance(error), String(options)).toBe(true);
      expect((error as ShellToolError).code).toBe("invalid-options");
      expect((error as ShellToolError).message).toContain("createShellTool");
    }
  });

  test("never shows a bad env, whatever it is, nor any value under it", async () => {
    const secret = "sk-ENVSECRET-42";
    for (const env of [
      secret,
      [secret],
      { TOKEN: secret, OTHER: 42 },
      { TOKEN: { value: secret } },
      { PATH: `.:${secret}` },
    ]) {
      for (const entry of ["runCommand", "createShellTool"] as const) {
        const error = (await errorOf(entry, { root, env })) as Error;
        expect(ShellToolError.isInstance(error), String(error)).toBe(true);
        expect(error.message).toMatch(/^Option "env/);
        expect(error.message).not.toContain("ENVSECRET");
      }
    }
  });

  test("a program rule named by a path is refused, naming it", async () => {
    const error = (await errorOf("createShellTool", { root, programs: { "/bin/ls": {} } })) as Error;
    expect(error.message).toMatch(/^Option "programs\.\/bin\/ls" must be named by a bare program name/);
  });

  test("never shows an env value in the message", async () => {
    const error = (await errorOf("createShellTool", { root, env: { TOKEN: "sk-secret-42\0" } })) as Error;
    expect(error.message).not.toContain("sk-secret-42");
  });

  test("absent options take their defaults", async () => {
    expect(
      await errorOf("createShellTool", { root, timeoutMs: undefined, sandbox: undefined }),
    ).toBeUndefined();
    expect(await errorOf("runCommand", { root, signal: undefined })).toBeUndefined();
  });
});
