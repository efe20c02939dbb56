/**
 * Lenient readers of the feed's payloads (plans, steps, errors, replan reasons, outcomes, usage):
 * whatever they are given, they return the view's shape or `undefined`, and never throw.
 *
 * @module
 */
import type { ViewModel, ViewReplanReason, ViewStep } from "./model.js";

/** Most steps read from one plan: more than any valid plan (core's `maxSteps` tops out lower). */
export const MAX_STEPS = 5_000;

/**
 * Reads a plan leniently: `{ revision?, steps: [...] }`; steps without an id are dropped.
 *
 * @param value - anything.
 */
export function readPlan(value: unknown): { revision: number; steps: ViewStep[] } | undefined {
  if (!isObject(value) || !Array.isArray(value.steps)) return undefined;
  const revision = typeof value.revision === "number" && value.revision >= 0 ? value.revision : 0;
  const steps: ViewStep[] = [];
  const seen = new Set<string>();
  for (const raw of value.steps.slice(0, MAX_STEPS)) {
    const step = readStep(raw, revision);
    if (step && !seen.has(step.id)) {
      seen.add(step.id);
      steps.push(step);
    }
  }
  return { revision, steps };
}

/**
 * Reads a step leniently; `undefined` without a string id.
 *
 * @param value - anything.
 * @param revision - the revision of the plan it comes from, when the step does not say.
 */
export function readStep(value: unknown, revision = 0): ViewStep | undefined {
  if (!isObject(value) || typeof value.id !== "string" || value.id === "") return undefined;
  const error = readError(value.error);
  const step: ViewStep = {
    ...value,
    id: value.id,
    description: typeof value.description === "string" ? value.description : "",
    kind:
      value.kind === "tool" || (value.kind !== "agent" && typeof value.tool === "string") ? "tool" : "agent",
    dependsOn: isStringArray(value.dependsOn) ? value.dependsOn : [],
    status: typeof value.status === "string" ? value.status : "pending",
    attempts: typeof value.attempts === "number" ? value.attempts : 0,
    revision: typeof value.revision === "number" ? value.revision : revision,
  };
  if (error) step.error = error;
  else delete step.error;
  if (typeof value.tool !== "string") delete step.tool;
  if (!isObject(value.args)) delete step.args;
  for (const field of ["startedAt", "endedAt"] as const)
    if (typeof value[field] !== "number") delete step[field];
  return step;
}

/** Reads a step error or a run error: `{ code, message }`, with `code` "error" when absent. */
export function readError(value: unknown): { code: string; message: string } | undefined {
  if (!isObject(value)) return undefined;
  return {
    code: typeof value.code === "string" ? value.code : "error",
    message: typeof value.message === "string" ? value.message : String(value.message ?? ""),
  };
}

/** Reads a `@replan/core` `ReplanReason`. */
export function readReason(value: unknown): ViewReplanReason | undefined {
  if (!isObject(value)) return undefined;
  return {
    trigger: typeof value.trigger === "string" ? value.trigger : "unknown",
    stepIds: isStringArray(value.stepIds) ? value.stepIds : [],
    message: typeof value.message === "string" ? value.message : "",
  };
}

/** Reads a run's outcome: `undefined` without a string `status`. */
export function readOutcome(value: unknown): { status: string; reason: string } | undefined {
  if (!isObject(value) || typeof value.status !== "string") return undefined;
  return { status: value.status, reason: typeof value.reason === "string" ? value.reason : "" };
}

/** Reads a run's usage; a missing count is 0. */
export function readUsage(value: unknown): ViewModel["usage"] {
  if (!isObject(value)) return undefined;
  const number = (field: string) => (typeof value[field] === "number" ? (value[field] as number) : 0);
  return {
    llmCalls: number("llmCalls"),
    promptTokens: number("promptTokens"),
    completionTokens: number("completionTokens"),
  };
}

/** The entries of `value` that are neither `null` nor `undefined`. */
export function withoutNulls(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== null && item !== undefined));
}

/** Whether `value` is an array of strings. */
export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

/** Whether `value` is a plain object (not `null`, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
