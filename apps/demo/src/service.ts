/**
 * The demo's local HTTP service: a small "ACME" API on 127.0.0.1 (releases, issues, downloads,
 * warehouse stock, reports, restock orders) that serves its own OpenAPI 3 document. Built on
 * `node:http` only. It counts every hit by operation in a JSON file of the workspace, so that
 * tests (and curious users) can check that a resumed run does not call an endpoint twice.
 *
 * @module
 */
import { randomUUID } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

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

interface Route {
  operationId: string;
  method: "GET" | "POST";
  /** A path template with `{name}` parameters. */
  path: string;
  /** Simulated latency at speed 1, in ms (a number, or one per path parameters). */
  latencyMs: number | ((params: Record<string, string>) => number);
  handle(request: RouteRequest): { status: number; body: unknown };
}

interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}

const RELEASE = { version: "2.4.0", date: "2026-11-18", tag: "v2.4.0", codename: "Kestrel" };

const NOTES: Record<string, { highlights: string[]; breaking: string[] }> = {
  "2.4.0": {
    highlights: [
      "Parallel uploads (3x faster on large files)",
      "New `acme doctor` command",
      "Resumable downloads",
    ],
    breaking: ["Node 18 is no longer supported"],
  },
};

const ISSUES = [
  { id: 412, title: "Upload stalls on flaky networks", label: "bug", opened: "2026-11-19" },
  { id: 415, title: "`acme doctor` misreads proxy settings", label: "bug", opened: "2026-11-20" },
  { id: 409, title: "Docs: resumable downloads example", label: "docs", opened: "2026-11-12" },
  { id: 417, title: "Crash when the cache folder is read-only", label: "bug", opened: "2026-11-22" },
];

type StockItem = { sku: string; name: string; qty: number };

const STOCK: Record<string, StockItem[]> = {
  north: [
    { sku: "BOLT-M6", name: "M6 bolts (box of 100)", qty: 42 },
    { sku: "NUT-M6", name: "M6 nuts (box of 100)", qty: 6 },
    { sku: "WASHER-6", name: "6 mm washers (box of 200)", qty: 18 },
  ],
  east: [
    { sku: "BOLT-M6", name: "M6 bolts (box of 100)", qty: 3 },
    { sku: "DRILL-8", name: "8 mm drill bits", qty: 25 },
  ],
  south: [
    { sku: "NUT-M6", name: "M6 nuts (box of 100)", qty: 31 },
    { sku: "DRILL-8", name: "8 mm drill bits", qty: 4 },
    { sku: "TAPE-50", name: "Duct tape 50 m", qty: 12 },
  ],
};

