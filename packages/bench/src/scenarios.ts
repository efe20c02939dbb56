// The benchmark's scenarios: plans as data, with the latency of every step, the outputs the steps
// produce, the failure (if any) and the critical path that no plan-and-execute system can beat.
import { failureBesideBranches } from "./branches-scenario.js";

/** Scenario names, as printed in the `scenario` field. */
export type ScenarioName =
  | "chain"
  | "fan-out"
  | "skewed-dag"
  | "one-failure"
  | "agent-steps"
  | "failure-beside-branches";

/** The scenarios of the latency section (failure-beside-branches has a section of its own). */
export const SCENARIO_NAMES: readonly ScenarioName[] = [
  "chain",
  "fan-out",
  "skewed-dag",
  "one-failure",
  "agent-steps",
];

/** One step of a scenario's plan. */
export interface StepDefinition {
  id: string;
  /** What the step does; also the task text the baseline's agent receives. */
  description: string;
  dependsOn: string[];
  /** How long the step's work takes, as a multiple of the scenario's latency unit. */
  latencyFactor: number;
  /** The tool that does the work (called directly by a tool step, or by the baseline's agent). */
  tool: "fetch_record" | "combine";
  /** The tool's arguments; `${id...}` references to the results of its dependencies. */
  args: Record<string, unknown>;
}

/** A step that fails, and the steps the replanner puts in place of everything not done. */
export interface FailureDefinition {
  stepId: string;
  replacement: StepDefinition[];
  /**
   * The replanner's answer as a patch (replan answers it instead of a rewrite), when the scenario
   * has one; without, replan's replanner writes `replacement`.
   */
  patch?: PatchDefinition;
}

/** A replanner's patch: the ids it removes, the steps it adds and those it replaces (same id). */
export interface PatchDefinition {
  remove: string[];
  add: StepDefinition[];
  replace: StepDefinition[];
  reason: string;
}

/** A plan to run, with how its steps are carried out. */
export interface Scenario {
  name: ScenarioName;
  /** Number of steps of the plan the planner writes. */
  n: number;
  goal: string;
  /** Tool steps (no LLM call per step in replan) or agent steps (one LLM call per step). */
  mode: "tool" | "agent";
  steps: StepDefinition[];
  failure?: FailureDefinition;
  /** Characters of text in each step's output (a fetched record, or an agent step's answer). */
  outputChars: number;
}

/** Default size of a step's output: a modest API record or a paragraph. */
export const OUTPUT_CHARS = 800;

/** Latency factors of the skewed DAG: slow steps beside chains of fast ones. */
export const SLOW_FACTOR = 4;
export const FAST_FACTOR = 0.25;
/** Longest chain of fast steps in the skewed DAG. */
export const FAST_CHAIN_LENGTH = 8;

const fetchStep = (
  id: string,
  dependsOn: string[] = [],
  latencyFactor = 1,
  extra: Record<string, unknown> = {},
): StepDefinition => ({
  id,
  description: `step ${id}: fetch record ${id}${dependsOn.length > 0 ? ` (after ${dependsOn.join(", ")})` : ""}`,
  dependsOn,
  latencyFactor,
  tool: "fetch_record",
  args: {
    id,
    ...(dependsOn.length === 1 ? { after: `\${${dependsOn[0]}.id}` } : {}),
    ...extra,
  },
});

const joinStep = (id: string, dependsOn: string[], latencyFactor = 1): StepDefinition => ({
  id,
  description: `step ${id}: combine the records ${dependsOn.join(", ")}`,
  dependsOn,
  latencyFactor,
  tool: "combine",
  args: { parts: dependsOn.map((dependency) => `\${${dependency}.id}`) },
});

const chainSteps = (n: number): StepDefinition[] =>
  Array.from({ length: n }, (_, index) => fetchStep(`s${index + 1}`, index === 0 ? [] : [`s${index}`]));

/** `n` steps in all: `n - 1` independent fetches joined by one final step. */
const fanOutSteps = (n: number): StepDefinition[] => {
  if (n === 1) return [fetchStep("s1")];
  const parallel = Array.from({ length: n - 1 }, (_, index) => fetchStep(`s${index + 1}`));
  return [
    ...parallel,
    joinStep(
      "join",
      parallel.map((step) => step.id),
    ),
  ];
};

/** `n` steps: a quarter slow independent steps, the rest chains of fast steps, one fast join. */
const skewedSteps = (n: number): StepDefinition[] => {
  const slowCount = Math.max(1, Math.round(n / 4));
  const fastCount = Math.max(0, n - slowCount - 1);
  const steps: StepDefinition[] = [];
  const tails: string[] = [];
  for (let index = 0; index < slowCount; index++) {
    steps.push(fetchStep(`slow${index + 1}`, [], SLOW_FACTOR));
    tails.push(`slow${index + 1}`);
  }
  let made = 0;
  for (let chain = 1; made < fastCount; chain++) {
    let previous: string | undefined;
    for (let link = 1; link <= FAST_CHAIN_LENGTH && made < fastCount; link++, made++) {
      const id = `c${chain}-${link}`;
      steps.push(fetchStep(id, previous ? [previous] : [], FAST_FACTOR));
      previous = id;
    }
    tails.push(previous!);
  }
  steps.push(joinStep("join", tails, FAST_FACTOR));
  return steps;
};

