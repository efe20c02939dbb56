#!/usr/bin/env node
/**
 * `replan-demo`: plan-and-execute at work, offline by default. It plans a goal with the LangGraph
 * adapter, runs the steps against a local HTTP service (through its OpenAPI operations) and a
 * shell confined to a workspace, in parallel as their dependencies allow, and replans only what is
 * left when a step fails. See `--help` and the README for the flags and exit codes.
 *
 * This entry point answers `--help`, `--list-scenarios` and usage errors at once, turns on Node's
 * compile cache (LangChain's modules take a second or two to compile otherwise), then loads the
 * demo itself.
 *
 * @module
 */
import module from "node:module";
import { type CliOptions, EXIT, parseCli, USAGE } from "./args.js";
import { ConfigError, UsageError } from "./errors.js";
import { describeScenarios } from "./scenario-choice.js";
import { checkBeforeRun } from "./settings.js";

async function run(): Promise<number> {
  // `--help | head -1`: a reader that goes away is not an error (main handles it during a run).
  const onClosedStdout = (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(EXIT.completed);
    throw error;
  };
  process.stdout.on("error", onClosedStdout);
  let options: CliOptions;
  try {
    options = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    if (!UsageError.isInstance(error)) throw error;
    process.stderr.write(`error: ${error.message}\nRun with --help for the flags.\n`);
    return EXIT.usage;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.completed;
  }
  if (options.listScenarios) {
    process.stdout.write(describeScenarios());
    return EXIT.completed;
  }
  try {
    checkBeforeRun(options, process.env);
  } catch (error) {
    if (!UsageError.isInstance(error) && !ConfigError.isInstance(error)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return EXIT[error.code];
  }
  module.enableCompileCache?.();
  const { main } = await import("./main.js");
  process.stdout.off("error", onClosedStdout);
  return main(
    { env: process.env, stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
    options,
  );
}

process.exit(await run());
