/**
 * Which programs may run and which of their arguments are refused. Pure functions, no I/O.
 *
 * @module
 */
import type { EffectClass } from "@replan/core";

import { ShellToolError } from "./errors.js";
import { pathMax } from "./paths.js";

/**
 * What a program may be given. An empty rule (`{}`) allows any argument, but path-like arguments
 * are still confined to the root.
 *
 * Rules are deliberately conservative: they refuse some harmless spellings (e.g. `sort -to` with
 * `o` as the separator) rather than miss a dangerous one.
 *
 * @example
 * ```ts
 * import type { ProgramRule } from "@replan/executors-shell";
 *
 * const sortRule: ProgramRule = {
 *   deniedFlags: ["--output", "--compress-program"],
 *   deniedShortFlags: "o",
 * };
 * ```
 */
export interface ProgramRule {
  /**
   * Flags refused wherever they appear, e.g. `"-exec"` for find or `"--output"` for sort. A flag
   * matches exactly and in its `flag=value` form; a `--long` flag also matches every abbreviation
   * that GNU getopt and git accept (`--out=x` for `--output`).
   * @default []
   */
  deniedFlags?: readonly string[];
  /**
   * Single-letter options refused, even grouped with others (`-uo`) or with an attached value
   * (`-ofile`): any argument starting with a single `-` that contains one of these letters.
   * @default ""
   */
  deniedShortFlags?: string;
  /**
   * When set, the first argument must be one of these (e.g. read-only git subcommands). Global
   * options before the subcommand are then refused too.
   * @default undefined (any first argument)
   */
  subcommands?: readonly string[];
  /**
   * Whether path-like arguments (every operand, the value of `--flag=value`, the value attached to
   * `-fVALUE`) must resolve inside the root. Turn off only for programs that never open files
   * named by their arguments (e.g. `echo`).
   * @default true
   */
  checkPaths?: boolean;
  /**
   * A last check of your own: return a sentence saying why the arguments are refused, or
   * `undefined` to allow them.
   * @default undefined
   */
  check?: (args: readonly string[]) => string | undefined;
  /**
   * What the program does to the world under this rule, as a plan-and-execute run reads it:
   * `read` (the rule keeps it read-only, as every shipped rule does), `idempotent` or `write`.
   * @default "write" (a program nobody vouched for)
   */
  effect?: EffectClass;
}

/**
 * The effect class of a shell tool: `write` when it runs shell scripts (`allowShell`), else the
 * worst class of its programs (a rule without `effect` is `write`): `read` only when every program
 * is declared `read`, as the shipped {@link defaultPrograms} and `programRules.git` are.
 *
 * @param programs - the allowlist.
 * @param allowShell - whether the tool runs `/bin/sh` scripts.
 * @throws {ShellToolError} `invalid-options` for programs that are not an object of rules, a rule
 *   that is not an object, an `effect` that is not one of the three, or an `allowShell` that is not a boolean.
 * @example
 * ```ts
 * effectOfPrograms(defaultPrograms, false); // "read"
 * effectOfPrograms({ ...defaultPrograms, rm: {} }, false); // "write"
 * ```
 */
export function effectOfPrograms(programs: ProgramRules, allowShell: boolean): EffectClass {
  const refuse = (message: string) => new ShellToolError("invalid-options", `effectOfPrograms: ${message}`);
  if (typeof allowShell !== "boolean") throw refuse(`allowShell must be a boolean, got ${typeof allowShell}`);
  if (programs === null || typeof programs !== "object" || Array.isArray(programs)) {
    throw refuse(
      `programs must be an object of rules by program name, got ${programs === null ? "null" : Array.isArray(programs) ? "an array" : typeof programs}`,
    );
  }
  if (allowShell) return "write";
  const order: readonly EffectClass[] = ["read", "idempotent", "write"];
  let worst: EffectClass = "read";
  for (const [name, rule] of Object.entries(programs)) {
    if (rule === null || typeof rule !== "object" || Array.isArray(rule)) {
      throw refuse(`programs.${name} must be a rule object, got ${rule === null ? "null" : typeof rule}`);
    }
    const effect: unknown = rule.effect ?? "write";
    if (!order.includes(effect as EffectClass)) {
      throw refuse(
        `programs.${name}.effect must be "read", "idempotent" or "write", got ${JSON.stringify(effect)}`,
      );
    }
    if (order.indexOf(effect as EffectClass) > order.indexOf(worst)) worst = effect as EffectClass;
  }
  return worst;
}

