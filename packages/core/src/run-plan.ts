/**
 * The framework-free drivers: {@link runPlan} runs a goal to its end, {@link streamPlan} does the
 * same as a stream of progress events. Both interpret the state machine's effects with an
 * `Interpreter` (see `interpreter.ts`).
 *
 * @module
 */
import { Interpreter } from "./interpreter.js";
import { type RunPlanOptions, type RunResult, resolveRunPlanOptions } from "./run-plan-options.js";
import type { RunEvent } from "./run-messages.js";

/**
 * Runs a goal to the end: plan, execute ready steps concurrently (each as soon as its own
 * dependencies are done), replan the remaining steps on failure, within the budget.
 *
 * Resolves whatever the outcome (completed, failed, cancelled, budget-exceeded), with partial
 * results. Rejects only for bad options (`invalid-options`), a signal aborted before the start
 * (with `signal.reason`), or a bug in a driver (`illegal-transition`).
 *
 * @param options - see {@link RunPlanOptions}.
 * @example
 * ```ts
 * const result = await runPlan({
 *   goal: "Say hello twice",
 *   planner: () => [
 *     { id: "a", kind: "agent", description: "hello" },
 *     { id: "b", kind: "tool", tool: "echo", args: { text: "${a}!" }, dependsOn: ["a"], description: "echo" },
 *   ],
 *   executor: (step) => step.description.toUpperCase(),
 *   tools: { echo: ({ text }) => text },
 * });
 * result.results; // { a: "HELLO", b: "HELLO!" }
 * ```
 */
export async function runPlan(options: RunPlanOptions): Promise<RunResult> {
  return drive(resolveRunPlanOptions(options, "runPlan"));
}

/** Runs the plan of checked options with an {@link Interpreter}; `listener` also receives every event. */
async function drive(
  resolved: ReturnType<typeof resolveRunPlanOptions>,
  listener?: (event: RunEvent) => void,
): Promise<RunResult> {
  resolved.signal?.throwIfAborted();
  return new Interpreter(resolved, listener).run();
}

/**
 * Like {@link runPlan}, as a stream of progress events; `result` resolves when the run ends.
 *
 * @param options - see {@link RunPlanOptions} (`onEvent` is still called).
 * @throws {ReplanError} `invalid-options` at once (not through `result`) when an option is bad.
 *   When `result` rejects (a signal aborted before the start), iterating `events` throws the same error.
 * @example
 * ```ts
 * const run = streamPlan({ goal, planner, executor });
 * for await (const event of run.events) console.log(event.type);
 * const { status } = await run.result;
 * ```
 */
export function streamPlan(options: RunPlanOptions): {
  events: AsyncIterable<RunEvent>;
  result: Promise<RunResult>;
} {
  const resolved = resolveRunPlanOptions(options, "streamPlan");
  const buffer: RunEvent[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: { error: unknown } | undefined;
  const result = drive(resolved, (event) => {
    buffer.push(event);
    wake?.();
  })
    .catch((error: unknown) => {
      failure = { error };
      throw error;
    })
    .finally(() => {
      finished = true;
      wake?.();
    });
  result.catch(() => {}); // the caller observes the rejection through `result`
  const events: AsyncIterable<RunEvent> = {
    async *[Symbol.asyncIterator]() {
      let position = 0;
      while (true) {
        while (position < buffer.length) yield buffer[position++]!;
        if (failure) throw failure.error;
        if (finished) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    },
  };
  return { events, result };
}
