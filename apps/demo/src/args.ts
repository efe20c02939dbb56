/**
 * Command-line arguments and exit codes.
 *
 * @module
 */
import { accessSync, closeSync, constants, existsSync, openSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { StructuredOutputMethod } from "@replan/langgraph";
import { UsageError } from "./errors.js";

/** Exit codes of the demo. */
export const EXIT = {
  /** The run completed. */
  completed: 0,
  /** The run ended failed or out of budget. */
  failed: 1,
  /** Bad command-line input (empty goal, unknown scenario or flag, bad value). */
  usage: 2,
  /** The model or the configuration failed (no key for --model, unknown model, unreachable server, database). */
  config: 3,
  /** The plan was rejected at approval (or stdin ended without an answer). */
  rejected: 4,
  /** Cancelled with Ctrl-C (SIGINT). */
  cancelled: 130,
} as const;

/**
 * Structured-output methods accepted by `--structured-output`: the adapter's
 * (`STRUCTURED_OUTPUT_METHODS` of `@replan/langgraph`), written out here so that the CLI answers
 * usage errors before it loads LangChain; a test keeps the two lists equal.
 */
export const STRUCTURED_OUTPUT_METHODS: readonly StructuredOutputMethod[] = [
  "functionCalling",
  "jsonSchema",
  "jsonMode",
];

/** The parsed command line. */
export interface CliOptions {
  /** The goal, or `undefined` when none was given. */
  goal: string | undefined;
  scenario: string | undefined;
  listScenarios: boolean;
  json: boolean;
  plain: boolean;
  approve: boolean;
  thread: string | undefined;
  db: string | undefined;
  workspace: string | undefined;
  diagram: string | undefined;
  model: string | undefined;
  structuredOutput: StructuredOutputMethod | undefined;
  /** Pace: 1 is watchable, 10 is ten times faster. */
  speed: number;
  /** `--web`: the run in the browser; the port of its server on 127.0.0.1 (0: a free one), or undefined. */
  webPort: number | undefined;
  help: boolean;
}

/** The `--help` text. */
export const USAGE = `Usage: npm run demo -- ["goal"] [options]
       node apps/demo/dist/cli.js ["goal"] [options]

Plans a goal, runs the steps (HTTP calls to a local service, shell commands in a workspace) in
parallel as soon as their dependencies are done, and replans only what is left when a step fails.
Offline by default: with no OPENAI_API_KEY, a scripted model plays the built-in scenarios.

Options:
  --scenario <name>          a built-in scenario (offline: which script to play; default release-report)
  --list-scenarios           list the built-in scenarios and exit
  --approve                  show the plan and ask approve / edit / reject on stdin before running it
  --thread <id>              save checkpoints under this thread id; run again with it to resume
  --db <file>                with --thread: SQLite file for checkpoints (default <workspace>/.replan/checkpoints.sqlite)
  --workspace <dir>          the folder the shell steps are confined to (default: a temp folder;
                             with --thread, <tmp>/replan-demo/<thread>)
  --diagram <file>           write the final plan as a Mermaid diagram (Markdown) to <file>
  --json                     one JSON event per line on stdout, then {"type":"result",...}
  --plain                    plain lines even in a terminal
  --model <name>             model name for the OpenAI-compatible API (default gpt-4.1-mini)
  --structured-output <m>    functionCalling | jsonSchema | jsonMode (local servers: functionCalling)
  --speed <factor>           pace of the simulated latencies: 1 (default), 10 = ten times faster
  --web                      follow the run in the browser (prints the URL; approve there with
                             --approve); the page stays served after the run until Ctrl-C
  --web-port <port>          the web view's port on 127.0.0.1 (default: a free one); implies --web
  -h, --help                 this help

Environment:
  OPENAI_API_KEY             use a real model (ChatOpenAI) instead of the offline one
  OPENAI_BASE_URL            any OpenAI-compatible server (Ollama, vLLM, ...); alone, it also turns
                             the real model on (with a placeholder key)
  DATABASE_URL               with --thread, keep checkpoints in PostgreSQL instead of SQLite
  REPLAN_DEMO_FAST=1         default --speed 10 (used by the tests)
  NO_COLOR                   no colours

Exit codes: 0 completed, 1 run failed or out of budget, 2 usage error, 3 model or configuration
error, 4 plan rejected, 130 cancelled (Ctrl-C).`;

/**
 * Parses the command line.
 *
 * @param argv - the arguments after the script (`process.argv.slice(2)`).
 * @param env - the environment (for `REPLAN_DEMO_FAST`).
 * @returns the options.
 * @throws {@link UsageError} for unknown flags, an empty goal or a bad value.
 * @example
 * ```ts
 * parseCli(["find low stock", "--json"], {}).goal; // "find low stock"
 * ```
 */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(parseErrorMessage(error as Error & { code?: string }));
  }
  const { values, positionals } = parsed;
  let goal: string | undefined;
  if (positionals.length > 0) {
    goal = positionals.join(" ").trim();
    if (goal === "") throw new UsageError("the goal is empty: pass a goal in words, or none for the default");
  }
  const structuredOutput = values["structured-output"];
  if (
    structuredOutput !== undefined &&
    !(STRUCTURED_OUTPUT_METHODS as readonly string[]).includes(structuredOutput)
  ) {
    throw new UsageError(
      `--structured-output must be one of ${STRUCTURED_OUTPUT_METHODS.join(", ")} (got "${structuredOutput}")`,
    );
  }
  let speed = env.REPLAN_DEMO_FAST === "1" ? 10 : 1;
  if (values.speed !== undefined) {
    speed = Number(values.speed);
    if (!Number.isFinite(speed) || speed <= 0 || speed > 1000)
      throw new UsageError(`--speed must be a number above 0 (got "${values.speed}")`);
  }
  let webPort: number | undefined = values.web ? 0 : undefined;
  if (values["web-port"] !== undefined) {
    webPort = Number(values["web-port"]);
    if (!/^\d{1,5}$/.test(values["web-port"]) || webPort > 65_535)
      throw new UsageError(`--web-port must be a port number from 0 to 65535 (got "${values["web-port"]}")`);
  }
  const thread = values.thread;
  if (thread !== undefined && !/^[A-Za-z0-9._-]{1,100}$/.test(thread)) {
    throw new UsageError(`--thread must be 1 to 100 letters, digits, ".", "_" or "-" (got "${thread}")`);
  }
  for (const name of ["scenario", "db", "workspace", "diagram", "model"] as const) {
    if (values[name] !== undefined && values[name].trim() === "") throw new UsageError(`--${name} is empty`);
  }
  if (values.db !== undefined && thread === undefined) {
    throw new UsageError(
      "--db needs --thread <id>: without a thread, checkpoints stay in memory and no file is used",
    );
  }
  return {
    goal,
    scenario: values.scenario,
    listScenarios: values["list-scenarios"] ?? false,
    json: values.json ?? false,
    plain: values.plain ?? false,
    approve: values.approve ?? false,
    thread,
    db: values.db,
    workspace: values.workspace,
    diagram: values.diagram,
    model: values.model,
    structuredOutput: structuredOutput as CliOptions["structuredOutput"],
    speed,
    webPort,
    help: values.help ?? false,
  };
}

