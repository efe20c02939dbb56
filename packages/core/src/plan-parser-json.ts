/**
 * The incremental parser of the `json` plan format: it scans the text as it arrives and hands
 * over each element of the plan's `steps` array the moment its closing brace arrives. Prose and
 * code fences around the JSON are skipped; a `{...}` in the prose that holds no steps is passed
 * over. At the end, when the scan found no step, the whole text is searched as the LangGraph
 * adapter's parser does (a code fence, any balanced object, `steps` given as JSON text).
 *
 * @module
 */
import { normalizeJsonStep, stepsOfPlanValue } from "./plan-json-steps.js";
import { bracketEnd, parseJson, type StepCollector } from "./plan-text.js";
import type { StepSpec } from "./schemas.js";

/** Longest text kept for the search at the end (the scan itself keeps no more than one step). */
const MAX_KEPT_CHARS = 1_000_000;
/** Most JSON candidates tried by the search at the end. */
const MAX_CANDIDATES = 50;

/** A container open outside the step being read. */
interface Frame {
  kind: "{" | "[";
  /** An array of steps: `"steps": [...]`, or an array at the root (objects in it only). */
  steps: "strict" | "loose" | false;
  /** In an object: whether the next string is a key. In an array: whether a value is next. */
  expecting: boolean;
  /** In an object: the last key read. */
  key?: string;
}

/** The step object being read. */
interface Element {
  pieces: string[];
  length: number;
  depth: number;
  inString: boolean;
  escaped: boolean;
  tooLong: boolean;
  tooDeep: boolean;
}

/** See the module: one scanner per planner answer. */
export class JsonPlanScanner {
  private mode: "prose" | "json" | "done" = "prose";
  private frames: Frame[] = [];
  private inString = false;
  private escaped = false;
  /** The key being read (capped), or undefined when the string being read is no key. */
  private key: string | undefined;
  private element: Element | undefined;
  /** Steps (valid or not) found in the current root value. */
  private rootSteps = 0;
  private readonly kept: string[] = [];
  private keptLength = 0;

  /**
   * @param collector - validates and counts the steps.
   * @param limits - longest step text and deepest nesting.
   */
  constructor(
    private readonly collector: StepCollector,
    private readonly limits: { maxStepChars: number; maxDepth: number },
  ) {}

  /** Scans `delta`; returns the steps it completed. */
  push(delta: string): StepSpec[] {
    this.keep(delta);
    const steps: StepSpec[] = [];
    let from = this.element ? 0 : -1;
    for (let index = 0; index < delta.length; index++) {
      if (this.mode === "done" || this.collector.full) break;
      const char = delta[index]!;
      if (this.element) {
        if (this.elementChar(this.element, char)) {
          this.append(delta.slice(from, index + 1));
          this.closeElement(steps);
          from = -1;
        }
        continue;
      }
      if (this.mode === "prose") {
        if (char === "{" || char === "[") {
          this.mode = "json";
          this.frames = [{ kind: char, steps: char === "[" ? "loose" : false, expecting: true }];
        }
        continue;
      }
      if (this.outsideChar(char)) from = index;
    }
    if (this.element && from >= 0) this.append(delta.slice(from));
    return steps;
  }

  /** The end of the text: a step cut off is an issue; with no step found, the whole text is searched. */
  end(): StepSpec[] {
    const steps: StepSpec[] = [];
    if (this.element?.tooLong) {
      this.collector.skip(
        "step-too-long",
        undefined,
        `is longer than ${this.limits.maxStepChars} characters`,
      );
    } else if (this.element) {
      this.collector.skip("syntax-error", undefined, "is cut off: the plan's JSON is incomplete");
    } else if (this.mode === "json" && this.rootSteps > 0 && !this.collector.full) {
      // Every step closed, but not the plan: `{"steps":[{...},{...}` may have lost steps after them.
      this.collector.issue({
        code: "syntax-error",
        stepIds: [],
        message:
          "the plan's JSON is cut off: its closing brackets never came (steps after the last may be missing)",
      });
    }
    this.element = undefined;
    if (this.collector.count === 0 && !this.collector.full) {
      const found = findPlanSteps(this.kept.join(""));
      for (const entry of found ?? []) this.collector.take(normalizeJsonStep(entry), steps);
      if (!found) {
        this.collector.issue({
          code: "no-plan",
          stepIds: [],
          message: 'the answer holds no plan (a JSON object with "steps")',
        });
      }
    }
    return steps;
  }

  private keep(delta: string): void {
    if (this.keptLength >= MAX_KEPT_CHARS) return;
    const part = delta.slice(0, MAX_KEPT_CHARS - this.keptLength);
    this.kept.push(part);
    this.keptLength += part.length;
  }

