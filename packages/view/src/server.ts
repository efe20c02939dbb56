/**
 * The server helper: serves the page and the element's bundle on 127.0.0.1, streams each run's
 * events to the page (server-sent events), and takes plan-approval answers from it.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answerApproval } from "./approval-route.js";
import { ASSET_NAME, findAsset } from "./asset.js";
import { checkOptions, errorMessage, MAX_DELAY_MS, rules } from "@replan/core/internal";
import { viewDefaults } from "./defaults.js";
import { ViewError } from "./errors.js";
import { type HostCheck, hostCheck } from "./host-check.js";
import { escapeHtml, sendError, sendHtml, sendJson } from "./http-replies.js";
import { checking, maxStepsRule, RUN_ID, runIdRule } from "./option-rules.js";
import { createRunEntry, type RunEntry, type RunFeed, type RunFeedOptions } from "./run-feed.js";

export type { RunFeed, RunFeedOptions } from "./run-feed.js";

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

/** The rules of {@link ViewServerOptions}. */
const serverOptions = {
  port: rules.integer({ min: 0, max: 65_535 }),
  host: rules.string({ nonEmpty: true }),
  signal: rules.signal(),
  assetDir: rules.string({ nonEmpty: true }),
  slowClientTimeoutMs: rules.integer({ min: 1, max: MAX_DELAY_MS }),
};

/** The rules of {@link RunFeedOptions}. */
const runOptionRules = {
  id: runIdRule,
  title: rules.string(),
  onApproval: rules.func<NonNullable<RunFeedOptions["onApproval"]>>(),
  maxSteps: maxStepsRule,
};
/** A request (headers and body) must arrive within this time; event streams are responses and last. */
const REQUEST_TIMEOUT_MS = 30_000;

/** What the request handlers share. */
interface Site {
  runs: Map<string, RunEntry>;
  asset: Buffer;
  hosts: HostCheck;
}

/**
 * Starts the view server on 127.0.0.1 (port 0 by default): `GET /runs/<id>` is a run's page,
 * `GET /api/runs/<id>/events` its server-sent events, `POST /api/runs/<id>/approval` takes an
 * approval answer. Only the element's bundle is served as an asset; nothing is fetched from
 * anywhere else.
 *
 * @param options - port, host, signal.
 * @returns the server; add runs with `createRun`.
 * @throws {ViewError} `invalid-options` for an unknown option or a bad value (`Option "port" must be
 *   an integer from 0 to 65535, got 70000`), `asset-missing` when the element's bundle is not built,
 *   `listen-failed` when the host and port cannot be listened on (`cause`: the system error).
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
  const {
    port = viewDefaults.port,
    host = viewDefaults.host,
    signal,
    slowClientTimeoutMs = viewDefaults.slowClientTimeoutMs,
    assetDir,
  } = checkOptions(options, serverOptions, checking("startViewServer"));
  signal?.throwIfAborted();
  const runs = new Map<string, RunEntry>();
  let server: Server | undefined;
  const site: Site = {
    runs,
    asset: readFileSync(findAsset(assetDir)),
    hosts: hostCheck(host, () => (server?.address() as AddressInfo | null)?.port),
  };
  server = await listen(site, port, host);
  const address = server.address() as AddressInfo;
  const baseUrl = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;

  const listening = server;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      signal?.removeEventListener("abort", onAbort);
      for (const entry of runs.values()) entry.feed.end();
      listening.close(() => resolve());
      listening.closeAllConnections();
    });
    return closing;
  };
  const onAbort = () => void close();
  signal?.addEventListener("abort", onAbort, { once: true });

  return {
    url: baseUrl,
    createRun(runOptions?: RunFeedOptions) {
      const checked = checkOptions(runOptions, runOptionRules, checking("createRun"));
      const id = checked.id ?? Math.random().toString(36).slice(2, 10);
      if (runs.has(id)) {
        throw new ViewError(
          "invalid-options",
          `Option "id" must name a new run: there is already a run "${id}"`,
        );
      }
      const entry = createRunEntry({ id, options: checked, baseUrl, slowClientTimeoutMs });
      runs.set(id, entry);
      return entry.feed;
    },
    deleteRun(id) {
      const entry = runs.get(id);
      if (!entry) return;
      entry.feed.end();
      runs.delete(id);
    },
    close,
  };
}

/** A server answering with `site`, listening on `port` and `host`. */
async function listen(site: Site, port: number, host: string): Promise<Server> {
  const server = createServer((request, response) => {
    route(site, request, response).catch((error: unknown) => {
      if (!response.headersSent) sendError(response, 500, "internal", String(error));
      else response.destroy();
    });
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error & { code?: string }) => {
      const reason = error.code ?? errorMessage(error);
      reject(
        new ViewError("listen-failed", `Could not listen on ${host}:${port}: ${reason}`, { cause: error }),
      );
    };
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      resolve();
    });
  });
  return server;
}

