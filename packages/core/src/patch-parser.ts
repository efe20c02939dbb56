/**
 * The incremental parser of a replanner's patch in the compact format (see `patch-compact.ts`):
 * fed delta by delta as the model writes, it hands over each entry the moment its line ends,
 * validated by zod on its own.
 *
 * @module
 */
import { BoundedLines } from "./bounded-lines.js";
import type { PlanIssue } from "./errors.js";
import { checkOptions, rules } from "./options.js";
import { parsePatchLine } from "./patch-compact.js";
import { type PatchEntry, patchOf } from "./patch-entry.js";
import type { PlanPatchInput } from "./plan-patch.js";
import { type PlanTextLimits, planTextDefaults, StepCollector } from "./plan-text.js";
import { invalidOptions } from "./run-config.js";
import type { StepSpec, StepSpecInput } from "./schemas.js";

/** Options of {@link createPatchParser}: the bounds (`maxSteps` bounds the entries), and the plan's ids. */
export interface PatchParserOptions extends PlanTextLimits {
  /**
   * The ids of the plan being patched. Given, a step line without `~`/`+` is an entry: a
   * replacement when its id is in the plan, an addition otherwise (the adapter's compact
   * replanner prompt). Absent, such lines are the older answer (the remaining steps rewritten).
   */
  planIds?: readonly string[];
}

/** What {@link PatchParser.end} returns. */
export interface PatchParserEnd {
  /** The entries completed by the text's end (a last line without a newline). */
  entries: PatchEntry[];
  /**
   * The whole answer: the patch of every entry read and the reason; or, when the text holds
   * step lines without `~`/`+` and no entry, those steps (the older answer: the remaining steps
   * rewritten).
   */
  output: PlanPatchInput | StepSpecInput[];
  /** Lines that could not be read, each with a stable code: they make the patch invalid. */
  issues: PlanIssue[];
}

/** An incremental patch parser (see {@link createPatchParser}). */
export interface PatchParser {
  /** Reads the next piece of the text; returns the entries it completed (validated by zod), in order. */
  push(delta: string): PatchEntry[];
  /** Ends the text (see {@link PatchParserEnd}); later calls return no entry and the same output. */
  end(): PatchParserEnd;
}

/**
 * Makes an incremental parser of a replanner's patch in the compact format: `~` replaces a step in
 * place, `+` adds one, `-id` removes one, `# text` is the reason. Each entry is validated by zod
 * (`PatchEntrySchema`) on its own; the plan's rules (known ids, dependencies, no cycle) are
 * core's, checked when the entries are fed to the run. Never throws on text; bounded by
 * `maxSteps` entries, `maxStepChars` a line and `maxDepth`.
 *
 * @param options - the bounds.
 * @throws {ReplanError} `invalid-options` for a bad bound.
 * @example
 * ```ts
 * const parser = createPatchParser();
 * parser.push('~15. fetch(id="s15", source="mi');       // []
 * parser.push('rror")\n# the primary source is down\n'); // [{ op: "replace", step: step 15 }]
 * parser.end().output; // { remove: [], add: [], replace: [step 15], reason: "the primary source is down" }
 * ```
 */
export function createPatchParser(options: PatchParserOptions = {}): PatchParser {
  const {
    maxSteps = planTextDefaults.maxSteps,
    maxStepChars = planTextDefaults.maxStepChars,
    maxDepth = planTextDefaults.maxDepth,
    planIds,
  } = checkOptions(
    options,
    {
      planIds: rules.custom<readonly string[]>(
        "be an array of step ids",
        (value): value is readonly string[] =>
          Array.isArray(value) && value.every((id) => typeof id === "string"),
      ),
      maxSteps: rules.integer({ min: 1 }),
      maxStepChars: rules.integer({ min: 1 }),
      maxDepth: rules.integer({ min: 1, max: 256 }),
    },
    { where: "createPatchParser", error: invalidOptions },
  );
  const known = planIds ? new Set(planIds) : undefined;
  const reader = new PatchReader(new StepCollector(maxSteps), { maxStepChars, maxDepth, known });
  let result: PatchParserEnd | undefined;
  return {
    push(delta) {
      if (result || typeof delta !== "string") return [];
      return reader.push(delta);
    },
    end() {
      if (result) return { ...result, entries: [] };
      result = reader.end();
      return result;
    },
  };
}

/** Reads the text line by line: a line is read when its newline arrives. */
class PatchReader {
  private readonly lines: BoundedLines;
  private readonly entries: PatchEntry[] = [];
  private readonly steps: StepSpec[] = [];
  private reason: string | undefined;

  constructor(
    private readonly collector: StepCollector,
    private readonly limits: { maxStepChars: number; maxDepth: number; known: Set<string> | undefined },
  ) {
    this.lines = new BoundedLines(limits.maxStepChars, () =>
      collector.skip("step-too-long", undefined, `is longer than ${limits.maxStepChars} characters`),
    );
  }

  push(delta: string): PatchEntry[] {
    const completed: PatchEntry[] = [];
    this.lines.push(
      delta,
      (text) => this.line(text, completed),
      () => this.collector.full,
    );
    return completed;
  }

  end(): PatchParserEnd {
    const completed: PatchEntry[] = [];
    if (!this.collector.full) this.lines.end((text) => this.line(text, completed));
    const issues = this.collector.allIssues();
    if (this.entries.length > 0 && this.steps.length > 0) {
      issues.push({
        code: "syntax-error",
        stepIds: this.steps.map((step) => step.id),
        message: `step line(s) ${this.steps.map((step) => step.id).join(", ")} have no "~" (replace) or "+" (add) in a patch`,
      });
    }
    const output =
      this.entries.length === 0 && this.steps.length > 0 ? this.steps : patchOf(this.entries, this.reason);
    return { entries: completed, output, issues };
  }

  /** A complete line: read it. */
  private line(text: string, completed: PatchEntry[]): void {
    const read = parsePatchLine(text, this.limits.maxDepth);
    const { known } = this.limits;
    if (read.kind === "reason") this.reason ??= read.text;
    else if (read.kind === "error") this.collector.skip("syntax-error", read.id || undefined, read.message);
    else if (read.kind === "step" && known) {
      const id = (read.step as { id: string }).id;
      this.take({ op: known.has(id) ? "replace" : "add", step: read.step }, completed);
    } else if (read.kind === "step") this.collector.take(read.step, this.steps);
    else if (read.kind === "entry") this.take(read, completed);
    else if (read.kind === "removals") {
      for (const id of read.ids) this.take({ op: "remove", id }, completed);
    }
  }

  /** Validates one entry (zod), counting it against the bound. */
  private take(
    candidate: { op: "remove"; id: string } | { op: "add" | "replace"; step: unknown },
    completed: PatchEntry[],
  ): void {
    if (candidate.op === "remove") {
      // The removal line's pattern admits only valid ids.
      if (this.collector.admit()) this.accept({ op: "remove", id: candidate.id }, completed);
      return;
    }
    const holder: StepSpec[] = [];
    this.collector.take(candidate.step, holder);
    if (holder.length === 1) this.accept({ op: candidate.op, step: holder[0]! }, completed);
  }

  private accept(entry: PatchEntry, completed: PatchEntry[]): void {
    this.entries.push(entry);
    completed.push(entry);
  }
}
