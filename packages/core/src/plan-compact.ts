/**
 * The `compact` plan format: one step a line, about a third of the JSON plan's tokens.
 *
 * ```text
 * line        = head body
 * head        = number [ deps ] ". "                   (a numbered step: its id is the number)
 *             | id [ deps ] " = "
 * deps        = "[" [ id { "," id } ] "]"
 * body        = name "(" [ arg { ", " arg } ] ")" [ " # " text ]   (a tool step, lean)
 *             | tool " " json-object [ " # " text ]     (a tool step, JSON arguments)
 *             | json-string                            (an agent step: its description)
 * arg         = key "=" value                          (key: a letter or "_", then letters, digits, "_")
 * value       = json-literal | "$" id { "." key }      (JSON, or a bare reference; arrays and
 *                                                       objects may hold bare references)
 * tool        = name | json-string                     (name: a letter or "_", then letters, digits, "_", ".", "-")
 * ```
 *
 * - `id` is a step id (letters, digits, `_` and `-`, at most 64); `number` is digits, the id as
 *   written (`1. fetch(id=7)` is step `"1"`).
 * - A bare reference `$id` / `$id.path` is the string `"${id}"` / `"${id.path}"`; strings may hold
 *   `${id}` and `${id.path}` references to earlier steps' results anywhere in them.
 * - `dependsOn`: the ids in brackets when they are written (`[]` for none); else, for a tool
 *   step, the ids its arguments refer to, in order of appearance, and none for an agent step.
 * - A tool step without `# text` is described by its tool's name. `text` is the rest of the line,
 *   trimmed, or a JSON string (when it starts with `"`).
 * - The writer writes numbered lines, with lean bodies where every key is a bare name, when every
 *   id is a number (`"1"`..`"N"`, or a replan's `"17"`, `"18"`); else `id = tool {json}` lines.
 * - Lines that do not start with a head (prose, code fences, blank lines) are skipped; so are
 *   numbered lines whose body does not start like a step (`1. First, fetch...` is prose).
 *
 * @module
 */
import { formatLeanArguments, readLeanArguments } from "./plan-compact-lean.js";
import { findReferences } from "./references.js";
import { bracketEnd, isRecord, parseJson, stringEnd } from "./plan-text.js";
import { STEP_ID_PATTERN, type StepSpec, type StepSpecInput } from "./schemas.js";

