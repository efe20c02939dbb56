import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ToolMessage } from "@langchain/core/messages";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ShellToolError } from "./errors.js";
import type { CommandResult } from "./run-command.js";
import { createShellTool } from "./shell-tool.js";
import { isAlive, makeRoot, readPids, testPrograms, waitFor, withSandbox } from "./test-helpers.js";

let root: string;
let cleanup: () => void;
beforeEach(() => {
  ({ root, cleanup } = makeRoot());
  writeFileSync(path.join(root, "notes.txt"), "hello\n");
});
afterEach(() => cleanup());

function toolCall(args: Record<string, unknown>, id = "call_1") {
  return { type: "tool_call" as const, id, name: "shell", args };
}

describe("invoked with plain arguments", () => {
  test("returns the result as JSON text", async () => {
    const shell = createShellTool({ root, sandbox: withSandbox });
    const output = await shell.invoke({ program: "cat", args: ["notes.txt"] });
    expect(typeof output).toBe("string");
    expect(JSON.parse(output as string)).toMatchObject({
      exitCode: 0,
      stdout: "hello\n",
      terminationReason: "exit",
    });
  });

  test("returns a refusal as readable JSON instead of throwing", async () => {
    const shell = createShellTool({ root, sandbox: withSandbox });
    const output = await shell.invoke({ program: "cat", args: ["/etc/passwd"] });
    const { error } = JSON.parse(output as string);
    expect(error.code).toBe("path-escape");
    expect(error.message).toContain("/etc/passwd");
  });

  test("injection attempts stay literal", async () => {
    const shell = createShellTool({ root, sandbox: withSandbox });
    const output = await shell.invoke({ program: "echo", args: ["$(touch pwned); touch pwned2"] });
    expect(JSON.parse(output as string).stdout).toBe("$(touch pwned); touch pwned2\n");
    expect(existsSync(path.join(root, "pwned"))).toBe(false);
    expect(existsSync(path.join(root, "pwned2"))).toBe(false);
  });
});

describe("invoked with a tool call", () => {
  test("returns a successful ToolMessage with the full result as artifact", async () => {
    const shell = createShellTool({ root, sandbox: withSandbox });
    const message = await shell.invoke(toolCall({ program: "ls", cwd: "sub" }));
    expect(message).toBeInstanceOf(ToolMessage);
    const toolMessage = message as ToolMessage;
    expect(toolMessage.status).toBe("success");
    expect(toolMessage.tool_call_id).toBe("call_1");
    expect(toolMessage.name).toBe("shell");
    const artifact = toolMessage.artifact as CommandResult;
    expect(artifact.command).toEqual({
      program: "ls",
      args: [],
      cwd: path.join(root, "sub"),
      shell: false,
      sandboxed: withSandbox,
    });
    expect(artifact.exitCode).toBe(0);
  });

  test("a non-zero exit is an error ToolMessage the model can read, with the output kept", async () => {
    const shell = createShellTool({ root, sandbox: withSandbox });
    const message = (await shell.invoke(toolCall({ program: "cat", args: ["missing.txt"] }))) as ToolMessage;
    expect(message.status).toBe("error");
    const content = JSON.parse(message.content as string);
    expect(content.exitCode).toBe(1);
    expect(content.stderr).toContain("missing.txt");
  });

  test("a refusal is an error ToolMessage with the code", async () => {
    const shell = createShellTool({ root, sandbox: withSandbox });
    const message = (await shell.invoke(
      toolCall({ program: "rm", args: ["-rf", "."] }, "call_2"),
    )) as ToolMessage;
    expect(message.status).toBe("error");
    expect(message.tool_call_id).toBe("call_2");
    expect(JSON.parse(message.content as string).error.code).toBe("program-not-allowed");
    expect(existsSync(path.join(root, "notes.txt"))).toBe(true);
  });

  test("a denied approval is an error ToolMessage", async () => {
    const shell = createShellTool({ root, sandbox: withSandbox, approve: () => false });
    const message = (await shell.invoke(toolCall({ program: "ls" }))) as ToolMessage;
    expect(message.status).toBe("error");
    expect(JSON.parse(message.content as string).error.code).toBe("approval-denied");
  });

  test("a dry run is a successful ToolMessage saying what would run", async () => {
    const shell = createShellTool({ root, sandbox: withSandbox, dryRun: true });
    const message = (await shell.invoke(toolCall({ program: "ls", args: ["-la"] }))) as ToolMessage;
    expect(message.status).toBe("success");
    const content = JSON.parse(message.content as string);
    expect(content.terminationReason).toBe("dry-run");
    expect(content.wouldRun).toEqual({ program: "ls", args: ["-la"], cwd: root });
  });
});

test("aborting the run through the config signal kills the process group", async () => {
  const shell = createShellTool({ root, programs: testPrograms, sandbox: false });
  const controller = new AbortController();
  const pidFile = path.join(root, "tree.pids");
  const promise = shell.invoke(toolCall({ program: "sh", args: ["spawn-tree.sh", "tree.pids"] }), {
    signal: controller.signal,
  });
  await waitFor(() => readPids(pidFile).length === 4);
  const pids = readPids(pidFile);
  expect(pids.every(isAlive)).toBe(true);
  const reason = new Error("graph cancelled");
  controller.abort(reason);
  await expect(promise).rejects.toBe(reason);
  await waitFor(() => pids.every((pid) => !isAlive(pid)), 3_000);
});

test("the description names the allowed programs; name and description can be set", () => {
  const shell = createShellTool({ root, programs: { ls: {}, cat: {} } });
  expect(shell.name).toBe("shell");
  expect(shell.description).toContain("Allowed programs: ls, cat");
  const named = createShellTool({ root, name: "workspace_shell", description: "Look around." });
  expect(named.name).toBe("workspace_shell");
  expect(named.description).toBe("Look around.");
});

test("options are validated when the tool is created", () => {
  for (const [options, name] of [
    [{ name: "my shell" }, "name"],
    [{ description: "" }, "description"],
    [{ timeoutMs: -5 }, "timeoutMs"],
    [{ root: path.join(root, "missing") }, "root"],
  ] as const) {
    let caught: unknown;
    try {
      createShellTool({ root, ...options });
    } catch (error) {
      caught = error;
    }
    expect(ShellToolError.isInstance(caught), name).toBe(true);
    expect((caught as ShellToolError).code).toBe("invalid-options");
    expect((caught as ShellToolError).message).toContain(`"${name}"`);
  }
});
