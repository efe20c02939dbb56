// Reading a replanner's patch out of a model's message. In JSON: the JSON is found as for a plan (a
// tool call's arguments, or text alone, fenced or amid prose), its loose shapes are normalized, then
// it is validated with zod; a model that answers the remaining steps instead (a bare list, or
// `{ steps }`) is understood too (core reads that as the equivalent patch). In the compact format:
// numbered step lines (a number already in the plan replaces that step, a new number adds one), a
// `remove: 3, 5` line, and a `reason: ...` line.
import type { AIMessage } from "@langchain/core/messages";
import { createPatchParser, type Plan, type PlanPatchInput, type StepSpecInput } from "@replan/core";
import { z } from "zod";
import { PlanExecuteError } from "./errors.js";
import {
  excerpt,
  extractJson,
  ModelPlanSchema,
  normalizePlan,
  parseCompactPlan,
  rawText,
  toStepSpecs,
} from "./parse.js";

const ModelStepSchema = ModelPlanSchema.shape.steps.element;

/** The patch a model writes: every field required and nullable, so it suits strict JSON-schema modes. */
export const ModelPatchSchema = z
  .object({
    remove: z
      .array(z.string())
      .describe("ids of steps not yet started to drop (failed ones too); [] if none"),
    add: z.array(ModelStepSchema).describe("new steps, with new ids; they may depend on any step that stays"),
    replace: z
      .array(ModelStepSchema)
      .describe("new content for steps not yet started (failed ones too), under the same id; [] if none"),
    reason: z.string().nullable().describe("why, in one sentence"),
  })
  .describe("A patch of the plan: the steps it does not name stay as they are");

/** What a replanner's message says: a patch, or (JSON only) the remaining steps rewritten. */
export type ReplanAnswer = PlanPatchInput | StepSpecInput[];

/** Most ids a `remove:` line may list (more is not a patch of a plan of at most `maxSteps` steps). */
const MAX_REMOVED_IDS = 10_000;

/**
 * A model's patch in JSON (tool-call arguments or text) as core's patch; a list of steps (bare, or
 * under `steps`) is returned as a list, for core to read as a full rewrite of the remaining steps.
 *
 * @throws {PlanExecuteError} `invalid-plan` with the zod issues, and the raw answer as `rawOutput`.
 */
export function parsePatch(message: AIMessage, toolName: string): ReplanAnswer {
  const raw = rawText(message);
  const value = unwrap(extractJson(message, toolName));
  if (Array.isArray(value) || (isRecord(value) && "steps" in value && !isPatchLike(value))) {
    const parsed = ModelPlanSchema.safeParse(normalizePlan(value));
    if (!parsed.success) throw invalid(`the steps do not match their schema: ${issuesOf(parsed.error)}`, raw);
    return toStepSpecs(parsed.data);
  }
  if (isRecord(value) && !isPatchLike(value) && !("reason" in value)) {
    throw invalid('the answer is not a patch: it has none of "remove", "add", "replace" and "reason"', raw);
  }
  const parsed = ModelPatchSchema.safeParse(normalizePatch(value));
  if (!parsed.success) throw invalid(`the patch does not match its schema: ${issuesOf(parsed.error)}`, raw);
  const { remove, add, replace, reason } = parsed.data;
  return {
    remove,
    add: toStepSpecs({ steps: add }),
    replace: toStepSpecs({ steps: replace }),
    ...(reason ? { reason } : {}),
  };
}

/**
 * A model's patch in the compact format: its numbered steps (read by core's compact parser) are
 * replacements when their id is in `plan` and additions otherwise; a step written again exactly as
 * it is (and not started) is left as it is. An answer in JSON is read by {@link parsePatch}.
 *
 * @param message - the model's answer.
 * @param plan - the plan the replanner was shown.
 * @throws {PlanExecuteError} `invalid-plan` for lines that do not parse, or ids that are not ids.
 */