/** The start of a step line: the id, the written dependencies, and where the body starts. */
const STEP_LINE = /^\s*([A-Za-z0-9_-]{1,64})\s*(?:\[([^\]\n]*)\])?\s*=\s*/;
/** The start of a numbered step line, when its body starts like a step (a call or a JSON string). */
const NUMBERED_LINE = /^\s*(\d{1,64})\s*(?:\[([^\]\n]*)\])?\.\s*(?=[A-Za-z_][A-Za-z0-9_.-]*\s*[({]|")/;
/** An id that a numbered line can write. */
const NUMBER_ID = /^\d{1,64}$/;
/** A lean body's start: the tool's name and its opening parenthesis. */
const LEAN_CALL = /^([A-Za-z_][A-Za-z0-9_.-]*)\s*\(/;
/** A tool name written without quotes. */
const BARE_TOOL = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Whether a line (or the start of one) reads as a step line. */
export function isStepLine(line: string): boolean {
  return STEP_LINE.test(line) || NUMBERED_LINE.test(line);
}

/** One line read: a step candidate (zod judges it next), a syntax error, or nothing (not a step line). */
export type CompactLine =
  | { kind: "step"; step: unknown }
  | { kind: "error"; id: string; message: string }
  | { kind: "none" };

/**
 * Reads one line of the compact format.
 *
 * @param line - the line, without its newline.
 * @param maxDepth - deepest nesting allowed in the arguments.
 */
export function parseCompactLine(line: string, maxDepth: number): CompactLine {
  const head = STEP_LINE.exec(line) ?? NUMBERED_LINE.exec(line);
  if (!head) return { kind: "none" };
  const id = head[1]!;
  const error = (message: string): CompactLine => ({ kind: "error", id, message });
  let written: string[] | undefined;
  if (head[2] !== undefined) {
    written = head[2].trim() === "" ? [] : head[2].split(",").map((part) => part.trim());
    const bad = written.find((dependency) => !STEP_ID_PATTERN.test(dependency));
    if (bad !== undefined) return error(`has a bad dependency id ${JSON.stringify(bad)}`);
  }
  const body = line.slice(head[0].length).trimEnd();
  let rest = body;
  let tool: string | undefined;
  if (body.startsWith('"')) {
    const end = stringEnd(body, 0);
    const quoted = end > 0 ? parseJson(body.slice(0, end)) : undefined;
    if (!quoted) return error("has an unterminated string");
    rest = body.slice(end).trimStart();
    if (rest === "") {
      return {
        kind: "step",
        step: { id, kind: "agent", description: quoted.value, dependsOn: written ?? [] },
      };
    }
    tool = quoted.value as string;
  } else if (LEAN_CALL.test(body)) {
    return leanStep(id, written, body, maxDepth);
  } else {
    const space = body.search(/[\s{]/);
    tool = space < 0 ? body : body.slice(0, space);
    rest = space < 0 ? "" : body.slice(space).trimStart();
  }
  if (!rest.startsWith("{")) {
    return error(`must be a tool call (tool {"arg": ...}) or an agent step ("description")`);
  }
  const { end, tooDeep } = bracketEnd(rest, 0, maxDepth);
  if (tooDeep) return error(`has arguments nesting deeper than ${maxDepth} levels`);
  const args = end > 0 ? parseJson(rest.slice(0, end)) : undefined;
  if (!args || !isRecord(args.value)) return error("has arguments that are not one JSON object");
  const description = describedAs(rest.slice(end).trim(), tool);
  if (description === undefined) return error('has text after its arguments that is not "# description"');
  const dependsOn = written ?? findReferences(args.value);
  return { kind: "step", step: { id, kind: "tool", description, dependsOn, tool, args: args.value } };
}

/** A tool step written with a lean body, `tool(key=value, ...) # text`. */
function leanStep(id: string, written: string[] | undefined, body: string, maxDepth: number): CompactLine {
  const call = LEAN_CALL.exec(body)!;
  const tool = call[1]!;
  const read = readLeanArguments(body, call[0].length, maxDepth);
  if ("error" in read) return { kind: "error", id, message: read.error };
  const description = describedAs(body.slice(read.end).trim(), tool);
  if (description === undefined) {
    return { kind: "error", id, message: 'has text after its arguments that is not "# description"' };
  }
  const dependsOn = written ?? findReferences(read.args);
  return { kind: "step", step: { id, kind: "tool", description, dependsOn, tool, args: read.args } };
}

/** A tool step's description from the text after its arguments, or undefined when malformed. */
function describedAs(after: string, tool: string): string | undefined {
  if (after === "") return tool;
  if (!after.startsWith("#")) return undefined;
  const text = after.slice(1).trim();
  if (!text.startsWith('"')) return text;
  const quoted = parseJson(text);
  return quoted && typeof quoted.value === "string" ? quoted.value : undefined;
}

/**
 * Writes steps in the compact format, one line each (every line ends with a newline).
 *
 * @param steps - the steps (specs, with or without defaults applied).
 */
export function formatCompactPlan(steps: readonly (StepSpec | StepSpecInput)[]): string {
  const numbered = steps.every((step) => NUMBER_ID.test(step.id));
  return steps.map((step) => `${compactLine(step, numbered)}\n`).join("");
}

/** One step's line: numbered and lean when `numbered` (every id a number) and its arguments allow, else with `id =`. */
function compactLine(step: StepSpec | StepSpecInput, numbered: boolean): string {
  const dependsOn = step.dependsOn ?? [];
  const head = (deps: string) => (numbered ? `${step.id}${deps}. ` : `${step.id}${deps} = `);
  if (step.kind === "agent") {
    const deps = dependsOn.length > 0 ? `[${dependsOn.join(",")}]` : "";
    return `${head(deps)}${JSON.stringify(step.description)}`;
  }
  const args = step.args ?? {};
  const implied = findReferences(args);
  const same = implied.length === dependsOn.length && implied.every((id, at) => dependsOn[at] === id);
  const deps = same ? "" : `[${dependsOn.join(",")}]`;
  const text = step.description === step.tool ? "" : ` # ${describe(step.description)}`;
  const lean = numbered && BARE_TOOL.test(step.tool) ? formatLeanArguments(args) : undefined;
  if (lean !== undefined) return `${head(deps)}${step.tool}(${lean})${text}`;
  const tool = BARE_TOOL.test(step.tool) ? step.tool : JSON.stringify(step.tool);
  return `${head(deps)}${tool} ${JSON.stringify(args)}${text}`;
}

/** A description as written after `#`: as is, unless it would not read back the same. */
function describe(text: string): string {
  const plain = text === text.trim() && text !== "" && !text.startsWith('"') && !/[\n\r]/.test(text);
  return plain ? text : JSON.stringify(text);
}
