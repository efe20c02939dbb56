/**
 * The tools the demo composes into the plan-and-execute graph: one tool per operation of the demo
 * service's OpenAPI document, a generic HTTP tool, and the confined shell tool.
 *
 * @module
 */
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { Checker } from "@replan/core";
import { createHttpTool, createOpenApiTools, httpRequest } from "@replan/executors-http";
import { createShellTool } from "@replan/executors-shell";

/** Options of {@link createDemoTools}. */
export interface DemoToolsOptions {
  /** The demo service's base URL (its OpenAPI document is read from `/openapi.json`). */
  serviceUrl: string;
  /** The folder the shell tool is confined to. */
  workspace: string;
}

/** Loopback only: the HTTP tools refuse private addresses unless allowed explicitly. */
const LOOPBACK = { allowedAddresses: ["127.0.0.1"], allowedHosts: ["127.0.0.1"] };

/**
 * Builds the tools: reads the service's OpenAPI document over HTTP and turns every operation into
 * a tool (`getStock`, `createStockReport`, ...), adds `http_request` (loopback only) and `shell`
 * (default read-only programs, confined to the workspace).
 *
 * HTTP tools are not retried here (`retries: 0`): a 503 shows up at once as a failed step.
 *
 * @param options - the service URL and the workspace.
 * @returns the tools, and the number of OpenAPI operations.
 * @example
 * ```ts
 * const { tools } = await createDemoTools({ serviceUrl: service.url, workspace: "/tmp/ws" });
 * ```
 */
export async function createDemoTools(
  options: DemoToolsOptions,
): Promise<{ tools: StructuredToolInterface[]; operations: number }> {
  const { serviceUrl, workspace } = options;
  const response = await httpRequest({ url: `${serviceUrl}/openapi.json` }, { ...LOOPBACK, retries: 0 });
  if (!response.ok) throw new Error(`the demo service answered ${response.status} for its OpenAPI document`);
  const openApiTools = createOpenApiTools(response.body, { ...LOOPBACK, retries: 0, timeoutMs: 30_000 });
  const httpTool = createHttpTool({
    ...LOOPBACK,
    retries: 0,
    timeoutMs: 30_000,
    description:
      "Sends an HTTP request to the local demo service only (127.0.0.1). Prefer the service's own operations.",
  });
  const shellTool = createShellTool({ root: workspace, timeoutMs: 10_000 });
  return {
    tools: [...openApiTools, httpTool, shellTool] as StructuredToolInterface[],
    operations: openApiTools.length,
  };
}

/**
 * Judges tool results: an HTTP response that is not 2xx (a result, not an error, for the HTTP
 * tools) is an unexpected result, which fails the step and asks the replanner for a way around.
 *
 * @example
 * ```ts
 * httpChecker(step, { ok: false, status: 503, body: { error: "down" } }); // { expected: false, reason: "HTTP 503: down" }
 * ```
 */
export const httpChecker: Checker = (_step, result) => {
  if (result === null || typeof result !== "object") return { expected: true };
  const response = result as { ok?: unknown; status?: unknown; body?: unknown };
  if (response.ok !== false || typeof response.status !== "number") return { expected: true };
  const body = response.body as { error?: unknown } | null | undefined;
  const detail =
    typeof body?.error === "string" ? body.error : typeof body === "string" ? body : JSON.stringify(body);
  return { expected: false, reason: `HTTP ${response.status}: ${detail}` };
};
