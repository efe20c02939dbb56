/**
 * The demo service's API, "ACME": releases, issues, downloads, warehouse stock, reports and
 * restock orders. Each route holds its handler, its simulated latency and its OpenAPI description
 * (one home per operation); the data is made up and fixed.
 *
 * @module
 */
import { randomUUID } from "node:crypto";

/** What a route's handler gets. */
export interface RouteRequest {
  /** The path parameters, by name. */
  params: Record<string, string>;
  /** The query string. */
  query: URLSearchParams;
  /** The JSON body, or null. */
  body: unknown;
}

/** An OpenAPI parameter. */
interface Parameter {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: { type: "string" };
}

/** One operation of the service. */
export interface Route {
  operationId: string;
  method: "GET" | "POST";
  /** A path template with `{name}` parameters. */
  path: string;
  /** Simulated latency at speed 1, in ms (a number, or one per path parameters). */
  latencyMs: number | ((params: Record<string, string>) => number);
  /** The operation's OpenAPI description: its summary, parameters and request body. */
  docs: { summary: string; parameters?: Parameter[]; requestBody?: unknown };
  handle(request: RouteRequest): { status: number; body: unknown };
}

/** A required string parameter of the path. */
const inPath = (name: string): Parameter => ({
  name,
  in: "path",
  required: true,
  schema: { type: "string" },
});

/** A required JSON request body with this schema. */
const jsonBody = (schema: Record<string, unknown>) => ({
  required: true,
  content: { "application/json": { schema } },
});

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

const stockItemSchema = {
  type: "object",
  properties: { sku: { type: "string" }, name: { type: "string" }, qty: { type: "integer" } },
  required: ["sku", "qty"],
};

/**
 * Every route of the service; the stock reports they create live as long as the returned table.
 *
 * @example
 * ```ts
 * const table = routes(); // getLatestRelease, ..., createRestockOrder
 * ```
 */
export function routes(): Route[] {
  return [...releaseRoutes(), ...stockRoutes()];
}

/** Releases, their notes and downloads, issues, and published reports. */
function releaseRoutes(): Route[] {
  const noRelease = (version: string | undefined) => ({
    status: 404,
    body: { error: `no release ${version}` },
  });
  return [
    {
      operationId: "getLatestRelease",
      method: "GET",
      path: "/releases/latest",
      latencyMs: 500,
      docs: { summary: "The latest release of ACME (version, date, tag)" },
      handle: () => ({ status: 200, body: RELEASE }),
    },
    {
      operationId: "getReleaseNotes",
      method: "GET",
      path: "/releases/{version}/notes",
      latencyMs: 900,
      docs: {
        summary: "The release notes of one version (highlights, breaking changes)",
        parameters: [inPath("version")],
      },
      handle: ({ params }) => {
        const notes = NOTES[params.version ?? ""];
        return notes
          ? { status: 200, body: { version: params.version, ...notes } }
          : noRelease(params.version);
      },
    },
    {
      operationId: "getDownloadStats",
      method: "GET",
      path: "/releases/{version}/downloads",
      latencyMs: 1300,
      docs: { summary: "Download counts of one version", parameters: [inPath("version")] },
      handle: ({ params }) =>
        params.version === RELEASE.version
          ? { status: 200, body: { version: params.version, total: 48_213, lastWeek: 9_874, change: "+12%" } }
          : noRelease(params.version),
    },
    {
      operationId: "listIssues",
      method: "GET",
      path: "/issues",
      latencyMs: 700,
      docs: {
        summary: "Open issues, optionally filtered by label (bug, docs)",
        parameters: [{ name: "label", in: "query", required: false, schema: { type: "string" } }],
      },
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
      docs: {
        summary: "Publishes a report (title and markdown text); returns its id",
        requestBody: jsonBody({
          type: "object",
          properties: { title: { type: "string" }, text: { type: "string" } },
          required: ["title"],
        }),
      },
      handle: ({ body }) => {
        const title = (body as { title?: unknown } | null)?.title;
        if (typeof title !== "string" || title === "")
          return { status: 400, body: { error: "title required" } };
        const id = `rep-${randomUUID().slice(0, 8)}`;
        return { status: 201, body: { id, title, url: `/reports/${id}` } };
      },
    },
  ];
}

/** Warehouse stock (one warehouse's primary database is down), its replica, reports and orders. */
function stockRoutes(): Route[] {
  const reports = new Map<string, { id: string; low: Array<StockItem & { warehouse: string }> }>();
  const stockOf = (warehouse: string, extra: Record<string, unknown> = {}) => {
    const items = STOCK[warehouse];
    return items
      ? { status: 200, body: { warehouse, items, ...extra } }
      : { status: 404, body: { error: `no warehouse ${warehouse}` } };
  };
  return [
    {
      operationId: "getStock",
      method: "GET",
      path: "/warehouses/{warehouse}/stock",
      // The broken warehouse fails fast, while the others are still answering.
      latencyMs: (params) => (params.warehouse === "east" ? 300 : params.warehouse === "north" ? 1400 : 1000),
      docs: {
        summary: "Current stock of a warehouse (north, east, south), from its primary database",
        parameters: [inPath("warehouse")],
      },
      handle: ({ params }) => {
        const warehouse = params.warehouse ?? "";
        if (warehouse !== "east") return stockOf(warehouse);
        return {
          status: 503,
          body: { error: "east warehouse database is down for maintenance; use the read replica" },
        };
      },
    },
    {
      operationId: "getStockFromReplica",
      method: "GET",
      path: "/replica/warehouses/{warehouse}/stock",
      latencyMs: 1000,
      docs: {
        summary: "Stock of a warehouse from the read replica (may be a few minutes old)",
        parameters: [inPath("warehouse")],
      },
      handle: ({ params }) => stockOf(params.warehouse ?? "", { staleness: "up to 10 minutes old" }),
    },
    createStockReportRoute(reports),
    {
      operationId: "createRestockOrder",
      method: "POST",
      path: "/restock-orders",
      latencyMs: 600,
      docs: {
        summary: "Creates a purchase order for the low items of a stock report",
        requestBody: jsonBody({
          type: "object",
          properties: { reportId: { type: "string" } },
          required: ["reportId"],
        }),
      },
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

/** `createStockReport`: which items are below a threshold across warehouses, kept in `reports`. */
function createStockReportRoute(
  reports: Map<string, { id: string; low: Array<StockItem & { warehouse: string }> }>,
): Route {
  return {
    operationId: "createStockReport",
    method: "POST",
    path: "/stock-reports",
    latencyMs: 500,
    docs: {
      summary: "Computes which items are below a threshold across warehouses; returns the report id",
      requestBody: jsonBody({
        type: "object",
        properties: {
          threshold: { type: "integer" },
          stocks: {
            type: "array",
            items: {
              type: "object",
              properties: { warehouse: { type: "string" }, items: { type: "array", items: stockItemSchema } },
              required: ["warehouse", "items"],
            },
          },
        },
        required: ["stocks"],
      }),
    },
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
  };
}
