/**
 * The server helper: serves the page and the element's bundle on 127.0.0.1, streams each run's
 * events to the page (server-sent events), and takes plan-approval answers from it.
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ApprovalAnswer, readApprovalAnswer } from "./approval.js";
import { ViewError } from "./errors.js";
import { applyEvent, emptyModel, isFinalStatus, type ViewEvent, type ViewModel } from "./model.js";

/** Options of {@link startViewServer}. */
export interface ViewServerOptions {
  /**
   * Port on the host; 0 picks a free one.
   * @default 0
   */
  port?: number;
  /**
   * Interface to listen on. Anything but a loopback address exposes the runs and their approval.
   * @default "127.0.0.1"
   */
  host?: string;
  /** Closes the server when aborted. */
  signal?: AbortSignal;
  /**
   * Folder holding `replan-view.js` (the element's bundle).
   * @default the package's `dist/browser`
   */
  assetDir?: string;
  /**
   * Longest time a page may take to read the events it is sent before it is disconnected, in ms
   * (a stalled page must not hold the run's events in memory).
   * @default 30000
   */
  slowClientTimeoutMs?: number;
}

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

/** A running view server. */
export interface ViewServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Adds a run; its page is at `feed.url`. */
  createRun(options?: RunFeedOptions): RunFeed;
  /** Removes a run (its pages are told the stream ended). */
  deleteRun(id: string): void;
  /** Stops listening and closes every open page stream. */
  close(): Promise<void>;
}

const RUN_ID = /^[A-Za-z0-9._-]{1,100}$/;
const MAX_BODY_BYTES = 1_000_000;
const HEARTBEAT_MS = 15_000;
const ASSET_NAME = "replan-view.js";

interface Client {
  response: ServerResponse;
  /** When the socket last drained, or undefined while it keeps up. */
  stalledSince?: number;
}

interface RunEntry {
  feed: RunFeed;
  title: string;
  clients: Set<Client>;
  options: RunFeedOptions;
  answering: boolean;
}

/**
 * Starts the view server on 127.0.0.1 (port 0 by default): `GET /runs/<id>` is a run's page,
 * `GET /api/runs/<id>/events` its server-sent events, `POST /api/runs/<id>/approval` takes an
 * approval answer. Only the element's bundle is served as an asset; nothing is fetched from
 * anywhere else.
 *
 * @param options - port, host, signal.
 * @returns the server; add runs with `createRun`.
 * @throws {ViewError} `asset-missing` when the element's bundle is not built, `invalid-options`.
 * @example
 * ```ts
 * const server = await startViewServer();
 * const feed = server.createRun({ title: "my run" });
 * console.log(`open ${feed.url}`);
 * for await (const [mode, event] of await graph.stream(input, { streamMode: ["custom"] })) feed.publish(event);
 * feed.end();
 * ```
 */
