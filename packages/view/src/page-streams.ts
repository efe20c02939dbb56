/**
 * The pages following one run: their server-sent event streams, a heartbeat that keeps idle
 * streams open, and the cut-off for a page that stops reading (a stalled page must not hold the
 * run's events in memory).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** How often an idle stream gets a comment line, in ms. */
const HEARTBEAT_MS = 15_000;

interface PageStream {
  response: ServerResponse;
  /** When the socket last drained, or undefined while it keeps up. */
  stalledSince?: number;
}

/** The open event streams of one run's pages. */
export class PageStreams {
  readonly #streams = new Set<PageStream>();
  readonly #slowClientTimeoutMs: number;

  /** @param slowClientTimeoutMs - how long a page may leave its stream unread before it is cut. */
  constructor(slowClientTimeoutMs: number) {
    this.#slowClientTimeoutMs = slowClientTimeoutMs;
  }

  /**
   * Answers a page's request for the events: `first` (the state so far) at once, then everything
   * broadcast until {@link PageStreams.endAll}; with `ended`, only `first`.
   */
  open(request: IncomingMessage, response: ServerResponse, first: unknown, ended: boolean): void {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const stream: PageStream = { response };
    this.#send(stream, JSON.stringify(first));
    if (ended) {
      response.end();
      return;
    }
    this.#streams.add(stream);
    const heartbeat = setInterval(() => {
      if (!response.writableEnded) response.write(": ping\n\n");
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const forget = () => {
      clearInterval(heartbeat);
      this.#streams.delete(stream);
    };
    request.on("close", forget);
    response.on("close", forget);
    response.on("error", forget);
  }

  /** Sends an event, already serialized, to every page. */
  broadcast(data: string): void {
    for (const stream of this.#streams) this.#send(stream, data);
  }

  /** Sends `last` to every page and ends their streams. */
  endAll(last: unknown): void {
    const data = JSON.stringify(last);
    for (const stream of this.#streams) {
      this.#send(stream, data);
      stream.response.end();
    }
    this.#streams.clear();
  }

  #send(stream: PageStream, data: string): void {
    const { response } = stream;
    if (response.writableEnded || response.destroyed) return;
    const drained = response.write(`data: ${data}\n\n`);
    if (drained) {
      stream.stalledSince = undefined;
      return;
    }
    const now = Date.now();
    stream.stalledSince ??= now;
    response.once("drain", () => {
      stream.stalledSince = undefined;
    });
    if (now - stream.stalledSince > this.#slowClientTimeoutMs) response.destroy();
  }
}
