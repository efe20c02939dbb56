/**
 * The tools the demo composes into the plan-and-execute graph: one tool per operation of the demo
 * service's OpenAPI document, a generic HTTP tool, and the confined shell tool.
 *
 * @module
 */
import type { StructuredToolInterface } from "@langchain/core/tools";
import type { Checker } from "@replan/core";
import { createHttpTool, createOpenApiTools, httpRequest } from "@replan/executors-http";
import { createShellTool, probeSandbox } from "@replan/executors-shell";

/** Options of {@link createDemoTools}. */
export interface DemoToolsOptions {
  /** The demo service's base URL (its OpenAPI document is read from `/openapi.json`). */
  serviceUrl: string;
  /** The folder the shell tool is confined to. */
  workspace: string;
  /**
   * Told once when the shell tool has to run without its kernel sandbox (no bubblewrap here).
   * @default a line on stderr
   */
  notice?: (message: string) => void;
}

/** Loopback only: the HTTP tools refuse private addresses unless allowed explicitly. */
const LOOPBACK = { allowedAddresses: ["127.0.0.1"], allowedHosts: ["127.0.0.1"] };

/**
 * Builds the tools: reads the service's OpenAPI document over HTTP and turns every operation into
 * a tool (`getStock`, `createStockReport`, ...), adds `http_request` (loopback only) and `shell`
 * (default read-only programs, confined to the workspace, inside the kernel sandbox where it can
 * start; where it cannot, e.g. no bubblewrap, the shell runs without it and `notice` says so once).
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
  const { serviceUrl, workspace, notice = (message) => process.stderr.write(`${message}\n`) } = options;
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
  const probe = await probeSandbox();
  if (!probe.available) {
    notice(
      `note: the shell tool runs WITHOUT its kernel sandbox here (only its argument rules confine it): ${probe.error.message}`,
    );
  }
  const shellTool = createShellTool({ root: workspace, timeoutMs: 10_000, sandbox: probe.available });
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
