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
import {
  type CheckOptionsSettings,
  type Checked,
  checkOptions,
  type Rule,
  rules,
  type Shape,
  MAX_DELAY_MS,
} from "@replan/core/internal";
import type { ApproveCommand, ShellOptions } from "./options.js";
import { type ProgramRule, type ProgramRules, programName } from "./policy.js";
import { defaultPrograms } from "./program-rules.js";
import { EFFECT_CLASSES } from "@replan/core";
import { type ResolvedSandbox, resolveSandbox, sandboxRule } from "./sandbox-options.js";

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

/** The largest `maxOutputBytes`: 256 MiB per stream. */
const maxOutputCap = 256 * 1024 * 1024;

/** The real path of the directory `value` names, or `undefined`. */
function realDirectory(value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  try {
    const real = realpathSync(value);
    return statSync(real).isDirectory() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** The rule of `root`: an existing directory, resolved to its real path. */
const rootRule: Rule<string> = {
  must: "be the path of an existing directory",
  required: false,
  check(value, path, context) {
    return realDirectory(value) ?? context.fail(path, rootRule.must, value);
  },
};

function isVariableName(value: unknown): value is string {
  return typeof value === "string" && value !== "" && !value.includes("=") && !value.includes("\0");
}

/** The rule of `env`'s values (inside `rules.secret`: refusals never show the value). */
const variableValue = rules.custom(
  "be a string without NUL bytes",
  (value): value is string => typeof value === "string" && !value.includes("\0"),
);

const timer = rules.integer({ min: 1, max: MAX_DELAY_MS });

/** The rules of a {@link ProgramRule}. */
const programRule = rules.object({
  deniedFlags: rules.array(rules.string()),
  deniedShortFlags: rules.string(),
  subcommands: rules.array(rules.string()),
  checkPaths: rules.boolean(),
  check: rules.func<(args: readonly string[]) => string | undefined>(),
  effect: rules.oneOf(EFFECT_CLASSES),
});

/** The rules of {@link ShellOptions}, which each entry point extends with its own. */
export const shellOptionRules = {
  root: rootRule,
  programs: rules.record(
    programRule,
    rules.custom(
      "be named by a bare program name (no path: a rule matches the program as the command names it)",
      (value): value is string => typeof value === "string" && programName.test(value),
    ),
  ),
  sandbox: sandboxRule,
  allowShell: rules.boolean(),
  timeoutMs: timer,
  killGraceMs: timer,
  maxOutputBytes: rules.integer({ min: 1, max: maxOutputCap }),
  onOutputLimit: rules.oneOf(["kill", "truncate"]),
  inheritEnv: rules.array(rules.string()),
  env: rules.secret(
    rules.record(variableValue, rules.custom('be a variable name without "=" or NUL bytes', isVariableName)),
  ),
  approve: rules.func<ApproveCommand>(),
  approvalTimeoutMs: timer,
  dryRun: rules.boolean(),
};

/** The settings of `checkOptions` for this package: the entry point's name, and `invalid-options`. */
export function checkSettings(where: string): CheckOptionsSettings {
  return { where, error: (message) => new ShellToolError("invalid-options", message) };
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
  for (const [name, value] of Object.entries(env)) result[name] = value;
  const pathEntries = (result.PATH ?? "").split(":");
  if (pathEntries.some((entry) => !entry.startsWith("/"))) {
    throw new ShellToolError(
      "invalid-options",
      `Option "env" must leave a PATH of absolute directories only, got a PATH with a relative entry (not shown: env values are never shown)`,
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
  extraRules: Shape = {},
): ResolvedOptions {
  const shape = { ...shellOptionRules, ...extraRules };
  const checked = checkOptions(options, shape, checkSettings(where)) as Checked<typeof shellOptionRules>;
  const defaults = shellDefaults;
  const root = checked.root ?? realpathSync(process.cwd());
  return {
    root,
    programs: Object.freeze({ ...(checked.programs ?? defaultPrograms) }),
    sandbox: resolveSandbox(checked.sandbox ?? defaults.sandbox),
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
