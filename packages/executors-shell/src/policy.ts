/**
 * Which programs may run and which of their arguments are refused. Pure functions, no I/O.
 *
 * @module
 */

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

const followSymlinks = { deniedFlags: ["--dereference"], deniedShortFlags: "L" } as const;

/**
 * Enough of a program's option grammar to tell its operands from its option values, the way GNU
 * `getopt_long` does (short groups, attached values, `--` and abbreviated long options).
 *
 * @example
 * ```ts
 * import type { OptionGrammar } from "@replan/executors-shell";
 *
 * const cut: OptionGrammar = { shortWithValue: "bcdf", longWithValue: ["--fields", "--delimiter"] };
 * ```
 */
export interface OptionGrammar {
  /** Short options that take a value: attached (`-f1`, `-cf1`) or the next argument (`-f 1`). */
  shortWithValue?: string;
  /** Short options whose value is optional and only ever attached (`date -Iseconds`). */
  shortWithOptionalValue?: string;
  /** Long options that take a value (`--name=VALUE` or `--name VALUE`). */
  longWithValue?: readonly string[];
  /** Every other long option, to resolve abbreviations as getopt does. */
  longFlags?: readonly string[];
}

/**
 * The operands of `args` under `grammar`. With `posix`, the first operand ends the options (as with
 * `POSIXLY_CORRECT`); without, options and operands may be mixed (GNU's default). Where the
 * grammar is unsure (an unknown or ambiguous long option), the next argument is taken as an
 * operand, so that rules counting or checking operands err on the side of refusing.
 *
 * @param args - a program's arguments.
 * @param grammar - its options.
 * @param posix - whether the first operand ends the options. @default false
 * @returns the operands, in order.
 * @example
 * ```ts
 * import { operandsOf } from "@replan/executors-shell";
 *
 * const uniq = { shortWithValue: "fsw", longWithValue: ["--skip-fields"] };
 * console.log(operandsOf(["-cf", "1", "in", "--", "-f"], uniq)); // ["in", "-f"]
 * ```
 */
export function operandsOf(args: readonly string[], grammar: OptionGrammar, posix = false): string[] {
  const { shortWithValue = "", shortWithOptionalValue = "", longWithValue = [], longFlags = [] } = grammar;
  const takesValue = (name: string): boolean => {
    if (longWithValue.includes(name)) return true;
    if (longFlags.includes(name)) return false;
    const matches = [...longWithValue, ...longFlags].filter((long) => long.startsWith(name));
    return matches.length > 0 && matches.every((long) => longWithValue.includes(long));
  };
  const operands: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === "--") {
      operands.push(...args.slice(index + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      operands.push(arg);
      if (posix) {
        operands.push(...args.slice(index + 1));
        break;
      }
      continue;
    }
    if (arg.startsWith("--")) {
      if (!arg.includes("=") && takesValue(arg)) index++;
      continue;
    }
    for (let position = 1; position < arg.length; position++) {
      const letter = arg[position]!;
      if (shortWithOptionalValue.includes(letter)) break;
      if (shortWithValue.includes(letter)) {
        if (position === arg.length - 1) index++;
        break;
      }
    }
  }
  return operands;
}

/** The operands of `args` under both GNU's and POSIX's parsing (a program may use either). */
function everyOperand(args: readonly string[], grammar: OptionGrammar): string[][] {
  return [operandsOf(args, grammar), operandsOf(args, grammar, true)];
}

const uniqGrammar: OptionGrammar = {
  shortWithValue: "fsw",
  longWithValue: ["--skip-fields", "--skip-chars", "--check-chars"],
  longFlags: [
    "--count",
    "--repeated",
    "--all-repeated",
    "--group",
    "--ignore-case",
    "--unique",
    "--zero-terminated",
    "--help",
    "--version",
  ],
};

/**
 * Refuses `uniq INPUT OUTPUT`: the second operand is a file uniq writes. Operands are found as
 * getopt finds them: after `--` (`uniq -- -f ok.txt` writes `ok.txt`), in groups (`-cf 1`).
 *
 * @param args - uniq's arguments.
 */
function uniqWritesNoFile(args: readonly string[]): string | undefined {
  const most = Math.max(...everyOperand(args, uniqGrammar).map((operands) => operands.length));
  return most > 1 ? "uniq writes its second operand; give at most one file" : undefined;
}

const dateGrammar: OptionGrammar = {
  shortWithValue: "dfr",
  shortWithOptionalValue: "I",
  longWithValue: ["--date", "--file", "--reference", "--set", "--rfc-3339"],
  longFlags: [
    "--debug",
    "--iso-8601",
    "--resolution",
    "--rfc-email",
    "--rfc-822",
    "--rfc-2822",
    "--uct",
    "--utc",
    "--universal",
    "--help",
    "--version",
  ],
};

