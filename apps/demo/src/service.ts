/**
 * The demo's local HTTP service: a small "ACME" API on 127.0.0.1 (releases, issues, downloads,
 * warehouse stock, reports, restock orders) that serves its own OpenAPI 3 document. Built on
 * `node:http` only. It counts every hit by operation in a JSON file of the workspace, so that
 * tests (and curious users) can check that a resumed run does not call an endpoint twice.
 *
 * @module
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { readBody } from "@replan/core/internal";
import { type Route, routes } from "./service-routes.js";

/** Options of {@link startService}. */
export interface ServiceOptions {
  /**
   * The JSON file where hits are counted by operation id (read at start, rewritten on each hit).
   */
  hitsFile: string;
  /**
   * Divides every endpoint's simulated latency (1 = watchable, 10 = ten times faster).
   * @default 1
   */
  speed?: number;
}

/** A running service; see {@link startService}. */
export interface Service {
  /** The base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The OpenAPI 3 document it serves at `/openapi.json` (its `servers[0].url` is {@link Service.url}). */
  readonly document: Record<string, unknown>;
  /** Hits so far, by operation id (persisted in `hitsFile`). */
  hits(): Record<string, number>;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

/** The largest request body the service reads. */
const MAX_BODY_BYTES = 1_000_000;

/** The service's OpenAPI 3 document, served at `/openapi.json`. */
function openApiDocument(url: string, table: Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of table) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: route.operationId,
      ...route.docs,
      responses: { default: { description: "JSON" } },
    };
  }
  return {
    openapi: "3.0.3",
    info: { title: "ACME demo service", version: "1.0.0" },
    servers: [{ url }],
    paths,
  };
}

function match(template: string, path: string): Record<string, string> | undefined {
  const want = template.split("/");
  const got = path.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < want.length; index++) {
    const part = want[index]!;
    const value = got[index]!;
    if (part.startsWith("{") && part.endsWith("}")) params[part.slice(1, -1)] = decodeURIComponent(value);
    else if (part !== value) return undefined;
  }
  return params;
}

function readHits(file: string): Record<string, number> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      const hits: Record<string, number> = {};
      for (const [key, value] of Object.entries(parsed)) if (typeof value === "number") hits[key] = value;
      return hits;
    }
  } catch {
    // no file yet
  }
  return {};
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

/**
 * Starts the demo service on 127.0.0.1, on a free port.
 *
 * @param options - where hits are counted, and the latency factor.
 * @returns the running service.
 * @example
 * ```ts
 * const service = await startService({ hitsFile: "/tmp/hits.json", speed: 10 });
 * console.log(await (await fetch(`${service.url}/releases/latest`)).json());
 * await service.close();
 * ```
 */
export async function startService(options: ServiceOptions): Promise<Service> {
  const { hitsFile, speed = 1 } = options;
  const table = routes();
  const hits = readHits(hitsFile);
  const sockets = new Set<Socket>();
  let document: Record<string, unknown> = {};

  const count = (operationId: string) => {
    hits[operationId] = (hits[operationId] ?? 0) + 1;
    // Written synchronously (and atomically) so that a killed process loses no hit.
    writeFileSync(`${hitsFile}.tmp`, JSON.stringify(hits, null, 2));
    renameSync(`${hitsFile}.tmp`, hitsFile);
  };

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://localhost");
      const raw = await readBody(request, { limitBytes: MAX_BODY_BYTES });
      if (raw === undefined) return send(response, 413, { error: "the body is larger than 1 MB" });
      if (request.method === "GET" && url.pathname === "/openapi.json") return send(response, 200, document);
      for (const route of table) {
        if (route.method !== request.method) continue;
        const params = match(route.path, url.pathname);
        if (!params) continue;
        count(route.operationId);
        let body: unknown = null;
        if (raw !== "") {
          try {
            body = JSON.parse(raw);
          } catch {
            return send(response, 400, { error: "the body is not JSON" });
          }
        }
        const latency = typeof route.latencyMs === "function" ? route.latencyMs(params) : route.latencyMs;
        await new Promise((resolve) => setTimeout(resolve, Math.round(latency / speed)));
        const answer = route.handle({ params, query: url.searchParams, body });
        return send(response, answer.status, answer.body);
      }
      send(response, 404, { error: `no route ${request.method} ${url.pathname}` });
    })().catch(() => response.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  document = openApiDocument(url, table);
  let closing: Promise<void> | undefined;
  return {
    url,
    document,
    hits: () => ({ ...hits }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
