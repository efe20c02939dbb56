/**
 * What the plan parsers share: the formats, their bounds, the typed issues and the collector that
 * validates each parsed step with zod and keeps the step count under `maxSteps`.
 *
 * @module
 */
import { coreDefaults } from "./defaults.js";
import type { PlanIssue } from "./errors.js";
import { type StepSpec, StepSpecSchema } from "./schemas.js";

/**
 * A planner's text format. `json`: the `{"steps":[...]}` object (a tool call's arguments, a
 * JSON-schema answer, or JSON in a code fence or amid prose). `compact`: one step a line (see the
 * README's grammar), about a third of the JSON's tokens.
 */
export type PlanFormat = "json" | "compact";

/** The formats, for option checks. */
export const PLAN_FORMATS: readonly PlanFormat[] = Object.freeze(["json", "compact"]);

/** Bounds of the plan parsers (all optional). */
export interface PlanTextLimits {
  /**
   * Most steps read; the next one is a `too-many-steps` issue and the rest of the text is ignored.
   * @default 50 (`coreDefaults.maxSteps`)
   */
  maxSteps?: number;
  /**
   * Longest text of one step (a compact line, a JSON step object), in characters; a longer one is
   * a `step-too-long` issue and is skipped (never buffered whole).
   * @default 16384
   */
  maxStepChars?: number;
  /**
   * Deepest nesting of objects and arrays inside one step; deeper is a `too-deep` issue.
   * @default 32
   */
  maxDepth?: number;
}

/** The defaults of {@link PlanTextLimits}. */
export const planTextDefaults = Object.freeze({
  maxSteps: coreDefaults.maxSteps,
  maxStepChars: 16_384,
  maxDepth: 32,
});

/**
 * Validates each parsed step with zod and collects the valid ones; counts steps against
 * `maxSteps` and records issues (at most {@link MAX_ISSUES}; the rest are counted).
 */
export class StepCollector {
  /** Issues so far, in order. */
  readonly issues: PlanIssue[] = [];
  /** Steps read so far (valid or not). */
  count = 0;
  /** Valid steps handed over so far. */
  taken = 0;
  /** True once `maxSteps` is passed: everything after is ignored. */
  full = false;
  private dropped = 0;

  /** @param maxSteps - most steps read. */
  constructor(private readonly maxSteps: number) {}

  /** Validates one step candidate; returns it when valid, else records why. */
  take(candidate: unknown, into: StepSpec[]): void {
    if (!this.admit()) return;
    const parsed = StepSpecSchema.safeParse(candidate);
    if (parsed.success) {
      this.taken++;
      into.push(parsed.data);
      return;
    }
    const id = (candidate as { id?: unknown } | null)?.id;
    const first = parsed.error.issues[0];
    const where = first && first.path.length > 0 ? `${first.path.join(".")}: ` : "";
    this.issue({
      code: "invalid-shape",
      stepIds: typeof id === "string" ? [id] : [],
      message: `${this.name(id)} is malformed: ${where}${first?.message ?? "invalid"}`,
    });
  }

  /**
   * Counts one more step (or patch entry) read; false when there is no room under `maxSteps`
   * (then `too-many-steps` is recorded once, and everything after is ignored).
   */
  admit(): boolean {
    if (this.full) return false;
    if (this.count >= this.maxSteps) {
      this.full = true;
      // Always reported, past the cap on issues: it says the rest of the text was not read.
      this.issues.push({
        code: "too-many-steps",
        stepIds: [],
        message: `the plan has more than ${this.maxSteps} steps; the rest is ignored`,
      });
      return false;
    }
    this.count++;
    return true;
  }

  /** Counts a step that could not be read (`step "id" <detail>`), unless the plan is full. */
  skip(code: PlanIssue["code"], id: string | undefined, detail: string): void {
    if (this.full) return;
    this.count++;
    this.issue({ code, stepIds: id ? [id] : [], message: `${this.name(id)} ${detail}` });
  }

  /** Records an issue (the first {@link MAX_ISSUES}; then only a count). */
  issue(issue: PlanIssue): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push(issue);
    else this.dropped++;
  }

  /** Every issue, with a last one counting those left out. */
  allIssues(): PlanIssue[] {
    if (this.dropped === 0) return [...this.issues];
    const more: PlanIssue = { code: "syntax-error", stepIds: [], message: `${this.dropped} more issue(s)` };
    return [...this.issues, more];
  }

  /** How the step just counted is named in an issue. */
  private name(id?: unknown): string {
    return typeof id === "string" && id !== "" ? `step "${id}" (#${this.count})` : `step #${this.count}`;
  }
}

/** Most issues a parser reports one by one. */
export const MAX_ISSUES = 20;

/** A JSON string's end (the index after its closing quote) in `text` from `start` (at the opening quote), or -1. */
export function stringEnd(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index++) {
    const char = text[index];
    if (char === "\\") index++;
    else if (char === '"') return index + 1;
  }
  return -1;
}

/**
 * The end of the JSON object or array opening at `start` (the index after its closing bracket),
 * skipping strings; `{ end: -1 }` when it does not close in `text`; `{ tooDeep: true }` past `maxDepth`.
 */
export function bracketEnd(
  text: string,
  start: number,
  maxDepth: number,
): { end: number; tooDeep?: boolean } {
  let depth = 0;
  for (let index = start; index < text.length; index++) {
    const char = text[index];
    if (char === '"') {
      const end = stringEnd(text, index);
      if (end < 0) return { end: -1 };
      index = end - 1;
    } else if (char === "{" || char === "[") {
      if (++depth > maxDepth) return { end: -1, tooDeep: true };
    } else if (char === "}" || char === "]") {
      if (--depth === 0) return { end: index + 1 };
    }
  }
  return { end: -1 };
}

/** Parses JSON, or undefined. */
export function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** Whether `value` is a plain object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
