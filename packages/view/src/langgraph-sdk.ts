/**
 * The bridge to a LangGraph server (`langgraphjs dev`, LangGraph Platform, `apps/server`): a
 * thread's state and its runs' `custom` stream become the view's event feed, and the page's
 * approval answers become `Command({ resume })` runs on the thread. It takes the
 * `@langchain/langgraph-sdk` `Client` (an optional peer dependency, used for its types only).
 *
 * @module
 */
import type { Client } from "@langchain/langgraph-sdk";
import type { ApprovalAnswer } from "./approval.js";
import { checkOptions, describe, rules } from "@replan/core/internal";
import { viewDefaults } from "./defaults.js";
import { ViewError } from "./errors.js";
import type { ViewEvent } from "./model.js";
import { checking, isPlainObject, maxStepsRule, runIdRule } from "./option-rules.js";
import type { RunFeed, ViewServer } from "./server.js";

/** A thread's state as the SDK returns it (`client.threads.getState`): what the bridge reads. */
export interface ThreadStateLike {
  values: unknown;
  tasks: ReadonlyArray<{ interrupts?: ReadonlyArray<{ value?: unknown }> }>;
}

/** What the bridge uses of `@langchain/langgraph-sdk`'s `Client`: a `Client` is one. */
export type LangGraphClientLike = Pick<Client, "threads" | "runs">;

/** Options of {@link serveThread}. */
export interface ServeThreadOptions {
  /** A `Client` from `@langchain/langgraph-sdk`. */
  client: LangGraphClientLike;
  /** The thread to show. */
  threadId: string;
  /** The assistant (or graph id, e.g. `"plan_execute"`) that runs on it; resumes use it too. */
  assistantId: string;
  /** Starts a run with this input (e.g. `{ goal }`); without it the thread is shown as it is. */
  input?: Record<string, unknown>;
  /** The runs' config (`configurable`). */
  config?: { configurable?: Record<string, unknown> };
  /** The run's id on the view server. @default the thread id */
  id?: string;
  /** The page's title. */
  title?: string;
  /** The run's `maxSteps`, to validate edits. @default 50 */
  maxSteps?: number;
  /** Stops following (the streams are cancelled, the feed ends). */
  signal?: AbortSignal;
  /**
   * Most approval rounds followed (an invalid answer is asked again by the graph).
   * @default 20
   */
  maxRounds?: number;
}

/** The rules of {@link ServeThreadOptions}. */
const threadOptionRules = {
  client: rules.required(
    rules.custom(
      "be a LangGraph SDK Client (with threads.getState and runs.stream)",
      (value): value is LangGraphClientLike =>
        isPlainObject(value) &&
        isPlainObject(value.threads) &&
        typeof value.threads.getState === "function" &&
        isPlainObject(value.runs) &&
        typeof value.runs.stream === "function",
    ),
  ),
  threadId: rules.required(rules.string({ nonEmpty: true })),
  assistantId: rules.required(rules.string({ nonEmpty: true })),
  // The input and the config may carry keys (a `configurable` API key): never shown in a message.
  input: rules.secret(rules.custom("be an object", isPlainObject)),
  config: rules.secret(
    rules.custom(
      "be an object (with an object `configurable`)",
      (value): value is { configurable?: Record<string, unknown> } =>
        isPlainObject(value) && (value.configurable === undefined || isPlainObject(value.configurable)),
    ),
  ),
  id: runIdRule,
  title: rules.string(),
  maxSteps: maxStepsRule,
  signal: rules.signal(),
  maxRounds: rules.integer({ min: 0, max: 10_000 }),
};

/** Whether `value` looks like a {@link ViewServer}: what `serveThread` calls on it is there. */
function isViewServer(value: unknown): value is ViewServer {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ViewServer).createRun === "function" &&
    typeof (value as ViewServer).url === "string"
  );
}

/** What {@link serveThread} returns. */
export interface ServedThread {
  /** The run's feed on the view server: its page is `feed.url`. */
  feed: RunFeed;
  /**
   * Settles when the thread has nothing more to run (done, or stopped), after the feed ended.
   * Rejects with a {@link ViewError} `thread-failed` when a server call failed (the page says so).
   */
  done: Promise<void>;
}

/**
 * The view events that show a thread's saved state: a `view-snapshot` of its values (plan,
 * revisions, outcome), and an `approval-request` when it waits at the plan-approval interrupt.
 *
 * @param state - `await client.threads.getState(threadId)`.
 * @example
 * ```ts
 * for (const event of threadStateEvents(await client.threads.getState(threadId))) feed.publish(event);
 * ```
 */
export function threadStateEvents(state: ThreadStateLike): ViewEvent[] {
  const events: ViewEvent[] = [];
  const values = state.values;
  if (values !== null && typeof values === "object" && Object.keys(values).length > 0) {
    events.push({ type: "view-snapshot", at: Date.now(), state: values });
  }
  const request = approvalRequestOf(state);
  if (request) events.push({ type: "approval-request", at: Date.now(), request });
  return events;
}

/** The plan-approval request a thread waits on, if any. */
export function approvalRequestOf(state: ThreadStateLike): Record<string, unknown> | undefined {
  for (const task of state.tasks ?? []) {
    for (const pending of task.interrupts ?? []) {
      const value = pending.value as Record<string, unknown> | undefined;
      if (value?.type === "plan-approval" && value.plan) return value;
    }
  }
  return undefined;
}