/**
 * Builds a scenario with `n` steps.
 *
 * @param name - which scenario.
 * @param n - the number of steps in the planner's plan.
 * @param outputChars - the size of each step's output.
 */
export function makeScenario(name: ScenarioName, n: number, outputChars = OUTPUT_CHARS): Scenario {
  if (!Number.isInteger(n) || n < 1) throw new Error(`a scenario needs n >= 1, got ${n}`);
  const scenario = (goal: string, mode: Scenario["mode"], steps: StepDefinition[]): Scenario => ({
    name,
    n,
    goal,
    mode,
    steps,
    outputChars,
  });
  switch (name) {
    case "chain":
      return scenario(`Fetch the ${n} records, each after the one before.`, "tool", chainSteps(n));
    case "fan-out":
      return scenario(`Fetch ${n - 1} records and combine them.`, "tool", fanOutSteps(n));
    case "agent-steps":
      return scenario(`Summarise ${n - 1} records and combine them.`, "agent", fanOutSteps(n));
    case "skewed-dag":
      return scenario(
        "Fetch the slow records and the chains of fast records, then combine them.",
        "tool",
        skewedSteps(n),
      );
    case "failure-beside-branches":
      return failureBesideBranches(fetchStep, joinStep, outputChars);
    case "one-failure": {
      if (n < 2) throw new Error("one-failure needs n >= 2");
      // A chain whose last-but-one step fails (its primary source answers 503): the replanner sees
      // every earlier output, and replaces it with a fetch from the mirror.
      const steps = chainSteps(n);
      const failing = steps[n - 2]!;
      const mirrorId = `${failing.id}-mirror`;
      const mirror = fetchStep(mirrorId, failing.dependsOn, 1, { id: failing.id, source: "mirror" });
      const last = steps[n - 1]!;
      const replacement = [mirror, { ...fetchStep(last.id, [mirrorId]) }];
      return {
        ...scenario(`Fetch the ${n} records, each after the one before.`, "tool", steps),
        failure: { stepId: failing.id, replacement },
      };
    }
  }
}

/** Every step the scenario can run: the plan's steps, then the replacement steps (which win). */
export function stepTable(scenario: Scenario): Map<string, StepDefinition> {
  const table = new Map(scenario.steps.map((step) => [step.id, step]));
  for (const step of scenario.failure?.replacement ?? []) table.set(step.id, step);
  return table;
}

/**
 * The least wall time of any system that plans with one model call, answers with one, and runs
 * each step once its dependencies are done: plan + the longest path of step latencies + answer.
 * With a failure, the path goes through the failed step, one replanner call and the replacement.
 *
 * @param scenario - the scenario.
 * @param latencyMs - the latency unit (one model call).
 */
export function criticalPathMs(scenario: Scenario, latencyMs: number): number {
  const finish = new Map<string, number>();
  const duration = (step: StepDefinition) => step.latencyFactor * latencyMs;
  const visit = (steps: StepDefinition[], extraStart: (step: StepDefinition) => number) => {
    for (const step of steps) {
      const start = Math.max(extraStart(step), ...step.dependsOn.map((id) => finish.get(id) ?? 0));
      finish.set(step.id, start + duration(step));
    }
  };
  visit(scenario.steps, () => 0); // plans list steps in dependency order
  if (scenario.failure) {
    const replannedAt = finish.get(scenario.failure.stepId)! + latencyMs;
    visit(scenario.failure.replacement, () => replannedAt);
  }
  return latencyMs + Math.max(0, ...finish.values()) + latencyMs;
}

/** Deterministic filler text of about `chars` characters, different for every seed. */
export function fillerText(seed: string, chars: number): string {
  const words = [
    "record",
    "status",
    "region",
    "latency",
    "invoice",
    "customer",
    "shipment",
    "ledger",
    "balance",
    "warehouse",
    "forecast",
    "quarter",
    "revenue",
    "margin",
    "supplier",
    "contract",
    "renewal",
    "priority",
    "incident",
    "resolved",
    "pending",
    "approved",
    "north",
    "south",
    "east",
    "west",
    "alpha",
    "beta",
    "delta",
    "volume",
    "average",
    "median",
  ];
  let state = 2166136261;
  for (const char of seed) state = Math.imul(state ^ char.charCodeAt(0), 16777619) >>> 0;
  const parts: string[] = [];
  let length = 0;
  while (length < chars) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const word = state % 7 === 0 ? String(state % 10_000) : words[state % words.length]!;
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(" ").slice(0, chars);
}

/** What `fetch_record` returns for a step: a small JSON record with a text body. */
export function recordOf(id: string, source: string, chars: number) {
  return { id, source, status: "ok", body: fillerText(`${id}:${source}`, chars) };
}

/** The answer every system's final call writes. */
export function finalAnswerText(scenario: Scenario): string {
  return `Done: the ${scenario.n} steps of "${scenario.goal}" finished; the records are combined and consistent, with no open issue.`;
}
