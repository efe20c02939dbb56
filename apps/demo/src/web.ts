/**
 * `--web`: the run in the browser, through `@replan/view`. A view server on 127.0.0.1 streams the
 * graph's custom events to the page; with `--approve`, the plan is approved, rejected or edited in
 * the page instead of on stdin. After the run the page stays served (the finished run can be
 * looked at) until Ctrl-C.
 *
 * @module
 */
import type { PlanApproval, PlanApprovalRequest } from "@replan/langgraph";
import { type RunFeed, startViewServer, type ViewServer } from "@replan/view";
import { ConfigError } from "./errors.js";

/** The demo's side of the web view. */
export interface WebView {
  /** The run's page. */
  url: string;
  /** One event of the graph's custom stream. */
  event(event: unknown): void;
  /** Shows the plan that waits for approval in the page and resolves with the page's answer. */
  approval(request: PlanApprovalRequest, signal: AbortSignal): Promise<PlanApproval>;
  /** The run's final state (the graph's values): the page shows it as saved, and the feed ends. */
  finish(values: unknown): void;
  /** Waits until `signal` is aborted (Ctrl-C), keeping the page served. */
  linger(signal: AbortSignal): Promise<void>;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Options of {@link startWebView}. */
export interface WebViewOptions {
  /** Port on 127.0.0.1 (0: a free one). */
  port: number;
  /** The page's title (the goal). */
  title: string;
  /** The run's `maxSteps`, to validate edits. */
  maxSteps: number;
}

/**
 * Starts the view server and the run's feed.
 *
 * @param options - port, title, maxSteps.
 * @example
 * ```ts
 * const web = await startWebView({ port: 0, title: "Check stock", maxSteps: 20 });
 * console.error(`web view: ${web.url}`);
 * ```
 */
export async function startWebView(options: WebViewOptions): Promise<WebView> {
  let server: ViewServer;
  try {
    server = await startViewServer({ port: options.port });
  } catch (error) {
    throw new ConfigError(
      `cannot serve the web view on 127.0.0.1:${options.port}: ${(error as Error).message}`,
    );
  }
  let waiting: ((answer: PlanApproval) => void) | undefined;
  const feed: RunFeed = server.createRun({
    id: "demo",
    title: options.title,
    maxSteps: options.maxSteps,
    onApproval(answer) {
      if (!waiting) throw new Error("the run is not waiting for an approval");
      const resolve = waiting;
      waiting = undefined;
      resolve(answer as PlanApproval);
    },
  });
  return {
    url: feed.url,
    event(event) {
      if (
        event !== null &&
        typeof event === "object" &&
        typeof (event as { type?: unknown }).type === "string"
      ) {
        feed.publish(event as { type: string });
      }
    },
    approval(request, signal) {
      return new Promise<PlanApproval>((resolve, reject) => {
        if (signal.aborted) {
          reject(signal.reason);
          return;
        }
        const onAbort = () => {
          waiting = undefined;
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiting = (answer) => {
          signal.removeEventListener("abort", onAbort);
          resolve(answer);
        };
        feed.publish({ type: "approval-request", at: Date.now(), request });
      });
    },
    finish(values) {
      feed.publish({ type: "view-snapshot", at: Date.now(), state: values });
      feed.end();
    },
    linger(signal) {
      return new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener("abort", () => resolve(), { once: true });
      });
    },
    close: () => server.close(),
  };
}
