// LLMCompiler's plan format, parsed as it streams: one task per line, `<idx>. <tool>(<arguments>)`,
// optionally after a `Thought: ...` line; `$N` (or `${N}`) in an argument stands for the output of
// task N; the plan ends with `<idx>. join()` and `<END_OF_PLAN>`. A task is handed over as soon as
// its line is complete (its newline has arrived), as the paper's streaming parser does.
import { parseArguments } from "./arguments.js";

/** One task of an LLMCompiler plan. */
export interface CompilerTask {
  /** The task's number in the plan (numbers keep increasing across replans). */
  idx: number;
  /** The tool's name (`join` for the plan's last task). */
  tool: string;
  /** Keyword arguments as an object; positional ones under their position ("0", "1", ...). */
  args: Record<string, unknown>;
  /** The tasks whose outputs the arguments use (`$N` with N < idx). */
  dependencies: number[];
  /** The `Thought:` line written just before the task, if any. */
  thought?: string;
  /** The line as written. */
  text: string;
}

const THOUGHT = /^Thought:\s*(.*)$/;
const ACTION = /^(\d+)\.\s*(\w+)\((.*)\)\s*$/;
const REFERENCE = /\$\{?(\d+)\}?/g;
export const END_OF_PLAN = "<END_OF_PLAN>";

/** The task numbers a text refers to with `$N` or `${N}`. */
export function referencesIn(text: string): number[] {
  return [...new Set([...text.matchAll(REFERENCE)].map((match) => Number(match[1])))];
}

/**
 * Parses one line: a task, a thought, or nothing (a line that is neither is skipped, as the
 * reference parser skips it).
 */
export function parseLine(line: string): { task?: Omit<CompilerTask, "thought">; thought?: string } {
  const text = line.replace(END_OF_PLAN, "").trim();
  const thought = THOUGHT.exec(text);
  if (thought) return { thought: thought[1]!.trim() };
  const action = ACTION.exec(text);
  if (!action) return {};
  const idx = Number(action[1]);
  const tool = action[2]!;
  const source = action[3]!;
  const args = parseArguments(source);
  if (args === undefined) return {};
  const dependencies =
    tool === "join"
      ? Array.from({ length: idx - 1 }, (_, index) => index + 1)
      : referencesIn(source).filter((reference) => reference < idx);
  return { task: { idx, tool, args, dependencies, text } };
}

/**
 * The streaming parser: feed it the planner's text as it arrives; it returns each task once its
 * line is complete.
 *
 * @example
 * ```ts
 * const parser = new PlanStreamParser();
 * parser.push('1. fetch_record(id="a")\n2. fetch_re'); // [task 1]
 * parser.push('cord(id="b", after="$1")\n');           // [task 2, depending on 1]
 * ```
 */
export class PlanStreamParser {
  private buffer = "";
  private thought: string | undefined;
  /** True once the `join()` task or `<END_OF_PLAN>` has been read. */
  ended = false;

  /** Adds text; returns the tasks whose lines it completed. */
  push(delta: string): CompilerTask[] {
    this.buffer += delta;
    const tasks: CompilerTask[] = [];
    let newline = this.buffer.indexOf("\n");
    while (newline >= 0) {
      const task = this.take(this.buffer.slice(0, newline));
      if (task) tasks.push(task);
      this.buffer = this.buffer.slice(newline + 1);
      newline = this.buffer.indexOf("\n");
    }
    return tasks;
  }

  /** Ends the stream: the last line (which has no newline) may hold a task. */
  end(): CompilerTask[] {
    const task = this.take(this.buffer);
    this.buffer = "";
    return task ? [task] : [];
  }

  private take(line: string): CompilerTask | undefined {
    if (this.ended) return undefined;
    if (line.includes(END_OF_PLAN)) this.ended = true;
    const { task, thought } = parseLine(line);
    if (thought !== undefined) this.thought = thought;
    if (!task) return undefined;
    if (task.tool === "join") this.ended = true;
    const withThought = this.thought === undefined ? task : { ...task, thought: this.thought };
    this.thought = undefined;
    return withThought;
  }
}
