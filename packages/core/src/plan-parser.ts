/**
 * Incremental plan parsers and the plan writer: a planner's text, fed delta by delta as the model
 * writes it, comes out as step specs, each the moment its own text is complete.
 *
 * @module
 */
import { BoundedLines } from "./bounded-lines.js";
import { checkOptions, rules } from "./options.js";
import { formatCompactPlan, isStepLine, parseCompactLine } from "./plan-compact.js";
import { formatJsonPlan } from "./plan-json-steps.js";
import { JsonPlanScanner } from "./plan-parser-json.js";
import {
  PLAN_FORMATS,
  type PlanFormat,
  type PlanTextLimits,
  planTextDefaults,
  StepCollector,
} from "./plan-text.js";
import { invalidOptions } from "./run-config.js";
import type { PlanIssue } from "./errors.js";
import type { StepSpec, StepSpecInput } from "./schemas.js";

/** Options of {@link createPlanParser}. */
export interface PlanParserOptions extends PlanTextLimits {
  /** The text's format. */
  format: PlanFormat;
}

/** An incremental plan parser (see {@link createPlanParser}). */
export interface PlanParser {
  /** Reads the next piece of the text; returns the steps it completed (validated by zod), in order. */
  push(delta: string): StepSpecInput[];
  /**
   * Ends the text: returns the steps completed by its end (a last line without a newline; for
   * JSON with no step found while streaming, the steps found by searching the whole text) and
   * every issue: steps that could not be read, each with a stable code.
   */
  end(): { steps: StepSpecInput[]; issues: PlanIssue[] };
}

const formatRule = rules.custom<PlanFormat>('be "json" or "compact"', (value): value is PlanFormat =>
  PLAN_FORMATS.includes(value as PlanFormat),
);

/**
 * Makes an incremental parser of a planner's text. Each step is validated by zod (`StepSpecSchema`)
 * on its own; the plan's rules across steps (known dependencies, no cycle) are core's, checked
 * when the steps are fed to the run. Bounded: `maxSteps`, `maxStepChars`, `maxDepth` (see
 * {@link PlanTextLimits}); what breaks them is an issue, never an exception.
 *
 * @param options - the format and the bounds.
 * @throws {ReplanError} `invalid-options` for an unknown format or a bad bound.
 * @example
 * ```ts
 * const parser = createPlanParser({ format: "compact" });
 * parser.push('a = fetch {"id":1}\nb = fet'); // [step a]
 * parser.push('ch {"after":"${a.id}"}\n');    // [step b, depending on a]
 * parser.end();                               // { steps: [], issues: [] }
 * ```
 */
export function createPlanParser(options: PlanParserOptions): PlanParser {
  const {
    format,
    maxSteps = planTextDefaults.maxSteps,
    maxStepChars = planTextDefaults.maxStepChars,
    maxDepth = planTextDefaults.maxDepth,
  } = checkOptions(
    options,
    {
      format: rules.required(formatRule),
      maxSteps: rules.integer({ min: 1 }),
      maxStepChars: rules.integer({ min: 1 }),
      maxDepth: rules.integer({ min: 1, max: 256 }),
    },
    { where: "createPlanParser", error: invalidOptions },
  );
  const collector = new StepCollector(maxSteps);
  const limits = { maxStepChars, maxDepth };
  const reader =
    format === "json" ? new JsonPlanScanner(collector, limits) : new CompactReader(collector, limits);
  let ended = false;
  return {
    push(delta) {
      if (ended || typeof delta !== "string") return [];
      return reader.push(delta);
    },
    end() {
      if (ended) return { steps: [], issues: collector.allIssues() };
      ended = true;
      return { steps: reader.end(), issues: collector.allIssues() };
    },
  };
}

/** The compact format, line by line: a line is read when its newline arrives. */
class CompactReader {
  private readonly lines: BoundedLines;

  constructor(
    private readonly collector: StepCollector,
    private readonly limits: { maxStepChars: number; maxDepth: number },
  ) {
    this.lines = new BoundedLines(limits.maxStepChars, (start) => {
      if (!isStepLine(start)) return;
      const id = /^\s*([A-Za-z0-9_-]{1,64})/.exec(start)?.[1];
      collector.skip("step-too-long", id, `is longer than ${limits.maxStepChars} characters`);
    });
  }

  push(delta: string): StepSpec[] {
    const steps: StepSpec[] = [];
    this.lines.push(
      delta,
      (text) => this.line(text, steps),
      () => this.collector.full,
    );
    return steps;
  }

  end(): StepSpec[] {
    const steps: StepSpec[] = [];
    if (!this.collector.full) this.lines.end((text) => this.line(text, steps));
    return steps;
  }

  /** A complete line: read it. */
  private line(text: string, steps: StepSpec[]): void {
    const read = parseCompactLine(text, this.limits.maxDepth);
    if (read.kind === "step") this.collector.take(read.step, steps);
    else if (read.kind === "error") this.collector.skip("syntax-error", read.id, read.message);
  }
}

/**
 * Writes steps as a planner would in `format`: the text that {@link createPlanParser} reads back
 * into the same steps (whatever the chunks it arrives in). Used by scripted models and the bench.
 *
 * @param steps - the steps (each valid on its own).
 * @param format - `json` (today's `{"steps":[...]}`, `args` as JSON text) or `compact`.
 * @throws {ReplanError} `invalid-options` for an unknown format.
 * @example
 * ```ts
 * formatPlan([{ id: "a", kind: "tool", tool: "fetch", args: { id: 1 }, description: "fetch" }], "compact");
 * // 'a = fetch {"id":1}\n'
 * ```
 */
export function formatPlan(steps: readonly (StepSpec | StepSpecInput)[], format: PlanFormat): string {
  if (format === "json") return formatJsonPlan(steps);
  if (format === "compact") return formatCompactPlan(steps);
  throw invalidOptions(`formatPlan: the format must be "json" or "compact", got ${JSON.stringify(format)}`);
}
