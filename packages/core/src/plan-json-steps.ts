/**
 * The `json` plan format's steps: the loose shapes models write, made into step specs (then
 * validated by zod), and the writer of today's JSON plan.
 *
 * @module
 */
import type { StepSpec, StepSpecInput } from "./schemas.js";
import { isRecord, parseJson } from "./plan-text.js";

/**
 * One step as a model wrote it, as a step spec candidate (zod judges it next). Accepted: core's
 * own shape (`kind`, `args` as an object), and the model shape (`tool: null` for an agent step,
 * `args` as a JSON string); `id` as a number, `depends_on`, `dependsOn` as JSON text or one id,
 * `arguments` for `args`; a tool step without a description gets its tool's name.
 *
 * @param entry - one element of the plan's `steps`.
 */
export function normalizeJsonStep(entry: unknown): unknown {
  if (!isRecord(entry)) return entry;
  const id = typeof entry.id === "number" ? String(entry.id) : entry.id;
  const dependsOn = dependenciesOf(entry.dependsOn ?? entry.depends_on ?? null);
  const tool = entry.tool;
  const isAgent =
    entry.kind === "agent" ||
    (entry.kind !== "tool" && (tool === undefined || tool === null || tool === "" || tool === "null"));
  if (isAgent) return { id, kind: "agent", description: entry.description, dependsOn };
  const description =
    entry.description === undefined || entry.description === null || entry.description === ""
      ? tool
      : entry.description;
  return { id, kind: "tool", description, dependsOn, tool, args: argumentsOf(entry.args ?? entry.arguments) };
}

function dependenciesOf(value: unknown): unknown {
  if (value === null) return [];
  if (typeof value !== "string") return value;
  const parsed = parseJson(value);
  if (parsed && Array.isArray(parsed.value)) return parsed.value;
  return value.trim() === "" ? [] : [value];
}

function argumentsOf(value: unknown): unknown {
  if (value === undefined || value === null) return {};
  if (typeof value !== "string") return value;
  if (value.trim() === "") return {};
  // Not JSON: kept as text, which zod reports (and the model repairs).
  return parseJson(value)?.value ?? value;
}

/**
 * Writes steps as today's JSON plan: `{"steps":[{"id","description","dependsOn","tool","args"}]}`
 * with `tool: null, args: null` for agent steps and `args` as a JSON string (the shape of the
 * LangGraph adapter's structured output).
 *
 * @param steps - the steps.
 */
export function formatJsonPlan(steps: readonly (StepSpec | StepSpecInput)[]): string {
  return JSON.stringify({
    steps: steps.map((step) => ({
      id: step.id,
      description: step.description,
      dependsOn: step.dependsOn ?? [],
      tool: step.kind === "tool" ? step.tool : null,
      args: step.kind === "tool" ? JSON.stringify(step.args ?? {}) : null,
    })),
  });
}

/**
 * The steps of a whole JSON plan value: `{ steps }`, `{ plan: { steps } }` or a bare array, with
 * `steps` possibly as JSON text; undefined when the value holds no steps list.
 */
export function stepsOfPlanValue(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (!isRecord(value)) return undefined;
  let steps = value.steps ?? (isRecord(value.plan) ? value.plan.steps : undefined);
  if (typeof steps === "string") steps = parseJson(steps)?.value;
  return Array.isArray(steps) ? steps : undefined;
}