  /** One character outside a step object; returns true when it opens a step object. */
  private outsideChar(char: string): boolean {
    const top = this.frames[this.frames.length - 1]!;
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (char === "\\") this.escaped = true;
      else if (char === '"') {
        this.inString = false;
        if (this.key !== undefined) top.key = this.key;
        this.key = undefined;
        return false;
      }
      if (this.key !== undefined && this.key.length <= 16) this.key += char;
      return false;
    }
    if (char === " " || char === "\n" || char === "\r" || char === "\t") return false;
    if (top.kind === "[" && top.expecting && top.steps && char !== "{" && char !== "]") {
      top.expecting = false;
      if (top.steps === "strict") {
        this.collector.skip("invalid-shape", undefined, "is not an object");
        this.rootSteps++;
      }
    }
    switch (char) {
      case '"':
        this.inString = true;
        this.key = top.kind === "{" && top.expecting ? "" : undefined;
        return false;
      case ":":
        if (top.kind === "{") top.expecting = false;
        return false;
      case ",":
        top.expecting = true;
        return false;
      case "{":
      case "[":
        return this.open(top, char);
      case "}":
      case "]":
        this.frames.pop();
        if (this.frames.length === 0) {
          this.mode = this.rootSteps > 0 ? "done" : "prose";
          this.rootSteps = 0;
        }
        return false;
      default:
        return false;
    }
  }

  /** An object or array opens outside a step: a step object, or a container to follow. */
  private open(top: Frame, char: "{" | "["): boolean {
    const isStep = top.kind === "[" && top.steps !== false && top.expecting && char === "{";
    top.expecting = false;
    if (isStep) {
      this.element = {
        pieces: [],
        length: 0,
        depth: 1,
        inString: false,
        escaped: false,
        tooLong: false,
        tooDeep: false,
      };
      return true;
    }
    if (this.frames.length >= this.limits.maxDepth) {
      this.collector.issue({ code: "too-deep", stepIds: [], message: "the plan's JSON nests too deep" });
      this.mode = "done";
      return false;
    }
    const steps = char === "[" && top.kind === "{" && top.key === "steps" ? "strict" : false;
    this.frames.push({ kind: char, steps, expecting: true });
    return false;
  }

  /** One character of a step object; returns true when it closes the object. */
  private elementChar(element: Element, char: string): boolean {
    if (element.inString) {
      if (element.escaped) element.escaped = false;
      else if (char === "\\") element.escaped = true;
      else if (char === '"') element.inString = false;
      return false;
    }
    if (char === '"') element.inString = true;
    else if (char === "{" || char === "[") {
      if (++element.depth > this.limits.maxDepth + 1) element.tooDeep = true;
    } else if (char === "}" || char === "]") return --element.depth === 0;
    return false;
  }

  /** Adds text to the step object, unless it is too long already (then nothing is kept). */
  private append(text: string): void {
    const element = this.element!;
    element.length += text.length;
    if (element.length > this.limits.maxStepChars) {
      element.tooLong = true;
      element.pieces = [];
    } else if (!element.tooLong) element.pieces.push(text);
  }

  /** A step object closed: validated and collected, or an issue. */
  private closeElement(steps: StepSpec[]): void {
    const element = this.element!;
    this.element = undefined;
    this.rootSteps++;
    const top = this.frames[this.frames.length - 1];
    if (top) top.expecting = false;
    const { maxStepChars, maxDepth } = this.limits;
    if (element.tooLong) {
      this.collector.skip("step-too-long", undefined, `is longer than ${maxStepChars} characters`);
    } else if (element.tooDeep) {
      this.collector.skip("too-deep", undefined, `nests deeper than ${maxDepth} levels`);
    } else {
      const parsed = parseJson(element.pieces.join(""));
      if (parsed) this.collector.take(normalizeJsonStep(parsed.value), steps);
      else this.collector.skip("syntax-error", undefined, "is not valid JSON");
    }
  }
}

/**
 * The steps of the first plan in `text`: the whole text as JSON, else a code fence, else any
 * balanced object or array (at most {@link MAX_CANDIDATES} tried); undefined when none holds steps.
 */
function findPlanSteps(text: string): unknown[] | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const whole = parseJson(trimmed);
  const direct = whole && stepsOfPlanValue(whole.value);
  if (direct) return direct;
  let tried = 0;
  for (const match of trimmed.matchAll(/```[\w-]*[ \t]*\r?\n?([\s\S]*?)```/g)) {
    if (++tried > MAX_CANDIDATES) break;
    const fenced = parseJson(match[1]!.trim());
    const steps = fenced && stepsOfPlanValue(fenced.value);
    if (steps) return steps;
  }
  for (let start = 0; start < trimmed.length && tried <= MAX_CANDIDATES; start++) {
    const char = trimmed[start];
    if (char !== "{" && char !== "[") continue;
    tried++;
    const { end } = bracketEnd(trimmed, start, 64);
    if (end < 0) continue;
    const candidate = parseJson(trimmed.slice(start, end));
    const steps = candidate && stepsOfPlanValue(candidate.value);
    if (steps) return steps;
  }
  return undefined;
}
