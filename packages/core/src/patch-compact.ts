/**
 * The `compact` patch format: a replanner's patch, one entry a line, in the compact plan grammar.
 *
 * ```text
 * patch-line  = "~" step-line            (replace the step of the line's id, in place: same id, new content)
 *             | "+" step-line            (add a new step)
 *             | "-" id { "," id }        (remove these steps; no space after "-")
 *             | "# " text                (the patch's reason)
 * step-line   = a line of the compact plan format (`N[deps]. body` or `id[deps] = body`)
 * ```
 *
 * - `~15. fetch_record(id="s15", source="mirror")` replaces step 15 where it stands: the steps
 *   that depend on it need no rewrite, so replacing a failed step is one line.
 * - `+17[14]. fetch_record(id="s15", source="mirror")` adds step 17; `-16` removes step 16.
 * - An empty patch (no entry; a reason line at most) gives up.
 * - Also read (the adapter's compact replanner prompt asks for these): `remove: 3, 5` (ids
 *   separated by commas or spaces, `$3` and `#3` read as `3`, `none` ignored) for `-3,5`;
 *   `reason: text` for `# text`; and, when the parser is given the plan's ids (`planIds`), step
 *   lines without `~`/`+`: a replacement when the id is in the plan, an addition otherwise.
 * - Lines that are not entries (prose, fences, blank lines, Markdown bullets `- text`) are
 *   skipped. Without `planIds`, step lines with no `~`/`+` (a compact plan) are the older answer,
 *   the remaining steps rewritten: read as such when the text has no entry at all, an issue otherwise.
 * - The first reason line counts.
 *
 * @module
 */
import { formatCompactPlan, parseCompactLine } from "./plan-compact.js";
import type { PlanPatchInput } from "./plan-patch.js";
import { entriesOf, type PatchEntryInput } from "./patch-entry.js";
import { invalidOptions } from "./run-config.js";

/** A removal line: `-` then ids (an id here starts with a letter, digit or `_`: `---` is prose). */
const REMOVE_LINE = /^\s*-([A-Za-z0-9_][A-Za-z0-9_-]{0,63}(?:\s*,\s*[A-Za-z0-9_][A-Za-z0-9_-]{0,63})*)\s*$/;
/** A reason line: one `#` and a space (`##` headings are prose). */
const REASON_LINE = /^\s*#\s+(.*\S)\s*$/;
/** A `remove:` line (the adapter's spelling). */
const REMOVE_WORD_LINE = /^\s*remove\s*:\s*(.*)$/i;
/** A `reason:` line (the adapter's spelling). */
const REASON_WORD_LINE = /^\s*reason\s*:\s*(.*\S)\s*$/i;
/** A step id. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The prefix of a replace or add line. */
const STEP_PREFIX = /^\s*([~+])\s*/;

/** One line of a patch, read. */
export type PatchLine =
  /** A replace (`~`) or add (`+`) line: the step is a candidate (zod judges it next). */
  | { kind: "entry"; op: "replace" | "add"; step: unknown }
  | { kind: "removals"; ids: string[] }
  | { kind: "reason"; text: string }
  /** A compact plan line without `~`/`+` (the older answer: steps rewritten). */
  | { kind: "step"; step: unknown }
  | { kind: "error"; id: string; message: string }
  | { kind: "none" };

/**
 * Reads one line of a compact patch.
 *
 * @param line - the line, without its newline.
 * @param maxDepth - deepest nesting allowed in a step's arguments.
 */
export function parsePatchLine(line: string, maxDepth: number): PatchLine {
  const removals = REMOVE_LINE.exec(line);
  if (removals) return { kind: "removals", ids: removals[1]!.split(",").map((id) => id.trim()) };
  const listed = REMOVE_WORD_LINE.exec(line);
  if (listed) return removalList(listed[1]!);
  const reason = REASON_LINE.exec(line) ?? REASON_WORD_LINE.exec(line);
  if (reason && !line.trimStart().startsWith("##")) return { kind: "reason", text: reason[1]! };
  const prefix = STEP_PREFIX.exec(line);
  const read = parseCompactLine(prefix ? line.slice(prefix[0].length) : line, maxDepth);
  if (read.kind !== "step") return read;
  if (!prefix) return { kind: "step", step: read.step };
  return { kind: "entry", op: prefix[1] === "~" ? "replace" : "add", step: read.step };
}

/** The ids of a `remove:` line (commas or spaces; `$3`, `#3` and `3.` read as `3`; `none` ignored). */
function removalList(list: string): PatchLine {
  const ids = list
    .split(/[\s,]+/)
    .map((part) => part.replace(/^[$#]/, "").replace(/[.;]$/, ""))
    .filter((part) => part !== "" && part.toLowerCase() !== "none");
  const bad = ids.find((id) => !ID.test(id));
  if (bad !== undefined) {
    return {
      kind: "error",
      id: "",
      message: `is a remove line naming ${JSON.stringify(bad.slice(0, 80))}, not a step id`,
    };
  }
  return { kind: "removals", ids };
}

/**
 * Writes a patch in the compact format: the text that {@link createPatchParser} reads back into
 * the same entries (removals, then replaced and added steps, each after the patch's steps it
 * depends on), then the reason. Used by scripted models and the bench.
 *
 * @param patch - the patch (its steps valid on their own).
 * @throws {ReplanError} `invalid-options` for a removed id that starts with `-` (it would read as prose).
 * @example
 * ```ts
 * formatPatch({ replace: [{ id: "15", kind: "tool", tool: "fetch", description: "fetch", args: { source: "mirror" } }] });
 * // '~15. fetch(source="mirror")\n'
 * ```
 */
export function formatPatch(patch: PlanPatchInput): string {
  const lines = entriesOf(patch).map(entryLine);
  if (patch.reason !== undefined && patch.reason.trim() !== "") {
    lines.push(`# ${patch.reason.replace(/\s+/g, " ").trim()}\n`);
  }
  return lines.join("");
}

/** One entry's line (a step's line as the compact plan writes it: numbered when its id is a number). */
function entryLine(entry: PatchEntryInput): string {
  if (entry.op === "remove") {
    if (entry.id.startsWith("-")) {
      throw invalidOptions(
        `formatPatch: cannot write the removal of step "${entry.id}" (an id starting with "-")`,
      );
    }
    return `-${entry.id}\n`;
  }
  return `${entry.op === "replace" ? "~" : "+"}${formatCompactPlan([entry.step])}`;
}