export async function startViewServer(options: ViewServerOptions = {}): Promise<ViewServer> {
  const { port = 0, host = "127.0.0.1", signal, slowClientTimeoutMs = 30_000 } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ViewError("invalid-options", `port must be an integer from 0 to 65535 (got ${port})`);
  }
  signal?.throwIfAborted();
  const assetFile = findAsset(options.assetDir);
  const asset = readFileSync(assetFile);
  const runs = new Map<string, RunEntry>();
  let baseUrl = "";

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(response, 500, { error: { code: "internal", message: String(error) } });
      else response.destroy();
    });
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  // A request (headers and body) must arrive within 30 s; event streams are responses and last.
  server.requestTimeout = 30_000;
  server.headersTimeout = 30_000;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!allowedHost(request.headers.host)) {
      sendJson(response, 421, { error: { code: "bad-host", message: "unexpected Host header" } });
      return;
    }
    const url = new URL(request.url ?? "/", "http://localhost");
    const path = url.pathname;
    const method = request.method ?? "GET";
    if (method === "GET" && path === "/") return sendIndex(response);
    if (method === "GET" && path === "/favicon.ico") {
      response.writeHead(204, { "cache-control": "max-age=86400" });
      response.end();
      return;
    }
    if (method === "GET" && path === `/assets/${ASSET_NAME}`) {
      response.writeHead(200, {
        "content-type": "text/javascript; charset=utf-8",
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      });
      response.end(asset);
      return;
    }
    const page = /^\/runs\/([^/]+)$/.exec(path);
    if (method === "GET" && page) return sendPage(response, decodeSegment(page[1]!));
    const api = /^\/api\/runs\/([^/]+)(\/events|\/approval)?$/.exec(path);
    if (api) {
      const id = decodeSegment(api[1]!);
      const entry = id === undefined ? undefined : runs.get(id);
      if (!entry) {
        sendJson(response, 404, {
          error: { code: "run-not-found", message: `there is no run "${id ?? api[1]}"` },
        });
        return;
      }
      if (api[2] === undefined && method === "GET") {
        const model = entry.feed.model();
        sendJson(response, 200, {
          id: entry.feed.id,
          title: entry.title,
          status: model.status,
          ended: entry.feed.ended,
        });
        return;
      }
      if (api[2] === "/events" && method === "GET") return openStream(entry, request, response);
      if (api[2] === "/approval" && method === "POST") return answer(entry, request, response);
      sendJson(response, 405, {
        error: { code: "method-not-allowed", message: `${method} is not allowed here` },
      });
      return;
    }
    sendJson(response, 404, { error: { code: "not-found", message: "not found" } });
  }

  const loopback = ["127.0.0.1", "::1", "localhost"].includes(host.toLowerCase());

  function allowedHost(header: string | undefined): boolean {
    // DNS rebinding: a page from elsewhere that resolves its name to 127.0.0.1 must not read runs
    // or answer approvals; only the address we listen on (or localhost) is accepted. A server
    // deliberately exposed on another interface is reached by names we cannot know.
    if (!header) return false;
    if (!loopback) return true;
    const port = (server.address() as AddressInfo | null)?.port;
    const name = header.replace(/:\d+$/, "").toLowerCase();
    const headerPort = /:(\d+)$/.exec(header)?.[1];
    if (headerPort !== undefined && Number(headerPort) !== port) return false;
    return name === "localhost" || name === "127.0.0.1" || name === "[::1]" || name === host.toLowerCase();
  }

  function allowedOrigin(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    try {
      return allowedHost(new URL(origin).host);
    } catch {
      return false;
    }
  }

  function sendIndex(response: ServerResponse): void {
    const items = [...runs.values()]
      .map(
        (entry) =>
          `<li><a href="/runs/${encodeURIComponent(entry.feed.id)}">${escapeHtml(entry.title)}</a></li>`,
      )
      .join("");
    sendHtml(
      response,
      200,
      "replan runs",
      `<main class="index"><h1>replan runs</h1>${items ? `<ul>${items}</ul>` : "<p>No run yet.</p>"}</main>`,
    );
  }

  function sendPage(response: ServerResponse, id: string | undefined): void {
    const entry = id === undefined ? undefined : runs.get(id);
    // The page of an unknown run is still served: the element asks for the run and says it does
    // not exist (the same page then works for a run that is added later).
    const src = `/api/runs/${encodeURIComponent(id ?? "")}`;
    sendHtml(
      response,
      entry ? 200 : 404,
      entry?.title ?? "replan run",
      `<replan-plan-view src="${escapeHtml(src)}"></replan-plan-view>`,
    );
  }

  function openStream(entry: RunEntry, request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const client: Client = { response };
    // A new page gets the state so far in one event (bounded, whatever the length of the run).
    write(client, { type: "view-state", model: entry.feed.model(), serverTime: Date.now() });
    if (entry.feed.ended) {
      response.end();
      return;
    }
    entry.clients.add(client);
    const heartbeat = setInterval(() => {
      if (!response.writableEnded) response.write(": ping\n\n");
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const forget = () => {
      clearInterval(heartbeat);
      entry.clients.delete(client);
    };
    request.on("close", forget);
    response.on("close", forget);
    response.on("error", forget);
  }

  function write(client: Client, event: unknown): void {
    send(client, JSON.stringify(event));
  }

  function send(client: Client, data: string): void {
    const { response } = client;
    if (response.writableEnded || response.destroyed) return;
    const drained = response.write(`data: ${data}\n\n`);
    if (drained) {
      client.stalledSince = undefined;
      return;
    }
    const now = Date.now();
    client.stalledSince ??= now;
    response.once("drain", () => {
      client.stalledSince = undefined;
    });
    if (now - client.stalledSince > slowClientTimeoutMs) response.destroy();
  }

  async function answer(entry: RunEntry, request: IncomingMessage, response: ServerResponse): Promise<void> {
    // A JSON content type makes a cross-site form post impossible (it needs a CORS preflight,
    // which this server never grants).
    if (!/^application\/json\b/i.test(request.headers["content-type"] ?? "")) {
      sendJson(response, 415, {
        error: { code: "bad-content-type", message: "send JSON (application/json)" },
      });
      return;
    }
    if (!allowedOrigin(request.headers.origin)) {
      sendJson(response, 403, {
        error: { code: "bad-origin", message: "answers come from the view's own page" },
      });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBody(request));
    } catch (error) {
      const tooLarge = error instanceof ViewError;
      if (tooLarge) response.setHeader("connection", "close");
      sendJson(response, tooLarge ? 413 : 400, {
        error: {
          code: tooLarge ? "too-large" : "bad-json",
          message: tooLarge ? error.message : "the answer is not JSON",
        },
      });
      return;
    }
    const model = entry.feed.model();
    if (!model.approval || entry.answering) {
      sendJson(response, 409, {
        error: {
          code: "no-approval-pending",
          message: "the run is not waiting for an approval (answered already?)",
        },
      });
      return;
    }
    const check = readApprovalAnswer(
      body,
      entry.options.maxSteps === undefined ? {} : { maxSteps: entry.options.maxSteps },
    );
    if (!check.ok) {
      sendJson(response, 422, {
        error: { code: "invalid-answer", message: check.error, issues: check.issues ?? [] },
      });
      return;
    }
    if (!entry.options.onApproval) {
      sendJson(response, 501, {
        error: { code: "no-approval-handler", message: "this run takes no answers here" },
      });
      return;
    }
    entry.answering = true;
    try {
      await entry.options.onApproval(check.answer);
    } catch (error) {
      entry.answering = false;
      sendJson(response, 500, {
        error: { code: "approval-failed", message: (error as Error)?.message ?? String(error) },
      });
      return;
    }
    entry.answering = false;
    entry.feed.publish({
      type: "approval-answered",
      at: Date.now(),
      action: check.answer.action,
      ...(check.answer.action === "reject" && check.answer.reason ? { reason: check.answer.reason } : {}),
    });
    sendJson(response, 202, { ok: true, action: check.answer.action });
  }

  function createRun(runOptions: RunFeedOptions = {}): RunFeed {
    const id = runOptions.id ?? Math.random().toString(36).slice(2, 10);
    if (!RUN_ID.test(id)) {
      throw new ViewError("invalid-options", `a run id uses letters, digits, ".", "_" and "-" (got "${id}")`);
    }
    if (runs.has(id)) throw new ViewError("invalid-options", `there is already a run "${id}"`);
    let model = emptyModel();
    let ended = false;
    const entry: RunEntry = {
      title: runOptions.title ?? `replan run ${id}`,
      clients: new Set(),
      options: runOptions,
      answering: false,
      feed: {
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
          let data: string | undefined;
          try {
            data = JSON.stringify(event);
          } catch {
            data = undefined;
          }
          if (data === undefined || !data.startsWith("{")) {
            data = JSON.stringify({
              type: "view-notice",
              at: Date.now(),
              level: "warning",
              text: "an event could not be sent: it is not JSON-serializable",
            });
          }
          model = applyEvent(model, JSON.parse(data) as unknown);
          for (const client of entry.clients) send(client, data);
        },
        end() {
          if (ended) return;
          model = applyEvent(model, { type: "stream-end", at: Date.now() });
          ended = true;
          for (const client of entry.clients) {
            write(client, { type: "stream-end", at: Date.now(), final: isFinalStatus(model.status) });
            client.response.end();
          }
          entry.clients.clear();
        },
      },
    };
    runs.set(id, entry);
    return entry.feed;
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  baseUrl = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      signal?.removeEventListener("abort", onAbort);
      for (const entry of runs.values()) entry.feed.end();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  const onAbort = () => void close();
  signal?.addEventListener("abort", onAbort, { once: true });

  return {
    url: baseUrl,
    createRun,
    deleteRun(id) {
      const entry = runs.get(id);
      if (!entry) return;
      entry.feed.end();
      runs.delete(id);
    },
    close,
  };
}

