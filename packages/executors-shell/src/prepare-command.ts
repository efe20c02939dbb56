/**
 * A request checked against the policy: its shape, the allowlist, the argument rules and the paths,
 * with its working directory resolved inside the root.
 *
 * @module
 */

import { ShellToolError } from "./errors.js";
import type { ShellCommand } from "./options.js";
import type { ResolvedOptions } from "./resolve-options.js";
import { confine, type FileLookup, resolveCwd, systemLookup } from "./paths.js";
import { checkArguments, pathCandidates, ruleFor } from "./policy.js";
import type { CommandRequest } from "./run-command.js";

function invalidRequest(message: string): ShellToolError {
  return new ShellToolError("invalid-request", message);
}

/** File system lookups one request may make while checking its paths (a bound on the work). */
const maxLookups = 20_000;

/** A lookup that refuses the request once it has made `maxLookups` lookups. */
function boundedLookup(): FileLookup {
  let lookups = 0;
  return {
    kind(file) {
      if (++lookups > maxLookups) {
        throw new ShellToolError(
          "argument-refused",
          `The arguments name too many paths to check (more than ${maxLookups} lookups)`,
        );
      }
      return systemLookup.kind(file);
    },
    readLink: systemLookup.readLink,
  };
}

/**
 * Internal switches for this package's tests, not part of the public options.
 * `rules: false` skips the allowlist, the argument rules and the path checks of the arguments (the
 * working directory is still resolved), to show what the sandbox alone stops.
 */
export interface InternalSwitches {
  rules?: boolean;
}

/**
 * Checks `request` against the policy and resolves its working directory; throws the refusal.
 *
 * @param request - the caller's (or the model's) request.
 * @param options - resolved options.
 * @param internal - test switches.
 */
export function prepareCommand(
  request: CommandRequest,
  options: ResolvedOptions,
  internal: InternalSwitches,
): ShellCommand {
  if (typeof request !== "object" || request === null) throw invalidRequest("The request must be an object");
  const { program, args = [], cwd = "." } = request;
  if (typeof program !== "string" || program === "")
    throw invalidRequest("The program must be a non-empty string");
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string")) {
    throw invalidRequest("The arguments must be an array of strings");
  }
  if (typeof cwd !== "string" || cwd === "")
    throw invalidRequest("The working directory must be a non-empty string");
  for (const text of [program, cwd, ...args]) {
    if (text.includes("\0")) throw invalidRequest(`${JSON.stringify(text)} contains a NUL byte`);
  }
  const argv = [...args];
  const realCwd = resolveCwd(options.root, cwd);
  const sandboxed = options.sandbox !== undefined;
  if (options.allowShell) return { program, args: argv, cwd: realCwd, shell: true, sandboxed };
  if (internal.rules === false) return { program, args: argv, cwd: realCwd, shell: false, sandboxed };
  const rule = ruleFor(program, options.programs);
  checkArguments(program, argv, rule);
  if (rule.checkPaths !== false) {
    const lookup = boundedLookup();
    for (const candidate of pathCandidates(argv))
      confine(options.root, realCwd, candidate, "argument", lookup);
  }
  return { program, args: argv, cwd: realCwd, shell: false, sandboxed };
}
