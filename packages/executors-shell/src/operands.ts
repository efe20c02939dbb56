/**
 * Telling a program's operands from its options and their values, as GNU `getopt_long` does.
 *
 * @module
 */

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
export function everyOperand(args: readonly string[], grammar: OptionGrammar): string[][] {
  return [operandsOf(args, grammar), operandsOf(args, grammar, true)];
}