/**
 * An allowlist: rules keyed by bare program name.
 *
 * @example
 * ```ts
 * import type { ProgramRules } from "@replan/executors-shell";
 *
 * const readOnly: ProgramRules = { ls: {}, cat: {}, echo: { checkPaths: false } };
 * ```
 */
export type ProgramRules = Readonly<Record<string, ProgramRule>>;

/** Bare program names: no slash, no leading dot or dash. The keys of `programs` must match it too. */
export const programName = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;

/**
 * Returns the rule for `program`, or throws `program-not-allowed`.
 *
 * @param program - the requested program, a bare name.
 * @param programs - the allowlist.
 */
export function ruleFor(program: string, programs: ProgramRules): ProgramRule {
  if (!programName.test(program)) {
    throw new ShellToolError(
      "program-not-allowed",
      `Program "${program}" is not allowed: give a bare program name (no path), one of: ${Object.keys(programs).join(", ")}`,
    );
  }
  if (!Object.hasOwn(programs, program)) {
    throw new ShellToolError(
      "program-not-allowed",
      `Program "${program}" is not allowed; allowed programs: ${Object.keys(programs).join(", ")}`,
    );
  }
  return programs[program]!;
}

/**
 * Whether `arg` spells the denied flag `flag` (exactly, as `flag=value`, or as a `--long`
 * abbreviation).
 *
 * @param arg - one argument.
 * @param flag - a denied flag such as `--output` or `-exec`.
 */
function matchesFlag(arg: string, flag: string): boolean {
  const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg;
  if (name === flag) return true;
  if (flag.startsWith("--") && name.startsWith("--") && name.length > 2) return flag.startsWith(name);
  return false;
}

/**
 * Throws `argument-refused` when `args` break `rule`.
 *
 * @param program - the program, for the message.
 * @param args - its arguments.
 * @param rule - the program's rule.
 */
export function checkArguments(program: string, args: readonly string[], rule: ProgramRule): void {
  const refuse = (reason: string): never => {
    throw new ShellToolError("argument-refused", `${program}: ${reason}`);
  };
  if (rule.subcommands !== undefined && !rule.subcommands.includes(args[0] ?? "")) {
    refuse(
      `the first argument must be one of the allowed subcommands (${rule.subcommands.join(", ")}), got ${JSON.stringify(args[0] ?? "")}`,
    );
  }
  const shortFlags = rule.deniedShortFlags ?? "";
  for (const arg of args) {
    for (const flag of rule.deniedFlags ?? []) {
      if (matchesFlag(arg, flag)) refuse(`argument ${JSON.stringify(arg)} is refused (${flag})`);
    }
    if (shortFlags !== "" && /^-[^-]/.test(arg)) {
      const letter = [...shortFlags].find((candidate) => arg.slice(1).includes(candidate));
      if (letter !== undefined) refuse(`argument ${JSON.stringify(arg)} is refused (-${letter})`);
    }
  }
  const reason = rule.check?.(args);
  if (reason !== undefined) refuse(reason);
}

/**
 * The strings in `args` that may name files, found without knowing the program's grammar, so
 * generously: every argument as a whole (an operand, a separate option value, a file named like an
 * option after `--`), the value of `--flag=value`, and every tail of a single-dash argument (in
 * `-uf../.env` any letter may be the one that takes the rest as its value: `f../.env`,
 * `../.env`, ...). Strings longer than the kernel's `PATH_MAX` are left out (no file has such a name).
 *
 * @param args - a program's arguments.
 */
export function pathCandidates(args: readonly string[]): string[] {
  const candidates = new Set<string>();
  for (const arg of args) {
    candidates.add(arg);
    if (!arg.startsWith("-") || arg === "-" || arg === "--") continue;
    const equals = arg.indexOf("=");
    if (equals !== -1) candidates.add(arg.slice(equals + 1));
    if (!arg.startsWith("--"))
      for (let start = 2; start < arg.length; start++) candidates.add(arg.slice(start));
  }
  return [...candidates].filter((candidate) => candidate !== "" && candidate.length < pathMax);
}
