// LLMCompiler's task fetching unit: it receives tasks while the planner still writes, starts each
// one the moment every task it refers to has an output, replaces `$N` in its arguments by the
// output of task N, and keeps a failed tool's error as that task's output (tasks that use it still
// run, as in the paper and the LangGraph tutorial). Event-driven: a task starts when its last
// dependency finishes, with no polling interval.
import type { RunnableConfig } from "@langchain/core/runnables";
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { CompilerTask } from "./plan-parser.js";

/** A task that has run, with its output (an `ERROR(...)` text when it failed). */
export interface FinishedTask extends CompilerTask {
  observation: string;
  /** The arguments after `$N` replacement. */
  resolvedArgs: Record<string, unknown>;
}

/** Options of {@link TaskFetchingUnit}. */
export interface TaskFetchingUnitOptions {
  tools: readonly StructuredToolInterface[];
  /** Outputs of the tasks of earlier plans (a replan may refer to them). */
  observations?: ReadonlyMap<number, string>;
  /** The config the tools are called with (callbacks, signal). */
  config?: RunnableConfig;
}

const REFERENCE = /\$\{?(\d+)\}?/g;

/** Replaces every `$N` / `${N}` in strings (nested in lists and objects too) by task N's output. */
export function resolveReferences(value: unknown, observations: ReadonlyMap<number, string>): unknown {
  if (typeof value === "string") {
    return value.replace(REFERENCE, (whole, idx: string) => observations.get(Number(idx)) ?? whole);
  }
  if (Array.isArray(value)) return value.map((item) => resolveReferences(item, observations));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveReferences(item, observations)]),
    );
  }
  return value;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Schedules tasks as they arrive. `add` each parsed task, then `close()` when the plan has ended:
 * it resolves with every task that ran, in plan order.
 */
export class TaskFetchingUnit {
  private readonly tools: Map<string, StructuredToolInterface>;
  private readonly observations: Map<number, string>;
  private readonly waiting: CompilerTask[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly finished: FinishedTask[] = [];
  private readonly config: RunnableConfig | undefined;
  private closed = false;
  private settle: (() => void) | undefined;

  /** @param options - the tools, earlier outputs, and the tools' config. */
  constructor(options: TaskFetchingUnitOptions) {
    this.tools = new Map(options.tools.map((tool) => [tool.name, tool]));
    this.observations = new Map(options.observations ?? []);
    this.config = options.config;
  }

  /** Takes one task: starts it now if its dependencies are done, else when they are. */
  add(task: CompilerTask): void {
    if (this.closed) throw new Error("TaskFetchingUnit: add after close");
    this.waiting.push(task);
    this.dispatch();
  }

  /** No more tasks: waits for every task to finish (tasks whose dependencies never came fail). */
  async close(): Promise<FinishedTask[]> {
    this.closed = true;
    this.dispatch();
    while (this.running.size > 0 || this.waiting.length > 0) {
      await new Promise<void>((resolve) => {
        this.settle = resolve;
      });
    }
    return [...this.finished].sort((a, b) => a.idx - b.idx);
  }

  private ready(task: CompilerTask): boolean {
    return task.dependencies.every((dependency) => this.observations.has(dependency));
  }

  private dispatch(): void {
    for (const task of [...this.waiting]) {
      if (!this.ready(task)) continue;
      this.waiting.splice(this.waiting.indexOf(task), 1);
      const run = this.run(task).finally(() => {
        this.running.delete(run);
        this.dispatch();
      });
      this.running.add(run);
    }
    if (this.closed && this.running.size === 0) {
      // The plan has ended and nothing runs: what still waits refers to tasks that never came.
      for (const task of this.waiting.splice(0)) {
        this.record(task, task.args, `ERROR(Task ${task.idx} refers to a task that is not in the plan.)`);
      }
    }
    if (this.running.size === 0 && this.waiting.length === 0) this.settle?.();
  }

  private async run(task: CompilerTask): Promise<void> {
    const resolvedArgs = resolveReferences(task.args, this.observations) as Record<string, unknown>;
    const tool = this.tools.get(task.tool);
    let observation: string;
    if (task.tool === "join") {
      observation = "join"; // the joiner itself runs after the unit, as the graph's next node
    } else if (!tool) {
      observation = `ERROR(Failed to call ${task.tool}: there is no such tool.)`;
    } else {
      try {
        const output: unknown = await tool.invoke(resolvedArgs, this.config);
        observation = typeof output === "string" ? output : JSON.stringify(output);
      } catch (error) {
        observation = `ERROR(Failed to call ${task.tool} with args ${JSON.stringify(task.args)}. Args resolved to ${JSON.stringify(resolvedArgs)}. Error: ${errorText(error)})`;
      }
    }
    this.record(task, resolvedArgs, observation);
  }

  private record(task: CompilerTask, resolvedArgs: Record<string, unknown>, observation: string) {
    this.observations.set(task.idx, observation);
    this.finished.push({ ...task, resolvedArgs, observation });
  }
}
