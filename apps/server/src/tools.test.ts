import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ToolMessage } from "@langchain/core/messages";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serverTools } from "./tools.js";

let workspace: string;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), "replan-tools-"));
  await writeFile(join(workspace, "notes.txt"), "alpha\n");
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

const call = (name: string, args: Record<string, unknown>) => ({
  type: "tool_call" as const,
  id: "call_1",
  name,
  args,
});

describe("serverTools", () => {
  it("confines the shell tool to REPLAN_WORKSPACE", async () => {
    const [shell] = serverTools(["shell"], { REPLAN_WORKSPACE: workspace });
    const read = (await shell!.invoke(call("shell", { program: "cat", args: ["notes.txt"] }))) as ToolMessage;
    expect(read.status).toBe("success");
    expect(String(read.content)).toContain("alpha");
    const outside = (await shell!.invoke(
      call("shell", { program: "cat", args: ["/etc/passwd"] }),
    )) as ToolMessage;
    expect(outside.status).toBe("error");
    expect(String(outside.content)).toContain("path-escape");
  });

  it("runs shell commands in the kernel sandbox by default; REPLAN_SHELL_SANDBOX=false turns it off", async () => {
    const listRoot = async (env: Record<string, string>) => {
      const [shell] = serverTools(["shell"], { REPLAN_WORKSPACE: workspace, ...env });
      const message = (await shell!.invoke(
        call("shell", { program: "ls", args: [workspace] }),
      )) as ToolMessage;
      return (
        (message.artifact as { command: { sandboxed: boolean } } | undefined)?.command.sandboxed ??
        String(message.content)
      );
    };
    const sandboxed = await listRoot({});
    // Without bubblewrap here the default is a refusal the model can read, never a silent fallback.
    if (sandboxed !== true) expect(sandboxed).toContain("sandbox-unavailable");
    if (process.env.CI) expect(sandboxed).toBe(true);
    expect(await listRoot({ REPLAN_SHELL_SANDBOX: "false" })).toBe(false);
    expect(() =>
      serverTools(["shell"], { REPLAN_WORKSPACE: workspace, REPLAN_SHELL_SANDBOX: "maybe" }),
    ).toThrow(/REPLAN_SHELL_SANDBOX must be true or false/);
  });

  it("requires REPLAN_WORKSPACE for the shell tool", () => {
    expect(() => serverTools(["shell"], {})).toThrow(/REPLAN_WORKSPACE/);
  });

  it("gives the HTTP tool safe defaults: read-only methods, no private or loopback addresses", async () => {
    const [http] = serverTools(["http_request"], {});
    expect(http!.name).toBe("http_request");
    const loopback = (await http!.invoke(
      call("http_request", { url: "http://127.0.0.1:9/" }),
    )) as ToolMessage;
    expect(loopback.status).toBe("error");
    expect(String(loopback.content)).toContain("address-not-allowed");
    await expect(
      http!.invoke(call("http_request", { method: "POST", url: "https://example.com/", json: {} })),
    ).rejects.toThrow(/"GET"\|"HEAD"/); // the schema offers GET and HEAD only
  });

  it("builds each configuration once", () => {
    const env = { REPLAN_WORKSPACE: workspace };
    expect(serverTools(["shell"], env)[0]).toBe(serverTools(["shell"], env)[0]);
  });
});
