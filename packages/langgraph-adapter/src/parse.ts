// Reading a plan out of a model's message, whatever shape it came in: a tool call's arguments or
// text; JSON alone, in a code fence, or amid prose; arguments as an object or as a JSON string;
// nullable fields left out. Then validated with zod.
import type { AIMessage } from "@langchain/core/messages";
import { createPlanParser, type PlanIssue, type StepSpecInput } from "@replan/core";
import { z } from "zod";
import { PlanExecuteError } from "./errors.js";
import { CUT_AT_MAX_CHARS } from "./streamed-message.js";

/** The plan a model writes: every field required and nullable, so it suits strict JSON-schema modes. */
export const ModelPlanSchema = z
  .object({
    steps: z.array(
      z.object({
        id: z.string().describe('short unique id: letters, digits, "-" and "_"'),
        description: z.string().describe("what the step does"),
        dependsOn: z.array(z.string()).describe("ids of the steps whose results it needs; [] if none"),
        tool: z
          .string()
          .nullable()
          .describe("for a single call of one tool with known arguments: the tool's name; otherwise null"),
        args: z
          .string()
          .nullable()
          .describe(
            'with tool: its arguments as a JSON object string, may use "${id}" or "${id.field}"; otherwise null',
          ),
      }),
    ),
  })
  .describe("A plan: the steps to achieve the goal");

/** The plan as `ModelPlanSchema` types it. */
export type ModelPlan = z.infer<typeof ModelPlanSchema>;

/** Longest text examined for JSON (a longer answer is cut there: no plan is that long). */
const MAX_SCANNED_CHARS = 1_000_000;

/**
 * Longest plan answer read from a stream, in characters (the stream is closed there): over ten
 * times a plan of 50 steps, and a bound on the work (a client spends about 0.2 ms per chunk).
 */
export const MAX_PLAN_CHARS = 200_000;
/** Most JSON candidates tried in one answer. */
const MAX_CANDIDATES = 50;
/** Most characters scanned for brackets in one answer, over all candidates (a bound on the work). */
const MAX_SCAN_STEPS = 4_000_000;
/** Longest excerpt of an answer quoted in an error (and so in a repair request). */
const EXCERPT_CHARS = 600;

/**
 * The JSON value a message carries: the arguments of its tool call named `toolName` (or of its
 * only tool call), else the first JSON object or array in its text (alone, in a code fence, or
 * amid prose).
 *
 * @throws {PlanExecuteError} `invalid-plan` (with `rawOutput`) when there is none.
 */
export function extractJson(message: AIMessage, toolName: string | undefined): unknown {
  const calls = message.tool_calls ?? [];
  const call =
    calls.find((candidate) => candidate.name === toolName) ?? (calls.length === 1 ? calls[0] : undefined);
  if (call) return call.args;
  // Arguments that were not valid JSON: LangChain keeps them as text.
  const invalid = (message.invalid_tool_calls ?? []).find(
    (candidate) => candidate.name === toolName || (message.invalid_tool_calls?.length ?? 0) === 1,
  );
  // Some servers send the arguments as a JSON object where the wire format has a string.
  const args: unknown = invalid?.args;
  if (typeof args === "object" && args !== null) return args;
  const text = typeof args === "string" ? args : message.text;
  return jsonIn(text, rawText(message));
}