/** Answers one request. */
async function route(site: Site, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!site.hosts.allowedHost(request.headers.host)) {
    sendError(response, 421, "bad-host", "unexpected Host header");
    return;
  }
  const path = new URL(request.url ?? "/", "http://localhost").pathname;
  const method = request.method ?? "GET";
  if (method === "GET" && path === "/") return sendIndex(site, response);
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
    response.end(site.asset);
    return;
  }
  const page = /^\/runs\/([^/]+)$/.exec(path);
  if (method === "GET" && page) return sendPage(site, response, decodeSegment(page[1]!));
  const api = /^\/api\/runs\/([^/]+)(\/events|\/approval)?$/.exec(path);
  if (api) return routeRun(site, request, response, api[1]!, api[2]);
  sendError(response, 404, "not-found", "not found");
}

/** Answers a request under `/api/runs/<segment>`, `part` being `/events`, `/approval` or none. */
async function routeRun(
  site: Site,
  request: IncomingMessage,
  response: ServerResponse,
  segment: string,
  part: string | undefined,
): Promise<void> {
  const method = request.method ?? "GET";
  const id = decodeSegment(segment);
  const entry = id === undefined ? undefined : site.runs.get(id);
  if (!entry) {
    sendError(response, 404, "run-not-found", `there is no run "${id ?? segment}"`);
    return;
  }
  if (part === undefined && method === "GET") {
    const { feed } = entry;
    sendJson(response, 200, {
      id: feed.id,
      title: entry.title,
      status: feed.model().status,
      ended: feed.ended,
    });
    return;
  }
  if (part === "/events" && method === "GET") {
    // A new page gets the state so far in one event (bounded, whatever the length of the run).
    const state = { type: "view-state", model: entry.feed.model(), serverTime: Date.now() };
    entry.streams.open(request, response, state, entry.feed.ended);
    return;
  }
  if (part === "/approval" && method === "POST") return answerApproval(entry, request, response, site.hosts);
  sendError(response, 405, "method-not-allowed", `${method} is not allowed here`);
}

function sendIndex(site: Site, response: ServerResponse): void {
  const items = [...site.runs.values()]
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

function sendPage(site: Site, response: ServerResponse, id: string | undefined): void {
  const entry = id === undefined ? undefined : site.runs.get(id);
  // The page of an unknown run is still served: the element asks for the run and says it does
  // not exist (the same page then works for a run that is added later).
  const src = `/api/runs/${encodeURIComponent(id ?? "")}`;
  sendHtml(
    response,
    entry ? 200 : 404,
    entry?.title ?? "replan run",
    `<${viewDefaults.elementName} src="${escapeHtml(src)}"></${viewDefaults.elementName}>`,
  );
}

function decodeSegment(segment: string): string | undefined {
  try {
    const decoded = decodeURIComponent(segment);
    return RUN_ID.test(decoded) ? decoded : undefined;
  } catch {
    return undefined;
  }
}
