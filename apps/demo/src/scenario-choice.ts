/**
 * Which built-in scenario a run plays: by name, by the words of a free-text goal, or the default
 * one; and the list `--list-scenarios` prints.
 *
 * @module
 */
import type { CliOptions } from "./args.js";
import { DEFAULT_SCENARIO, SCENARIOS, type Scenario } from "./scenarios.js";
import type { ThreadMeta } from "./thread.js";

/**
 * Finds a scenario by name.
 *
 * @param name - e.g. `"inventory"`.
 * @returns the scenario, or `undefined`.
 * @example
 * ```ts
 * findScenario("inventory")?.goal;
 * ```
 */
export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((scenario) => scenario.name === name);
}

/**
 * Picks the scenario closest to a free-text goal: the one whose keywords appear most in it, or the
 * default one when none does.
 *
 * @param goal - the user's goal.
 * @returns the scenario and the keywords that matched (empty for the default).
 * @example
 * ```ts
 * matchScenario("how much stock is left?").scenario.name; // "inventory"
 * ```
 */
export function matchScenario(goal: string): { scenario: Scenario; matched: string[] } {
  const words = new Set(goal.toLowerCase().match(/[a-z0-9-]+/g) ?? []);
  let best: { scenario: Scenario; matched: string[] } = { scenario: DEFAULT_SCENARIO, matched: [] };
  for (const scenario of SCENARIOS) {
    const matched = scenario.keywords.filter((keyword) => words.has(keyword));
    if (matched.length > best.matched.length) best = { scenario, matched };
  }
  return best;
}

/** The scenario an offline run plays, and why, when the goal chose it. */
export interface ScenarioChoice {
  /** The scenario. */
  scenario: Scenario;
  /** Lines that say how a free-text goal chose it (none when it was named). */
  notices: string[];
}

/**
 * The scenario an offline run plays: the one named by `--scenario`, else the one the thread played
 * before, else the one the goal's words match (said in a notice), else the default one.
 *
 * @param named - the scenario `--scenario` named, if any.
 * @param meta - what an earlier run of the thread remembered, if any.
 * @param goal - the goal given on the command line, if any.
 * @example
 * ```ts
 * chooseScenario(undefined, undefined, "restock the warehouse").scenario.name; // "inventory"
 * ```
 */
export function chooseScenario(
  named: Scenario | undefined,
  meta: ThreadMeta | undefined,
  goal: CliOptions["goal"],
): ScenarioChoice {
  const remembered = meta?.scenario ? findScenario(meta.scenario) : undefined;
  const scenario = named ?? remembered;
  if (scenario) return { scenario, notices: [] };
  if (goal === undefined) return { scenario: DEFAULT_SCENARIO, notices: [] };
  const { scenario: matched, matched: words } = matchScenario(goal);
  return {
    scenario: matched,
    notices: [
      words.length > 0
        ? `the goal matches scenario "${matched.name}" (${words.join(", ")})`
        : `no scenario matches the goal; playing the default one, "${matched.name}"`,
    ],
  };
}

/**
 * The text of `--list-scenarios`.
 *
 * @returns one block per scenario: name, summary, goal.
 * @example
 * ```ts
 * process.stdout.write(describeScenarios());
 * ```
 */
export function describeScenarios(): string {
  const lines = ["Built-in scenarios (offline, the scripted model plays one of them):"];
  for (const scenario of SCENARIOS) {
    const tag = scenario === DEFAULT_SCENARIO ? " (default)" : "";
    lines.push(`  ${scenario.name.padEnd(15)} ${scenario.summary}${tag}`);
    lines.push(`  ${"".padEnd(15)} goal: "${scenario.goal}"`);
  }
  return `${lines.join("\n")}\n`;
}