/** Node's parseArgs messages, in the demo's words (its unknown-option message has an unbalanced quote). */
function parseErrorMessage(error: Error & { code?: string }): string {
  const option = /option '([^']+)'/i.exec(error.message)?.[1];
  if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
    return `unknown option "${option}" (a goal that starts with "-" goes after "--")`;
  }
  return error.message;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      scenario: { type: "string" },
      "list-scenarios": { type: "boolean" },
      json: { type: "boolean" },
      plain: { type: "boolean" },
      approve: { type: "boolean" },
      thread: { type: "string" },
      db: { type: "string" },
      workspace: { type: "string" },
      diagram: { type: "string" },
      model: { type: "string" },
      "structured-output": { type: "string" },
      speed: { type: "string" },
      web: { type: "boolean" },
      "web-port": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/**
 * Why the file given to `--diagram` cannot be written, or undefined when it can: checked before the
 * run, so that a bad path is a usage error at once, not a failure after the whole run.
 *
 * @param file - the path given to `--diagram`.
 * @example
 * ```ts
 * diagramProblem("/etc/passwd/plan.md"); // 'cannot write /etc/passwd/plan.md: /etc/passwd is not a folder'
 * ```
 */
export function diagramProblem(file: string): string | undefined {
  const path = resolve(file);
  try {
    if (existsSync(path)) {
      if (statSync(path).isDirectory()) return `cannot write ${path}: it is a folder`;
      closeSync(openSync(path, "a")); // opens for writing without changing it
      return undefined;
    }
    // The file is created after the run, with its missing folders: the nearest existing one must take it.
    let folder = dirname(path);
    while (!existsSync(folder)) folder = dirname(folder);
    if (!statSync(folder).isDirectory()) return `cannot write ${path}: ${folder} is not a folder`;
    accessSync(folder, constants.W_OK);
    return undefined;
  } catch (error) {
    return `cannot write ${path}: ${(error as Error).message}`;
  }
}
