// The scenario `failure-beside-branches` (issue #19): four branches of three fetches each, joined.
// Branch a's first fetch is fast and fails (its primary source answers 503) while the three other
// branches are running their first fetch, with their next ones not yet started. The replanner
// patches branch a only (fetch a1 from the mirror; a2 now follows the mirror's record): a local
// replanner lets b, c and d run on meanwhile.
import type { FailureDefinition, PatchDefinition, Scenario, StepDefinition } from "./scenarios.js";

/** The branches beside the failing one. */
export const INDEPENDENT_BRANCHES = ["b", "c", "d"] as const;
/** Steps per branch. */
export const BRANCH_LENGTH = 3;
/** Latency factor of the failing first step (and of its mirror fetch: the same record): it fails early. */
export const EARLY_FAILURE_FACTOR = 0.25;

type FetchStep = (
  id: string,
  dependsOn?: string[],
  latencyFactor?: number,
  extra?: Record<string, unknown>,
) => StepDefinition;
type JoinStep = (id: string, dependsOn: string[], latencyFactor?: number) => StepDefinition;

/** The last step of each independent branch (their end is compared with and without the failure). */
export const INDEPENDENT_TAILS = INDEPENDENT_BRANCHES.map((name) => `${name}${BRANCH_LENGTH}`);

/**
 * Builds the scenario from the scenarios' step makers.
 *
 * @param fetchStep - makes a fetch step.
 * @param joinStep - makes a join step.
 * @param outputChars - the size of each step's output.
 */
export function failureBesideBranches(
  fetchStep: FetchStep,
  joinStep: JoinStep,
  outputChars: number,
): Scenario & { failure: FailureDefinition & { patch: PatchDefinition } } {
  const branch = (name: string, firstFactor = 1) =>
    Array.from({ length: BRANCH_LENGTH }, (_, index) =>
      fetchStep(`${name}${index + 1}`, index === 0 ? [] : [`${name}${index}`], index === 0 ? firstFactor : 1),
    );
  const failing = branch("a", EARLY_FAILURE_FACTOR);
  const others = INDEPENDENT_BRANCHES.flatMap((name) => branch(name));
  const join = joinStep(
    "join",
    ["a", ...INDEPENDENT_BRANCHES].map((name) => `${name}${BRANCH_LENGTH}`),
  );
  const steps = [...failing, ...others, join];
  const mirror = fetchStep("a1-mirror", [], EARLY_FAILURE_FACTOR, { id: "a1", source: "mirror" });
  const a2 = fetchStep("a2", ["a1-mirror"]);
  const patch: PatchDefinition = {
    remove: ["a1"],
    add: [mirror],
    replace: [a2],
    reason: "a1's primary source is down: fetch it from the mirror",
  };
  return {
    name: "failure-beside-branches",
    n: steps.length,
    goal: "Fetch the four branches of records and combine them.",
    mode: "tool",
    steps,
    outputChars,
    // `replacement`: the failed step's cone rewritten, in dependency order, as a system that
    // rewrites the failed branch writes it (the critical path and the baselines read it).
    failure: { stepId: "a1", replacement: [mirror, a2, failing[2]!, join], patch },
  };
}

/** The same scenario with no failure (the independent branches' reference times). */
export function withoutFailure(scenario: Scenario): Scenario {
  const { failure: _, ...rest } = scenario;
  return rest;
}

/**
 * The steps started (done or running) when the failed step ends, if every step starts as soon as
 * its dependencies are done: what a replanner asked then is told is started.
 *
 * @param scenario - the scenario (with a failure).
 */
export function startedAtFailure(scenario: Scenario & { failure: FailureDefinition }): Set<string> {
  const finish = new Map<string, number>();
  const start = new Map<string, number>();
  for (const step of scenario.steps) {
    const at = Math.max(0, ...step.dependsOn.map((id) => finish.get(id) ?? 0));
    start.set(step.id, at);
    finish.set(step.id, at + step.latencyFactor);
  }
  const failedAt = finish.get(scenario.failure.stepId)!;
  return new Set(scenario.steps.filter((step) => start.get(step.id)! < failedAt).map((step) => step.id));
}

/**
 * The steps a full rewrite of the remaining steps holds, for the same replan: the failed branch
 * rewritten, and every other step not started when the replanner is asked, in plan order.
 *
 * @param scenario - the scenario (with a failure).
 */
export function fullRewriteSteps(scenario: Scenario & { failure: FailureDefinition }): StepDefinition[] {
  const started = startedAtFailure(scenario);
  const replaced = new Map(scenario.failure.replacement.map((step) => [step.id, step]));
  const rest = scenario.steps.filter((step) => !started.has(step.id) && !replaced.has(step.id));
  return [...scenario.failure.replacement, ...rest];
}
