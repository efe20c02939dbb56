/**
 * The server's replies: JSON with `no-store`, and HTML pages that load only the element's bundle
 * (a strict content security policy, no framing).
 *
 * @module
 */
import type { ServerResponse } from "node:http";
import { ASSET_NAME } from "./asset.js";
import { viewDefaults } from "./defaults.js";

/** Sends `body` as JSON with `status`. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  response.end(text);
}

/** Sends the JSON error `{ error: { code, message, ...extra } }` with `status`. */
export function sendError(
  response: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(response, status, { error: { code, message, ...extra } });
}

/** Sends a page of the view: `body` in the page's frame, loading the element's bundle. */
export function sendHtml(response: ServerResponse, status: number, title: string, body: string): void {
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
  ${viewDefaults.elementName} { display: block; min-height: 100%; }
  .index { max-width: 720px; margin: 40px auto; }
</style>
<script type="module" src="/assets/${ASSET_NAME}"></script>
</head>
<body>${body}</body>
</html>
`);
}

/**
 * Escapes text for HTML.
 *
 * @param text - any text.
 * @example
 * ```ts
 * escapeHtml('<a href="x">'); // "&lt;a href=&quot;x&quot;&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (character) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[character]!,
  );
}
