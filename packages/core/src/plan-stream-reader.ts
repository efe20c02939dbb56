/**
 * Reading a planner's stream of steps (a {@link PlanStepStream}): each step handed over the moment
 * it arrives, the reading cut by the run's signal and bounded in steps.
 *
 * @module
 */
import { readableAnswer } from "./answer-data.js";
import { untilAborted } from "./abort.js";
import type { PatchEntryStream, PlanStepStream } from "./run-functions.js";

/**
 * Whether a planner's answer is a stream of steps (an `AsyncIterable`, e.g. an async generator),
 * rather than an array or `{ steps }`.
 *
 * @param output - what a planner returned.
 */
export function isPlanStepStream(output: unknown): output is PlanStepStream | PatchEntryStream {
  return (
    output !== null &&
    typeof output === "object" &&
    typeof (output as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

/** Options of {@link readPlanStepStream}. */
export interface ReadPlanStepStreamOptions {
  /** Cuts the reading: the iterator is closed (`return()`), and the read rejects with the reason. */
  signal: AbortSignal;
  /** Most steps read: the stream is closed after this many (a plan longer than this is invalid anyway). */
  limit: number;
  /** Receives each step as it arrives. */
  onStep?: (step: unknown) => void;
  /** Receives what the stream returned when it ended (an async generator's `return` value). */
  onReturn?: (value: unknown) => void;
}

/**
 * Reads a stream of steps to its end (or to `limit` steps), handing each to `onStep` as it
 * arrives.
 *
 * @param stream - the planner's stream.
 * @param options - the signal, the bound and the listener.
 * @returns every step read, in order.
 * @throws what the stream throws, or the signal's reason when it is aborted first.
 */
export async function readPlanStepStream(
  stream: PlanStepStream | PatchEntryStream,
  options: ReadPlanStepStreamOptions,
): Promise<unknown[]> {
  const { signal, limit, onStep, onReturn } = options;
  signal.throwIfAborted();
  const iterator = stream[Symbol.asyncIterator]();
  const steps: unknown[] = [];
  let done = false;
  try {
    while (steps.length < limit) {
      const next = await untilAborted(Promise.resolve(iterator.next()), signal);
      if (next.done) {
        done = true;
        if (next.value !== undefined) onReturn?.(next.value);
        break;
      }
      let value: unknown;
      try {
        value = readableAnswer(next.value);
      } catch (error) {
        // Unreadable: the stream ends here as if it had thrown (closed first; not awaited).
        void Promise.resolve(iterator.return?.()).catch(() => {});
        done = true;
        throw error;
      }
      steps.push(value);
      onStep?.(value);
      signal.throwIfAborted();
    }
  } catch (error) {
    done = isThrowOfIterator(error, signal);
    throw error;
  } finally {
    // Closing the iterator ends the planner's work (an async generator runs its `finally`). It is
    // not awaited: a generator stuck in an `await` would hold the run until it settles.
    if (!done) void Promise.resolve(iterator.return?.()).catch(() => {});
  }
  return steps;
}

/** Whether the error came from the iterator itself (then it is already closed). */
function isThrowOfIterator(error: unknown, signal: AbortSignal): boolean {
  return !(signal.aborted && error === signal.reason);
}