/**
 * Shows a thread of a LangGraph server in the view: publishes its saved state, optionally starts a
 * run with `input`, forwards the run's `custom` stream (the adapter's progress events) to the
 * page, and turns the page's approval answers into `Command({ resume })` runs, until the thread
 * has nothing more to run. A finished thread is shown as it ended.
 *
 * @param server - a view server (`startViewServer()`).
 * @param options - the client, the thread, the assistant, and optionally a first input.
 * @returns the feed (its page is `feed.url`) and a promise of the end.
 * @throws {ViewError} `invalid-options` for an unknown option or a bad value (`Option "threadId" must
 *   be a non-empty string, got 5`) or when `server` is not a {@link ViewServer}, before anything is
 *   asked of the server. Messages never show `input` or `config` (they may hold keys).
 * @example
 * ```ts
 * import { Client } from "@langchain/langgraph-sdk";
 * import { startViewServer } from "@replan/view";
 * import { serveThread } from "@replan/view/langgraph-sdk";
 *
 * const client = new Client({ apiUrl: "http://127.0.0.1:2025" });
 * const thread = await client.threads.create();
 * const server = await startViewServer();
 * const { feed, done } = serveThread(server, {
 *   client,
 *   threadId: thread.thread_id,
 *   assistantId: "plan_execute",
 *   input: { goal: "Count the lines of every file in the workspace" },
 *   config: { configurable: { requireApproval: true } },
 * });
 * console.log(`open ${feed.url}`);
 * await done;
 * ```
 */
export function serveThread(server: ViewServer, options: ServeThreadOptions): ServedThread {
  if (!isViewServer(server)) {
    throw new ViewError(
      "invalid-options",
      `The server of serveThread must be a ViewServer (what startViewServer resolves with), got ${describe(server)}`,
    );
  }
  const checked = checkOptions(options, threadOptionRules, checking("serveThread"));
  const { threadId } = checked;
  const answers = new AnswerGate();
  const feed = server.createRun({
    id: options.id ?? threadId,
    title: options.title ?? `thread ${threadId}`,
    ...(options.maxSteps === undefined ? {} : { maxSteps: options.maxSteps }),
    onApproval: (answer) => answers.give(answer),
  });
  const done = followThread(feed, checked, answers);
  // The caller may never await `done`; a failure is shown in the page either way.
  done.catch(() => {});
  return { feed, done };
}

/** What a run on the thread starts with: the first input, or the answer to an approval. */
type RunPayload = { input?: Record<string, unknown>; command?: { resume: unknown } };

/** The page's approval answer, handed to the thread when it waits for one. */
class AnswerGate {
  #waiting: ((answer: ApprovalAnswer) => void) | undefined;

  /** Hands an answer to the waiting thread; throws when none waits (the page shows it). */
  give(answer: ApprovalAnswer): void {
    if (!this.#waiting) throw new ViewError("invalid-answer", "the thread is not waiting for an approval");
    const resolve = this.#waiting;
    this.#waiting = undefined;
    resolve(answer);
  }

  /** The next answer; rejects with the signal's reason when it aborts first. */
  next(signal: AbortSignal | undefined): Promise<ApprovalAnswer> {
    return new Promise<ApprovalAnswer>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        this.#waiting = undefined;
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting = (answer) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(answer);
      };
    });
  }
}

/**
 * Publishes the thread's state, then runs it (with the input, then with each approval answer)
 * until it waits for nothing, for at most `maxRounds` approvals; ends the feed.
 */
async function followThread(feed: RunFeed, options: ServeThreadOptions, answers: AnswerGate): Promise<void> {
  const { client, threadId, input, signal, maxRounds = viewDefaults.maxRounds } = options;
  try {
    let state = await client.threads.getState(threadId);
    for (const event of threadStateEvents(state)) feed.publish(event);
    let next: RunPayload | undefined = input === undefined ? undefined : { input };
    for (let round = 0; round <= maxRounds; round++) {
      if (next) {
        await forwardRun(feed, options, next);
        state = await client.threads.getState(threadId);
        // The saved state after the run: the plan as it ended (and what a lost event missed).
        for (const event of threadStateEvents(state)) feed.publish(event);
      }
      if (!approvalRequestOf(state)) return;
      next = { command: { resume: await answers.next(signal) } };
    }
    feed.publish({
      type: "view-notice",
      at: Date.now(),
      level: "warning",
      text: `stopped following the thread after ${maxRounds} approval rounds`,
    });
  } catch (error) {
    if (signal?.aborted) return;
    const message = (error as Error)?.message ?? String(error);
    feed.publish({
      type: "view-notice",
      at: Date.now(),
      level: "error",
      text: `the LangGraph server call failed: ${message}`,
    });
    throw new ViewError("thread-failed", `following thread ${threadId} failed: ${message}`, {
      cause: error,
    });
  } finally {
    feed.end();
  }
}

/** Runs the thread once and forwards its `custom` stream (and its errors) to the feed. */
async function forwardRun(feed: RunFeed, options: ServeThreadOptions, payload: RunPayload): Promise<void> {
  const { client, threadId, assistantId, config, signal } = options;
  const stream = client.runs.stream(threadId, assistantId, {
    ...payload,
    ...(config ? { config } : {}),
    streamMode: ["custom"],
    ...(signal ? { signal } : {}),
  });
  for await (const part of stream as AsyncIterable<{ event: string; data: unknown }>) {
    if (part.event === "custom" || part.event.startsWith("custom|")) {
      const event = part.data as { type?: unknown } | null;
      if (event !== null && typeof event === "object" && typeof event.type === "string") {
        feed.publish(event as ViewEvent);
      }
    } else if (part.event === "error") {
      const data = part.data as { message?: unknown; error?: unknown } | null;
      const message = String(data?.message ?? data?.error ?? JSON.stringify(part.data));
      feed.publish({
        type: "view-notice",
        at: Date.now(),
        level: "error",
        text: `the run failed: ${message}`,
      });
    }
  }
}