function findAsset(assetDir: string | undefined): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = assetDir
    ? [join(assetDir, ASSET_NAME)]
    : [join(here, "browser", ASSET_NAME), join(here, "..", "dist", "browser", ASSET_NAME)];
  const found = candidates.find((file) => existsSync(file));
  if (!found) {
    throw new ViewError(
      "asset-missing",
      `the element's bundle is not built (looked for ${candidates.join(", ")}): run the package's build`,
    );
  }
  return found;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Stop keeping it (the rest is read and dropped, so that the 413 can be read).
        chunks.length = 0;
        request.removeAllListeners("data");
        request.resume();
        reject(new ViewError("invalid-answer", `the answer is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function decodeSegment(segment: string): string | undefined {
  try {
    const decoded = decodeURIComponent(segment);
    return RUN_ID.test(decoded) ? decoded : undefined;
  } catch {
    return undefined;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  response.end(text);
}

function sendHtml(response: ServerResponse, status: number, title: string, body: string): void {
  response.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy":
      "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  });
  response.end(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  html, body { margin: 0; height: 100%; background: #f6f7f9; color: #1d2330;
    font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  replan-plan-view { display: block; min-height: 100%; }
  .index { max-width: 720px; margin: 40px auto; }
</style>
<script type="module" src="/assets/${ASSET_NAME}"></script>
</head>
<body>${body}</body>
</html>
`);
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (character) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[character]!,
  );
}
