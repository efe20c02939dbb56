/**
 * `createShellTool`: the same checks and limits as `runCommand`, as a LangChain tool whose
 * failures come back to the model as content it can read.
 *
 * @module
 */

import { ToolMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import { EFFECT_CLASSES, type EffectClass } from "@replan/core";
import { effectOfPrograms } from "./policy.js";
import { shellDefaults } from "./defaults.js";
import { ShellToolError } from "./errors.js";
import { rules } from "@replan/core/internal";
import type { ShellOptions } from "./options.js";
import { type ResolvedOptions, resolveOptions } from "./resolve-options.js";
import { type CommandResult, execute } from "./run-command.js";

/**
 * Options of {@link createShellTool}: {@link ShellOptions} plus the tool's name and description.
 *
 * @example
 * ```ts
 * import { createShellTool, type ShellToolOptions } from "@replan/executors-shell";
 *
 * const options: ShellToolOptions = { name: "workspace_shell", root: "/srv/workspace" };
 * const shell = createShellTool(options);
 * ```
 */
export interface ShellToolOptions extends ShellOptions {
  /**
   * The tool's name, as the model sees it (letters, digits, `_` and `-`, at most 64).
   * @default "shell"
   */
  name?: string;
  /**
   * The tool's description for the model.
   * @default a description naming the allowed programs, the root and the limits
   */
  description?: string;
  /**
   * What a call does to the world, as a plan-and-execute run reads it (`metadata.effect`).
   * @default effectOfPrograms(programs, allowShell): "read" with only the shipped read-only rules, else "write"
   */
  effect?: EffectClass;
}

/**
 * The input schema of the shell tool: `{ program, args, cwd? }`.
 *
 * @example
 * ```ts
 * import { shellToolSchema } from "@replan/executors-shell";
 *
 * shellToolSchema.parse({ program: "ls", args: ["-la"] });
 * ```
 */
export const shellToolSchema = z.object({
  program: z
    .string()
    .min(1)
    .describe("The program to run, a bare name such as `ls` (in shell mode: a /bin/sh script)."),
  args: z
    .array(z.string())
    .default([])
    .describe(
      "Arguments, one string each. No shell parses them: quotes, `;`, `|`, `*` and `$()` are literal.",
    ),
  cwd: z.string().optional().describe("Working directory relative to the root. Defaults to the root."),
});

/** The content the model reads for a finished command: JSON, one field per fact. */
function formatResult(result: CommandResult): string {
  return JSON.stringify({
    exitCode: result.exitCode,
    signal: result.signal,
    terminationReason: result.terminationReason,
    timedOut: result.timedOut,
    stdout: result.stdout,
    stderr: result.stderr,
    stdoutTruncated: result.stdoutTruncated,
    stderrTruncated: result.stderrTruncated,
    ...(result.terminationReason === "dry-run"
      ? { wouldRun: { program: result.command.program, args: result.command.args, cwd: result.command.cwd } }
      : {}),
  });
}

function describe(options: ResolvedOptions): string {
  const how = options.allowShell
    ? "Runs `program` as a /bin/sh script (with `args` as $1, $2, ...)"
    : `Runs one program with an argument vector; no shell, so pipes, redirections, globs and \`;\` do not work. Allowed programs: ${Object.keys(options.programs).join(", ")}. Some arguments that write files or run other programs are refused`;
  return (
    `${how}. Paths must stay inside the root directory (cwd and arguments are relative to it). ` +
    `Stopped after ${options.timeoutMs} ms; output is cut after ${options.maxOutputBytes} bytes per stream. ` +
    "Returns JSON with exitCode, stdout, stderr and terminationReason, or { error: { code, message } } when refused."
  );
}

/** The rules of {@link ShellToolOptions}' own options. */
const toolRules = {
  name: rules.toolName(),
  description: rules.string({ nonEmpty: true }),
  effect: rules.oneOf(EFFECT_CLASSES),
};

/**
 * Creates the shell tool for a LangChain or LangGraph agent. Options are validated now (throwing
 * `invalid-options` naming the option); the environment is read now too.
 *
 * Every outcome comes back as content: a refusal as `{"error":{"code","message"}}`, a finished
 * command as JSON with `exitCode`, `stdout`, `stderr`, `terminationReason`. Invoked with a tool call
 * (as agents do), it returns a `ToolMessage` whose `status` is `"error"` for a refusal or a failed
 * command and whose `artifact` is the full {@link CommandResult}. Aborting the run
 * (`config.signal`) kills the process group.
 *
 * @param options - the policy, the limits, `name` and `description`; see {@link ShellToolOptions}.
 * @returns a structured tool named `name` with the schema {@link shellToolSchema}.
 * @example
 * ```ts
 * import { createShellTool } from "@replan/executors-shell";
 *
 * const shell = createShellTool({ root: process.cwd(), timeoutMs: 10_000 });
 * const message = await shell.invoke({
 *   type: "tool_call",
 *   id: "call_1",
 *   name: "shell",
 *   args: { program: "ls", args: ["-la"] },
 * });
 * console.log(message.status, message.content);
 * ```
 */
export function createShellTool(options: ShellToolOptions = {}) {
  const resolved = resolveOptions(options, "createShellTool", toolRules);
  const { name = shellDefaults.name, description, effect } = options;
  return tool(
    async (input, runtime): Promise<string | ToolMessage> => {
      const toolCallId = runtime?.toolCall?.id;
      const reply = (content: string, failed: boolean, artifact?: CommandResult) =>
        toolCallId === undefined
          ? content
          : new ToolMessage({
              content,
              status: failed ? "error" : "success",
              tool_call_id: toolCallId,
              name,
              artifact,
            });
      let result: CommandResult;
      try {
        result = await execute(input, resolved, runtime?.signal);
      } catch (error) {
        if (!ShellToolError.isInstance(error)) throw error;
        return reply(JSON.stringify({ error: { code: error.code, message: error.message } }), true);
      }
      return reply(formatResult(result), !result.ok && result.terminationReason !== "dry-run", result);
    },
    {
      name,
      description: description ?? describe(resolved),
      schema: shellToolSchema,
      metadata: { effect: effect ?? effectOfPrograms(resolved.programs, resolved.allowShell) },
    },
  );
}
