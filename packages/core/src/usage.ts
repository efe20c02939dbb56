/**
 * Usage arithmetic: counts reported by planners, replanners and executors are added up, and a
 * missing or invalid count (negative, NaN, infinite, not a number) adds nothing.
 *
 * @module
 */
import type { Usage } from "./schemas.js";

/** No usage yet: a fresh object, safe to add to in place. */
export function noUsage(): Usage {
  return { llmCalls: 0, promptTokens: 0, completionTokens: 0 };
}

/**
 * Adds `more` to `usage` in place and returns `usage`.
 *
 * @param usage - the running total (changed).
 * @param more - reported counts; missing or invalid ones add nothing.
 */
export function addUsage(usage: Usage, more: Partial<Usage> | undefined): Usage {
  usage.llmCalls += validCount(more?.llmCalls);
  usage.promptTokens += validCount(more?.promptTokens);
  usage.completionTokens += validCount(more?.completionTokens);
  return usage;
}

/** A reported count as a number to add: itself when finite and positive, else 0. */
function validCount(value: number | undefined): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}