export function parseCompactPatch(message: AIMessage, plan: Plan): ReplanAnswer {
  const text = message.text.trim();
  if ((message.tool_calls?.length ?? 0) > 0 || /^(\{|\[|```)/.test(text)) return parsePatch(message, "patch");
  if (CORE_PATCH_LINE.test(text)) return readCorePatch(message, plan);
  const remove: string[] = [];
  let reason: string | undefined;
  for (const line of text.split("\n", MAX_REMOVED_IDS)) {
    const removal = /^\s*remove\s*:?\s*(.*)$/i.exec(line);
    if (removal) remove.push(...idsIn(removal[1]!, rawText(message)));
    const why = /^\s*reason\s*:\s*(.+)$/i.exec(line);
    if (why && reason === undefined) reason = why[1]!.trim();
  }
  const steps = parseCompactPlan(message);
  if (steps.length === 0 && remove.length === 0 && reason === undefined) {
    throw invalid('the answer holds no step line, no "remove:" line and no "reason:" line', rawText(message));
  }
  const existing = new Map(plan.steps.map((step) => [step.id, step]));
  const unchanged = (spec: StepSpecInput) => {
    const step = existing.get(spec.id);
    return step !== undefined && step.status === "pending" && sameSpec(step, spec);
  };
  return {
    remove,
    add: steps.filter((spec) => !existing.has(spec.id)),
    replace: steps.filter((spec) => existing.has(spec.id) && !unchanged(spec)),
    ...(reason ? { reason } : {}),
  };
}

/** A line of `@replan/core`'s patch text: `~3. ...` (replace), `+7. ...` (add), `-5` (remove), `# why`. */
const CORE_PATCH_LINE = /^\s*(?:[~+]\s*[A-Za-z0-9_-]{1,64}\s*[[.]|-\s*[A-Za-z0-9_-]{1,64}\s*$|#\s)/m;

/**
 * A compact patch in `@replan/core`'s patch text, read whole by core's parser (as a streamed one
 * is), which also reads the numbered, `remove:` and `reason:` lines beside it.
 */
function readCorePatch(message: AIMessage, plan: Plan): ReplanAnswer {
  const parser = createPatchParser({ planIds: plan.steps.map((step) => step.id) });
  parser.push(message.text);
  const { output, issues } = parser.end();
  if (issues.length > 0) {
    const described = issues
      .slice(0, 5)
      .map((issue) => issue.message)
      .join("; ");
    throw invalid(`the patch does not follow the compact format: ${described}`, rawText(message));
  }
  if (Array.isArray(output)) return output;
  const existing = new Map(plan.steps.map((step) => [step.id, step]));
  const replace = (output.replace ?? []).filter((spec) => {
    const step = existing.get(spec.id);
    return !(step !== undefined && step.status === "pending" && sameSpec(step, spec));
  });
  return { ...output, replace };
}

/** The ids of a `remove:` line (separated by commas or spaces; `$3` and `#3` read as `3`). */
function idsIn(list: string, raw: string): string[] {
  const ids = list
    .split(/[\s,]+/)
    .map((part) => part.replace(/^[$#]/, "").replace(/[.;]$/, ""))
    .filter((part) => part !== "" && part.toLowerCase() !== "none");
  const bad = ids.find((id) => !/^[A-Za-z0-9_-]{1,64}$/.test(id));
  if (bad !== undefined)
    throw invalid(`the remove line names ${JSON.stringify(excerpt(bad, 80))}, not a step id`, raw);
  return ids;
}

/** Whether a spec is what a step already is (a planner's fields only). */
function sameSpec(step: Plan["steps"][number], spec: StepSpecInput): boolean {
  const key = (value: {
    kind?: string;
    description: string;
    dependsOn?: string[];
    tool?: string;
    args?: unknown;
  }) =>
    JSON.stringify([
      value.kind ?? "agent",
      value.description,
      value.dependsOn ?? [],
      value.tool ?? null,
      value.args ?? null,
    ]);
  return key(step as never) === key(spec as never);
}

/** A patch sent under a `patch` key. */
function unwrap(value: unknown): unknown {
  return isRecord(value) && isRecord(value.patch) ? value.patch : value;
}

/** Loose shapes made strict: lists left out, null, or given as JSON text; steps as for a plan. */
function normalizePatch(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const list = (entry: unknown) => {
    const parsed = typeof entry === "string" ? parseOr(entry) : entry;
    return parsed === undefined || parsed === null ? [] : parsed;
  };
  const steps = (entry: unknown) => {
    const items = list(entry);
    return Array.isArray(items) ? (normalizePlan(items) as { steps: unknown }).steps : items;
  };
  const remove = list(value.remove);
  return {
    remove: Array.isArray(remove) ? remove.map((id) => (typeof id === "number" ? String(id) : id)) : remove,
    add: steps(value.add),
    replace: steps(value.replace),
    reason: typeof value.reason === "string" ? value.reason : null,
  };
}

/** Whether an object that has `steps` also has a patch's keys (then it is read as a patch). */
function isPatchLike(value: Record<string, unknown>): boolean {
  return "remove" in value || "add" in value || "replace" in value;
}

function issuesOf(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
}

function invalid(reason: string, raw: string): PlanExecuteError {
  const shown = raw.trim() === "" ? "" : `; it began: ${JSON.stringify(excerpt(raw.trim(), 300))}`;
  // retryable: the answer is sent back with what was wrong (within core's maxReplans)
  return new PlanExecuteError("invalid-plan", `${reason}${shown}`, { rawOutput: raw, retryable: true });
}

function parseOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
