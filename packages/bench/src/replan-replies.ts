// The output tokens of replan's replanner answer (model.ts and compact-script.ts write it), and of
// the same replan written as a full rewrite of the remaining steps: in today's JSON (a structured
// tool call) and in the compact format.
import { fullRewriteSteps } from "./branches-scenario.js";
import { compactPlanText, compactReplanText } from "./compact-script.js";
import { jsonPatchOf, PATCH_TOOL, replanPlanReply, replanReply } from "./model.js";
import type { Scenario } from "./scenarios.js";
import { countTokens } from "./tokens.js";

/** Output tokens of the replanner's answer: a structured tool call (JSON) or text (compact). */
export function replannerOutputTokens(scenario: Scenario, format: "json" | "compact"): number {
  if (format === "compact") return countTokens(compactReplanText(scenario));
  const reply = replanReply(scenario) as { structured: unknown };
  const name = jsonPatchOf(scenario) ? PATCH_TOOL : "plan";
  return countTokens(name) + countTokens(JSON.stringify(reply.structured));
}

/**
 * Output tokens of the same replan written as a full rewrite of the remaining steps (the failed
 * branch rewritten, and every step not started when the replanner is asked), in the format.
 */
export function fullRewriteOutputTokens(scenario: Scenario, format: "json" | "compact"): number {
  if (!scenario.failure) return 0;
  const steps = fullRewriteSteps(scenario as Scenario & { failure: NonNullable<Scenario["failure"]> });
  if (format === "compact") return countTokens(compactPlanText(scenario, steps));
  const reply = replanPlanReply(scenario, steps) as { structured: unknown };
  return countTokens("plan") + countTokens(JSON.stringify(reply.structured));
}