/**
 * Refuses every `date` operand but `+FORMAT`: any other operand (`date 010100002030`, also after
 * `--`) sets the clock.
 *
 * @param args - date's arguments.
 */
function dateSetsNoClock(args: readonly string[]): string | undefined {
  const setter = everyOperand(args, dateGrammar)
    .flat()
    .find((operand) => !operand.startsWith("+"));
  return setter === undefined
    ? undefined
    : `the operand ${JSON.stringify(setter)} would set the clock; only +FORMAT operands are allowed`;
}

/**
 * The default allowlist: a small set of read-only programs, each with the rule that keeps it
 * read-only and inside the root.
 *
 * - `find`: no `-exec`, `-execdir`, `-ok`, `-okdir`, `-delete`, `-fprint*`, `-fls`, no following
 *   symlinks (`-L`, `-follow`), no `-files0-from`.
 * - `sort`: no `-o`/`--output`, `--compress-program`, `-T`/`--temporary-directory`, `--files0-from`.
 * - `uniq`: at most one file operand (the second one is written).
 * - `grep`: no `-R`/`--dereference-recursive` (follows symlinks out of the root).
 * - `ls`, `du`: no `-L`/`--dereference`; `du`, `wc`: no `--files0-from`.
 * - `date`: no `-s`/`--set`, no operand but `+FORMAT` (any other sets the clock).
 * - `echo`: arguments are not checked as paths (echo opens no file).
 *
 * @example
 * ```ts
 * import { createShellTool, defaultPrograms, programRules } from "@replan/executors-shell";
 *
 * // Everything the defaults allow, minus `find`, plus `git` with its read-only rule.
 * const { find, ...rest } = defaultPrograms;
 * const shell = createShellTool({ programs: { ...rest, git: programRules.git } });
 * ```
 */
export const defaultPrograms: ProgramRules = Object.freeze({
  ls: followSymlinks,
  cat: {},
  head: {},
  tail: {},
  wc: { deniedFlags: ["--files0-from"] },
  grep: { deniedFlags: ["--dereference-recursive"], deniedShortFlags: "R" },
  find: {
    deniedFlags: [
      "-exec",
      "-execdir",
      "-ok",
      "-okdir",
      "-delete",
      "-fprint",
      "-fprint0",
      "-fprintf",
      "-fls",
      "-L",
      "-follow",
      "-files0-from",
    ],
  },
  echo: { checkPaths: false },
  pwd: {},
  stat: { deniedFlags: ["--dereference"], deniedShortFlags: "L" },
  sort: {
    deniedFlags: ["--output", "--compress-program", "--temporary-directory", "--files0-from"],
    deniedShortFlags: "oT",
  },
  uniq: { check: uniqWritesNoFile },
  date: { deniedFlags: ["--set"], deniedShortFlags: "s", check: dateSetsNoClock },
  du: { deniedFlags: ["--dereference", "--files0-from"], deniedShortFlags: "L" },
  basename: { checkPaths: false },
  dirname: { checkPaths: false },
});

/**
 * Rules for programs that are NOT allowed by default, to add on purpose.
 *
 * - `git`: only read-only subcommands (`status`, `log`, `diff`, `show`, `ls-files`, `rev-parse`,
 *   `blame`, `grep`, `shortlog`, `describe`), with no global options, no `-c`, `--config-env`,
 *   `--upload-pack`, `--receive-pack`, `--exec`, `--exec-path`, `--output`, `--ext-diff`,
 *   `--textconv`, `--open-files-in-pager`/`-O`. Git still reads the repository's own
 *   `.git/config`, which can run programs (`core.fsmonitor`, `core.pager`, diff drivers): enable
 *   git only in repositories you trust.
 *
 * @example
 * ```ts
 * import { createShellTool, defaultPrograms, programRules } from "@replan/executors-shell";
 *
 * const shell = createShellTool({ programs: { ...defaultPrograms, git: programRules.git } });
 * ```
 */
export const programRules: Readonly<{ git: ProgramRule }> = Object.freeze({
  git: {
    subcommands: [
      "status",
      "log",
      "diff",
      "show",
      "ls-files",
      "rev-parse",
      "blame",
      "grep",
      "shortlog",
      "describe",
    ],
    deniedFlags: [
      "--config-env",
      "--upload-pack",
      "--receive-pack",
      "--exec",
      "--exec-path",
      "--output",
      "--ext-diff",
      "--textconv",
      "--open-files-in-pager",
    ],
    deniedShortFlags: "O",
  },
});

/** Bare program names: no slash, no leading dot or dash. */
const programName = /^[A-Za-z0-9_+][A-Za-z0-9._+-]*$/;

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
