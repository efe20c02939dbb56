// How createPlanExecuteAgent runs the compiled graph: the caller's signal goes to the executor
// node first (it stops its steps and saves what ended), and to LangGraph only after that (bounded);
// errors of the checkpointer and a resume of an empty thread become typed errors.
import { IterableReadableStream } from "@langchain/core/utils/stream";
import { errorMessage } from "@replan/core/internal";
import { isSaverError } from "./checkpointer.js";
import { PlanExecuteError } from "./errors.js";
import { checkRunInput } from "./options.js";
import { RUN_GUARD, type RunGuard } from "./run-guard.js";

/** How long an abort waits for the executor node to save what ended before it, before LangGraph is aborted. */
export const ABORT_SAVE_TIMEOUT_MS = 5_000;

type StreamOptions = { signal?: AbortSignal; configurable?: Record<string, unknown> } & Record<
  string,
  unknown
>;
type Stream = (input: unknown, options?: StreamOptions) => Promise<AsyncIterable<unknown>>;
type GetState = (config: StreamOptions) => Promise<{
  values?: Record<string, unknown>;
  tasks?: ReadonlyArray<{ interrupts?: ReadonlyArray<{ value?: unknown }> }>;
}>;

/**
 * Replaces `graph.stream` (which `invoke` and `streamEvents` call) with a guarded one; the graph
 * is the agent's own instance, made by `withConfig`.
 */
export function guardRuns<Graph extends { stream: unknown; withConfig: unknown; getState: unknown }>(
  graph: Graph,
): Graph {
  const stream = (graph.stream as Stream).bind(graph);
  const getState = (graph.getState as GetState).bind(graph);
  const withConfig = (graph.withConfig as (config: unknown) => Graph).bind(graph);
  (graph as { stream: Stream }).stream = async (input, options) => {
    if (isEmptyCommand(input)) throw await emptyAnswerError(getState, options);
    return guardedStream(stream, input, options);
  };
  // withConfig makes a new instance: guard it too
  (graph as { withConfig: (config: unknown) => Graph }).withConfig = (config) =>
    guardRuns(withConfig(config));
  return graph;
}

async function guardedStream(stream: Stream, input: unknown, options: StreamOptions = {}) {
  checkRunInput(input);
  const caller = options.signal;
  const controller = new AbortController();
  const guard: RunGuard = { signal: caller, nodes: new Set() };
  const onAbort = () => {
    const nodes = [...guard.nodes];
    if (nodes.length === 0) controller.abort(caller?.reason);
    else void settledWithin(nodes, ABORT_SAVE_TIMEOUT_MS).then(() => controller.abort(caller?.reason));
  };
  if (caller?.aborted) controller.abort(caller.reason);
  else caller?.addEventListener("abort", onAbort, { once: true });
  const done = () => caller?.removeEventListener("abort", onAbort);
  const config = {
    ...options,
    signal: controller.signal,
    configurable: { ...options.configurable, [RUN_GUARD]: guard },
  };
  let inner: AsyncIterable<unknown>;
  try {
    inner = await stream(input, config);
  } catch (error) {
    done();
    throw translate(error, input, caller);
  }
  const chunks = buffered(inner, {
    failed: (error) => translate(error, input, caller),
    failure: () => guard.failure,
    done,
  });
  return IterableReadableStream.fromAsyncGenerator(chunks);
}

/**
 * LangGraph's stream, read ahead. It is a ReadableStream: when a node throws, `controller.error()`
 * drops every chunk still queued, so a slow consumer would lose the events a node wrote just before
 * (the planner's run-end before its PlanExecuteError). A pump (started at once) reads the stream as
 * fast as it fills and keeps the chunks here; the error is raised only after every chunk before it
 * is yielded.
 *
 * @param hooks - `failed` turns the stream's error into the one to raise; `failure` is the run's
 *   own failure to raise at a normal end, if any; `done` is called when the consumer is done.
 */
