// Watching a checkpointer's writes, so that the executor node learns at once whether an outcome it
// handed to LangGraph was saved. LangGraph keeps the promise of a task's pending write to itself
// until the superstep ends; a watched checkpointer tells the node when the write of a given value
// settles (the node registers the value before the write, LangGraph hands the same object to
// `putWrites`), and remembers which errors came from the saver (so that `invoke` can say so).
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { checkOptions, errorMessage, rules } from "@replan/core/internal";
import { PlanExecuteError } from "./errors.js";
import { saver as saverRule } from "./options.js";

const watched = new WeakSet<object>();
const saverErrors = new WeakSet<object>();
/** Values waiting for their write, with what to call when `putWrites` is given one of them. */
const waiting = new WeakMap<object, (written: Promise<unknown>) => void>();

/**
 * Wraps a checkpointer so that the plan-and-execute executor learns at once when saving a step's
 * outcome fails: it then starts no other step, aborts those in flight, and `invoke` rejects with a
 * `PlanExecuteError` (`checkpoint-failed`). `createPlanExecuteAgent` does this itself; call it
 * when you compile `createPlanExecuteGraph` (or a parent graph that embeds it) yourself. Every
 * method is the saver's own; the wrapper only observes the promises they return.
 *
 * @param saver - any LangGraph checkpointer (`PostgresSaver`, `MemorySaver`, ...).
 * @throws {PlanExecuteError} `invalid-options` when `saver` is not a checkpointer.
 * @returns the same saver, watched (a saver already watched is returned as is).
 * @example
 * ```ts
 * const graph = createPlanExecuteGraph({ model, tools }).compile({ checkpointer: watchCheckpointer(saver) });
 * ```
 */
export function watchCheckpointer<Saver extends BaseCheckpointSaver>(saver: Saver): Saver {
  checkOptions(
    { saver },
    { saver: rules.required(saverRule) },
    {
      where: "watchCheckpointer",
      error: (message) => new PlanExecuteError("invalid-options", message),
    },
  );
  if (watched.has(saver)) return saver;
  const proxy = new Proxy(saver, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function" || property === "constructor") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === "putWrites") {
        return (config: unknown, writes: Array<[string, unknown]>, ...rest: unknown[]) => {
          const written = observe(method.call(target, config, writes, ...rest)) as Promise<unknown>;
          for (const [, value] of writes ?? []) {
            if (value === null || typeof value !== "object") continue;
            const notify = waiting.get(value);
            if (!notify) continue;
            waiting.delete(value);
            notify(written);
          }
          return written;
        };
      }
      return (...args: unknown[]) => observe(method.apply(target, args));
    },
  });
  watched.add(proxy);
  return proxy;
}

/** Whether the checkpointer is watched (see {@link watchCheckpointer}). */
export function isWatched(saver: unknown): boolean {
  return typeof saver === "object" && saver !== null && watched.has(saver);
}

/** Whether `error` was thrown by a watched checkpointer. */
export function isSaverError(error: unknown): boolean {
  return typeof error === "object" && error !== null && saverErrors.has(error);
}

/** Marks the rejections of a saver's promise as the saver's; other values pass through. */
function observe(result: unknown): unknown {
  if (!(result instanceof Promise)) return result;
  return result.catch((error: unknown) => {
    if (typeof error === "object" && error !== null) saverErrors.add(error);
    throw error;
  });
}

/**
 * Registers `value` before it is handed to LangGraph as a task's return value: `started` resolves
 * when a watched checkpointer is given it, `saved` once it has saved it, and rejects with a
 * `checkpoint-failed` error if saving failed or did not settle within `timeoutMs`.
 */
export function whenSaved(
  value: object,
  timeoutMs: number,
): { saved: Promise<void>; started: Promise<void>; forget(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let start!: () => void;
  const started = new Promise<void>((resolve) => {
    start = resolve;
  });
  const saved = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => {
      waiting.delete(value);
      reject(
        new PlanExecuteError(
          "checkpoint-failed",
          `saving a step's outcome did not finish within ${timeoutMs} ms (is the database reachable?)`,
        ),
      );
    }, timeoutMs);
    waiting.set(value, (written) => {
      start();
      written.then(
        () => resolve(),
        (error: unknown) =>
          reject(
            new PlanExecuteError(
              "checkpoint-failed",
              `saving a step's outcome failed: ${errorMessage(error)}`,
              {
                cause: error,
              },
            ),
          ),
      );
    });
  });
  const settle = () => clearTimeout(timer);
  saved.then(settle, settle);
  return {
    saved,
    started,
    forget() {
      waiting.delete(value);
      clearTimeout(timer);
    },
  };
}
