/**
 * The eager check of the options of `runCommand` and `createShellTool`: unknown options refused,
 * every value checked by a rule (`Option "x" must ...`), then the defaults of {@link shellDefaults}
 * applied.
 *
 * @module
 */

import { realpathSync, statSync } from "node:fs";
import { shellDefaults } from "./defaults.js";
import { ShellToolError } from "./errors.js";
import { checkOptions, type Rule, rules } from "./internal-shim.js";
import type { ApproveCommand, ShellOptions } from "./options.js";
import type { ProgramRules } from "./policy.js";
import { defaultPrograms } from "./program-rules.js";
import { type ResolvedSandbox, resolveSandbox } from "./sandbox-options.js";

/** Options after validation, with every default applied. */
export interface ResolvedOptions {
  root: string;
  programs: ProgramRules;
  sandbox: ResolvedSandbox | undefined;
  allowShell: boolean;
  timeoutMs: number;
  killGraceMs: number;
  maxOutputBytes: number;
  onOutputLimit: "kill" | "truncate";
  env: Readonly<Record<string, string>>;
  approve: ApproveCommand | undefined;
  approvalTimeoutMs: number;
  dryRun: boolean;
}

/** The longest delay a timer accepts (`setTimeout`): about 24.8 days. */
const maxTimerMs = 2_147_483_647;

/** The largest `maxOutputBytes`: 256 MiB per stream. */
const maxOutputCap = 256 * 1024 * 1024;

function isDirectory(value: unknown): boolean {
  if (typeof value !== "string" || value === "") return false;
  try {
    return statSync(realpathSync(value)).isDirectory();
  } catch {
    return false;
  }
}

const timer = rules.integer({ min: 1, max: maxTimerMs });

/** The rules of {@link ShellOptions}, which each entry point extends with its own. */
export const shellOptionRules = {
  root: rules.custom<string>("be the path of an existing directory", isDirectory),
  programs: rules.record(
    rules.object({
      deniedFlags: rules.array(rules.string()),
      deniedShortFlags: rules.string(),
      subcommands: rules.array(rules.string()),
      checkPaths: rules.boolean(),
      check: rules.func(),
    }),
  ),
  sandbox: rules.custom<unknown>(
    "be true, false or an object { network, readOnlyRoot, readOnlyPaths }",
    (value) =>
      typeof value === "boolean" || (typeof value === "object" && value !== null && !Array.isArray(value)),
  ),
  allowShell: rules.boolean(),
  timeoutMs: timer,
  killGraceMs: timer,
  maxOutputBytes: rules.integer({ min: 1, max: maxOutputCap }),
  onOutputLimit: rules.oneOf(["kill", "truncate"] as const),
  inheritEnv: rules.array(rules.string()),
  // Values may be secrets: resolveEnvironment refuses a NUL byte without showing the value.
  env: rules.record(rules.string()),
  approve: rules.func(),
  approvalTimeoutMs: timer,
  dryRun: rules.boolean(),
};

/**
 * Checks `options` against `schema` with this package's error (`invalid-options`).
 *
 * @param options - the caller's options.
 * @param schema - the rules.
 * @param where - the entry point, for the message.
 */
export function checkShellOptions<Options extends object>(
  options: Options | undefined,
  schema: Record<string, Rule<unknown>>,
  where: string,
): Options {
  return checkOptions(options, schema, {
    where,
    error: (message) => new ShellToolError("invalid-options", message),
  }) as Options;
}

function invalidEnvironment(message: string): ShellToolError {
  return new ShellToolError("invalid-options", `Option "env" ${message}`);
}

/** The child's environment: the base, the inherited variables, then `env`; its `PATH` absolute. */
function resolveEnvironment(
  root: string,
  inheritEnv: readonly string[],
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  const result: Record<string, string> = { PATH: shellDefaults.path, HOME: root, LANG: "C.UTF-8" };
  for (const name of inheritEnv) {
    const value = process.env[name];
    if (value !== undefined) result[name] = value;
  }
  for (const [name, value] of Object.entries(env)) {
    if (name === "" || name.includes("=") || name.includes("\0")) {
      throw invalidEnvironment(`must name variables without "=" or NUL bytes, got "${name}"`);
    }
    if (value.includes("\0")) throw invalidEnvironment(`must give "${name}" a value without NUL bytes`);
    result[name] = value;
  }
  const pathEntries = (result.PATH ?? "").split(":");
  if (pathEntries.some((entry) => !entry.startsWith("/"))) {
    throw invalidEnvironment(
      `must leave a PATH of absolute directories only, got ${JSON.stringify(result.PATH)}`,
    );
  }
  return result;
}

/**
 * Validates `options` and applies the defaults. Throws `invalid-options` naming the option.
 *
 * @param options - the caller's options.
 * @param where - the entry point, for the message.
 * @param extraRules - the rules of the entry point's own options (`signal`, `name`), which it reads itself.
 */
export function resolveOptions(
  options: ShellOptions,
  where: string,
  extraRules: Readonly<Record<string, Rule<unknown>>> = {},
): ResolvedOptions {
  const checked = checkShellOptions(options, { ...shellOptionRules, ...extraRules }, where);
  const defaults = shellDefaults;
  const root = realpathSync(checked.root ?? process.cwd());
  return {
    root,
    programs: Object.freeze({ ...(checked.programs ?? defaultPrograms) }),
    sandbox: resolveSandbox(checked.sandbox ?? defaults.sandbox, where),
    allowShell: checked.allowShell ?? defaults.allowShell,
    timeoutMs: checked.timeoutMs ?? defaults.timeoutMs,
    killGraceMs: checked.killGraceMs ?? defaults.killGraceMs,
    maxOutputBytes: checked.maxOutputBytes ?? defaults.maxOutputBytes,
    onOutputLimit: checked.onOutputLimit ?? defaults.onOutputLimit,
    env: Object.freeze(
      resolveEnvironment(root, checked.inheritEnv ?? defaults.inheritEnv, checked.env ?? defaults.env),
    ),
    approve: checked.approve,
    approvalTimeoutMs: checked.approvalTimeoutMs ?? defaults.approvalTimeoutMs,
    dryRun: checked.dryRun ?? defaults.dryRun,
  };
}