function buffered(
  inner: AsyncIterable<unknown>,
  hooks: { failed: (error: unknown) => unknown; failure: () => unknown; done: () => void },
): AsyncGenerator<unknown> {
  const iterator = inner[Symbol.asyncIterator]();
  let chunks: unknown[] = [];
  let head = 0; // the next chunk to yield
  let ended: { error?: unknown } | undefined;
  let wake: (() => void) | undefined;
  let stopped = false;
  const pump = (async () => {
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done || stopped) break;
        chunks.push(next.value);
        wake?.();
      }
      ended = {};
    } catch (error) {
      ended = { error: hooks.failed(error) };
    }
    wake?.();
  })();
  async function* read() {
    try {
      for (;;) {
        if (head < chunks.length) {
          const chunk = chunks[head++];
          if (head === chunks.length) {
            chunks = [];
            head = 0;
          }
          yield chunk;
          continue;
        }
        if (ended) {
          if ("error" in ended) throw ended.error;
          const failure = hooks.failure();
          if (failure !== undefined) throw failure;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      hooks.done();
      // Stopped early by the consumer (break, cancel): end the run as LangGraph's stream does.
      if (!ended) {
        stopped = true;
        await iterator.return?.();
      }
      await pump;
    }
  }
  return read();
}

/** Whether `input` is a `Command` that carries nothing: no `resume` value (or `null`), no `goto`, no `update`. */
function isEmptyCommand(input: unknown): boolean {
  if (typeof input !== "object" || input === null || (input as { lg_name?: unknown }).lg_name !== "Command") {
    return false;
  }
  const { resume, goto, update } = input as { resume?: unknown; goto?: unknown; update?: unknown };
  const noGoto = goto === undefined || (Array.isArray(goto) && goto.length === 0);
  return resume == null && noGoto && update == null;
}

/**
 * The typed error for a `Command` without an answer (LangGraph would throw its `EmptyInputError`):
 * `invalid-settlement` or `invalid-approval` after the pause that waits for one, `nothing-to-resume`
 * on a thread with no checkpoint, else `invalid-input`. Nothing runs and nothing is saved: the
 * request stands, and a good answer resumes the run.
 */
async function emptyAnswerError(
  getState: GetState,
  options: StreamOptions | undefined,
): Promise<PlanExecuteError> {
  const state = await getState(options ?? {}).catch(() => undefined);
  const waiting = (state?.tasks ?? []).flatMap((task) => task.interrupts ?? []);
  const request = (waiting[0]?.value ?? {}) as { type?: unknown };
  if (request.type === "effect-settlement") {
    return new PlanExecuteError(
      "invalid-settlement",
      'Command({ resume }) needs a settlement: { action: "ran", result } | { action: "run-again" } | { action: "fail", reason? }; nothing was changed, the request stands',
    );
  }
  if (request.type === "plan-approval") {
    return new PlanExecuteError(
      "invalid-approval",
      'Command({ resume }) needs an answer: { action: "approve" } | { action: "edit", steps } | { action: "reject", reason? }; nothing was changed, the request stands',
    );
  }
  if (!state || Object.keys(state.values ?? {}).length === 0) {
    return new PlanExecuteError(
      "nothing-to-resume",
      "this thread has no checkpoint to resume (a wrong thread_id, or the run stopped before its first checkpoint was saved): invoke it with the goal again, e.g. invoke({ goal }, config)",
    );
  }
  return new PlanExecuteError(
    "invalid-input",
    "Command({ resume }) carries no value and the run waits for no answer: resume it with invoke(null, config)",
  );
}

/** The error `invoke` rejects with: typed for the checkpointer's failures and an empty resume. */
function translate(error: unknown, input: unknown, caller: AbortSignal | undefined): unknown {
  if (PlanExecuteError.isInstance(error)) return error;
  if (isSaverError(error)) {
    return new PlanExecuteError(
      "checkpoint-failed",
      `the checkpointer failed: ${errorMessage(error)}. What was saved before stays saved: resume the thread with invoke(null, config) once the database is back.`,
      { cause: error },
    );
  }
  if (input == null && (error as { name?: unknown } | null)?.name === "EmptyInputError") {
    return new PlanExecuteError(
      "nothing-to-resume",
      "this thread has no checkpoint to resume (a wrong thread_id, or the run stopped before its first checkpoint was saved): invoke it with the goal again, e.g. invoke({ goal }, config)",
      { cause: error },
    );
  }
  if (caller?.aborted) return caller.reason;
  return error;
}

/** Waits until every promise has settled, or `ms` has passed. */
async function settledWithin(promises: Array<Promise<unknown>>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
