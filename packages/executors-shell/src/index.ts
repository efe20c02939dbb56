/**
 * A shell tool an LLM can be trusted with: argument vectors (no shell), allowlisted programs,
 * paths confined to a root, an allowlisted environment, timeouts and output caps, and process
 * groups killed on timeout or abort, all inside a kernel sandbox (bubblewrap on Linux, Seatbelt on
 * macOS).
 *
 * @module
 */

export type { ShellErrorCode } from "./errors.js";
export { ShellToolError } from "./errors.js";
export type { ApprovalContext, ApproveCommand, ShellCommand, ShellOptions } from "./options.js";
export { shellDefaults } from "./defaults.js";
export type { OptionGrammar } from "./operands.js";
export { operandsOf } from "./operands.js";
export type { ProgramRule, ProgramRules } from "./policy.js";
export { effectOfPrograms } from "./policy.js";
export { defaultPrograms, programRules } from "./program-rules.js";
export type { CommandRequest, CommandResult, RunCommandOptions, TerminationReason } from "./run-command.js";
export { runCommand } from "./run-command.js";
export type { SandboxMechanism, SandboxProbe } from "./sandbox.js";
export { probeSandbox } from "./sandbox.js";
export type { SandboxOptions } from "./sandbox-options.js";
export type { ShellToolOptions } from "./shell-tool.js";
export { createShellTool, shellToolSchema } from "./shell-tool.js";