function routes(): Route[] {
  const reports = new Map<string, { id: string; low: Array<StockItem & { warehouse: string }> }>();
  return [
    {
      operationId: "getLatestRelease",
      method: "GET",
      path: "/releases/latest",
      latencyMs: 500,
      handle: () => ({ status: 200, body: RELEASE }),
    },
    {
      operationId: "getReleaseNotes",
      method: "GET",
      path: "/releases/{version}/notes",
      latencyMs: 900,
      handle: ({ params }) => {
        const notes = NOTES[params.version ?? ""];
        return notes
          ? { status: 200, body: { version: params.version, ...notes } }
          : { status: 404, body: { error: `no release ${params.version}` } };
      },
    },
    {
      operationId: "getDownloadStats",
      method: "GET",
      path: "/releases/{version}/downloads",
      latencyMs: 1300,
      handle: ({ params }) =>
        params.version === RELEASE.version
          ? { status: 200, body: { version: params.version, total: 48_213, lastWeek: 9_874, change: "+12%" } }
          : { status: 404, body: { error: `no release ${params.version}` } },
    },
    {
      operationId: "listIssues",
      method: "GET",
      path: "/issues",
      latencyMs: 700,
      handle: ({ query }) => {
        const label = query.get("label");
        const items = ISSUES.filter((issue) => !label || issue.label === label);
        return { status: 200, body: { count: items.length, items } };
      },
    },
    {
      operationId: "publishReport",
      method: "POST",
      path: "/reports",
      latencyMs: 400,
      handle: ({ body }) => {
        const title = (body as { title?: unknown } | null)?.title;
        if (typeof title !== "string" || title === "")
          return { status: 400, body: { error: "title required" } };
        const id = `rep-${randomUUID().slice(0, 8)}`;
        return { status: 201, body: { id, title, url: `/reports/${id}` } };
      },
    },
    {
      operationId: "getStock",
      method: "GET",
      path: "/warehouses/{warehouse}/stock",
      // The broken warehouse fails fast, while the others are still answering.
      latencyMs: (params) => (params.warehouse === "east" ? 300 : params.warehouse === "north" ? 1400 : 1000),
      handle: ({ params }) => {
        const warehouse = params.warehouse ?? "";
        if (warehouse === "east") {
          return {
            status: 503,
            body: { error: "east warehouse database is down for maintenance; use the read replica" },
          };
        }
        const items = STOCK[warehouse];
        return items
          ? { status: 200, body: { warehouse, items } }
          : { status: 404, body: { error: `no warehouse ${warehouse}` } };
      },
    },
    {
      operationId: "getStockFromReplica",
      method: "GET",
      path: "/replica/warehouses/{warehouse}/stock",
      latencyMs: 1000,
      handle: ({ params }) => {
        const warehouse = params.warehouse ?? "";
        const items = STOCK[warehouse];
        return items
          ? { status: 200, body: { warehouse, items, staleness: "up to 10 minutes old" } }
          : { status: 404, body: { error: `no warehouse ${warehouse}` } };
      },
    },
    {
      operationId: "createStockReport",
      method: "POST",
      path: "/stock-reports",
      latencyMs: 500,
      handle: ({ body }) => {
        const input = body as { threshold?: unknown; stocks?: unknown } | null;
        const threshold = typeof input?.threshold === "number" ? input.threshold : 10;
        if (!Array.isArray(input?.stocks)) return { status: 400, body: { error: "stocks required" } };
        const low: Array<StockItem & { warehouse: string }> = [];
        for (const stock of input.stocks as Array<{ warehouse?: string; items?: StockItem[] }>) {
          for (const item of stock.items ?? []) {
            if (item.qty < threshold) low.push({ ...item, warehouse: stock.warehouse ?? "?" });
          }
        }
        const id = `stock-${randomUUID().slice(0, 8)}`;
        reports.set(id, { id, low });
        return { status: 201, body: { id, threshold, low } };
      },
    },
    {
      operationId: "createRestockOrder",
      method: "POST",
      path: "/restock-orders",
      latencyMs: 600,
      handle: ({ body }) => {
        const reportId = (body as { reportId?: unknown } | null)?.reportId;
        const report = typeof reportId === "string" ? reports.get(reportId) : undefined;
        if (!report) return { status: 404, body: { error: `no stock report ${String(reportId)}` } };
        const lines = report.low.map((item) => ({
          sku: item.sku,
          warehouse: item.warehouse,
          qty: 50 - item.qty,
        }));
        return { status: 201, body: { orderId: `PO-${randomUUID().slice(0, 6)}`, lines } };
      },
    },
  ];
}

const stockItemSchema = {
  type: "object",
  properties: { sku: { type: "string" }, name: { type: "string" }, qty: { type: "integer" } },
  required: ["sku", "qty"],
};

const operationDocs: Record<string, Record<string, unknown>> = {
  getLatestRelease: { summary: "The latest release of ACME (version, date, tag)" },
  getReleaseNotes: {
    summary: "The release notes of one version (highlights, breaking changes)",
    parameters: [{ name: "version", in: "path", required: true, schema: { type: "string" } }],
  },
  getDownloadStats: {
    summary: "Download counts of one version",
    parameters: [{ name: "version", in: "path", required: true, schema: { type: "string" } }],
  },
  listIssues: {
    summary: "Open issues, optionally filtered by label (bug, docs)",
    parameters: [{ name: "label", in: "query", required: false, schema: { type: "string" } }],
  },
  publishReport: {
    summary: "Publishes a report (title and markdown text); returns its id",
    requestBody: {
      required: true,
      content: {
        "application/json": {
          schema: {
            type: "object",
            properties: { title: { type: "string" }, text: { type: "string" } },
            required: ["title"],
          },
        },
      },
    },
  },
  getStock: {
    summary: "Current stock of a warehouse (north, east, south), from its primary database",
    parameters: [{ name: "warehouse", in: "path", required: true, schema: { type: "string" } }],
  },
  getStockFromReplica: {
    summary: "Stock of a warehouse from the read replica (may be a few minutes old)",
    parameters: [{ name: "warehouse", in: "path", required: true, schema: { type: "string" } }],
  },
  createStockReport: {
    summary: "Computes which items are below a threshold across warehouses; returns the report id",
    requestBody: {
      required: true,
      content: {
        "application/json": {
          schema: {
            type: "object",
            properties: {
              threshold: { type: "integer" },
              stocks: {
                type: "array",
                items: {
                  type: "object",
                  properties: {
                    warehouse: { type: "string" },
                    items: { type: "array", items: stockItemSchema },
                  },
                  required: ["warehouse", "items"],
                },
              },
            },
            required: ["stocks"],
          },
        },
      },
    },
  },
  createRestockOrder: {
    summary: "Creates a purchase order for the low items of a stock report",
    requestBody: {
      required: true,
      content: {
        "application/json": {
          schema: { type: "object", properties: { reportId: { type: "string" } }, required: ["reportId"] },
        },
      },
    },
  },
};

function openApiDocument(url: string, table: Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of table) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: route.operationId,
      ...operationDocs[route.operationId],
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

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= 1_000_000) chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
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
      const raw = await readBody(request);
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
