/**
 * One run on the view server: its feed (what the caller publishes), the model the pages see, and
 * the pages following it.
 *
 * @module
 */
import type { ApprovalAnswer } from "./approval.js";
import { applyEvent, emptyModel, isFinalStatus, type ViewEvent, type ViewModel } from "./model.js";
import { PageStreams } from "./page-streams.js";

/** Options of {@link ViewServer.createRun}. */
export interface RunFeedOptions {
  /**
   * The run's id in URLs: letters, digits, `.`, `_`, `-` (1 to 100).
   * @default a random id
   */
  id?: string;
  /** The page's title. @default "replan run <id>" */
  title?: string;
  /**
   * Called with a valid answer when the page answers a plan-approval request (the feed published
   * an `approval-request` event). Resume the run with it: `new Command({ resume: answer })`. A
   * rejection (throw) is shown in the page and the request stays open.
   */
  onApproval?: (answer: ApprovalAnswer) => void | Promise<void>;
  /**
   * Most steps an edited plan may have: the run's `maxSteps`.
   * @default 50 (core's default)
   */
  maxSteps?: number;
}

/** One run's event feed on a {@link ViewServer}. */
export interface RunFeed {
  /** The run's id in URLs. */
  readonly id: string;
  /** The page of the run. */
  readonly url: string;
  /**
   * Sends an event to the pages (a `@replan/core` `RunEvent` from the adapter's custom stream, or
   * one of the view's events: `approval-request`, `view-snapshot`, `view-notice`). Anything
   * JSON-serializable with a string `type` is accepted; unknown types are passed on and ignored by
   * the page. Does nothing after {@link RunFeed.end}.
   */
  publish(event: ViewEvent): void;
  /** Tells the pages that nothing more will come (a run that did not reach `run-end` is shown as cut short). */
  end(): void;
  /** The model of the run as the pages see it. */
  model(): ViewModel;
  /** Whether {@link RunFeed.end} was called. */
  readonly ended: boolean;
}

/** A run as the server keeps it. */
export interface RunEntry {
  feed: RunFeed;
  title: string;
  streams: PageStreams;
  options: RunFeedOptions;
  /** Whether an answer is being handed to `onApproval` (a second one is refused meanwhile). */
  answering: boolean;
}

/** What a run needs from its server. */
export interface RunSetup {
  id: string;
  options: RunFeedOptions;
  /** The server's base URL. */
  baseUrl: string;
  slowClientTimeoutMs: number;
}

/** A new run: an empty model, no page yet. */
export function createRunEntry({ id, options, baseUrl, slowClientTimeoutMs }: RunSetup): RunEntry {
  const streams = new PageStreams(slowClientTimeoutMs);
  let model = emptyModel();
  let ended = false;
  const feed: RunFeed = {
    id,
    url: `${baseUrl}/runs/${encodeURIComponent(id)}`,
    get ended() {
      return ended;
    },
    model: () => model,
    publish(event) {
      if (ended) return;
      // Serialized once: what the pages get and what the model keeps are the same JSON, and
      // later changes to the caller's object change nothing here.
      const data = serialized(event);
      model = applyEvent(model, JSON.parse(data) as unknown);
      streams.broadcast(data);
    },
    end() {
      if (ended) return;
      model = applyEvent(model, { type: "stream-end", at: Date.now() });
      ended = true;
      streams.endAll({ type: "stream-end", at: Date.now(), final: isFinalStatus(model.status) });
    },
  };
  return { feed, title: options.title ?? `replan run ${id}`, streams, options, answering: false };
}

/** The event as JSON, or a warning in its place when it is not a JSON object. */
function serialized(event: ViewEvent): string {
  let data: string | undefined;
  try {
    data = JSON.stringify(event);
  } catch {
    data = undefined;
  }
  if (data?.startsWith("{")) return data;
  return JSON.stringify({
    type: "view-notice",
    at: Date.now(),
    level: "warning",
    text: "an event could not be sent: it is not JSON-serializable",
  });
}