/** The first JSON object or array in `text`; see {@link extractJson}. */
export function jsonIn(text: string, raw = text): unknown {
  if (typeof text !== "string") throw invalid("the answer is not text", String(raw));
  const scanned = text.length > MAX_SCANNED_CHARS ? text.slice(0, MAX_SCANNED_CHARS) : text;
  const trimmed = scanned.trim();
  if (trimmed === "") throw invalid("the answer was empty", raw);
  const whole = tryParse(trimmed);
  if (whole.ok && typeof whole.value === "object" && whole.value !== null) return whole.value;
  let tried = 0;
  // Code fences first (```json ... ``` or ``` ... ```), then any balanced {...} or [...].
  for (const match of trimmed.matchAll(/```[\w-]*[ \t]*\r?\n?([\s\S]*?)```/g)) {
    if (++tried > MAX_CANDIDATES) break;
    const fenced = tryParse(match[1]!.trim());
    if (fenced.ok && typeof fenced.value === "object" && fenced.value !== null) return fenced.value;
  }
  const budget = { steps: MAX_SCAN_STEPS };
  for (let start = 0; start < trimmed.length && tried <= MAX_CANDIDATES && budget.steps > 0; start++) {
    const char = trimmed[start];
    if (char !== "{" && char !== "[") continue;
    tried++;
    const end = balancedEnd(trimmed, start, budget);
    if (end === undefined) continue;
    const candidate = tryParse(trimmed.slice(start, end + 1));
    if (candidate.ok && typeof candidate.value === "object" && candidate.value !== null)
      return candidate.value;
  }
  const first = trimmed.search(/[{[]/);
  const truncated = first >= 0 && balancedEnd(trimmed, first, { steps: MAX_SCANNED_CHARS }) === undefined;
  throw invalid(
    truncated ? "the answer's JSON is incomplete (cut off?)" : "the answer holds no JSON object",
    raw,
  );
}

/**
 * A model's plan (tool-call arguments or text) as core step specs: the JSON is found
 * ({@link extractJson}), its loose shapes are normalized (a bare array of steps; `args` as an
 * object; `steps` or `dependsOn` as JSON text; `dependsOn`, `tool` or `args` left out), then
 * validated by {@link ModelPlanSchema}.
 *
 * @throws {PlanExecuteError} `invalid-plan` with the zod issues or what is missing, and the raw
 *   answer as `rawOutput`.
 */
export function parsePlan(message: AIMessage, toolName: string): StepSpecInput[] {
  const raw = rawText(message);
  const value = normalizePlan(extractJson(message, toolName));
  const parsed = ModelPlanSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
      .join("; ");
    throw invalid(`the plan does not match its schema: ${issues}`, raw);
  }
  return toStepSpecs(parsed.data);
}

/**
 * A model's plan in core's compact text format (see the README's "Plan formats"), read with
 * core's parser: the steps, and the lines it could not read. An answer that is a tool call or
 * JSON instead is read by {@link parsePlan}.
 *
 * @throws {PlanExecuteError} `invalid-plan` only for an answer in JSON that does not parse.
 */
export function readCompactPlan(message: AIMessage): { steps: StepSpecInput[]; issues: PlanIssue[] } {
  const text = message.text.trim();
  if ((message.tool_calls?.length ?? 0) > 0 || /^(\{|\[|```)/.test(text)) {
    return { steps: parsePlan(message, "plan"), issues: [] };
  }
  const parser = createPlanParser({ format: "compact" });
  const pushed = parser.push(text.length > MAX_SCANNED_CHARS ? text.slice(0, MAX_SCANNED_CHARS) : text);
  const { steps, issues } = parser.end(); // the steps the end completed (the last line's)
  return { steps: [...pushed, ...steps] as StepSpecInput[], issues };
}

/**
 * A model's plan in the compact format, as {@link readCompactPlan} reads it, all or nothing.
 *
 * @throws {PlanExecuteError} `invalid-plan` with the lines that did not parse, and the raw answer as `rawOutput`.
 */
export function parseCompactPlan(message: AIMessage): StepSpecInput[] {
  const { steps, issues } = readCompactPlan(message);
  if (issues.length === 0) return steps; // none at all: core's validation says what that means
  const described = issues
    .slice(0, 5)
    .map((issue) => issue.message)
    .join("; ");
  throw invalid(`the plan does not follow the compact format: ${described}`, rawText(message));
}

/**
 * Why an answer is cut short, or undefined when it is whole: the model stopped at its output limit
 * (`finish_reason: "length"`, or `max_tokens` as some providers say), or the stream was closed at
 * {@link MAX_PLAN_CHARS}. A plan cut short may still parse (a compact plan cut at a line's end, a
 * JSON plan missing only its last steps), so it is refused whatever it holds.
 */
export function cutShort(message: AIMessage): string | undefined {
  const metadata = (message.response_metadata ?? {}) as Record<string, unknown>;
  if (metadata[CUT_AT_MAX_CHARS] === true)
    return `the plan is longer than ${MAX_PLAN_CHARS} characters (the answer was cut there): write a shorter plan`;
  const reason = metadata.finish_reason ?? metadata.stop_reason;
  if (reason === "length" || reason === "max_tokens")
    return "the answer was cut at the model's output limit (finish_reason: length): write a shorter plan";
  return undefined;
}

/**
 * Refuses an answer cut short ({@link cutShort}).
 *
 * @throws {PlanExecuteError} `invalid-plan` (retryable, with the raw answer) when it was.
 */
export function refuseCutShort(message: AIMessage): void {
  const cut = cutShort(message);
  if (cut !== undefined) throw invalid(cut, rawText(message));
}

/** Loose shapes made strict, so that zod judges what is really wrong. */
export function normalizePlan(value: unknown): unknown {
  let plan = value;
  if (Array.isArray(plan)) plan = { steps: plan };
  if (!isRecord(plan)) return plan;
  let steps = plan.steps ?? (isRecord(plan.plan) ? plan.plan.steps : undefined);
  if (typeof steps === "string") steps = parseOr(steps);
  if (!Array.isArray(steps)) return { ...plan, steps };
  return {
    steps: steps.map((entry) => {
      if (!isRecord(entry)) return entry;
      const step: Record<string, unknown> = { ...entry };
      if (typeof step.id === "number") step.id = String(step.id);
      let dependsOn = step.dependsOn ?? step.depends_on ?? null;
      if (typeof dependsOn === "string") {
        const parsed = parseOr(dependsOn);
        dependsOn = Array.isArray(parsed) ? parsed : dependsOn.trim() === "" ? [] : [dependsOn];
      }
      step.dependsOn = dependsOn === null ? [] : dependsOn;
      delete step.depends_on;
      if (step.tool === undefined || step.tool === "" || step.tool === "null") step.tool = null;
      if (step.args === undefined) step.args = step.arguments ?? null;
      delete step.arguments;
      // Arguments as an object where a JSON string was asked for.
      if (isRecord(step.args) || Array.isArray(step.args)) step.args = JSON.stringify(step.args);
      return step;
    }),
  };
}

/** A plan of `ModelPlanSchema` as core step specs (tool arguments parsed from their JSON text). */
export function toStepSpecs(plan: ModelPlan): StepSpecInput[] {
  return plan.steps.map((step) => {
    const base = { id: step.id, description: step.description, dependsOn: step.dependsOn };
    if (step.tool === null || step.tool === "") return { ...base, kind: "agent" as const };
    let args: unknown = {};
    if (step.args !== null && step.args.trim() !== "") {
      const parsed = tryParse(step.args);
      // Not JSON: kept as text, which core's validation reports (and the model repairs).
      args = parsed.ok ? parsed.value : step.args;
    }
    return { ...base, kind: "tool" as const, tool: step.tool, args: args as Record<string, unknown> };
  });
}

/** A message's text, or its tool calls' arguments as JSON when it has no text: what the model "said". */
export function rawText(message: AIMessage | undefined): string {
  if (!message) return "";
  const text = message.text;
  if (text) return text;
  const calls = message.tool_calls ?? [];
  if (calls.length > 0) return safeStringify(calls[0]?.args);
  const args: unknown = message.invalid_tool_calls?.[0]?.args;
  return typeof args === "string" ? args : args === undefined || args === null ? "" : safeStringify(args);
}

/** An excerpt of a long text, for error messages and repair requests. */
export function excerpt(text: string, limit = EXCERPT_CHARS): string {
  return text.length > limit ? `${text.slice(0, limit)}… [${text.length - limit} more characters]` : text;
}

function invalid(reason: string, raw: string): PlanExecuteError {
  const shown = raw.trim() === "" ? "" : `; it began: ${JSON.stringify(excerpt(raw.trim(), 300))}`;
  // retryable: the answer is sent back once with what was wrong (core's maxPlanAttempts)
  return new PlanExecuteError("invalid-plan", `${reason}${shown}`, { rawOutput: raw, retryable: true });
}

/**
 * The index of the bracket that closes the one at `start`, skipping strings; undefined if none
 * (or if the scan used up `budget.steps`, which it decrements).
 */
function balancedEnd(text: string, start: number, budget: { steps: number }): number | undefined {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index++) {
    if (--budget.steps < 0) return undefined;
    const char = text[index];
    if (inString) {
      if (char === "\\") index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) return index;
    }
  }
  return undefined;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "";
  } catch {
    return String(value);
  }
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function parseOr(text: string): unknown {
  const parsed = tryParse(text);
  return parsed.ok ? parsed.value : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
