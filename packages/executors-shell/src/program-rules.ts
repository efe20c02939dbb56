/**
 * The allowlists shipped with the package: {@link defaultPrograms} and the opt-in {@link programRules}.
 *
 * @module
 */

import { everyOperand, type OptionGrammar } from "./operands.js";
import type { ProgramRule, ProgramRules } from "./policy.js";

const followSymlinks = { deniedFlags: ["--dereference"], deniedShortFlags: "L" } as const;

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
 * Each is declared `effect: "read"`, so a shell tool with only these is `read` for a
 * plan-and-execute run (see `effectOfPrograms`).
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
export const defaultPrograms: ProgramRules = readOnly({
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

/** Rules declared `read` (their rules keep them read-only), frozen. */
function readOnly<T extends Record<string, ProgramRule>>(
  rules: T,
): Readonly<{ [K in keyof T]: ProgramRule }> {
  const declared = Object.fromEntries(
    Object.entries(rules).map(([name, rule]) => [name, Object.freeze({ ...rule, effect: "read" as const })]),
  );
  return Object.freeze(declared) as { [K in keyof T]: ProgramRule };
}

/** git's subcommands that leave the repository byte-identical, and the flags refused with them. */
const gitReadOnly = {
  subcommands: ["log", "diff", "show", "ls-files", "rev-parse", "blame", "grep", "shortlog", "describe"],
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
    // `describe --dirty` / `--broken` refresh the index (`.git/index` is rewritten)
    "--dirty",
    "--broken",
  ],
  deniedShortFlags: "O",
} as const satisfies ProgramRule;

/**
 * Rules for programs that are NOT allowed by default, to add on purpose.
 *
 * - `git`: only subcommands that leave the repository byte-identical (`log`, `diff`, `show`,
 *   `ls-files`, `rev-parse`, `blame`, `grep`, `shortlog`, `describe` without `--dirty`/`--broken`),
 *   with no global options, no `-c`, `--config-env`, `--upload-pack`, `--receive-pack`, `--exec`,
 *   `--exec-path`, `--output`, `--ext-diff`, `--textconv`, `--open-files-in-pager`/`-O`. Declared
 *   `read`. Git still reads the repository's own `.git/config`, which can run programs
 *   (`core.fsmonitor`, `core.pager`, diff drivers): enable git only in repositories you trust.
 * - `gitWithStatus`: the same plus `status`, which rewrites `.git/index` (it refreshes the stat
 *   cache of the files it looked at): declared `idempotent` (safe to repeat, not free of effects).
 *
 * @example
 * ```ts
 * import { createShellTool, defaultPrograms, programRules } from "@replan/executors-shell";
 *
 * const shell = createShellTool({ programs: { ...defaultPrograms, git: programRules.git } });
 * const withStatus = createShellTool({ programs: { ...defaultPrograms, git: programRules.gitWithStatus } });
 * ```
 */
export const programRules: Readonly<{ git: ProgramRule; gitWithStatus: ProgramRule }> = Object.freeze({
  ...readOnly({ git: gitReadOnly }),
  gitWithStatus: Object.freeze({
    ...gitReadOnly,
    subcommands: ["status", ...gitReadOnly.subcommands],
    effect: "idempotent" as const,
  }),
});
