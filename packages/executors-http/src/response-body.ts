/**
 * Reading a response for a model: the body streamed up to a byte cap (then cut and the connection
 * closed), parsed when JSON, skipped when binary; the allowlisted headers; secrets redacted.
 *
 * @module
 */

import type { Response } from "undici";
import type { HttpMethod } from "./http-types.js";

/** Content types read as text; any other is binary and not read. An empty one counts as text. */
const textualType = /^text\/|json|xml|javascript|ecmascript|x-www-form-urlencoded|yaml|csv|graphql/i;

/** Reads the stream's first `limit` bytes; cancels the rest (which aborts the request). */
async function readAtMost(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes: Buffer.concat(chunks), truncated: false };
      if (size + value.byteLength > limit) {
        chunks.push(value.subarray(0, limit - size));
        // Stop reading: cancelling the stream aborts the request and closes the connection.
        await reader.cancel().catch(() => {});
        return { bytes: Buffer.concat(chunks), truncated: true };
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * The body of `response` as an `HttpResponse` gives it: parsed JSON, text, or `null` (empty, HEAD,
 * binary), cut at `maxResponseBytes` with a marker.
 *
 * @param response - the last response, its body unread.
 * @param method - the request's method (a HEAD response has no body).
 * @param maxResponseBytes - the cap.
 * @param redact - removes secret values from the text.
 */
export async function readResponseBody(
  response: Response,
  method: HttpMethod,
  maxResponseBytes: number,
  redact: (text: string) => string,
): Promise<{ body: unknown; truncated: boolean }> {
  const stream = response.body;
  if (method === "HEAD" || stream === null) return { body: null, truncated: false };
  const contentType = response.headers.get("content-type") ?? "";
  if (contentType !== "" && !textualType.test(contentType)) {
    await stream.cancel().catch(() => {});
    return { body: null, truncated: false };
  }
  const { bytes, truncated } = await readAtMost(stream as ReadableStream<Uint8Array>, maxResponseBytes);
  if (bytes.byteLength === 0) return { body: null, truncated: false };
  const text = redact(new TextDecoder().decode(bytes));
  if (truncated) {
    return {
      body: `${text}\n[truncated: the response is larger than ${maxResponseBytes} bytes]`,
      truncated,
    };
  }
  if (/\bjson\b|\+json/i.test(contentType)) {
    try {
      return { body: JSON.parse(text), truncated };
    } catch {
      return { body: text, truncated };
    }
  }
  return { body: text, truncated };
}

/**
 * The response headers named in `names` (lowercased), their values redacted.
 *
 * @param response - the response.
 * @param names - the `responseHeaders` option, lowercased.
 * @param redact - removes secret values.
 */
export function selectHeaders(
  response: Response,
  names: readonly string[],
  redact: (text: string) => string,
): Record<string, string> {
  const selected: Record<string, string> = {};
  for (const name of names) {
    const value = response.headers.get(name);
    if (value !== null) selected[name] = redact(value);
  }
  return selected;
}
