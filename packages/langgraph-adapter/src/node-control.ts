// The life of one run of the executor node: its abort signal, when it closes (no step starts any
// more), its first failure, the work in flight it waits for before it returns, and the ids of the
// task calls whose functions ran in this process.
import { PlanExecuteError } from "./errors.js";

/** How long a called task may take to start or to return its saved value. */
const TASK_START_TIMEOUT_MS = 30_000;

/** Rounds of waiting for in-flight work at the end of the node (each settles all that was in flight). */
const MAX_DRAIN_ROUNDS = 10_000;

/** A promise with its resolver. */
export function deferred(): [Promise<void>, () => void] {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return [promise, resolve];
}

/**
 * The executor node's control of one run: aborting it, closing it (once closed, no step starts
 * and every wait of the node ends), failing it (the first failure is the one thrown), and the
 * work in flight (steps and task calls), waited for at the end.
 */
export class NodeControl {
  /** Aborted on failure, on an `abort` effect, or by the caller. */
  readonly controller = new AbortController();
  /** The signal every step gets: the node's, LangGraph's and the caller's. */
  readonly signal: AbortSignal;
  closed = false;
  /** The first failure (the node throws it once its work has settled). */
  failure: unknown;
  /** Resolves when the node closes. */
  readonly whenClosed: Promise<void>;
  private readonly onClosed: () => void;
  private readonly closers: Array<() => void> = [];
  private readonly work = new Set<Promise<void>>();

  /** @param signals - LangGraph's signal and the caller's, when given. */
  constructor(signals: Array<AbortSignal | undefined>) {
    const all = [...signals, this.controller.signal].filter(
      (value): value is AbortSignal => value !== undefined,
    );
    this.signal = all.length > 1 ? AbortSignal.any(all) : this.controller.signal;
    [this.whenClosed, this.onClosed] = deferred();
  }

  /** Runs `closer` when the node closes (ends a wait that must not outlive the node). */
  onClose(closer: () => void): void {
    this.closers.push(closer);
  }

  /** Closes the node: no step starts any more, and every wait of the node ends. */
  readonly close = (): void => {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    for (const closer of this.closers) closer();
  };

  /** Fails the node: in-flight steps are aborted, and the node throws `error` at its end. */
  readonly fail = (error: unknown): void => {
    this.failure ??= error;
    this.controller.abort(error);
    this.close();
  };

  /** Keeps `promise` as work in flight; its rejection fails the node. */
  track(promise: Promise<void>): void {
    const tracked = promise.catch(this.fail);
    this.work.add(tracked);
    void tracked.finally(() => this.work.delete(tracked));
  }

  /**
   * Waits for the work in flight: steps honour the abort signal and their time limit, saves
   * settle in a few ticks. Each round waits for what is in flight, or calls `flush` (which may
   * start more work) when nothing is.
   *
   * @param flush - starts the last save, if any; returns false when there is nothing to start.
   */
  async drain(flush: () => boolean): Promise<void> {
    for (let round = 0; round < MAX_DRAIN_ROUNDS; round++) {
      if (this.work.size > 0) await Promise.all([...this.work]);
      else if (!flush()) break;
    }
  }

  /** Waits for task calls to start or return: at most {@link TASK_START_TIMEOUT_MS}, then fails the node. */
  async within(promise: Promise<unknown>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), TASK_START_TIMEOUT_MS);
    });
    const late = await Promise.race([promise.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      this.fail(
        new PlanExecuteError(
          "invalid-options",
          `a step task neither started nor returned a saved value within ${TASK_START_TIMEOUT_MS} ms`,
        ),
      );
    }
  }
}

/**
 * Ids for the node's task calls, and which of them ran here. LangGraph returns a task's saved
 * value, without running its function, when an earlier process saved one at the same position:
 * a call whose id is not marked as run was answered from the saved log.
 */
export class TaskCalls {
  private next = 0;
  private readonly ranHere = new Set<number>();

  /** A new id. */
  id(): number {
    return this.next++;
  }

  /** Marks the call's function as run in this process (called first thing in a task's function). */
  markRan(id: number): void {
    this.ranHere.add(id);
  }

  /** Whether the call's function ran in this process. */
  ran(id: number): boolean {
    return this.ranHere.has(id);
  }
}
