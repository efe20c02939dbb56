/**
 * What the command line and the environment decide before anything starts: a real model or the
 * offline one, the scenario asked for, and the checks the CLI answers before it loads the demo.
 *
 * @module
 */
import { type CliOptions, diagramProblem } from "./args.js";
import { ConfigError, UsageError } from "./errors.js";
import { findScenario } from "./scenario-choice.js";
import { SCENARIOS, type Scenario } from "./scenarios.js";

/** The model the environment asks for. */
export interface ModelSettings {
  /** A real model: `OPENAI_API_KEY` or `OPENAI_BASE_URL` is set. */
  online: boolean;
  /** `OPENAI_API_KEY`, trimmed, when set. */
  apiKey: string | undefined;
  /** `OPENAI_BASE_URL`, trimmed, when set. */
  baseURL: string | undefined;
}

/**
 * Reads the model settings from the environment.
 *
 * @param env - the environment.
 * @param options - the command line (`--model` and `--structured-output` need a real model).
 * @throws {@link ConfigError} when `--model` or `--structured-output` is given without a real model.
 * @example
 * ```ts
 * modelSettings({ OPENAI_BASE_URL: "http://localhost:11434/v1" }, options).online; // true
 * ```
 */
export function modelSettings(env: NodeJS.ProcessEnv, options: CliOptions): ModelSettings {
  const apiKey = env.OPENAI_API_KEY?.trim() || undefined;
  const baseURL = env.OPENAI_BASE_URL?.trim() || undefined;
  const online = apiKey !== undefined || baseURL !== undefined;
  if (!online && options.model !== undefined) {
    throw new ConfigError(
      `--model "${options.model}" needs a real model: set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server)`,
    );
  }
  if (!online && options.structuredOutput !== undefined) {
    throw new ConfigError("--structured-output needs a real model: set OPENAI_API_KEY or OPENAI_BASE_URL");
  }
  return { online, apiKey, baseURL };
}

/**
 * The scenario named by `--scenario`, if any.
 *
 * @param options - the command line.
 * @throws {@link UsageError} for a name no scenario has (the message lists the known ones).
 * @example
 * ```ts
 * requestedScenario(parseCli(["--scenario", "inventory"], {}))?.name; // "inventory"
 * ```
 */
export function requestedScenario(options: CliOptions): Scenario | undefined {
  if (options.scenario === undefined) return undefined;
  const scenario = findScenario(options.scenario);
  if (!scenario) {
    throw new UsageError(
      `unknown scenario "${options.scenario}" (known: ${SCENARIOS.map((known) => known.name).join(", ")})`,
    );
  }
  return scenario;
}

/**
 * The checks that need no model, answered before the (slow) load of LangChain: the scenario, the
 * `--diagram` path (so that a bad one fails at once, not after the whole run), the model settings.
 *
 * @param options - the command line.
 * @param env - the environment.
 * @throws {@link UsageError} or {@link ConfigError}, in that order of the checks.
 * @example
 * ```ts
 * checkBeforeRun(parseCli(["--diagram", "/etc/passwd/plan.md"], {}), {}); // throws a UsageError
 * ```
 */
export function checkBeforeRun(options: CliOptions, env: NodeJS.ProcessEnv): void {
  requestedScenario(options);
  const diagram = options.diagram === undefined ? undefined : diagramProblem(options.diagram);
  if (diagram !== undefined) throw new UsageError(`--diagram: ${diagram}`);
  modelSettings(env, options);
}
